"""Crash: SIGKILL `station webhooks worker` mid-delivery; a second worker takes over after the lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from station.context import StationContext
from station.db.models import OutboxEvent
from station.webhooks import admin, outbox
from tests.support.wait import wait_until

LEASE_S = 2.0
WAIT_S = 30.0


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file both worker processes open (PostgreSQL leases are tested in-process)."""
    return f"sqlite:///{tmp_path / 'station.db'}"


@dataclass(frozen=True)
class Arrival:
    msg_id: str
    at_s: float
    answered: bool


class HangingReceiver:
    """Verifies signatures; the first request hangs (never answered), later ones get 204."""

    def __init__(self) -> None:
        self.secret = ""
        self.arrivals: list[Arrival] = []
        self.lock = threading.Lock()
        self.first_arrived = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                with receiver.lock:
                    hang = not receiver.arrivals
                    receiver.arrivals.append(
                        Arrival(self.headers["webhook-id"], time.time(), not hang))
                if hang:
                    receiver.first_arrived.set()
                    receiver.release.wait(WAIT_S)  # the worker dies while we hold the request
                    self.close_connection = True
                    return
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def answered_ids(self) -> list[str]:
        with self.lock:
            return [a.msg_id for a in self.arrivals if a.answered]


@pytest.fixture
def receiver() -> Iterator[HangingReceiver]:
    server = HangingReceiver()
    server.thread.start()
    yield server
    server.release.set()
    server.server.shutdown()
    server.server.server_close()


def start_worker(cwd: Path, database_url: str) -> subprocess.Popen[bytes]:
    """`station webhooks worker` as its own process, with a short lease and a quick poll."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STATION_") and k != "DATABASE_URL"}
    env.update({
        "DATABASE_URL": database_url,
        "STATION_WEBHOOKS__POLL_INTERVAL_S": "0.1",
        "STATION_WEBHOOKS__TIMEOUT_S": str(WAIT_S),  # a hung receiver is not a timeout here
    })
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli", "webhooks", "worker", "--lease-s", str(LEASE_S)],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def outbox_row(ctx: StationContext, event_id: str) -> OutboxEvent:
    with ctx.db.reader() as session:
        row = session.get(OutboxEvent, event_id)
        assert row is not None
        session.expunge(row)
        return row


def test_a_worker_killed_mid_delivery_loses_nothing_and_the_retry_keeps_the_webhook_id(
    ctx: StationContext, receiver: HangingReceiver, tmp_path: Path
) -> None:
    with ctx.db.transaction() as session:
        receiver.secret = admin.create_endpoint(session, receiver.url).secret
        anchor = (1, "0" * 64)
        first = outbox.enqueue(session, "return.received", "rma:RMA-CRASH", {"n": 1}, anchor).id
        second = outbox.enqueue(session, "inspection.completed", "rma:RMA-CRASH", {"n": 2},
                                anchor).id
    url = ctx.settings.database.url

    doomed = start_worker(tmp_path, url)
    try:
        assert receiver.first_arrived.wait(WAIT_S), "the first worker never delivered"
        os.kill(doomed.pid, signal.SIGKILL)
        assert doomed.wait(10) == -signal.SIGKILL
    finally:
        doomed.kill()
    killed_at_s = time.time()
    claimed = outbox_row(ctx, first)
    assert claimed.status == "delivering" and claimed.claimed_by is not None
    assert claimed.lease_until is not None
    lease_end_s = claimed.lease_until.replace(tzinfo=UTC).timestamp()
    assert outbox_row(ctx, second).status == "pending"  # waits behind the first of its RMA

    successor = start_worker(tmp_path, url)
    try:
        delivered = wait_until(lambda: len(receiver.answered_ids()) == 2, WAIT_S, interval_s=0.05)
    finally:
        successor.send_signal(signal.SIGTERM)
        successor.wait(10)
    stderr = (successor.stderr.read() if successor.stderr else b"").decode()
    assert delivered, f"the second worker did not deliver both events: {stderr[-2000:]}"

    arrivals = receiver.arrivals
    assert [a.msg_id for a in arrivals] == [first, first, second]
    assert receiver.answered_ids() == [first, second]  # each id delivered once, in RMA order
    assert arrivals[1].at_s >= lease_end_s, "taken over before the dead worker's lease ended"
    assert arrivals[1].at_s >= killed_at_s
    for event_id in (first, second):
        row = outbox_row(ctx, event_id)
        assert (row.status, row.claimed_by, row.lease_until) == ("delivered", None, None)
    assert outbox_row(ctx, first).attempts == 1  # the killed attempt was never recorded
    with ctx.db.reader() as session:
        ids = {e.id for e in admin.list_events(session, limit=10)}
    assert ids == {first, second}, "no event re-enqueued under another id"
