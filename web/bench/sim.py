"""Demo mode: a control panel that drives the simulated scale, scanner, camera and printer from the browser.

Registered only when the bench runs simulated devices; with real devices these routes do not exist.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from drivers.sim.camera import render_code
from station.db.models import ExpectedItem, ReturnAuthorization
from station.demo import WRONG_ITEM_GTIN
from station.devices.simulators import Simulators
from web.app import station_context
from web.auth.roles import OPERATOR_ROLES, protect
from web.bench.screens import open_inspection
from web.bench.services import bench_services

bp = Blueprint("sim", __name__, url_prefix="/bench/sim")
protect(bp, OPERATOR_ROLES, idle_lock=False)

MAX_GRAMS = 150_000.0


@dataclass(frozen=True)
class DemoCode:
    """A code the panel offers to scan: what it is and the text the scanner sends."""

    kind: str
    text: str
    note: str


def demo_codes(limit: int = 6) -> list[DemoCode]:
    """What the panel offers to scan now: the open parcel's items (and a wrong one), else labels."""
    ctx = station_context(current_app)
    inspection = open_inspection()
    if inspection is not None:
        items = inspection.rma.items if inspection.rma else []
        codes = [DemoCode("item", item_code(i), i.description) for i in items]
        return [*codes, DemoCode("item", WRONG_ITEM_GTIN, str(_l("a wrong item (on no return)")))]
    from web.bench.sim_printer import demo_sort_codes

    places = demo_sort_codes()
    with ctx.db.reader() as session:
        rmas = session.execute(
            select(ReturnAuthorization).where(ReturnAuthorization.status == "open")
            .order_by(ReturnAuthorization.created_at.desc()).limit(limit)
        ).scalars().all()
        codes = [DemoCode("label", rma.tracking_number or rma.rma_id,
                          f"{rma.rma_id}: {rma.items[0].description if rma.items else ''}")
                 for rma in rmas]
    unknown = f"1Z-UNKNOWN-{secrets.token_hex(3).upper()}"
    return [*places, *codes,
            DemoCode("label", unknown, str(_l("an unknown label (unexpected parcel)")))]


def demo_weights() -> list[tuple[str, float]]:
    """Weights to put on the simulated scale for the open parcel: as expected, and too heavy."""
    inspection = open_inspection()
    if inspection is None or not inspection.expected_weight_mg:
        return [(str(_l("a 750 g parcel")), 750.0)]
    grams = inspection.expected_weight_mg / 1000 + 3.2
    return [(str(_l("as expected (%(grams).0f g)", grams=grams)), grams),
            (str(_l("too heavy (%(grams).0f g)", grams=grams + 600)), grams + 600)]


def item_code(item: ExpectedItem) -> str:
    """What the item's own barcode says: GS1 (01)+(21) when it has a serial, else GTIN or SKU."""
    if item.gtin and item.expected_serials:
        return f"]d2\x1d01{item.gtin.zfill(14)}21{item.expected_serials[0]}"
    if item.gtin:
        # The retail barcode on the box: EAN-13 (or UPC-A) for a GTIN-14 with leading zeros; a
        # bare 14-digit scan is read as a tracking number, not a GTIN (drivers/scanner/interpret).
        gtin = item.gtin.zfill(14)
        return gtin[2:] if gtin.startswith("00") else gtin[1:] if gtin.startswith("0") else gtin
    return item.sku


def simulators() -> Simulators | None:
    devices = bench_services(current_app).devices
    return devices.simulators if devices is not None else None


def refused(message: str, status: int = 400) -> Response:
    response = jsonify(ok=False, message=message)
    response.status_code = status
    return response


@bp.post("/scan")
def scan() -> Response:
    """Scan ``code`` with the simulated serial scanner (it arrives like a real scan, over SSE)."""
    sims = simulators()
    code = request.form.get("code", "")
    if sims is None:
        return refused(_("no simulators"), 404)
    if not code or len(code) > 500 or not all(c.isprintable() or c == "\x1d" for c in code):
        return refused(_("a code is 1-500 printable characters"))
    if not sims.scanner.connected:
        return refused(_("the simulated scanner is unplugged"), 409)
    sims.scanner.scan(code)
    return jsonify(ok=True)


