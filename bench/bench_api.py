"""REST API latency and CPU cost under 50 concurrent clients: POST /returns and GET /inspections/{id}.

The server is a child process serving ``web.app.create_app`` on 127.0.0.1 over a temporary
SQLite file (WAL, synchronous=FULL), with one API key and one inspection (with a photo) seeded.
Each server runs in one run: waitress (8 threads, what `station run` uses) and gunicorn as
`station serve` runs it (gthread, BENCH_GUNICORN_WORKERS = cores x BENCH_GUNICORN_THREADS = 4).
The load generator is bounded: BENCH_CLIENTS (50) threads, each a closed loop on its own
keep-alive connection, BENCH_API_REQUESTS (40) requests per client and operation; every POST
creates a new RMA. Goal: p99 < 50 ms. The same operations from one client give the service time
without queueing (a closed loop of 50 clients measures mostly the queue: latency ~ clients /
throughput). The server's CPU time (user + system of the process and its workers, from
/proc/<pid>/stat, proc(5)) per request gives CPU ms per request and requests/s per core
(goals: GET <= 2 ms, POST <= 4 ms).

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

from bench.common import postgres_databases, summary_ms, write_result

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "50"))
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "40"))
THREADS = 8
IN_PROCESS_REQUESTS = int(os.environ.get("BENCH_API_IN_PROCESS", "300"))
#: The gunicorn run (`station serve`'s sizing rule: workers = cores, threads 4).
GUNICORN_WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", str(os.cpu_count() or 2)))
GUNICORN_THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "4"))


def _rma(rma_id: str, tracking: str | None = None) -> dict[str, Any]:
    return {
        "rma_id": rma_id,
        "order_id": f"SO-{rma_id}",
        "tracking_number": tracking,
        "reason": "size_mismatch",
        "items": [{"line_id": "1", "sku": "TS-M", "gtin": "4006381333931", "quantity": 1,
                   "unit_weight_g": "180.0", "category": "apparel"}],
    }


def seeded_app(root: Path, database_url: str = "") -> tuple[Any, Any, Any, dict[str, str]]:
    """Migrate, seed a key and an inspection (with a photo): (settings, context, app, seed)."""
    from PIL import Image

    from station import apikeys
    from station.config import Settings
    from station.context import build
    from station.db.engine import make_engine
    from station.db.migrate import upgrade
    from web.api.auth import RateLimiter
    from web.app import create_app

    settings = Settings.model_validate({
        "database": {"url": database_url or f"sqlite:///{root / 'api.db'}"},
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
    return settings, ctx, app, {"key": secret, "inspection_id": inspection.id}


def serve(root: Path, server_kind: str = "waitress", database_url: str = "") -> None:
    """Child process: seed (``seeded_app``), print the port and the seed, serve until killed."""
    import logging

    import waitress

    settings, ctx, app, seed = seeded_app(root, database_url)
    if server_kind == "gunicorn":
        ctx.close()  # nothing opened in the arbiter crosses the fork
        _serve_gunicorn(settings, seed)
        return
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth is N"
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=THREADS,
                                    backlog=1024, connection_limit=1000)
    port = server.effective_port
    print(json.dumps({"port": port, **seed}), flush=True)
    server.run()


def _serve_gunicorn(settings: Any, seed: dict[str, str]) -> None:
    """`station serve`'s gunicorn application (GUNICORN_WORKERS x GUNICORN_THREADS, gthread)."""
    import socket

    from flask import Flask

    from station.cli.gunicorn_app import StationServer
    from web.api.auth import RateLimiter

    class BenchServer(StationServer):
        def load(self) -> Flask:
            app: Flask = super().load()
            app.extensions["api_rate_limiter"] = RateLimiter(rate_per_s=1e9, burst=1e9)
            return app

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    options = {"bind": [f"127.0.0.1:{port}"], "workers": GUNICORN_WORKERS,
               "threads": GUNICORN_THREADS, "worker_class": "gthread", "backlog": 1024,
               "accesslog": None, "errorlog": "-", "loglevel": "warning", "keepalive": 30}
    print(json.dumps({"port": port, **seed}), flush=True)
    BenchServer(settings, options, None).run()


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its live children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    kids = Path(f"/proc/{pid}/task/{pid}/children")
    for one in [pid, *(int(k) for k in (kids.read_text().split() if kids.exists() else []))]:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (proc(5))
    return total


