"""The done screen's directed sort: where each unit goes, its label, sort scans, reprint, PDF, totes.

After the confirm every unit found has its plate and destination and its label is printing. The
done screen lists the units; the operator sticks each label on and scans the destination's
barcode (a scan, not a touch): ``answer_sort`` turns the scan into the bench's answer. A label
that did not print offers a reprint, another printer and a PDF.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from station.db.models import Inspection, InspectionUnit, LabelPrint, Tote
from station.printing.content import LabelContent
from station.returns.errors import DomainError
from station.sorting.service import SortAnswer
from web.app import station_context
from web.bench import labels
from web.bench.actions import actor, field
from web.bench.screens import bp, load
from web.bench.services import bench_services


@dataclass(frozen=True)
class SortLine:
    """One unit on the done screen: its plate, where it goes, whether it is there, its label."""

    unit: InspectionUnit
    place: str
    instruction: str
    sorted: bool
    tote: str | None
    job: LabelPrint | None


#: The printer's own words (drivers/printer/status.py problems) in the UI language.
PRINTER_WORDS = {
    "printer not ready": _l("printer not ready"), "paper out": _l("paper out"),
    "head open": _l("head open"), "paused": _l("paused"), "ribbon out": _l("ribbon out"),
    "receive buffer full": _l("receive buffer full"), "connection refused": _l("connection refused"),
    "no label printer is set up": _l("no label printer is set up"),
}


def printer_words(text: str) -> str:
    """A print job's error with the printer's known phrases in the operator's language."""
    for english, words in PRINTER_WORDS.items():
        text = text.replace(english, str(words))
    return text


def _locale() -> str:
    return str(get_locale() or "en")


def place_name(code: str | None) -> str:
    if code is None:
        return "–"
    place = station_context(current_app).sorting.rules.find_destination(code)
    return place.name_for(_locale()) if place is not None else code


def instruction(unit: InspectionUnit, open_tote: str | None) -> str:
    """What to do with the unit, in words: which tote or place, and what to scan."""
    place = station_context(current_app).sorting.rules.find_destination(unit.destination)
    if place is None:
        return _("Scan the barcode of its place.")
    name = place.name_for(_locale())
    if not place.is_container:
        return _("Put it on %(place)s and scan the barcode there (%(code)s).", place=name,
                 code=place.place_barcode)
    if open_tote:
        return _("Put it in tote %(tote)s (%(place)s) and scan the tote.", tote=open_tote,
                 place=name)
    return _("Take an empty %(place)s and scan its code.", place=name)


def sort_lines(inspection: Inspection) -> list[SortLine]:
    ctx = station_context(current_app)
    units = [u for u in inspection.units if u.lpn]
    if not units:
        return []
    with ctx.db.reader() as session:
        jobs = {job.unit_id: job for job in session.execute(
            select(LabelPrint).where(LabelPrint.unit_id.in_([u.id for u in units]))
            .order_by(LabelPrint.created_at, LabelPrint.id)).scalars()}
        tote_ids = {u.tote_id for u in units if u.tote_id}
        totes = {t.id: t.code for t in session.execute(
            select(Tote).where(Tote.id.in_(tote_ids))).scalars()} if tote_ids else {}
        open_totes = {t.destination: t.code for t in session.execute(
            select(Tote).where(Tote.status == "open", Tote.station_id == inspection.station_id)
            .order_by(Tote.opened_at.desc())).scalars()}
    return [SortLine(u, place_name(u.destination),
                     instruction(u, open_totes.get(u.destination or "")),
                     u.sorted_at is not None, totes.get(u.tote_id or ""), jobs.get(u.id))
            for u in units]


def sort_context(inspection: Inspection) -> dict[str, Any]:
    lines = sort_lines(inspection)
    waiting = [line for line in lines if not line.sorted]
    return {"sort_lines": lines, "sort_current": waiting[0].unit.position if waiting else None,
            "printer_words": printer_words,
            "sort_done": bool(lines) and not waiting,
            "other_printers": station_context(current_app).settings.labels.other_printer_urls}


