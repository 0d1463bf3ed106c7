"""Benchmark: simulator settle instant -> ScaleSession publishes the stable reading, per protocol.

Each protocol's representative shipped profile runs against the simulator over a real pty.
Goal: p99 <= one sample period (the profile's poll_interval_s) + 20 ms when the scale has a
stable flag; a scale without one needs ``stability.samples`` periods by design, so its goal is
samples x period + 20 ms. Baseline in the same run: raw pty latency (simulator writes a frame,
a bare pyserial reader has it). Prints JSON and writes bench/results/scale.json.
Run: ``.venv/bin/python -m bench.bench_scale`` (not part of pytest).
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import serial

from bench.common import summary_ms, write_result
from drivers.scale.profile import ScaleProfile, find_scale_profile, load_scale_profile
from drivers.scale.reading import Reading
from drivers.scale.session import ScaleSession
from drivers.sim.pty import PtyLink
from drivers.sim.scale import SimulatedScale

RUNS = 16
SETTLE_S = 0.1
TOLERANCE_MG = 600
PROFILES = [
    "generic-mt-sics",
    "brecknell-3700lp",
    "nci-3825",
    "cas-ci600d",
    "cas-ci600d-and18",
    "cas-ci600d-10byte",
    "ohaus-explorer",
    "generic-stream-poll",
    "dymo-m10",
]


def bench_baseline(samples: int = 100) -> list[float]:
    """Raw pty: frame written by the simulator side -> a bare pyserial reader has the line."""
    latencies: list[float] = []
    with PtyLink() as pty:
        port = serial.serial_for_url(pty.port, timeout=0.5)
        try:
            for _ in range(samples):
                start = time.monotonic()
                pty.write(b"S S     100.00 g\r\n")
                line = port.read_until(b"\r\n")
                latencies.append(time.monotonic() - start)
                assert line.endswith(b"\r\n")
        finally:
            port.close()
    return latencies


def bench_profile(name: str) -> dict[str, Any]:
    """Settle -> stable publish latencies for one profile."""
    profile = load_scale_profile(find_scale_profile(name))
    published: list[tuple[float, Reading]] = []
    lock = threading.Lock()

    def on_reading(reading: Reading) -> None:
        with lock:
            published.append((time.monotonic(), reading))

    latencies: list[float] = []
    missed = 0
    phase = random.Random(7)  # place at a random phase of the sample period, reproducibly
    with SimulatedScale(profile) as sim:
        session = ScaleSession(profile, sim.port, on_reading=on_reading)
        with session:
            for run in range(RUNS):
                grams = 500.0 + 1000.0 * (run % 2) + run
                time.sleep(phase.uniform(0.0, profile.poll_interval_s))
                with lock:
                    published.clear()
                sim.place(grams, settle_s=SETTLE_S)
                settled_at = sim.settled_at
                deadline = settled_at + 3.0
                hit = None
                while hit is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                    with lock:
                        hit = next(
                            (
                                t
                                for t, r in published
                                if r.stable
                                and r.weight_mg is not None
                                and abs(r.weight_mg - grams * 1000) <= TOLERANCE_MG
                            ),
                            None,
                        )
                if hit is None:
                    missed += 1
                else:
                    latencies.append(max(0.0, hit - settled_at))
                time.sleep(0.05)
    period_s = profile.poll_interval_s
    flagged = _has_flag(profile)
    goal_ms = (period_s * (1 if flagged else profile.stability.samples) + 0.020) * 1000
    result: dict[str, Any] = {
        "profile": name,
        "protocol": profile.protocol,
        "mode": profile.mode,
        "sample_period_ms": period_s * 1000,
        "device_stable_flag": flagged,
        "goal_p99_ms": round(goal_ms, 3),
        "missed": missed,
    }
    if latencies:
        summary = summary_ms(latencies)
        result.update(summary)
        result["p99_over_goal"] = round(summary["p99_ms"] / goal_ms, 3)
        result["meets_goal"] = summary["p99_ms"] <= goal_ms and not missed
    return result


def _has_flag(profile: ScaleProfile) -> bool:
    """Whether the session trusts a stable flag carried by this profile's readings."""
    if not profile.stability.use_device_flag or profile.variant == "cas10":
        return False
    # a (?P<stable>...) or (?P<unstable>...) group gives the line a flag
    return profile.protocol != "generic_stream" or "stable>" in (profile.pattern or "")


def main() -> dict[str, Any]:
    baseline = summary_ms(bench_baseline())
    results = [bench_profile(name) for name in PROFILES]
    for result in results:
        if "p99_ms" in result:
            result["p99_over_pty_baseline_p99"] = round(result["p99_ms"] / baseline["p99_ms"], 1)
    return write_result(
        "scale",
        {
            "what": "simulator settle instant -> ScaleSession publishes the stable reading",
            "runs_per_profile": RUNS,
            "baseline_raw_pty": baseline,
            "profiles": results,
            "all_meet_goal": all(r.get("meets_goal") for r in results),
        },
    )


if __name__ == "__main__":
    main()
