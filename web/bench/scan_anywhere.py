"""Scans on any bench screen: a return label, an item or a badge is acted on or answered, never lost.

The page script posts every scan that arrives on a screen without its own scan field (the live
stream of a serial or camera scanner, a keyboard wedge typing into no field) to ``/bench/scan``
with the screen it came from. The answer says what happened, with a sound, and where to go:

- no open parcel (idle, done): a return label opens the next parcel; an item code asks for the
  label first; a place, tote or license plate sorts the last parcel's waiting unit (the done
  screen's directed sort, web/bench/sort_screen.py);
- the parcel or weigh screen: an item is counted once the parcel is weighed. With a stable
  reading on the scale that is at once; else the scan is kept and counted when the weight is
  accepted;
- the items screen has its own field; later screens: an item of the parcel opens its unit;
- the open parcel's own label says so; another return's label says to finish this one first;
- a badge says how to change the operator.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from drivers.scanner.events import ScanEvent
from drivers.scanner.interpret import ScanRejected, interpret
from station.db.models import Inspection
from station.returns.errors import DomainError
from station.returns.identify import find_rma
from station.returns.states import InspectionState
from station.sorting.plates import is_plate
from web.app import station_context
from web.auth.users import is_active_badge
from web.bench import labels
from web.bench.actions import actor, claimed_here, field, record_event
from web.bench.screens import bp
from web.bench.services import bench_services
from web.bench.sort_screen import answer_sort, awaiting_sort
from web.bench.steps import landing

S = InspectionState


def answer(ok: bool, message: str, sound: str, redirect: str | None = None,
           status: int = 200, **extra: Any) -> Response:
    response = jsonify(ok=ok, message=message, sound=sound, redirect=redirect, **extra)
    response.status_code = status
    return response


def label_rma_id(code: str) -> str | None:
    """The RMA a code is the label of (None: not a known return's label)."""
    with station_context(current_app).db.reader() as session:
        rma = find_rma(session, code)
        return rma.rma_id if rma is not None else None


def record_item(inspection: Inspection, event: ScanEvent) -> str:
    """Count the item scan; returns the screen message."""
    return str(labels.label(labels.SCAN_RESULTS, record_event(inspection.id, event).result))


def on_parcel(inspection: Inspection, event: ScanEvent) -> Response:
    """An item scanned before the weight: weigh now if the scale is settled, else keep it."""
    services = bench_services(current_app)
    reading = services.devices.settled_weight() if services.device_ready("scale") and \
        services.devices is not None else None
    if reading is None or reading.weight_mg is None:
        services.keep_scan(inspection.id, event)
        return answer(True, _("Put the parcel on the scale first: this item is kept and counted "
                              "once the weight is taken."), "attention")
    station_context(current_app).inspections.record_weight(inspection.id, reading.weight_mg,
                                                           "scale", actor())
    title = record_item(inspection, event)
    return answer(True, title, "good", url_for("bench.step", inspection_id=inspection.id,
                                               step="items"))


def on_later_screen(inspection: Inspection, event: ScanEvent) -> Response:
    """After the items step: an item of the parcel opens its unit; anything else is answered."""
    if S(inspection.state) is S.ITEMS_IDENTIFIED:
        return answer(False, _("The items are counted. Photograph the parcel first; each item "
                               "comes next."), "attention")
    codes = {c for c in (event.gtin, event.raw, event.raw.zfill(14)) if c}
    present = [u for u in inspection.units if u.kind != "missing"]
    by_serial = [u for u in present if event.serial and u.serial == event.serial]
    by_code = [u for u in present if not event.serial and codes & {u.gtin, u.sku}]
    if by_serial or by_code:
        unit = (by_serial or by_code)[0]
        return answer(True, _("Item %(n)d", n=unit.position), "good",
                      url_for("bench.unit", inspection_id=inspection.id, position=unit.position))
    return answer(False, _("This item is not among this parcel's items. To add it, go back to "
                           "Items and scan it there."), "bad")


def is_place_code(code: str) -> bool:
    """A plate, a fixed place's barcode or a tote code (what the sort screen takes)."""
    rules = station_context(current_app).sorting.rules
    code = code.strip().upper()
    return is_plate(code) or rules.is_container_code(code) or \
        rules.place_with_barcode(code) is not None


def on_sort(code: str) -> Response:
    """A place scanned after the confirm: the waiting unit goes there, or the bench says why not."""
    pending = awaiting_sort(bench_services(current_app).station_id)
    if pending is None:
        return answer(False, _("Nothing is waiting to be put away. Scan the return label of the "
                               "next parcel."), "attention")
    result, message, sound = answer_sort(pending, code)
    if not result.ok:
        return answer(False, message, sound, sort=result.result)
    flash(message, "success" if sound == "good" else "warning")
    return answer(True, message, sound, url_for("bench.finished", inspection_id=pending),
                  sort=result.result)


def dispatch(event: ScanEvent) -> Response:
    ctx = station_context(current_app)
    services = bench_services(current_app)
    if is_active_badge(ctx.db, event.raw):
        return answer(False, _("That is a badge. To change the operator, sign out first."),
                      "attention")
    inspection = ctx.inspections.open_inspection(services.station_id)
    rma_id = label_rma_id(event.raw)
    if inspection is None and rma_id is None and is_place_code(event.raw):
        return on_sort(event.raw)
    if inspection is None:
        if rma_id is None and event.gtin:
            return answer(False, _("That is an item code. Scan the return label of the parcel "
                                   "first."), "bad")
        opened = ctx.inspections.receive(event.raw, services.station_id,
                                         current_user.operator_id, actor())
        return answer(True, _("Parcel opened."), "good",
                      url_for("bench.step", inspection_id=opened.id,
                              step=landing(S(opened.state))))
    if rma_id is not None:
        if inspection.rma is not None and inspection.rma.rma_id == rma_id:
            return answer(True, _("This parcel is open already."), "attention")
        return answer(False, _("That is another return's label. Finish this parcel first."),
                      "bad")
    state = S(inspection.state)
    if state is S.RECEIVED:
        return on_parcel(inspection, event)
    if state is S.WEIGHED:
        title = record_item(inspection, event)
        return answer(True, title, "good", url_for("bench.step", inspection_id=inspection.id,
                                                   step="items"))
    return on_later_screen(inspection, event)


@bp.post("/scan")
def scan() -> Response:
    """A scan from a screen without its own scan field: act on it or say why not."""
    if not claimed_here():
        return answer(True, "", "none", taken=True)  # another screen acted on this scan already
    try:
        code = field("code", 4096)
        if not code:
            raise DomainError("scan_rejected", "empty scan")
        try:
            event = interpret(code, field("source", 20) or "scanner")
        except ScanRejected as exc:
            raise DomainError("scan_rejected", str(exc)) from exc
        return dispatch(event)
    except DomainError as error:
        return answer(False, labels.error_message(error), "bad", code=error.code)  # answered
