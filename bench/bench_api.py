"""REST API latency under 50 concurrent clients: POST /returns and GET /inspections/{id}.

The server is a child process serving ``web.app.create_app`` with waitress (8 threads, like
`station serve`) on 127.0.0.1 over a temporary SQLite file (WAL, synchronous=FULL), with one
API key and one inspection (with a photo) seeded. The load generator is bounded: BENCH_CLIENTS
(50) threads, each a closed loop on its own keep-alive connection, BENCH_API_REQUESTS (40)
requests per client and operation; every POST creates a new RMA. Goal: p99 < 50 ms. The same
operations from one client give the service time without queueing (a closed loop of 50
clients measures mostly the queue: latency ~ clients / throughput).

The per-key rate limit (50/s, burst 200) is lifted in the server: one platform key at this load
would be answered 429 by design, and 429s are not what is measured. Any non-2xx answer counts as
an error in the result.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import summary_ms, write_result

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "40"))
THREADS = 8


def _rma(rma_id: str, tracking: str | None = None) -> dict[str, Any]:
    return {
        "rma_id": rma_id,
        "order_id": f"SO-{rma_id}",
        "tracking_number": tracking,
        "reason": "size_mismatch",
        "items": [{"line_id": "1", "sku": "TS-M", "gtin": "4006381333931", "quantity": 1,
                   "unit_weight_g": "180.0", "category": "apparel"}],
    }


def serve(root: Path) -> None:
    """Child process: migrate, seed a key and an inspection, print them, serve until killed."""
    import logging

    import waitress
    from PIL import Image

    from station import apikeys
    from station.config import Settings
    from station.context import build
    from station.db.engine import make_engine
    from station.db.migrate import upgrade
    from web.api.auth import RateLimiter
    from web.app import create_app

    settings = Settings.model_validate({
        "database": {"url": f"sqlite:///{root / 'api.db'}"},
        "evidence": {"photo_dir": str(root / "photos")},
        "audit": {"anchor_file": str(root / "anchors.log")},
        "data_dir": str(root),
        "station": {"id": "bench-api"},
        "webhooks": {"enabled": False},
    })
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    ctx = build(settings)
    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, "bench platform", apikeys.SCOPES)
    app = create_app(settings, ctx)
    app.extensions["api_rate_limiter"] = RateLimiter(rate_per_s=1e9, burst=1e9)
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    pushed = client.post("/api/v1/returns", json=_rma("RMA-SEED", "1Z999AA10123456784"),
                         headers=auth)
    if pushed.status_code != 201:
        raise RuntimeError(f"seeding the RMA failed: {pushed.status_code} {pushed.data!r}")
    service = ctx.inspections
    inspection = service.receive("1Z999AA10123456784", settings.station.id, None, "bench")
    service.record_weight(inspection.id, 180_000, "scale", "bench")
    service.finish_items(inspection.id, "bench")
    jpeg = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(jpeg, format="JPEG")
    service.add_photo(inspection.id, jpeg.getvalue(), angle="parcel", width=640, height=480,
                      actor="bench")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N"
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=THREADS,
                                    backlog=1024, connection_limit=1000)
    port = server.effective_port
    print(json.dumps({"port": port, "key": secret, "inspection_id": inspection.id}), flush=True)
    server.run()


def load(
    port: int, clients: int, requests: int, make: Any
) -> tuple[list[float], int, float]:
    """``clients`` threads x ``requests`` calls of ``make(client, n) -> (method, path, body)``."""
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = 0
        start.wait()
        for n in range(requests):
            method, path, body, headers = make(index, n)
            began = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            mine.append(time.perf_counter() - began)
            bad += not ok
        conn.close()
        with lock:
            samples.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, errors[0], time.perf_counter() - began


def main() -> dict[str, object]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_api", "--serve", tmp],
            stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            assert proc.stdout is not None
            seed = json.loads(proc.stdout.readline())
            port = int(seed["port"])
            auth = {"Authorization": f"Bearer {seed['key']}"}
            json_auth = {**auth, "Content-Type": "application/json"}
            detail = f"/api/v1/inspections/{seed['inspection_id']}"

            def post_return(client: int, n: int) -> tuple[str, str, bytes, dict[str, str]]:
                body = json.dumps(_rma(f"RMA-B{client}-{n}")).encode()
                return "POST", "/api/v1/returns", body, json_auth

            def get_inspection(client: int, n: int) -> tuple[str, str, None, dict[str, str]]:
                return "GET", detail, None, auth

            load(port, min(CLIENTS, 5), 5, get_inspection)  # warm-up
            result: dict[str, object] = {
                "clients": CLIENTS, "requests_per_client": REQUESTS,
                "server": f"waitress, {THREADS} threads, SQLite WAL synchronous=FULL",
                "cpus": os.cpu_count(),
            }
            for name, make in (("post_returns", post_return),
                               ("get_inspection", get_inspection)):
                samples, errors, elapsed_s = load(port, CLIENTS, REQUESTS, make)
                result[name] = {**summary_ms(samples), "errors": errors,
                                "requests_per_s": round(len(samples) / elapsed_s, 1),
                                "goal_p99_ms": 50}
                samples, errors, _ = load(port, 1, 4 * REQUESTS, make)
                result[f"{name}_1_client"] = {**summary_ms(samples), "errors": errors}
        finally:
            proc.terminate()
            proc.wait(10)
    return write_result("api", result)


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="DIR")
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve))
    else:
        main()


if __name__ == "__main__":
    _cli()