@bp.post("/scale")
def scale() -> Response:
    """Put a parcel of ``grams`` on the simulated scale (0 takes it off)."""
    sims = simulators()
    if sims is None:
        return refused(_("no simulators"), 404)
    try:
        grams = float(request.form.get("grams", ""))
    except ValueError:
        return refused(_("grams must be a number"))
    if not 0 <= grams <= MAX_GRAMS:
        return refused(_("grams must be 0-%(most).0f", most=MAX_GRAMS))
    sims.scale.place(grams, settle_s=0.6, noise_g=0.3)
    return jsonify(ok=True)


@bp.post("/camera")
def camera() -> Response:
    """Hold a code in front of the simulated camera (empty: take it away)."""
    sims = simulators()
    if sims is None:
        return refused(_("no simulators"), 404)
    code = request.form.get("code", "")
    symbology = request.form.get("symbology", "qr")
    if not code:
        sims.camera.clear()
        return jsonify(ok=True)
    if len(code) > 200:
        return refused(_("a code is at most 200 characters"))
    try:
        render_code(code, symbology)
    except ValueError as exc:
        return refused(_("cannot draw that code: %(problem)s", problem=exc))
    sims.camera.present(code, symbology)
    return jsonify(ok=True)


#: Picture problems the panel can put on the simulated camera: (blur sigma, gain).
PICTURE = {"sharp": (0.0, 1.0), "blurry": (6.0, 1.0), "dark": (0.0, 0.08), "overexposed": (0.0, 4.0)}
#: How long /picture waits for the camera thread to read frames of the new picture.
PICTURE_APPLIED_S = 3.0


@bp.post("/picture")
def picture() -> Response:
    """Make the simulated camera's picture sharp, blurry, dark or overexposed (retake prompt)."""
    sims = simulators()
    if sims is None:
        return refused(_("no simulators"), 404)
    quality = request.form.get("quality", "")
    if quality not in PICTURE:
        return refused(_("quality: sharp, blurry, dark or overexposed"))
    served = sims.camera.frames_served
    sims.camera.blur_sigma, sims.camera.gain = PICTURE[quality]
    # Answer once the camera thread has read a frame rendered wholly after the change (the one
    # being rendered meanwhile may still be the old picture): a still taken now shows it.
    deadline = time.monotonic() + PICTURE_APPLIED_S
    while sims.camera.frames_served < served + 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    return jsonify(ok=True, applied=sims.camera.frames_served >= served + 2)


@bp.post("/plug")
def plug() -> Response:
    """Unplug or replug a simulated device (device=scale|scanner|camera, action=unplug|replug)."""
    sims = simulators()
    if sims is None:
        return refused(_("no simulators"), 404)
    device, action = request.form.get("device", ""), request.form.get("action", "")
    if device not in ("scale", "scanner", "camera") or action not in ("unplug", "replug"):
        return refused(_("device: scale|scanner|camera, action: unplug|replug"))
    if device == "scale":
        sims.scale.disconnect() if action == "unplug" else sims.scale.reconnect()
    elif device == "scanner":
        sims.scanner.disconnect() if action == "unplug" else sims.scanner.reconnect()
    else:
        sims.camera.set_fault("unplugged" if action == "unplug" else None)
    return jsonify(ok=True)


def init_app(app: Flask) -> None:
    from web.bench import sim_printer  # its routes are on this blueprint

    app.register_blueprint(bp)

    @app.context_processor
    def _demo() -> dict[str, object]:
        services = app.extensions.get("bench")
        return {"demo_mode": bool(services is not None and services.simulated),
                "demo_codes": demo_codes, "demo_weights": demo_weights,
                "demo_printer": sim_printer.sim_printer() is not None,
                "demo_printed": sim_printer.printed_count}
