"""The bench's actions (POST): receive, weigh, scan items, photos, confirm, flag."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from drivers.scanner.events import ScanEvent
from drivers.scanner.interpret import ScanRejected, interpret
from station.evidence.store import PhotoStoreError, PhotoStoreFull, PhotoStoreUnavailable
from station.returns.errors import DomainError
from station.returns.line_counts import LineCount
from station.returns.rules.types import ScannedItem
from station.returns.states import InspectionState
from station.returns.workflow import ScanResult
from web.api.problems import browser_page, problem
from web.app import station_context
from web.auth.roles import safe_next
from web.auth.users import is_active_badge
from web.bench import codes, labels, reasons
from web.bench.captures import held_answer, taken_answer
from web.bench.screens import bp, load
from web.bench.services import PendingPhoto, bench_services
from web.bench.steps import landing

MAX_FIELD = 2000
#: A typed parcel weight above this is a typo (the domain refuses more than 1000 kg too).
MAX_MANUAL_G = 1_000_000


def is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def actor() -> str:
    return str(current_user.actor)


def to_step(inspection_id: str, step: str) -> Response:
    return redirect(url_for("bench.step", inspection_id=inspection_id, step=step))


def fail(error: DomainError, back: str, status: int = 409) -> Response:
    message = labels.error_message(error)
    if is_fetch():
        response = jsonify(ok=False, code=error.code, message=message)
        response.status_code = status
        return response
    flash(message, "error")
    return redirect(back)


def attempt(back: str, work: Callable[[], Response]) -> Response:
    """Run ``work``; a domain error becomes a message on the same screen, nothing changed."""
    try:
        return work()
    except DomainError as error:
        return fail(error, back)


def field(name: str, limit: int = 200) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        raise DomainError("bad_input", f"{name} is longer than {limit} characters")
    return value.strip()


def claimed_here() -> bool:
    """A scan the page got from the live stream (``seq``) is acted on by the first screen only."""
    seq = request.form.get("seq", "")
    devices = bench_services(current_app).devices
    if not seq.isdigit() or len(seq) > 12 or devices is None:
        return True
    return devices.bus.claim(int(seq))


def record_event(inspection_id: str, event: ScanEvent) -> ScanResult:
    """Count an interpreted scan as an item of the parcel.

    No SKU is passed: a code without a decoded GTIN is then tried as a GTIN (a bare GTIN-14 or
    ITF-14 is one here, at the item step) and then as a SKU (station/returns/rules.py).
    """
    return station_context(current_app).inspections.record_scan(
        inspection_id, ScannedItem(raw=event.raw, gtin=event.gtin, sku=None, serial=event.serial),
        actor(), symbology=event.symbology, source=event.source, lot=event.lot)


@bp.post("/receive")
def receive() -> Response:
    """The return label was scanned (or typed): open the inspection, or an unexpected parcel."""
    back = url_for("bench.home")

    def work() -> Response:
        code = field("code")
        if not code:
            raise DomainError("scan_rejected", "empty label")
        try:
            label = interpret(code, "bench").raw
        except ScanRejected as exc:
            raise DomainError("scan_rejected", str(exc)) from exc
        ctx = station_context(current_app)
        # a fleet bench asks central for a return its spool does not know (None: offline)
        known = ctx.sync.know_label(label) if ctx.sync is not None else True
        inspection = ctx.inspections.receive(label, bench_services(current_app).station_id,
                                             current_user.operator_id, actor())
        if known is None and inspection.unexpected:
            flash(_("Central cannot be reached, so this label could not be looked up. Inspect "
                    "the parcel as unexpected: a supervisor attaches it to its return later."),
                  "warning")
        target = url_for("bench.step", inspection_id=inspection.id,
                         step=landing(InspectionState(inspection.state)))
        if is_fetch():
            return jsonify(ok=True, redirect=target, unexpected=inspection.unexpected)
        return redirect(target)

    return attempt(back, work)


@bp.post("/i/<inspection_id>/weight")
def weight(inspection_id: str) -> Response:
    """Accept the scale's stable weight, or a typed weight (flags the inspection)."""
    back = url_for("bench.step", inspection_id=inspection_id, step="weigh")
    services = bench_services(current_app)

    def work() -> Response:
        load(inspection_id)
        if request.form.get("source") == "manual":
            try:
                grams = Decimal(field("grams", 20).replace(",", "."))
            except InvalidOperation as exc:
                raise DomainError("bad_weight", "not a number") from exc
            if not grams.is_finite():
                raise DomainError("bad_weight", "not a number")
            if not 0 < grams <= MAX_MANUAL_G:  # before scaling: 1e999999 g would overflow
                raise DomainError("bad_weight", f"weight must be above 0 g and at most {MAX_MANUAL_G} g")
            weight_mg, source = int(grams * 1000), "manual"
        else:
            if services.devices is None or not services.device_ready("scale"):
                raise DomainError("scale_down", "the scale is not ready")
            reading = services.devices.settled_weight()
            if reading is None or reading.weight_mg is None:
                raise DomainError("scale_unstable", "no recent stable reading")
            weight_mg, source = reading.weight_mg, "scale"
        service = station_context(current_app).inspections
        service.record_weight(inspection_id, weight_mg, source, actor())
        for event in services.take_kept_scans(inspection_id):  # scanned before the weight
            record_event(inspection_id, event)
        return to_step(inspection_id, "items")

    return attempt(back, work)


