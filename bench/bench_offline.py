"""The offline bench's sync: how fast a backlog of parcels inspected offline drains to central (PostgreSQL + S3).

In one run, on a throw-away PostgreSQL server and moto's S3 server on loopback:

- ``direct``: the baseline, N parcels inspected by a bench pointed straight at central
  PostgreSQL (the bench steps receive .. complete, photos into S3) — what a bench did before.
- ``spool``: N parcels inspected into a fleet bench's SQLite spool and local photo folder while
  nothing syncs (central is not asked during the steps).
- ``drain``: the sync of that backlog once central is there: per parcel the photo upload
  (PutObject with the SHA-256 + HeadObject check) and the push (the central transaction: rows, audit,
  two webhook events; then the spool's confirmation), then the whole drain in parcels per second.
- ``pull``: one pull round of the open returns (the RMAs seeded for the run) into a spool.

Photos are the tests' 320x200 JPEGs (a few kB): S3 time per photo grows with real photo sizes
(bench_evidence_s3 measures that). moto is a Python server on the same loaded cores: its share
is an upper bound of the S3 cost. Run: ``.venv/bin/python -m bench.bench_offline``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import postgres_databases, station_settings, summary_ms, write_result

BENCH = {"id": "bench-test"}
PARCELS = int(os.environ.get("BENCH_OFFLINE_PARCELS", "40"))


def _inspect(ctx: Any, labels: list[str]) -> list[float]:
    from tests.factories import walk_to_graded

    samples = []
    for label in labels:
        started = time.perf_counter()
        ctx.inspections.complete(walk_to_graded(ctx, label), "op")
        samples.append(time.perf_counter() - started)
    return samples


def main() -> dict[str, Any]:
    from moto.server import ThreadedMotoServer
    from sqlalchemy import func, select

    from station.context import build
    from station.db.engine import make_engine
    from station.db.migrate import upgrade
    from station.db.models import Inspection, OutboxEvent
    from station.sync.push import read_spooled, upload_photos, waiting_count, waiting_ids
    from station.sync.worker import fleet_sync
    from tests.factories import seed_rma
    from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    load = os.getloadavg()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = S3Server(server, f"http://{host}:{port}")
    with postgres_databases("central") as urls, tempfile.TemporaryDirectory() as tmp:
        if urls is None:
            raise SystemExit("PostgreSQL server binaries not installed")
        root = Path(tmp)
        engine = make_engine(urls[0])
        upgrade(engine)
        engine.dispose()
        store = {"backend": "s3", "s3_endpoint_url": s3.endpoint_url, "s3_region": REGION,
                 "s3_access_key": ACCESS_KEY, "s3_secret_key": SECRET_KEY}
        central = build(station_settings(root / "central", urls[0], station=BENCH,
                                  evidence={"photo_dir": str(root / "c"), "s3_bucket": s3.new_bucket(),
                                            **store}))
        for n in range(2 * PARCELS):
            seed_rma(central, f"RMA-B{n}")
        direct = _inspect(central, [f"TRKRMA-B{n}" for n in range(PARCELS)])

        spool_url = f"sqlite:///{root / 'spool.db'}"
        engine = make_engine(spool_url)
        upgrade(engine)
        engine.dispose()
        settings = station_settings(root / "bench", spool_url, station=BENCH, central={
            "database_url": urls[0], "photo_dir": str(root / "cache"), "s3_bucket": s3.new_bucket(),
            **store, "anchor_file": str(root / "central-anchors.log")},
            labels={"station_code": "SPL1"})  # another bench than the direct baseline's
        bench = build(settings)
        sync = fleet_sync(settings, bench.work, bench.store)
        assert sync is not None
        started = time.perf_counter()
        pulled = sync.puller.pull()
        pull_s = time.perf_counter() - started
        spool = _inspect(bench, [f"TRKRMA-B{n}" for n in range(PARCELS, 2 * PARCELS)])
        backlog = waiting_count(bench.db)
        uploads: list[float] = []
        pushes: list[float] = []
        started = time.perf_counter()
        for inspection_id in waiting_ids(bench.db, limit=10 * PARCELS):
            spooled = read_spooled(bench.db, inspection_id)
            begun = time.perf_counter()
            upload_photos(spooled, bench.store, sync.central.store)
            uploads.append(time.perf_counter() - begun)
            begun = time.perf_counter()
            sync.pusher.push(spooled)
            pushes.append(time.perf_counter() - begun)
        drain_s = time.perf_counter() - started
        with central.db.reader() as session:
            central_rows = session.execute(select(func.count()).select_from(Inspection)).scalar_one()
            events = session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
        left = waiting_count(bench.db)
        sync.stop()
        bench.close()
        central.close()
    server.stop()
    return write_result("bench_offline", {
        "parcels": PARCELS, "load_average_1_5_15": [round(x, 2) for x in load],
        "direct_on_central_per_parcel": summary_ms(direct),
        "spool_per_parcel": summary_ms(spool),
        "pull_round": {"rmas_pulled": pulled.rmas, "ms": round(pull_s * 1000, 1)},
        "drain": {"backlog": backlog, "left": left, "seconds": round(drain_s, 3),
                  "parcels_per_s": round(backlog / drain_s, 1) if drain_s else None,
                  "photo_upload_per_parcel": summary_ms(uploads),
                  "push_per_parcel": summary_ms(pushes)},
        "central_inspections": central_rows, "central_outbox_events": events,
    })


if __name__ == "__main__":
    main()