def _wait_healthy(port: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the API server did not answer /healthz")


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


def run_server(server_kind: str, database_url: str = "") -> dict[str, object]:
    """Seed and start one server, measure both operations under load and from one client."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_api", "--serve", tmp, "--server", server_kind,
             "--database-url", database_url],
            stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent,
        )
        try:
            assert proc.stdout is not None
            seed = json.loads(proc.stdout.readline())
            port = int(seed["port"])
            _wait_healthy(port)
            auth = {"Authorization": f"Bearer {seed['key']}"}
            json_auth = {**auth, "Content-Type": "application/json"}
            detail = f"/api/v1/inspections/{seed['inspection_id']}"

            def post_return(client: int, n: int) -> tuple[str, str, bytes, dict[str, str]]:
                body = json.dumps(_rma(f"RMA-B{client}-{n}")).encode()
                return "POST", "/api/v1/returns", body, json_auth

            def get_inspection(client: int, n: int) -> tuple[str, str, None, dict[str, str]]:
                return "GET", detail, None, auth

            load(port, min(CLIENTS, 5), 5, get_inspection)  # warm-up (every worker, mostly)
            kind = (f"waitress, {THREADS} threads" if server_kind == "waitress" else
                    f"gunicorn gthread, {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads")
            database = ("PostgreSQL (tests/support/postgres.py, fsync=off)" if database_url
                        else "SQLite WAL synchronous=FULL")
            result: dict[str, object] = {"server": f"{kind}, {database}"}
            for name, make in (("post_returns", post_return),
                               ("get_inspection", get_inspection)):
                cpu = _cpu_s(proc.pid)
                samples, errors, elapsed_s = load(port, CLIENTS, REQUESTS, make)
                cpu_ms = (_cpu_s(proc.pid) - cpu) * 1000 / len(samples)
                result[name] = {**summary_ms(samples), "errors": errors,
                                "requests_per_s": round(len(samples) / elapsed_s, 1),
                                "server_cpu_ms_per_request": round(cpu_ms, 2),
                                "requests_per_s_per_core": round(1000 / cpu_ms, 1),
                                "goal_p99_ms": 50}
                cpu = _cpu_s(proc.pid)
                samples, errors, _ = load(port, 1, 4 * REQUESTS, make)
                cpu_ms = (_cpu_s(proc.pid) - cpu) * 1000 / len(samples)
                result[f"{name}_1_client"] = {**summary_ms(samples), "errors": errors,
                                              "server_cpu_ms_per_request": round(cpu_ms, 2)}
        finally:
            proc.terminate()
            proc.wait(30)
    return result


def in_process(rounds: int = 3) -> dict[str, object]:
    """CPU per request in this process through the WSGI app (Flask's test client, no HTTP).

    time.process_time around IN_PROCESS_REQUESTS requests, best of ``rounds``; what is left
    of a request's cost once the HTTP server and the network are taken away.
    """
    from station import apikeys

    out: dict[str, object] = {"method": "time.process_time around Flask's test client "
                                        "(the WSGI app in this process, no HTTP server)"}
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        _, ctx, app, seed = seeded_app(Path(tmp))
        client = app.test_client()
        auth = {"Authorization": f"Bearer {seed['key']}"}
        detail = f"/api/v1/inspections/{seed['inspection_id']}"
        made = [0]

        def get() -> int:
            return int(client.get(detail, headers=auth).status_code)

        def post() -> int:
            made[0] += 1
            return int(client.post("/api/v1/returns", json=_rma(f"RMA-W{made[0]}"),
                                   headers=auth).status_code)

        def best_ms(call: Any, ok: int) -> float:
            best = float("inf")
            for _ in range(rounds):
                began = time.process_time()
                for _ in range(IN_PROCESS_REQUESTS):
                    if call() != ok:
                        raise RuntimeError(f"a request failed in process ({call.__name__})")
                best = min(best, (time.process_time() - began) * 1000 / IN_PROCESS_REQUESTS)
            return best

        trusted_s = apikeys.VERIFIED_TTL_S
        for name, call, ok in (("get_inspection", get, 200), ("post_returns", post, 201)):
            for _ in range(30):  # warm-up: SQLAlchemy's statement cache, the JSON encoders
                call()
            apikeys.VERIFIED_TTL_S = 0.0  # baseline: the key is looked up on every request
            try:
                baseline = best_ms(call, ok)
            finally:
                apikeys.VERIFIED_TTL_S = trusted_s
            cpu_ms = best_ms(call, ok)
            out[name] = {"cpu_ms_per_request": round(cpu_ms, 3),
                         "requests_per_s_per_core": round(1000 / cpu_ms, 1),
                         "baseline_key_looked_up_every_request_cpu_ms": round(baseline, 3)}
        ctx.close()
    return out


def main() -> dict[str, object]:
    result: dict[str, object] = {
        "clients": CLIENTS, "requests_per_client": REQUESTS, "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "goal_cpu_ms": {"get_inspection": 2, "post_returns": 4},
    }
    result["in_process_wsgi"] = in_process()
    for server_kind in os.environ.get("BENCH_API_SERVERS", "waitress,gunicorn").split(","):
        result[server_kind] = run_server(server_kind)
    if "gunicorn" in os.environ.get("BENCH_API_SERVERS", "waitress,gunicorn"):
        with postgres_databases("bench_api_waitress", "bench_api_gunicorn") as urls:
            if urls is not None:  # the central server's database: several workers write at once
                waitress_url, gunicorn_url = urls
                result["waitress_postgresql"] = run_server("waitress", waitress_url)
                result["gunicorn_postgresql"] = run_server("gunicorn", gunicorn_url)
    result["load_average_at_end"] = os.getloadavg()
    return write_result("api", result)


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", metavar="DIR")
    parser.add_argument("--server", choices=("waitress", "gunicorn"), default="waitress")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve), args.server, args.database_url)
    else:
        main()


if __name__ == "__main__":
    _cli()
