"""Cost of the fleet registry on one database: 200 benches' heartbeats, the fleet page's query, the policy check.

For each backend (a SQLite file, WAL + synchronous=FULL; the test suite's throw-away PostgreSQL,
fsync off) the database is migrated and seeded with BENCH_FLEET_BENCHES (200) stations and
BENCH_FLEET_PARCELS (40,000) finished inspections spread over them (today and yesterday), so
the queue counts of each heartbeat read real rows. Then BENCH_FLEET_THREADS (8) threads send
BENCH_FLEET_ROUNDS (5) heartbeats of every bench as fast as they can (station/fleet/registry.py
``bench_queue`` then ``heartbeat``: the queue reads, then the upsert in one transaction), against the baseline of the
same threads each opening a transaction that runs ``SELECT 1`` (the round-trip floor). Also:
the fleet page's query (``registry.fleet``) over the 200 rows, and a bench's publication check
when nothing changed (PolicyFollower.check: two narrow SELECTs). A fleet of 200 benches beating
every 15 s needs 13.3 heartbeats/s; the result says how far each backend is from that.
Bounded: about a minute on a 2-core machine.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.common import postgres_databases, summary_ms, write_result

BENCHES = int(os.environ.get("BENCH_FLEET_BENCHES", "200"))
PARCELS = int(os.environ.get("BENCH_FLEET_PARCELS", "40000"))
THREADS = int(os.environ.get("BENCH_FLEET_THREADS", "8"))
ROUNDS = int(os.environ.get("BENCH_FLEET_ROUNDS", "5"))
PERIOD_S = 15


def _seed(ctx: Any) -> None:
    from station.db.models import Inspection, Station
    from station.db.types import new_id, utcnow

    now = utcnow()
    stations = [f"bench-{n:03d}" for n in range(BENCHES)]
    rows = []
    for n in range(PARCELS):
        done = now - timedelta(minutes=(n * 7) % (36 * 60))
        rows.append({"id": new_id(), "station_id": stations[n % BENCHES], "state": "completed",
                     "label": f"TRK{n}", "received_at": done - timedelta(minutes=4),
                     "updated_at": done, "completed_at": done, "verdicts": [], "checklist": {},
                     "decision": {}, "override": {}, "flags": [], "review": {},
                     "refund_status": {}, "unexpected": False, "deduction_pct": 0})
    with ctx.db.transaction() as session:
        session.execute(insert(Station), [{"id": s, "name": s, "created_at": now} for s in stations])
        for start in range(0, len(rows), 5000):
            session.execute(insert(Inspection), rows[start:start + 5000])


def _threads(jobs: Sequence[Callable[[], object]]) -> tuple[list[float], float]:
    """Run ``jobs`` from THREADS threads; each job's seconds and the wall time."""
    samples: list[float] = []
    lock = threading.Lock()
    queue = list(jobs)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                job = queue.pop()
            began = time.perf_counter()
            job()
            spent = time.perf_counter() - began
            with lock:
                samples.append(spent)

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return samples, time.perf_counter() - began


def run(url: str, root: Path) -> dict[str, Any]:
    from drivers.state import DeviceState
    from station.config import Settings
    from station.context import build
    from station.db.engine import make_engine
    from station.db.migrate import upgrade
    from station.db.types import utcnow
    from station.fleet import registry
    from station.fleet.heartbeat import PolicyFollower

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    ctx = build(Settings.model_validate({
        "database": {"url": url}, "evidence": {"photo_dir": str(root / "photos")},
        "audit": {"anchor_file": str(root / "anchors.log")}}))
    try:
        _seed(ctx)
        started = utcnow()
        devices = {"scale": {"state": DeviceState.READY.value, "detail": ""},
                   "camera": {"state": DeviceState.ERROR.value, "detail": "no frames for 5 s"}}
        reports = [registry.BenchReport(f"bench-{n:03d}", ctx.policy.version, ctx.sorting.rules.version,
                                        devices, PERIOD_S, started) for n in range(BENCHES)]
        for report in reports:
            registry.register(ctx.db, report, report.station_id)

        def floor() -> None:
            with ctx.db.transaction() as session:
                session.execute(text("SELECT 1"))

        base, base_wall = _threads([floor] * (BENCHES * ROUNDS))
        def beat(report: registry.BenchReport) -> None:  # what FleetHeartbeat.beat writes
            queue = registry.bench_queue(ctx.db, report.station_id, "UTC")
            registry.heartbeat(ctx.db, replace(report, queue=queue))

        beats, beat_wall = _threads([partial(beat, r) for r in reports] * ROUNDS)
        page: list[float] = []
        for _ in range(30):
            began = time.perf_counter()
            with ctx.db.reader() as session:
                view = registry.fleet(session)
            page.append(time.perf_counter() - began)
        follower = PolicyFollower(ctx)
        checks: list[float] = []
        for _ in range(200):
            began = time.perf_counter()
            follower.check()
            checks.append(time.perf_counter() - began)
        return {
            "baseline_select_1_transaction": {**summary_ms(base), "per_s": round(len(base) / base_wall, 1)},
            "heartbeat": {**summary_ms(beats), "per_s": round(len(beats) / beat_wall, 1)},
            "needed_per_s": round(BENCHES / PERIOD_S, 1),
            "fleet_page_query": {**summary_ms(page), "benches": len(view.benches)},
            "policy_check_unchanged": summary_ms(checks),
        }
    finally:
        ctx.close()


def main() -> dict[str, Any]:
    result: dict[str, Any] = {"benches": BENCHES, "parcels": PARCELS, "threads": THREADS,
                              "rounds": ROUNDS, "cpus": os.cpu_count(),
                              "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result["sqlite"] = run(f"sqlite:///{root / 'fleet.db'}", root)
        with postgres_databases("bench_fleet_registry") as urls:
            if urls is not None:
                result["postgresql"] = run(urls[0], root)
    result["load_average_at_end"] = os.getloadavg()
    return write_result("fleet_registry", result)


if __name__ == "__main__":
    main()
