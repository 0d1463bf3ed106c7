"""Photo capture against its durable floor, and scan -> verdict as the parcel grows (SQLite).

One run, one machine, ratios against a floor measured in the same run:

1. Photo capture at 1920x1080. The floor is what keeping one photo durably cannot avoid: the
   JPEG encode of the frame (OpenCV, the camera profile's quality), a temp file written and
   fsynced, renamed, the folder fsynced, and one SQLite commit (WAL, synchronous=FULL) of a
   small row. The real path is what the bench's photo POST does with the same frame:
   ``CameraCapture.still()`` (encode, quality metrics, hash), ``require_room`` and
   ``InspectionService.add_photo``. Goal: real / floor <= 1.3 (p50 and p95).
   The route's ``load()`` before the capture (``web/bench/actions.py take_photo``) is given
   apart (``route_load_before_capture``).
2. Scan -> verdict: ``InspectionService.record_scan`` plus what the item route does to answer
   (the per-line counts), for parcels that hold 1, 10 and 50 scans when the measured scan
   arrives; ``reload`` is the old route (``InspectionService.get`` + line views after the
   scan), ``in_step`` the counts returned by ``record_scan`` itself. Growth = p50 at 50 / p50
   at 1.

Run: ``.venv/bin/python -m bench.bench_capture`` (also run by ``python -m bench.run_all``).
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from bench.common import sqlite_station, summary_ms, write_result
from drivers.camera.capture import CameraCapture, Frame
from drivers.sim.camera import product_scene
from station.context import StationContext
from station.devices.adapters import camera_profile_named
from station.evidence.store import durable_write
from station.returns.intake import parse_rma, upsert_rma
from station.returns.rules.types import ScannedItem

PHOTOS = int(os.environ.get("BENCH_CAPTURE_PHOTOS", "100"))
PARCELS = int(os.environ.get("BENCH_CAPTURE_PARCELS", "100"))
SIZES = (1, 10, 50)
GOAL_RATIO = 1.3
GTIN_A, GTIN_B, WRONG = "05012345678900", "05012345678917", "04012345000016"


def _rma(name: str, quantity_a: int = 2) -> dict[str, object]:
    return {
        "rma_id": name, "order_id": f"O-{name}", "reason": "no_reason",
        "delivered_at": "2026-11-24T10:00:00+00:00",
        "items": [
            {"line_id": "1", "sku": "SKU-A", "gtin": GTIN_A, "quantity": quantity_a,
             "unit_weight_g": "400", "category": "general"},
            {"line_id": "2", "sku": "SKU-B", "gtin": GTIN_B, "quantity": 1,
             "unit_weight_g": "300", "category": "general"},
        ],
    }


def _weighed(ctx: StationContext, name: str) -> str:
    with ctx.work() as work:
        upsert_rma(work, parse_rma(_rma(name)), actor="bench")
    # one open parcel per bench: each parcel gets a bench of its own
    inspection = ctx.inspections.receive(name, f"bench-{name}", None, "bench")
    ctx.inspections.record_weight(inspection.id, 1_200_000, "scale", "bench")
    return inspection.id


class _HeldFrame:
    """A FrameSource handing out the frame the benchmark put there (about 100 frames/s)."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame
        self._lock = threading.Lock()

    def put(self, frame: Frame) -> None:
        with self._lock:
            self.frame = frame

    def read(self) -> tuple[bool, Frame | None]:
        time.sleep(0.01)
        with self._lock:
            return True, self.frame


