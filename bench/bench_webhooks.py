"""Webhook dispatcher throughput and latency on SQLite to a 127.0.0.1 receiver, and signing cost.

1. Backlog drain: BENCH_EVENTS (500) queued events, one endpoint, one in-process dispatcher
   calling run_once until all are delivered -> events/s (issue goal >= 1000/s), against the same
   number of bare signed POSTs (transport.post, no database) measured in the same run.
2. Commit -> delivered when not backlogged: one event committed, then one run_once; time from
   the commit to the receiver having read it, p50/p99 (goal p99 < 250 ms; the poll interval a
   running worker waits between empty polls is not included).
3. Signing: Standard Webhooks headers for one ~1.5 KB body vs a bare HMAC-SHA256 of the same
   signed content (ratio = what base64, header building and secret decoding add).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import summary_ms, write_result
from station.config import Settings
from station.context import StationContext, build
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.webhooks import admin, outbox, signing, transport
from station.webhooks.dispatcher import Dispatcher, encode_body

EVENTS = int(os.environ.get("BENCH_EVENTS", "500"))
LATENCY_RUNS = int(os.environ.get("BENCH_RUNS", "100"))
SIGN_ROUNDS = int(os.environ.get("BENCH_SIGN_ROUNDS", "20000"))
ANCHOR = (1, "0" * 64)


class Receiver:
    """Reads each webhook and answers 204; counts arrivals (no verification: keep it cheap)."""

    def __init__(self) -> None:
        self.count = 0
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(204)
                self.end_headers()
                with receiver.arrived:
                    receiver.count += 1
                    receiver.arrived.notify_all()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_past(self, count: int, timeout_s: float) -> bool:
        """Wait until more than ``count`` webhooks have arrived."""
        with self.arrived:
            return self.arrived.wait_for(lambda: self.count > count, timeout=timeout_s)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _context(root: Path) -> StationContext:
    settings = Settings.model_validate({
        "database": {"url": f"sqlite:///{root / 'bench.db'}"},
        "evidence": {"photo_dir": str(root / "photos")},
        "audit": {"anchor_file": str(root / "anchors.log")},
        "data_dir": str(root),
    })
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    return build(settings)


def _payload(i: int) -> dict[str, object]:
    """About the size of a real inspection.completed data block (~1.5 KB)."""
    return {
        "inspection_id": f"01BENCH{i:019d}", "rma_id": f"RMA-{i}", "order_id": f"SO-{i}",
        "grade": "B", "disposition": "open_box", "recommendation": "partial_refund",
        "weight": {"measured_g": 331.5, "expected_g": 330.0, "source": "scale"},
        "verdicts": [{"rule": f"rule.{n}", "ok": True, "code": "ok"} for n in range(6)],
        "photos": [{"id": f"P{i}-{n}", "angle": "front", "sha256": "ab" * 32,
                    "size_bytes": 812345, "url": f"https://station.example/api/v1/photos/P{n}"}
                   for n in range(4)],
    }


def drain(ctx: StationContext, receiver: Receiver) -> dict[str, object]:
    with ctx.db.transaction() as session:
        for i in range(EVENTS):
            outbox.enqueue(session, "inspection.completed", f"rma:RMA-{i}", _payload(i), ANCHOR)
    dispatcher = Dispatcher(ctx.db, timeout_s=5)
    start = receiver.count
    started = time.perf_counter()
    delivered = 0
    while delivered < EVENTS:
        stats = dispatcher.run_once()
        if stats.claimed == 0:
            raise RuntimeError(f"stalled after {delivered} of {EVENTS} events")
        delivered += stats.delivered
    elapsed_s = time.perf_counter() - started
    if receiver.count - start != EVENTS:
        raise RuntimeError(f"receiver saw {receiver.count - start} of {EVENTS}")

    secrets = (signing.new_secret(),)
    body = encode_body({"type": "inspection.completed", "data": _payload(0)})
    started = time.perf_counter()
    for i in range(EVENTS):
        headers = signing.headers(secrets, f"msg_{i}", int(time.time()), body)
        result = transport.post(receiver.url, body, headers, 5, 5)
        if not result.ok:
            raise RuntimeError(f"baseline POST failed: {result}")
    bare_s = time.perf_counter() - started
    return {
        "events": EVENTS,
        "dispatcher_events_per_s": round(EVENTS / elapsed_s, 1),
        "baseline_bare_posts_per_s": round(EVENTS / bare_s, 1),
        "ratio_dispatcher_to_bare_post_time": round(elapsed_s / bare_s, 2),
        "goal_events_per_s": 1000,
    }


def latency(ctx: StationContext, receiver: Receiver) -> dict[str, object]:
    dispatcher = Dispatcher(ctx.db, timeout_s=5)
    samples: list[float] = []
    for i in range(LATENCY_RUNS):
        with receiver.arrived:
            before = receiver.count
        with ctx.db.transaction() as session:
            outbox.enqueue(session, "inspection.completed", f"rma:LAT-{i}", _payload(i), ANCHOR)
        committed = time.perf_counter()
        dispatcher.run_once()
        if not receiver.wait_past(before, timeout_s=5):
            raise RuntimeError("an event was not delivered")
        samples.append(time.perf_counter() - committed)
    return {**summary_ms(samples), "goal_p99_ms": 250}


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
    receiver = Receiver()
    try:
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
            ctx = _context(Path(tmp))
            try:
                with ctx.db.transaction() as session:
                    admin.create_endpoint(session, receiver.url)
                backlog = drain(ctx, receiver)
                not_backlogged = latency(ctx, receiver)
            finally:
                ctx.close()
    finally:
        receiver.stop()
    return write_result("webhooks", {
        "backlog_drain_sqlite_1_dispatcher": backlog,
        "commit_to_delivered_sqlite": not_backlogged,
        "signing_per_event": signing_cost(),
    })


if __name__ == "__main__":
    main()
