"""Benchmark: camera barcode decode throughput and success rate, zxing-cpp vs ZBar vs the cascade.

One core (cv2.setNumThreads(1)). Throughput on synthetic 720p / 1080p frames of every symbology
(frames zxing-cpp reads at once) and on empty frames (the cascade spends its whole budget);
success per condition on the generated photo set. Prints JSON and writes bench/results/decode.json.
Run: ``.venv/bin/python bench/bench_decode.py`` (not part of pytest).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from drivers.scanner.camera_decode import CameraDecoder, DecoderConfig, to_grey
from drivers.scanner.decode_stages import read_zbar, read_zxing
from drivers.sim import photoset
from drivers.sim.camera import SUPPORTED_SYMBOLOGIES, SyntheticCamera

RESULTS = Path(__file__).resolve().parent / "results" / "decode.json"
RESOLUTIONS = ((1280, 720), (1920, 1080))
GOAL_FPS_720P = 60.0


def _fps(decode: Callable[[np.ndarray], object], frames: list[np.ndarray], min_s: float) -> float:
    """Best of 3 rounds of frames per second of ``decode`` over ``frames`` (after a warm-up).

    The best round is the least disturbed by other work on a shared machine.
    """
    for frame in frames:
        decode(frame)
    best = 0.0
    for _ in range(3):
        count = 0
        started = time.perf_counter()
        while True:
            for frame in frames:
                decode(frame)
                count += 1
            elapsed = time.perf_counter() - started
            if elapsed >= min_s / 3:
                break
        best = max(best, count / elapsed)
    return best


def throughput(min_s: float = 1.5) -> dict[str, dict[str, float]]:
    """fps of each decoder per resolution on readable frames and on empty frames."""
    out: dict[str, dict[str, float]] = {}
    rng = np.random.default_rng(1)
    for width, height in RESOLUTIONS:
        camera = SyntheticCamera(width, height, paced=False, seed=2)
        camera.noise_std = 3.0
        frames = []
        for symbology in SUPPORTED_SYMBOLOGIES:
            camera.present(photoset.sample_text(symbology, rng), symbology, module_px=3)
            frames.append(camera.frame())
        readable = [f for f in frames if read_zxing(to_grey(f))]
        camera.clear()
        empty = [camera.frame()]
        cascade = CameraDecoder()
        key = f"{width}x{height}"
        out[key] = {
            "frames_zxing_reads_at_once": len(readable),
            "zxing_fps": _fps(lambda f: read_zxing(to_grey(f)), readable, min_s),
            "zbar_fps": _fps(lambda f: read_zbar(to_grey(f)), readable, min_s),
            "cascade_fps": _fps(cascade.decode, readable, min_s),
            "cascade_empty_frame_fps": _fps(cascade.decode, empty, min_s),
            "cascade_budget_ms": cascade.config.budget_ms,
        }
        row = out[key]
        row["cascade_vs_zxing_ratio"] = row["cascade_fps"] / row["zxing_fps"]
        row["zbar_vs_zxing_ratio"] = row["zbar_fps"] / row["zxing_fps"]
    return out


def success(variants: int = 2) -> dict[str, dict[str, dict[str, float]]]:
    """Share of photos read correctly per condition and per symbology, each decoder."""
    by: dict[str, dict[str, dict[str, float]]] = {"condition": {}, "symbology": {}}
    cascade = CameraDecoder(DecoderConfig())
    slow: list[float] = []
    for photo in photoset.generate(seed=7, variants=variants):
        grey = to_grey(photo.image)
        zxing = any(photoset.is_match(photo, r.text) for r in read_zxing(grey))
        zbar = any(photoset.is_match(photo, r.text) for r in read_zbar(grey))
        report = cascade.decode(photo.image)
        slow.append(report.elapsed_ms)
        hit = any(photoset.is_match(photo, r.text) for r in report.results)
        for kind, key in (("condition", photo.condition), ("symbology", str(photo.symbology))):
            row = by[kind].setdefault(
                key, {"photos": 0, "zxing": 0, "zbar": 0, "union": 0, "cascade": 0}
            )
            row["photos"] += 1
            row["zxing"] += zxing
            row["zbar"] += zbar
            row["union"] += zxing or zbar
            row["cascade"] += hit
    for table in by.values():
        for row in table.values():
            row["cascade_ge_union"] = float(row["cascade"] >= row["union"])
    total = {k: sum(r[k] for r in by["condition"].values())
             for k in ("photos", "zxing", "zbar", "union", "cascade")}
    by["total"] = {"all": {**total, "cascade_ms_median": float(np.median(slow)),
                           "cascade_ms_p95": float(np.percentile(slow, 95))}}
    return by


def main() -> dict[str, object]:
    """Run both parts, print and write the JSON; returns the results."""
    cv2.setNumThreads(1)
    started = time.perf_counter()
    result: dict[str, object] = {
        "threads": 1,
        "goal": {"fps_720p_readable": GOAL_FPS_720P, "cascade_ge_union": True},
        "throughput": throughput(),
        "success": success(),
    }
    speed = result["throughput"]["1280x720"]  # type: ignore[index]
    result["goal_met_fps_720p"] = speed["cascade_fps"] >= GOAL_FPS_720P
    result["goal_met_cascade_ge_union"] = all(
        row["cascade"] >= row["union"]
        for row in result["success"]["condition"].values()  # type: ignore[index]
    )
    result["wall_s"] = time.perf_counter() - started
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
