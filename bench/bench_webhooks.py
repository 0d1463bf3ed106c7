"""Webhook dispatcher throughput and latency on SQLite and PostgreSQL, 1 and 4 dispatchers.

Every dispatcher is its own process (`python -m bench.bench_webhooks --worker`, running
``Dispatcher.run_forever`` like `station webhooks worker`); the receiver is another process
on 127.0.0.1 answering 204 and recording the first arrival time of each webhook-id.

1. Backlog drain: BENCH_EVENTS (10,000) events committed in one transaction while the
   dispatchers (Dispatcher's defaults: 8 POSTs at once, batches of 200; once more with the
   earlier batch of 50) are polling; time from that commit until the receiver has seen every id
   -> deliveries/s (goal >= 1000/s). Measured in the same run: the previous behaviour (one
   dispatcher, POSTs one after the other, one commit per event: ``concurrency=1``), and bare
   signed POSTs to the same receiver without any database (the ceiling of one sender).
   The receiver speaks HTTP/1.1 with keep-alive (a raw asyncio server, so that the drain
   measures the dispatchers, not the receiver); the dispatcher keeps kept-alive urllib3
   connection pools per process (station/webhooks/transport.py).
2. Commit -> delivered when not backlogged: BENCH_RATE (20) events/s for BENCH_LATENCY_S (5) s,
   time from each commit to its first arrival at the receiver, p50/p99 (goal p99 < 250 ms), at
   the default poll interval (1 s) and at a short one (BENCH_SHORT_POLL_S, 0.05 s).
3. Signing: Standard Webhooks headers for one ~1.2 KB body vs a bare HMAC-SHA256.

PostgreSQL is a throw-away server started like the test suite's (tests/support/postgres.py,
which runs with fsync=off); SQLite is a WAL file with synchronous=FULL.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench.common import postgres_databases, summary_ms, write_result
from station.config import WebhooksSection
from station.db.engine import Database, make_engine
from station.db.migrate import upgrade
from station.db.models import OutboxEvent
from station.webhooks import admin, outbox, signing, transport
from station.webhooks.dispatcher import Dispatcher, encode_body

EVENTS = int(os.environ.get("BENCH_EVENTS", "10000"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
LATENCY_S = float(os.environ.get("BENCH_LATENCY_S", "5"))
SHORT_POLL_S = float(os.environ.get("BENCH_SHORT_POLL_S", "0.05"))
SIGN_ROUNDS = int(os.environ.get("BENCH_SIGN_ROUNDS", "20000"))
DRAIN_TIMEOUT_S = float(os.environ.get("BENCH_DRAIN_TIMEOUT_S", "300"))
DEFAULT_POLL_S = WebhooksSection().poll_interval_s
ANCHOR = (1, "0" * 64)


# -- the receiver process ----------------------------------------------------------------------

def serve_receiver() -> None:
    """Answer 204 to every POST; GET /stats gives the count, GET /arrivals every first arrival.

    A raw HTTP/1.1 server on asyncio streams (keep-alive, Content-Length bodies), not
    http.server: a thread per connection and BaseHTTPRequestHandler took about 1 ms of CPU per
    POST, so the receiver, not the dispatcher, was what a drain measured on two cores.
    """
    arrivals: dict[str, float] = {}
    duplicates = [0]

    def stats(path: bytes) -> bytes:
        data: dict[str, Any] = {"count": len(arrivals), "duplicates": duplicates[0]}
        if path == b"/arrivals":
            data["arrivals"] = dict(arrivals)
        if path == b"/reset":
            arrivals.clear()
            duplicates[0] = 0
        body = json.dumps(data).encode()
        return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *fields = head[:-4].split(b"\r\n")
                method, path, _ = request_line.split(b" ", 2)
                length, msg_id, close = 0, "", False
                for line in fields:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        msg_id = value.strip().decode()
                    elif name == b"connection":
                        close = value.strip().lower() == b"close"
                if length:
                    await reader.readexactly(length)
                if method == b"POST":
                    if msg_id in arrivals:
                        duplicates[0] += 1
                    else:
                        arrivals[msg_id] = time.time()
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                else:
                    writer.write(stats(path))
                if close:
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                ValueError):
            pass  # the sender closed its kept-alive connection (or sent nonsense)
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


class ReceiverProcess:
    """The receiver as a child process, queried over its GET endpoints."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_webhooks", "--receiver"],
            stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/hooks"

    def get(self, path: str) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            data: dict[str, Any] = json.loads(r.read())
            return data

    def wait_for(self, count: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.get("/stats")["count"] >= count:
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# -- dispatcher processes ----------------------------------------------------------------------

def run_worker(url: str, concurrency: int, batch_size: int, poll_s: float) -> None:
    """One dispatcher until SIGTERM (what `station webhooks worker` runs, with bench knobs)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    db = Database.from_url(url)
    worker = Dispatcher(db, timeout_s=5, concurrency=concurrency, batch_size=batch_size)
    try:
        worker.run_forever(stop, poll_s)
    finally:
        db.dispose()


@contextmanager
def dispatchers(
    url: str, count: int, poll_s: float, concurrency: int = 8, batch_size: int = 200
) -> Iterator[None]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.bench_webhooks", "--worker", url,
             "--concurrency", str(concurrency), "--batch-size", str(batch_size),
             "--poll-s", str(poll_s)],
            cwd=Path(__file__).resolve().parent.parent,
        )
        for _ in range(count)
    ]
    try:
        time.sleep(1.5)  # let them import and reach their poll loop
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- scenarios ---------------------------------------------------------------------------------

def _payload(i: int) -> dict[str, object]:
    """About the size of a real inspection.completed data block (~1.2 KB encoded)."""
    return {
        "inspection_id": f"01BENCH{i:019d}", "rma_id": f"RMA-{i}", "order_id": f"SO-{i}",
        "grade": "B", "disposition": "open_box", "recommendation": "partial_refund",
        "weight": {"measured_g": 331.5, "expected_g": 330.0, "source": "scale"},
        "verdicts": [{"rule": f"rule.{n}", "ok": True, "code": "ok"} for n in range(6)],
        "photos": [{"id": f"P{i}-{n}", "angle": "front", "sha256": "ab" * 32,
                    "size_bytes": 812345, "url": f"https://station.example/api/v1/photos/P{n}"}
                   for n in range(4)],
    }


def _fresh_outbox(db: Database, receiver: ReceiverProcess) -> None:
    with db.transaction() as session:
        session.execute(text("DELETE FROM webhook_delivery"))
        session.execute(text("DELETE FROM outbox_event"))
        session.execute(text("DELETE FROM webhook_endpoint"))
        admin.create_endpoint(session, receiver.url)
    receiver.get("/reset")


def drain(
    db: Database, url: str, receiver: ReceiverProcess, workers: int,
    concurrency: int = 8, batch_size: int = 200, events: int = EVENTS,
) -> dict[str, object]:
    _fresh_outbox(db, receiver)
    with dispatchers(url, workers, SHORT_POLL_S, concurrency, batch_size):
        with db.transaction() as session:
            for i in range(events):
                outbox.enqueue(session, "inspection.completed", f"rma:RMA-{i}", _payload(i),
                               ANCHOR)
        started = time.perf_counter()
        if not receiver.wait_for(events, DRAIN_TIMEOUT_S):
            raise RuntimeError(f"{events} events not delivered in {DRAIN_TIMEOUT_S} s")
        elapsed_s = time.perf_counter() - started
    stats = receiver.get("/stats")
    with db.reader() as session:
        delivered = session.execute(
            select(func.count()).where(OutboxEvent.status == "delivered")
        ).scalar_one()
    return {
        "events": events, "dispatchers": workers, "concurrency_per_dispatcher": concurrency,
        "batch_size": batch_size, "seconds": round(elapsed_s, 2),
        "deliveries_per_s": round(events / elapsed_s, 1),
        "recorded_delivered": delivered, "duplicate_arrivals": stats["duplicates"],
        "goal_deliveries_per_s": 1000,
    }


def bare_posts(receiver: ReceiverProcess, count: int) -> dict[str, object]:
    """Signed POSTs one after the other, no database: the ceiling of one sequential sender."""
    secrets = (signing.new_secret(),)
    body = encode_body({"type": "inspection.completed", "data": _payload(0)})
    out: dict[str, object] = {"posts": count}
    sender = transport.Sender(pool_size=1)
    try:
        for name, post in (("posts_per_s_new_connection_each", transport.post),
                           ("posts_per_s_kept_alive", sender.post)):
            started = time.perf_counter()
            for i in range(count):
                headers = signing.headers(secrets, f"msg_bare_{i}", int(time.time()), body)
                result = post(receiver.url, body, headers, 5, 5)
                if not result.ok:
                    raise RuntimeError(f"baseline POST failed: {result}")
            out[name] = round(count / (time.perf_counter() - started), 1)
    finally:
        sender.close()
    return out


def latency(
    db: Database, url: str, receiver: ReceiverProcess, workers: int, poll_s: float
) -> dict[str, object]:
    _fresh_outbox(db, receiver)
    committed: dict[str, float] = {}
    with dispatchers(url, workers, poll_s):
        rng = random.Random(6)
        deadline = time.monotonic() + LATENCY_S
        i = 0
        while time.monotonic() < deadline:
            with db.transaction() as session:
                event = outbox.enqueue(session, "inspection.completed", f"rma:LAT-{i}",
                                       _payload(i), ANCHOR)
            committed[event.id] = time.time()
            i += 1
            time.sleep(rng.expovariate(RATE))
        if not receiver.wait_for(len(committed), 30):
            raise RuntimeError("not every event was delivered")
    arrivals = receiver.get("/arrivals")["arrivals"]
    samples = [max(arrivals[msg_id] - at, 0.0) for msg_id, at in committed.items()]
    return {"dispatchers": workers, "poll_interval_s": poll_s, "rate_per_s": RATE,
            **summary_ms(samples), "goal_p99_ms": 250}


def backend(name: str, url: str, receiver: ReceiverProcess) -> dict[str, object]:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    db = Database.from_url(url)
    out: dict[str, object] = {}
    try:
        if name == "sqlite":
            out["drain_previous_behaviour_1_dispatcher_sequential"] = drain(
                db, url, receiver, 1, concurrency=1, batch_size=20)
        for workers in (1, 4):
            out[f"drain_{workers}_dispatcher"] = drain(db, url, receiver, workers)
        out["drain_4_dispatcher_batch_50"] = drain(db, url, receiver, 4, batch_size=50)
        for workers in (1, 4):
            for poll_s in (DEFAULT_POLL_S, SHORT_POLL_S):
                out[f"latency_{workers}_dispatcher_poll_{poll_s:g}s"] = latency(
                    db, url, receiver, workers, poll_s)
    finally:
        db.dispose()
    return out


def _best_per_call_s(call: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(rounds):
            call()
        best = min(best, (time.perf_counter() - started) / rounds)
    return best


def signing_cost() -> dict[str, object]:
    secret = signing.new_secret()
    key = base64.b64decode(secret.removeprefix(signing.SECRET_PREFIX))
    body = encode_body({"type": "inspection.completed", "data": _payload(0)})
    msg_id, stamp = "msg_01BENCH", int(time.time())
    content = f"{msg_id}.{stamp}.".encode() + body

    def ours() -> object:
        return signing.headers((secret,), msg_id, stamp, body)

    def bare() -> bytes:
        return hmac.new(key, content, hashlib.sha256).digest()

    if signing.sign(secret, msg_id, stamp, body) != "v1," + base64.b64encode(bare()).decode():
        raise RuntimeError("signing and the bare HMAC disagree")
    ours_s = _best_per_call_s(ours, SIGN_ROUNDS)
    bare_s = _best_per_call_s(bare, SIGN_ROUNDS)
    return {
        "body_bytes": len(body),
        "sign_headers_us": round(ours_s * 1e6, 2),
        "baseline_bare_hmac_sha256_us": round(bare_s * 1e6, 2),
        "ratio": round(ours_s / bare_s, 2),
    }


def main() -> dict[str, object]:
    result: dict[str, object] = {"events": EVENTS, "cpus": os.cpu_count()}
    receiver = ReceiverProcess()
    try:
        result["bare_signed_posts_no_database"] = bare_posts(receiver, min(EVENTS, 2000))
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            result["sqlite"] = backend("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", receiver)
        with postgres_databases("bench_webhooks") as urls:
            if urls is None:
                result["postgresql"] = "skipped: PostgreSQL server binaries not installed"
            else:
                result["postgresql"] = {"server": "tests/support/postgres.py, fsync=off",
                                        **backend("postgresql", urls[0], receiver)}
    finally:
        receiver.stop()
    result["signing_per_event"] = signing_cost()
    return write_result("webhooks", result)


def _cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receiver", action="store_true")
    parser.add_argument("--worker", metavar="DATABASE_URL")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--poll-s", type=float, default=DEFAULT_POLL_S)
    args = parser.parse_args()
    if args.receiver:
        serve_receiver()
    elif args.worker:
        run_worker(args.worker, args.concurrency, args.batch_size, args.poll_s)
    else:
        main()


if __name__ == "__main__":
    _cli()
