"""Test data shaped like what the platform sends and what a bench does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from station.context import StationContext
from station.db.types import utcnow
from station.policy import Checklist
from station.returns.intake import parse_rma, upsert_rma
from station.returns.rules.types import ScannedItem
from station.vocabulary import FunctionTest

HEADPHONES_GTIN = "05012345678900"


def rma_body(rma_id: str = "RMA-1001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rma_id": rma_id,
        "order_id": f"SO-{rma_id}",
        "tracking_number": f"TRK{rma_id}",
        "reason": "no_reason",
        "delivered_at": (utcnow() - timedelta(days=3)).isoformat(),
        "items": [
            {
                "line_id": "1",
                "sku": "HP-200-BLK",
                "gtin": HEADPHONES_GTIN,
                "description": "Wireless headphones",
                "quantity": 1,
                "serials": ["SN-001"],
                "unit_weight_g": "400",
                "category": "general",
                "price": "89.00",
                "accessories": ["cable"],
            }
        ],
    }
    body.update(overrides)
    return body


def seed_rma(ctx: StationContext, rma_id: str = "RMA-1001", **overrides: Any) -> None:
    with ctx.work() as work:
        upsert_rma(work, parse_rma(rma_body(rma_id, **overrides)), actor="test")


def jpeg(seed: int = 0) -> bytes:
    from station.demo import product_photo

    return product_photo(f"photo {seed}", seed=seed, size=(320, 200))


def photograph(ctx: StationContext, inspection_id: str) -> int:
    """Take every photo the parcel and its units still need; returns how many were taken."""
    service = ctx.inspections
    needed = service.photos_needed(service.get(inspection_id))
    for index, (unit, angle) in enumerate(needed):
        service.add_photo(inspection_id, jpeg(index), angle=angle, width=320, height=200,
                          actor="op", unit_id=unit.id if unit is not None else None)
    return len(needed)


def walk_to_graded(ctx: StationContext, label: str = "TRKRMA-1001", weight_g: int = 550,
                   checklist: Checklist | None = None) -> str:
    """A whole, normal inspection up to the proposal; returns the inspection id."""
    service = ctx.inspections
    inspection = service.receive(label, "bench-test", None, "op")
    service.record_weight(inspection.id, weight_g * 1000, "scale", "op")
    service.record_scan(inspection.id, ScannedItem(raw="x", gtin=HEADPHONES_GTIN, serial="SN-001"),
                        "op")
    service.finish_items(inspection.id, "op")
    photograph(ctx, inspection.id)
    service.finish_photos(inspection.id, "op")
    service.record_checklist(
        inspection.id, checklist or Checklist(function_test=FunctionTest.PASSED), "op")
    service.grade(inspection.id, "op")
    return inspection.id
