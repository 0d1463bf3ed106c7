"""Finished and flagged demo inspections, so a newcomer sees the review queue and analytics with data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from station.context import StationContext
from station.db.models import Inspection
from station.db.types import new_id, utcnow
from station.demo import DEMO_ITEMS, WRONG_ITEM_GTIN, product_photo
from station.policy import Checklist
from station.returns.intake import parse_rma, upsert_rma
from station.returns.rules.types import ScannedItem
from station.vocabulary import DefectKind, DefectSeverity, FunctionTest

Printer = Callable[[str], None]
#: The bench the history was "inspected" at (not the operator's own: its screens stay empty).
HISTORY_STATION = "demo-bench-2"
#: (what happened, demo item, reason, extra grams on the scale, scan a wrong item, weight typed
#: by hand, scratches)
STORIES: tuple[tuple[str, int, str, int, bool, bool, DefectSeverity | None], ...] = (
    ("matched, as new", 0, "no_reason", 8, False, False, None),
    ("matched, minor scratches", 2, "quality_defect", -5, False, False, DefectSeverity.MINOR),
    ("wrong item in the parcel", 0, "no_reason", 3, True, False, None),
    ("far too heavy", 2, "size_mismatch", 900, False, False, None),
    ("weight typed by hand", 0, "quality_defect", 10, False, True, DefectSeverity.MODERATE),
)


def seed_history(ctx: StationContext, say: Printer) -> int:
    """Walk the STORIES through the workflow once per database (later starts keep them)."""
    with ctx.db.reader() as session:
        done = session.execute(select(Inspection.id).where(
            Inspection.station_id == HISTORY_STATION).limit(1)).first()
    if done:
        return 0
    service, run = ctx.inspections, new_id()[-8:]
    allowance = Decimal(str(ctx.settings.returns.packaging_allowance_g))
    delivered = (utcnow() - timedelta(days=3)).isoformat()
    for index, (story, item_no, reason, extra_g, wrong, manual, defect) in enumerate(STORIES, 1):
        item = DEMO_ITEMS[item_no]
        rma: dict[str, Any] = {"rma_id": f"RMA-H{run}-{index}", "order_id": f"SO-H{run}-{index}",
                               "tracking_number": f"1ZHIST{run[-6:]}{index:02d}",
                               "reason": reason, "delivered_at": delivered, "items": [item]}
        with ctx.work() as work:
            upsert_rma(work, parse_rma(rma), actor="demo",
                       no_reason_window_days=ctx.settings.returns.no_reason_window_days,
                       default_window_days=ctx.settings.returns.default_window_days)
        inspection = service.receive(rma["tracking_number"], HISTORY_STATION, None, "demo")
        grams = Decimal(item["unit_weight_g"]) + allowance + extra_g
        service.record_weight(inspection.id, int(grams * 1000), "manual" if manual else "scale",
                              "demo")
        gtin = WRONG_ITEM_GTIN if wrong else item["gtin"]
        serial = (item.get("serials") or [None])[0]
        service.record_scan(inspection.id, ScannedItem(raw=gtin, gtin=gtin.zfill(14), serial=serial),
                            "demo", symbology="ean13", source="scanner")
        service.finish_items(inspection.id, "demo")
        needed = service.photos_needed(service.get(inspection.id))
        for number, (unit, angle) in enumerate(needed):
            service.add_photo(inspection.id, product_photo(f"{item['sku']} {angle}", index * 10 + number),
                              angle=angle, width=1280, height=720, actor="demo", camera="sim-camera",
                              unit_id=unit.id if unit is not None else None)
        service.finish_photos(inspection.id, "demo")
        defects = {DefectKind.SCRATCHES: defect} if defect else {}
        service.record_checklist(inspection.id, Checklist(
            packaging_intact=True, original_packaging_opened=defect is not None,
            defects=defects, function_test=FunctionTest.PASSED, signs_of_use=defect is not None,
        ), "demo", notes=f"demo history: {story}")
        service.grade(inspection.id, "demo")
        finished = service.complete(inspection.id, "demo")
        say(f"  history {rma['rma_id']}: {story} -> {finished.state}")
    return len(STORIES)