@bp.post("/scale/<command>")
def scale_command(command: str) -> Response:
    """Tare or zero the scale from the weigh screen."""
    services = bench_services(current_app)
    if command not in ("tare", "zero"):
        return Response(status=404)
    done = False
    if services.devices is not None:
        done = services.devices.tare() if command == "tare" else services.devices.zero()
    if is_fetch():
        return jsonify(ok=done)
    if not done:
        flash(_("The scale did not accept the command."), "error")
    return redirect(safe_next(request.form.get("back"), url_for("bench.home")))


@bp.post("/i/<inspection_id>/item")
def item(inspection_id: str) -> Response:
    """One item typed (or scanned into the field): match / mismatch / extra, shown big with a sound."""
    back = url_for("bench.step", inspection_id=inspection_id, step="items")

    def work() -> Response:
        if not claimed_here():
            return jsonify(ok=True, taken=True)
        code = field("code", 4096)
        pending_serial = field("serial_for", 40)
        body, lines = item_answer(inspection_id, code, request.form.get("source", "typed")[:20],
                                  pending_serial)
        if body["result"] == "badge" and not is_fetch():
            flash(body["message"], "error")
            return to_step(inspection_id, "items")
        return item_response(inspection_id, body, lines)

    return attempt(back, work)


def item_answer(inspection_id: str, code: str, source: str, pending_serial: str = "",
                event: ScanEvent | None = None) -> tuple[dict[str, Any], tuple[LineCount, ...]]:
    """Record one code on the items screen and say what it was (raises DomainError when refused).

    ``event`` is the scanner's own reading when the station decides a scan from its live stream
    (web/bench/live.py); a typed code is interpreted here. The same answer goes to both.
    """
    ctx = station_context(current_app)
    if pending_serial:
        lines = ctx.inspections.record_serial(inspection_id, pending_serial, code, actor())
        return {"ok": True, "result": "serial", "message": _("Serial number recorded.")}, lines
    if is_active_badge(ctx.db, code):  # answered, not an error: nothing is recorded
        message = labels.error_message(DomainError("badge_scanned", "a badge is not an item"))
        return {"ok": False, "result": "badge", "title": "✖", "message": message}, ()
    if event is None:
        try:
            event = interpret(code, source)
        except ScanRejected as exc:
            raise DomainError("scan_rejected", str(exc)) from exc
    result = record_event(inspection_id, event)
    message = labels.label(labels.SCAN_CODES, result.code)
    if result.result == "extra":
        message = _("This item is already counted: it is one too many.")
    return {
        "ok": result.result == "match", "result": result.result,
        "title": labels.label(labels.SCAN_RESULTS, result.result), "message": message,
        "scan_id": result.scan_id, "needs_serial": result.needs_serial, "code": event.raw,
        "readable": codes.readable(event.raw),
    }, result.lines


def lines_json(lines: tuple[LineCount, ...]) -> list[dict[str, Any]]:
    """Each line's counts as the items screen redraws them."""
    return [{"line_id": c.line_id, "found": c.found, "expected": c.expected,
             "serials": list(c.serials)} for c in lines]


def item_response(inspection_id: str, body: dict[str, Any],
                  lines: tuple[LineCount, ...]) -> Response:
    """The scan's answer; a fetch gets each line's counts from the step's own transaction."""
    if is_fetch():
        if body["result"] != "badge":
            body["lines"] = lines_json(lines)
        return jsonify(body)
    flash(str(body.get("title") or body.get("message")), "success" if body["ok"] else "error")
    return to_step(inspection_id, "items")


def advance(inspection_id: str, here: str, there: str, step: Callable[[str, str], object]) -> Response:
    """One "done with this screen" button: run the service step, then show the next screen."""

    def work() -> Response:
        step(inspection_id, actor())
        return to_step(inspection_id, there)

    return attempt(url_for("bench.step", inspection_id=inspection_id, step=here), work)


@bp.post("/i/<inspection_id>/items/done")
def items_done(inspection_id: str) -> Response:
    return advance(inspection_id, "items", "photos",
                   station_context(current_app).inspections.finish_items)


