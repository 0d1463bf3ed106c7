"""Label time: from the operator's confirm to the label's last byte at the printer (SQLite, simulator).

One run, one machine, against a floor measured in the same run:

1. ``confirm_to_printer``: ``InspectionService.complete`` (which gives the unit its plate and
   destination and queues its label in the confirm's transaction) until the simulated printer
   has read the whole label over TCP, with the bench's print spooler thread running as in
   ``station run`` (woken by the commit; it asks ~HS, draws the ZPL, sends it, asks ~HS again).
   Goal: p95 < 300 ms (the label is printing before the operator's hand reaches it).
2. ``floor_send``: the same label's ZPL, drawn before, sent on an open connection with the same
   ~HS before and after (what talking to the printer cannot avoid).
3. ``draw_zpl``: drawing the label (station/labels/render.py) per layout and dpi.

Run: ``.venv/bin/python -m bench.bench_label`` (also run by ``python -m bench.run_all``).
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import sqlite_station, summary_ms, write_result
from drivers.printer.session import PrinterSession
from drivers.sim.printer import SimulatedPrinter
from station.context import StationContext
from station.demo import product_photo
from station.labels.layout import LAYOUTS
from station.labels.render import UnitLabel, unit_label_zpl
from station.policy import Checklist
from station.printing.content import LabelContent
from station.printing.printers import Printers
from station.printing.spooler import PrintSpooler
from station.returns.intake import parse_rma, upsert_rma
from station.returns.rules.types import ScannedItem
from station.vocabulary import FunctionTest

PARCELS = 40
GTIN = "05012345678900"
PROFILE = "zebra-zd421"


def graded(ctx: StationContext, n: int) -> str:
    """One parcel of one serialised item, walked to its proposal."""
    rma_id = f"RMA-LBL-{n}"
    with ctx.work() as work:
        upsert_rma(work, parse_rma({
            "rma_id": rma_id, "order_id": f"SO-{n}", "tracking_number": f"TRK{rma_id}",
            "reason": "no_reason", "delivered_at": "2026-12-01T10:00:00Z",
            "items": [{"line_id": "1", "sku": "HP-200-BLK", "gtin": GTIN, "quantity": 1,
                       "description": "Wireless headphones", "serials": [f"SN-{n}"],
                       "unit_weight_g": "400", "category": "general", "price": "89.00"}],
        }), actor="bench")
    service = ctx.inspections
    inspection = service.receive(f"TRK{rma_id}", ctx.settings.station.id, None, "bench")
    service.record_weight(inspection.id, 550_000, "scale", "bench")
    service.record_scan(inspection.id, ScannedItem(raw="x", gtin=GTIN, serial=f"SN-{n}"), "bench")
    service.finish_items(inspection.id, "bench")
    for index, (unit, angle) in enumerate(service.photos_needed(service.get(inspection.id))):
        service.add_photo(inspection.id, product_photo(f"p{index}", seed=index, size=(320, 200)),
                          angle=angle, width=320, height=200, actor="bench",
                          unit_id=unit.id if unit is not None else None)
    service.finish_photos(inspection.id, "bench")
    service.record_checklist(inspection.id, Checklist(function_test=FunctionTest.PASSED), "bench")
    service.grade(inspection.id, "bench")
    return inspection.id


def confirm_to_printer(ctx: StationContext, printer: SimulatedPrinter) -> list[float]:
    printers = Printers(PROFILE, printer.address)
    content = LabelContent(ctx.sorting.rules, ctx.sorting.code)
    spooler = PrintSpooler(ctx.db, ctx.settings.station.id, content.zpl, printers.send)
    ctx.work.on_label = spooler.notify
    spooler.start()
    samples = []
    try:
        for n in range(PARCELS):
            inspection_id = graded(ctx, n)
            started = time.perf_counter()
            ctx.inspections.complete(inspection_id, "bench")
            if not printer.wait_for_labels(n + 1, timeout_s=30):
                raise RuntimeError(f"label {n + 1} did not arrive")
            samples.append(time.perf_counter() - started)
    finally:
        spooler.stop()
        printers.close()
    return samples


def sample_label() -> UnitLabel:
    return UnitLabel(lpn="B01-26120300042", rma_id="RMA-LBL-1", station_code="B01",
                     printed_on=date(2026, 12, 3), grade="A", disposition="RESTOCK",
                     destination="RESTOCK TOTE", sku="HP-200-BLK",
                     description="Wireless headphones", gtin=GTIN, serial="SN-1")


def floor_send(printer: SimulatedPrinter, layout: str) -> list[float]:
    zpl = unit_label_zpl(sample_label(), layout, 203)
    samples = []
    with PrinterSession(PROFILE, printer.address) as session:
        session.status()  # connected, as the spooler's session is after its first job
        for _ in range(PARCELS):
            already = len(printer.labels)
            started = time.perf_counter()
            session.send(zpl)
            printer.wait_for_labels(already + 1, timeout_s=30)
            samples.append(time.perf_counter() - started)
    return samples


def draw_zpl() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for layout in LAYOUTS:
        for dpi in (203, 300):
            samples = []
            for _ in range(30):
                started = time.perf_counter()
                unit_label_zpl(sample_label(), layout, dpi)
                samples.append(time.perf_counter() - started)
            out[f"{layout}@{dpi}"] = summary_ms(samples)
    return out


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-label-") as tmp:
        ctx = sqlite_station(Path(tmp))
        layout = ctx.settings.labels.layout
        printer = SimulatedPrinter(PROFILE, dpi=203, inspect=False)
        try:
            real = summary_ms(confirm_to_printer(ctx, printer))
            floor = summary_ms(floor_send(printer, layout))
        finally:
            printer.close()
            ctx.close()
    return write_result("label", {
        "layout": layout,
        "confirm_to_printer": real,
        "floor_send": floor,
        "ratio_p95": round(real["p95_ms"] / floor["p95_ms"], 2) if floor["p95_ms"] else None,
        "goal_p95_ms": 300,
        "goal_met": real["p95_ms"] < 300,
        "draw_zpl": draw_zpl(),
    })


if __name__ == "__main__":
    main()