# -- sort scans ------------------------------------------------------------------------------
MESSAGES = {
    "sorted": lambda a: _("Item %(n)d is in %(place)s.", n=a.position, place=place_name(a.destination)),
    "tote_opened": lambda a: _("Item %(n)d is in the new tote %(tote)s (%(place)s).",
                               tote=a.tote, place=place_name(a.destination), n=a.position),
    "tote_closed": lambda a: _("Item %(n)d is in. Tote %(tote)s is full and closed: stick its "
                               "label on and take an empty tote for %(place)s.",
                               n=a.position, tote=a.tote, place=place_name(a.destination)),
    "selected": lambda a: _("Item %(n)d goes to %(place)s.", n=a.position,
                            place=place_name(a.destination)),
    "wrong_place": lambda a: _("Wrong place: that is %(other)s. Item %(n)d goes to %(place)s.",
                               other=place_name(a.scanned_for) if a.scanned_for else a.tote or "?",
                               n=a.position, place=place_name(a.destination)),
    "tote_elsewhere": lambda a: _("Tote %(tote)s is open for %(place)s: put item %(n)d in it "
                                  "and scan that tote.", tote=a.tote,
                                  place=place_name(a.destination), n=a.position),
    "unknown_code": lambda a: _("That is not a place. Item %(n)d goes to %(place)s: scan its "
                                "barcode.", n=a.position, place=place_name(a.destination)),
    "nothing_to_sort": lambda a: _("Every item of this parcel is in its place."),
}
SOUNDS = {"sorted": "good", "tote_opened": "good", "tote_closed": "attention",
          "selected": "good", "nothing_to_sort": "attention"}


def awaiting_sort(station_id: str) -> str | None:
    """The last closed parcel of this bench with a labelled unit not yet sorted (None: none)."""
    with station_context(current_app).db.reader() as session:
        return session.execute(
            select(InspectionUnit.inspection_id)
            .join(Inspection, Inspection.id == InspectionUnit.inspection_id)
            .where(Inspection.station_id == station_id, InspectionUnit.lpn.is_not(None),
                   InspectionUnit.sorted_at.is_(None))
            .order_by(Inspection.completed_at.desc()).limit(1)
        ).scalar_one_or_none()


def answer_sort(inspection_id: str, code: str) -> tuple[SortAnswer, str, str]:
    """Sort scan -> (answer, message, sound)."""
    result = station_context(current_app).sorting.sort_scan(inspection_id, code, actor())
    return result, str(MESSAGES[result.result](result)), SOUNDS.get(result.result, "bad")


# -- reprint, PDF, totes ------------------------------------------------------------------------
def _unit_of_bench(unit_id: str) -> InspectionUnit:
    with station_context(current_app).db.reader() as session:
        unit = session.get(InspectionUnit, unit_id)
        if unit is None:
            abort(404)
        load(unit.inspection_id)  # 404 for another bench's unit
        return unit


@bp.post("/units/<unit_id>/reprint")
def reprint(unit_id: str) -> Response:
    """Print the unit's label again (audited), on the bench printer or another one."""
    unit = _unit_of_bench(unit_id)
    printer = field("printer", 200)
    allowed = ["", *station_context(current_app).settings.labels.other_printer_urls]
    if printer not in allowed:
        abort(400)
    try:
        station_context(current_app).sorting.reprint(actor(), unit_id=unit.id, printer=printer,
                                                     why=field("why", 500))
    except DomainError as error:
        flash(labels.error_message(error), "error")
    return redirect(url_for("bench.finished", inspection_id=unit.inspection_id))


@bp.get("/labels/<job_id>.pdf")
def label_pdf(job_id: str) -> Response:
    """The label of a print job as a PDF, for any printer when the label printer fails."""
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        job = session.get(LabelPrint, job_id)
        if job is None or job.station_id != bench_services(current_app).station_id:
            abort(404)
        content = LabelContent(ctx.sorting.rules, ctx.sorting.code, ctx.settings.station.timezone)
        try:
            pdf = content.pdf(session, job)
        except ValueError:
            abort(404)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"{job_id}.pdf")


@bp.post("/totes/<tote_id>/close")
def close_tote(tote_id: str) -> Response:
    """Close a tote before it is full (its label and manifest print)."""
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        tote = session.get(Tote, tote_id)
        if tote is None or tote.station_id != bench_services(current_app).station_id:
            abort(404)
    try:
        ctx.sorting.close_tote(tote_id, actor())
    except DomainError as error:
        flash(labels.error_message(error), "error")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/bench/") else url_for("bench.home"))