def _frames(count: int) -> Iterator[Frame]:
    """Distinct 1080p bench scenes with sensor noise (std 4: a JPEG of about 270 kB, as a
    webcam's) and a number drawn on each, so no two JPEGs are the same; made one at a time."""
    base = product_scene(1920, 1080, seed=3).astype(np.int16)
    rng = np.random.default_rng(3)
    for index in range(count):
        frame = (base + rng.normal(0, 4, base.shape).astype(np.int16)).clip(0, 255)
        frame = frame.astype(np.uint8)
        cv2.putText(frame, f"photo {index}", (80, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.0,
                    (30, 30, 30), 3)
        yield frame


def _floor_db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS photo (id INTEGER PRIMARY KEY, name TEXT, size INT)")
    return conn


def _floor(frame: Frame, quality: int, target: Path, conn: sqlite3.Connection) -> None:
    ok, buffer = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    data = buffer.tobytes()
    durable_write(target, data)  # temp + fsync + rename + folder fsync
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO photo (name, size) VALUES (?, ?)", (target.name, len(data)))
    conn.execute("COMMIT")


def capture(root: Path) -> dict[str, Any]:
    ctx = sqlite_station(root)
    ctx.work.anchor_in_background()  # as `station run` does: the anchor's fsync off the capture
    service = ctx.inspections
    inspection_id = _weighed(ctx, "CAP-1")
    service.finish_items(inspection_id, "bench")
    profile = camera_profile_named("generic-uvc")
    frames = _frames(PHOTOS + 5)
    first = next(frames)
    source = _HeldFrame(first)
    camera = CameraCapture(profile, source).start()
    conn = _floor_db(root / "floor.db")
    floor_dir = root / "floor"
    floor, real, still_part, store_part, route_load = [], [], [], [], []
    try:
        deadline = time.monotonic() + 10
        while camera.still() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        for index, frame in enumerate(itertools.chain([first], frames)):
            seq = (camera.latest() or (0, frame))[0]
            source.put(frame)
            if camera.wait_frame(seq, timeout_s=2.0) is None:
                raise RuntimeError("the camera reader gave no new frame")
            start = time.perf_counter()
            _floor(frame, profile.jpeg_quality, floor_dir / f"{index}.jpg", conn)
            floor_s = time.perf_counter() - start
            start = time.perf_counter()
            service.get(inspection_id)  # take_photo's load(): not part of the capture
            load_s = time.perf_counter() - start
            start = time.perf_counter()
            still = camera.still()
            assert still is not None
            taken = time.perf_counter()
            ctx.store.require_room(ctx.settings.evidence.min_free_mb)
            service.add_photo(inspection_id, still.jpeg, angle="item", width=still.width_px,
                              height=still.height_px, actor="bench", camera="bench",
                              quality={"problems": still.problems, **still.metrics.as_dict()},
                              sha256=still.sha256)
            done = time.perf_counter()
            if index < 5:  # warm-up
                continue
            floor.append(floor_s)
            route_load.append(load_s)
            still_part.append(taken - start)
            store_part.append(done - taken)
            real.append(done - start)
    finally:
        camera.close()
        conn.close()
        ctx.close()
    f, r = summary_ms(floor), summary_ms(real)
    ratio_p50 = round(r["p50_ms"] / f["p50_ms"], 3)
    ratio_p95 = round(r["p95_ms"] / f["p95_ms"], 3)
    return {
        "frame_px": "1920x1080", "jpeg_quality": profile.jpeg_quality,
        "floor": f, "real": r,
        "real_part_still": summary_ms(still_part),
        "real_part_add_photo": summary_ms(store_part),
        "route_load_before_capture": summary_ms(route_load),
        "ratio_p50": ratio_p50, "ratio_p95": ratio_p95, "goal_ratio": GOAL_RATIO,
        "goal_met": ratio_p50 <= GOAL_RATIO and ratio_p95 <= GOAL_RATIO,
    }


def _code(index: int) -> ScannedItem:
    raw = (GTIN_A, WRONG, GTIN_B)[index % 3]
    return ScannedItem(raw=raw, gtin=raw)


def _reload_lines(ctx: StationContext, inspection_id: str) -> list[dict[str, Any]]:
    """What the item route built before: the inspection again, then each line's scans."""
    inspection = ctx.inspections.get(inspection_id)
    lines = []
    for item in inspection.rma.items if inspection.rma else []:
        scans = [s for s in inspection.scans if s.matched_item_id == item.id]
        lines.append({"line_id": item.line_id, "found": len(scans), "expected": item.quantity,
                      "serials": [s.serial for s in scans if s.serial]})
    return lines


def scan_to_verdict(root: Path) -> dict[str, Any]:
    ctx = sqlite_station(root)
    service = ctx.inspections
    out: dict[str, Any] = {"parcels_per_size": PARCELS}
    samples: dict[int, dict[str, list[float]]] = {
        size: {"record_scan": [], "reload": [], "in_step": []} for size in SIZES}
    try:
        for parcel in range(PARCELS):  # sizes interleaved: each sees the same machine load
            for size in SIZES:
                inspection_id = _weighed(ctx, f"S{size}-{parcel}")
                for index in range(size - 1):
                    service.record_scan(inspection_id, _code(index), "bench")
                start = time.perf_counter()
                result = service.record_scan(inspection_id, _code(size - 1), "bench")
                scanned = time.perf_counter()
                _reload_lines(ctx, inspection_id)
                reloaded = time.perf_counter()
                samples[size]["record_scan"].append(scanned - start)
                samples[size]["reload"].append(reloaded - start)
                if getattr(result, "lines", None) is not None:  # the counts came with it
                    samples[size]["in_step"].append(scanned - start)
    finally:
        ctx.close()
    for size in SIZES:
        out[f"scans_{size}"] = {name: summary_ms(values)
                                for name, values in samples[size].items() if values}
    first, last = out[f"scans_{SIZES[0]}"], out[f"scans_{SIZES[-1]}"]
    out["growth_p50_reload"] = round(last["reload"]["p50_ms"] / first["reload"]["p50_ms"], 3)
    out["growth_p50_record_scan"] = round(
        last["record_scan"]["p50_ms"] / first["record_scan"]["p50_ms"], 3)
    return out


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR", "var")) as tmp:
        for part in ("capture", "scan"):
            (Path(tmp) / part).mkdir()
        photo = capture(Path(tmp) / "capture")
        scans = scan_to_verdict(Path(tmp) / "scan")
    return write_result("capture", {
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
        "cpus": os.cpu_count(),
        "photo_capture_1080p": photo,
        "scan_to_verdict_sqlite": scans,
        "numpy": np.__version__,
    })


if __name__ == "__main__":
    main()
