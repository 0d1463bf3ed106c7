"""Demo mode: the simulated label printer (its last label as a picture, its faults) and sort codes."""

from __future__ import annotations

import io

from flask import Response, abort, current_app, jsonify, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from drivers.sim.printer import SimulatedPrinter
from station.db.models import InspectionUnit, Tote
from web.app import station_context
from web.bench.services import bench_services
from web.bench.sim import DemoCode, bp, refused, simulators
from web.bench.sort_screen import awaiting_sort

#: Faults the demo panel can set on the simulated printer (none clears them all).
FAULTS = ("paper_out", "head_open", "paused")


def sim_printer() -> SimulatedPrinter | None:
    sims = simulators()
    return sims.printer if sims is not None else None


def demo_sort_codes() -> list[DemoCode]:
    """For the unit waiting to be put away: its right place (or a tote), and a wrong place."""
    ctx = station_context(current_app)
    pending = awaiting_sort(bench_services(current_app).station_id)
    if pending is None:
        return []
    rules = ctx.sorting.rules
    with ctx.db.reader() as session:
        unit = session.execute(
            select(InspectionUnit).where(InspectionUnit.inspection_id == pending,
                                         InspectionUnit.lpn.is_not(None),
                                         InspectionUnit.sorted_at.is_(None))
            .order_by(InspectionUnit.position)).scalars().first()
        if unit is None or unit.destination is None:
            return []
        place = rules.destination(unit.destination)
        if place.is_container:
            tote = session.execute(select(Tote.code).where(
                Tote.status == "open", Tote.destination == place.code)).scalars().first()
            used = set(session.execute(select(Tote.code)).scalars())
            right = tote or next(f"TOTE-{n:04d}" for n in range(1, 10_000)
                                 if f"TOTE-{n:04d}" not in used)
        else:
            right = place.place_barcode
    wrong = next(d.place_barcode for d in rules.destinations
                 if not d.is_container and d.code != place.code)
    return [DemoCode("place", right, str(_l("the right place (%(code)s)", code=right))),
            DemoCode("place", wrong, str(_l("a wrong place (%(code)s)", code=wrong)))]


@bp.post("/printer")
def printer_fault() -> Response:
    """Set or clear a fault of the simulated printer (fault=paper_out|head_open|paused|none)."""
    printer = sim_printer()
    if printer is None:
        return refused(_("no simulated printer"), 404)
    fault = request.form.get("fault", "")
    if fault == "none":
        printer.clear_faults()
    elif fault in FAULTS:
        printer.set_fault(fault, True)
    else:
        return refused(_("fault: paper_out|head_open|paused|none"))
    devices = bench_services(current_app).devices
    if devices is not None:
        devices.printer_problem()  # the bench shows the new state without waiting for the poll
    return jsonify(ok=True)


@bp.get("/printer/label.png")
def last_label() -> Response:
    """The last label the simulated printer printed, as the printer would have printed it."""
    printer = sim_printer()
    if printer is None or not printer.labels or not printer.labels[-1].png:
        abort(404)
    pngs = printer.labels[-1].png or [b""]
    response = send_file(io.BytesIO(pngs[0]), mimetype="image/png")
    response.headers["Cache-Control"] = "no-store"
    return response


def printed_count() -> int:
    printer = sim_printer()
    return len(printer.labels) if printer is not None else 0