def photo_store_refused(error: PhotoStoreError, back: str) -> Response:
    """The photo store is full or read-only: nothing was stored or recorded; the operator calls
    a supervisor. A script (fetch, the API) gets problem+json 507 Insufficient Storage (503
    when the store cannot be reached)."""
    if isinstance(error, PhotoStoreFull):
        title, message = "Photo storage is full", _("Photo storage is full — call a supervisor")
    elif isinstance(error, PhotoStoreUnavailable):
        title = "Photo storage cannot be reached"
        message = _("Photo storage cannot be reached — call a supervisor")
    else:
        title, message = "Photo storage is read-only", _("Photo storage is read-only — call a supervisor")
    if browser_page():
        flash(message, "error")
        return redirect(back)
    status = 503 if isinstance(error, PhotoStoreUnavailable) else 507
    return problem(status, error.code, error.message, title=title, ok=False, message=message)


def take_photo(inspection_id: str, angle: str, back: str, unit_id: str | None = None
               ) -> Response | None:
    """Take (or keep) the photo of one angle of the parcel or of one unit.

    None when it is stored; a redirect to ``back`` when the still waits for keep-or-retake
    (blurry / dark / overexposed) or the photo store refused it.
    """
    services = bench_services(current_app)
    ctx = station_context(current_app)
    inspection = load(inspection_id)
    if unit_id is None:
        allowed = ctx.inspections.required_angles(inspection)
    else:
        unit = next((u for u in inspection.units if u.id == unit_id), None)
        if unit is None:
            raise DomainError("unit_not_found", f"no unit {unit_id}")
        allowed = ctx.inspections.unit_angles(unit)
    if angle not in allowed:
        raise DomainError("bad_angle", f"angle {angle!r} is not asked for here")
    if request.form.get("keep") == "1":
        pending = services.take_pending(inspection_id, angle)
        if pending is None or pending.unit_id != unit_id:
            raise DomainError("no_pending_photo", "nothing held for this angle")
        still = pending.still
    else:
        taken = services.devices.still() if services.devices is not None else None
        if taken is None:
            raise DomainError("camera_down", "the camera gave no picture")
        still = taken
        if still.problems:
            services.hold(inspection_id, PendingPhoto(angle, still, unit_id))  # the screen asks
            return redirect(back)
    services.drop_pending(inspection_id)
    try:
        ctx.store.require_room(ctx.settings.evidence.min_free_mb)
        ctx.inspections.add_photo(
            inspection_id, still.jpeg, angle=angle, width=still.width_px, height=still.height_px,
            actor=actor(), operator_id=current_user.operator_id, camera="bench",
            quality={"problems": still.problems, **still.metrics.as_dict()}, unit_id=unit_id,
            sha256=still.sha256,
        )
    except PhotoStoreError as error:
        return photo_store_refused(error, back)
    return None


@bp.post("/i/<inspection_id>/photo")
def photo(inspection_id: str) -> Response:
    """Take the photo of one angle of the parcel."""
    back = url_for("bench.step", inspection_id=inspection_id, step="photos")

    def work() -> Response:
        angle = field("angle", 50)
        held = take_photo(inspection_id, angle, back)
        if not is_fetch():
            return held or redirect(back)
        if held is not None:
            return held_answer(inspection_id, angle, held)
        inspection = load(inspection_id)
        taken = {p.angle for p in inspection.photos if p.unit_id is None}
        missing = [a for a in station_context(current_app).inspections.required_angles(inspection)
                   if a not in taken]
        done = None if missing else {
            "url": url_for("bench.photos_done", inspection_id=inspection_id), "method": "post"}
        return taken_answer(inspection, angle, missing, done)

    return attempt(back, work)


@bp.post("/i/<inspection_id>/photos/done")
def photos_done(inspection_id: str) -> Response:
    return advance(inspection_id, "photos", "units",
                   station_context(current_app).inspections.finish_photos)


@bp.post("/i/<inspection_id>/grade")
def grade(inspection_id: str) -> Response:
    return advance(inspection_id, "result", "result", station_context(current_app).inspections.grade)


@bp.post("/i/<inspection_id>/complete")
def complete(inspection_id: str) -> Response:
    """Confirm the proposal, or override it with a mandatory reason."""
    back = url_for("bench.step", inspection_id=inspection_id, step="result")

    def work() -> Response:
        override = None
        if request.form.get("override") == "1":
            override = {key: field(key, 40) for key in ("grade", "disposition", "recommendation")}
            override["reason"] = reasons.form_reason("override")
            if not override["reason"]:
                raise DomainError("reason_required", "an override needs a reason")
        station_context(current_app).inspections.complete(inspection_id, actor(), override)
        bench_services(current_app).drop_pending(inspection_id)
        return redirect(url_for("bench.finished", inspection_id=inspection_id))

    return attempt(back, work)


@bp.post("/i/<inspection_id>/flag")
def flag(inspection_id: str) -> Response:
    """Hand the parcel to a supervisor from any step, with a reason."""
    back = safe_next(request.form.get("back"), url_for("bench.home"))

    def work() -> Response:
        load(inspection_id)
        station_context(current_app).inspections.flag(inspection_id, reasons.form_reason("flag"),
                                                      actor())
        return redirect(url_for("bench.finished", inspection_id=inspection_id))

    return attempt(back, work)
