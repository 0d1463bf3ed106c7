"""A scripted bench for the kill campaign: inspects RMAs step by step, journalling each confirmed step.

``python -m bench.fault_worker SETTINGS_JSON JOURNAL COUNT`` inspects RMAs ``F-0000`` ..
``F-{COUNT-1}`` on the station the settings describe. After every step the service confirmed
(the call returned), one JSON line is appended to JOURNAL and fsynced: that is what an operator
saw as done. At start, and after every restart, it first writes where it found each open
inspection ("resume"), so the campaign can check that nothing confirmed was lost and that the
bench resumes at the right step. The campaign SIGKILLs it at random points.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import IO, Any

import cv2
import numpy as np

from station.config import Settings
from station.context import StationContext, build
from station.db.models import Inspection
from station.policy import Checklist
from station.returns.errors import DomainError
from station.returns.intake import parse_rma, upsert_rma
from station.returns.rules.types import ScannedItem
from station.returns.states import WORK_PATH, InspectionState
from station.vocabulary import FunctionTest

S = InspectionState
BENCH = "bench-fault"
GTIN = "05012345678900"
#: Two days ago at 10:00 UTC: inside every return window, and the same in every restart today.
DELIVERED_AT = (datetime.combine(date.today(), dt_time(10), UTC) - timedelta(days=2)).isoformat()


def rma_body(index: int) -> dict[str, Any]:
    """One single-item RMA the worker inspects."""
    return {
        "rma_id": f"F-{index:04d}", "order_id": f"O-F-{index:04d}", "reason": "no_reason",
        "delivered_at": DELIVERED_AT,
        "items": [{"line_id": "1", "sku": "SKU-F", "gtin": GTIN, "quantity": 1,
                   "unit_weight_g": "400", "category": "general"}],
    }


def photo(index: int, angle: str) -> bytes:
    """Distinct small JPEG bytes per RMA and angle (content addressing never skips a write)."""
    rng = np.random.default_rng(zlib.crc32(f"{index}:{angle}".encode()))
    ok, data = cv2.imencode(".jpg", rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG")
    return bytes(data)


def photo_count(ctx: StationContext, inspection: Inspection) -> int:
    """How many photos the parcel and its units need in all."""
    service = ctx.inspections
    return len(service.required_angles(inspection)) + sum(
        len(service.unit_angles(u)) for u in inspection.units)


def steps_done(inspection: Inspection, required: int) -> int:
    """How many journalled steps the database shows for ``inspection``."""
    order = [*WORK_PATH, S.COMPLETED]
    state = S(inspection.state)
    reached = order.index(state) if state in order else len(order) - 1
    done = 1  # received
    done += int(reached >= 1)  # weighed
    done += min(len(inspection.scans), 1)
    done += int(reached >= 2)  # items finished
    done += min(len({p.angle for p in inspection.photos}), required)
    done += int(reached >= 3) + int(reached >= 4) + int(reached >= 5) + int(reached >= 6)
    return done


class Journal:
    """Append-only JSON lines, each fsynced before the next step starts."""

    def __init__(self, path: Path) -> None:
        torn = path.exists() and path.stat().st_size > 0 and not path.read_bytes().endswith(b"\n")
        self._file: IO[str] = path.open("a", encoding="utf-8")
        if torn:  # the last run died inside a write: end that line so it stays on its own
            self._file.write("\n")

    def write(self, **entry: Any) -> None:
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())


def next_step(ctx: StationContext, inspection: Inspection, index: int
              ) -> tuple[str, Callable[[], Any]] | None:
    """The step the bench would offer next for ``inspection``, as (name, action)."""
    service, iid = ctx.inspections, inspection.id
    state = S(inspection.state)
    if state is S.RECEIVED:
        return "weighed", lambda: service.record_weight(iid, 551_000, "scale", "fault")
    if state is S.WEIGHED and not inspection.scans:
        return "scanned", lambda: service.record_scan(
            iid, ScannedItem(raw=GTIN, gtin=GTIN, serial=f"SN-{index}"), "fault")
    if state is S.WEIGHED:
        return "items_done", lambda: service.finish_items(iid, "fault")
    if state is S.ITEMS_IDENTIFIED:
        needed = service.photos_needed(inspection)
        if needed:
            unit, angle = needed[0]
            return f"photo:{angle}", lambda: service.add_photo(
                iid, photo(index, angle), angle=angle, width=160, height=120, actor="fault",
                unit_id=unit.id if unit is not None else None)
        return "photos_done", lambda: service.finish_photos(iid, "fault")
    if state is S.PHOTOS_TAKEN:
        return "checklist", lambda: service.record_checklist(
            iid, Checklist(function_test=FunctionTest.PASSED), "fault")
    if state is S.CHECKLIST_DONE:
        return "graded", lambda: service.grade(iid, "fault")
    if state is S.GRADED:
        return "completed", lambda: service.complete(iid, "fault")
    return None


def inspect(ctx: StationContext, journal: Journal, index: int) -> None:
    """Bring RMA ``index`` to completed, resuming where the database says it stands."""
    rma_id = rma_body(index)["rma_id"]
    with ctx.work() as work:
        upsert_rma(work, parse_rma(rma_body(index)), actor="fault")
    existing = ctx.inspections.open_inspection(BENCH)
    if existing is None or existing.rma is None or existing.rma.rma_id != rma_id:
        try:
            received = ctx.inspections.receive(rma_id, BENCH, None, "fault")
        except DomainError as exc:
            if exc.code == "rma_already_inspected":
                return
            raise
        journal.write(ev="step", rma=rma_id, inspection=received.id, step="received")
    found = ctx.inspections.open_inspection(BENCH)
    if found is None:
        raise RuntimeError(f"{rma_id}: received but no open inspection at {BENCH}")
    inspection = found
    while True:
        step = next_step(ctx, inspection, index)
        if step is None:
            return
        name, action = step
        result = action()
        detail = getattr(result, "sha256", None)
        journal.write(ev="step", rma=rma_id, inspection=inspection.id, step=name, sha256=detail)
        inspection = ctx.inspections.get(inspection.id)


def main(argv: list[str]) -> int:
    settings = Settings.model_validate(json.loads(argv[0]))
    journal = Journal(Path(argv[1]))
    count = int(argv[2])
    ctx = build(settings)
    try:
        found = ctx.inspections.open_inspection(BENCH)
        if found is not None:
            required = photo_count(ctx, found)
            journal.write(ev="resume", inspection=found.id, state=found.state,
                          steps=steps_done(found, required))
        for index in range(count):
            inspect(ctx, journal, index)
        journal.write(ev="finished")
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
