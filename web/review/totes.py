"""Review pages of the directed sort: each unit's plate and label, label reprints, the totes on the floor."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from station.db.models import Inspection, LabelPrint, Tote
from station.returns.errors import DomainError, NotFound
from station.sorting.service import tote_lpns
from web.app import station_context
from web.bench import labels
from web.bench.screens import inspection_or_404
from web.bench.sort_screen import place_name
from web.review.views import bp

#: How many closed totes the page lists (the newest first).
CLOSED_SHOWN = 50

#: Refusals of the sort service, in a supervisor's words.
SORT_ERRORS = {
    "not_labelled": _l("This unit has no license plate yet: it gets one when its parcel is confirmed."),
    "tote_closed": _l("That tote is closed already."),
    "tote_open": _l("An open tote has no label yet: it prints when the tote is closed."),
}


def sort_error(error: DomainError) -> str:
    known = SORT_ERRORS.get(error.code)
    return str(known) if known is not None else labels.error_message(error)


@dataclass(frozen=True)
class UnitSort:
    """Where one unit of the case page went: destination, tote, sort and its latest label."""

    place: str
    tote: str | None
    job: LabelPrint | None


def latest_jobs(jobs: list[LabelPrint], key: str) -> dict[str, LabelPrint]:
    """The newest job per unit (``key="unit_id"``) or tote (``"tote_id"``); ``jobs`` oldest first."""
    return {str(getattr(job, key)): job for job in jobs if getattr(job, key)}


def unit_sort(inspection: Inspection) -> dict[str, UnitSort]:
    """Per labelled unit of ``inspection``: its destination name, tote code and latest label job."""
    units = [u for u in inspection.units if u.lpn]
    if not units:
        return {}
    with station_context(current_app).db.reader() as session:
        jobs = latest_jobs(list(session.execute(
            select(LabelPrint).where(LabelPrint.unit_id.in_([u.id for u in units]))
            .order_by(LabelPrint.created_at, LabelPrint.id)).scalars()), "unit_id")
        tote_ids = {u.tote_id for u in units if u.tote_id}
        totes = dict(session.execute(select(Tote.id, Tote.code).where(Tote.id.in_(tote_ids)))
                     .tuples().all()) if tote_ids else {}
    return {u.id: UnitSort(place_name(u.destination), totes.get(u.tote_id or ""), jobs.get(u.id))
            for u in units}


@bp.post("/inspections/<inspection_id>/units/<unit_id>/reprint")
def reprint_unit(inspection_id: str, unit_id: str) -> Response:
    """Queue a unit's label again at the bench that labelled it (audited by the sort service)."""
    inspection = inspection_or_404(inspection_id)
    unit = next((u for u in inspection.units if u.id == unit_id), None)
    if unit is None:
        abort(404)
    try:
        station_context(current_app).sorting.reprint(current_user.actor, unit_id=unit.id, why="review")
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(sort_error(error), "error")
    else:
        flash(_("Label %(lpn)s is queued again at %(station)s.", lpn=unit.lpn,
                station=inspection.station_id), "success")
    return redirect(url_for("review.inspection_page", inspection_id=inspection.id,
                            _anchor=f"sort-{unit.id}"))


@dataclass(frozen=True)
class ToteRow:
    """One tote on the totes page: the row, its destination's name, its plates, its latest label."""

    tote: Tote
    place: str
    lpns: list[str]
    job: LabelPrint | None


@bp.get("/totes")
def totes_page() -> str:
    """Open totes with their contents (close one by hand), and the last closed ones (reprint)."""
    with station_context(current_app).db.reader() as session:
        open_totes = list(session.execute(
            select(Tote).where(Tote.status == "open").order_by(Tote.opened_at, Tote.id)).scalars())
        closed = list(session.execute(
            select(Tote).where(Tote.status == "closed")
            .order_by(Tote.closed_at.desc(), Tote.id.desc()).limit(CLOSED_SHOWN)).scalars())
        ids = [t.id for t in (*open_totes, *closed)]
        jobs = latest_jobs(list(session.execute(
            select(LabelPrint).where(LabelPrint.tote_id.in_(ids))
            .order_by(LabelPrint.created_at, LabelPrint.id)).scalars()), "tote_id") if ids else {}
        rows_open = [ToteRow(t, place_name(t.destination), tote_lpns(session, t.id), None)
                     for t in open_totes]
        rows_closed = [ToteRow(t, place_name(t.destination), [], jobs.get(t.id)) for t in closed]
    return render_template("review/totes.html", open_totes=rows_open, closed_totes=rows_closed,
                           closed_shown=CLOSED_SHOWN)


def tote_or_404(tote_id: str) -> Tote:
    with station_context(current_app).db.reader() as session:
        tote = session.get(Tote, tote_id[:26])
        if tote is None:
            abort(404)
        return tote


@bp.post("/totes/<tote_id>/close")
def close_tote(tote_id: str) -> Response:
    """Close an open tote by hand: its manifest is final, its label queued (audited)."""
    tote = tote_or_404(tote_id)
    try:
        station_context(current_app).sorting.close_tote(tote.id, current_user.actor)
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(sort_error(error), "error")
    else:
        flash(_("Tote %(tote)s is closed; its label is queued at %(station)s.", tote=tote.code,
                station=tote.station_id), "success")
    return redirect(url_for("review.totes_page"))


@bp.post("/totes/<tote_id>/reprint")
def reprint_tote(tote_id: str) -> Response:
    """Queue a closed tote's label again at its bench (audited by the sort service)."""
    tote = tote_or_404(tote_id)
    try:
        if tote.status == "open":
            raise DomainError("tote_open", "an open tote has no label")
        station_context(current_app).sorting.reprint(current_user.actor, tote_id=tote.id, why="review")
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(sort_error(error), "error")
    else:
        flash(_("The label of tote %(tote)s is queued again at %(station)s.", tote=tote.code,
                station=tote.station_id), "success")
    return redirect(url_for("review.totes_page", _anchor=f"tote-{tote.id}"))
