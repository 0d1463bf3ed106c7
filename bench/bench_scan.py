"""Benchmark: serial scanner latency, last byte written by the simulator -> ScanEvent in on_scan.

Baseline in the same run: the raw pty round trip (simulator writes a line, a bare pyserial
reader thread sees its terminator). p50 / p99 / max over ``SCANS`` scans of a label mix (GS1
with AIM id and GS, EAN-13, RMA label); goal p99 <= 5 ms. Prints JSON and writes
bench/results/scan.json. Run: ``.venv/bin/python bench/bench_scan.py`` (not part of pytest).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import serial

from drivers.scanner.events import ScanEvent
from drivers.scanner.profile import scanner_profile
from drivers.scanner.serial_source import SerialScannerSource
from drivers.sim.scanner import SimulatedSerialScanner

RESULTS = Path(__file__).resolve().parent / "results" / "scan.json"
SCANS = 300
WARMUP = 20
GOAL_P99_MS = 5.0
LABELS = [
    ("]C1", "01095011010209171725123110ABCD1234\x1d21SN-0001"),
    ("", "4006381333931"),
    ("", "RMA-2024-000123"),
    ("]Q1", "https://id.gs1.org/01/09506000134352/10/ABC/21/123?17=251231"),
]
WAIT_S = 2.0


def _summary(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "min_ms": round(ms[0], 4),
        "p50_ms": round(statistics.median(ms), 4),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 4),
        "max_ms": round(ms[-1], 4),
        "mean_ms": round(statistics.fmean(ms), 4),
    }


def bench_baseline(sim: SimulatedSerialScanner) -> list[float]:
    """Raw pty: last byte written -> a pyserial reader thread has the whole line."""
    port = serial.serial_for_url(sim.port, timeout=0.05)
    arrived = threading.Event()
    arrived_at = [0.0]
    stop = threading.Event()

    def reader() -> None:
        buffer = bytearray()
        while not stop.is_set():
            buffer += port.read(max(1, port.in_waiting))
            if b"\r" in buffer:
                arrived_at[0] = time.perf_counter()
                buffer.clear()
                arrived.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    latencies: list[float] = []
    try:
        for i in range(WARMUP + SCANS):
            aim, text = LABELS[i % len(LABELS)]
            arrived.clear()
            sim.scan(text, aim_id=aim)
            if not arrived.wait(WAIT_S):
                raise RuntimeError("baseline reader lost a line")
            if i >= WARMUP:
                latencies.append(arrived_at[0] - sim.last_write_at)
    finally:
        stop.set()
        thread.join()
        port.close()
    return latencies


def bench_source(sim: SimulatedSerialScanner) -> tuple[list[float], int]:
    """SerialScannerSource: last byte written -> ScanEvent delivered to on_scan."""
    delivered = threading.Event()
    delivered_at = [0.0]
    events: list[ScanEvent] = []

    def on_scan(event: ScanEvent) -> None:
        delivered_at[0] = time.perf_counter()
        events.append(event)
        delivered.set()

    source = SerialScannerSource.from_profile(sim.port, sim.profile, on_scan=on_scan)
    latencies: list[float] = []
    with source:
        deadline = time.monotonic() + WAIT_S
        while source.status.state != "ready" and time.monotonic() < deadline:
            time.sleep(0.01)
        for i in range(WARMUP + SCANS):
            aim, text = LABELS[i % len(LABELS)]
            delivered.clear()
            sim.scan(text, aim_id=aim)
            if not delivered.wait(WAIT_S):
                raise RuntimeError(f"source lost scan {i}: {source.status}")
            if i >= WARMUP:
                latencies.append(delivered_at[0] - sim.last_write_at)
    with_gtin = sum(1 for e in events if e.gtin)
    return latencies, with_gtin


def main() -> dict[str, object]:
    """Run baseline and source on the same simulator, print and write the JSON."""
    profile = scanner_profile("generic-serial")
    with SimulatedSerialScanner(profile) as sim:
        baseline = bench_baseline(sim)
        source, with_gtin = bench_source(sim)
    base, ours = _summary(baseline), _summary(source)
    result: dict[str, object] = {
        "benchmark": "serial scan latency: last byte written -> ScanEvent in on_scan",
        "scans": SCANS,
        "labels": [aim + text for aim, text in LABELS],
        "baseline_raw_pty_roundtrip": base,
        "serial_source_to_callback": ours,
        "ratio_p99_source_vs_baseline": round(ours["p99_ms"] / max(base["p99_ms"], 1e-6), 2),
        "ratio_p50_source_vs_baseline": round(ours["p50_ms"] / max(base["p50_ms"], 1e-6), 2),
        "goal_p99_ms": GOAL_P99_MS,
        "goal_met": ours["p99_ms"] <= GOAL_P99_MS,
        "events_with_gtin": with_gtin,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
