"""A receiver that accepts the connection and never answers: the read timeout ends the attempt."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from station.context import StationContext
from station.db.models import OutboxEvent, WebhookDelivery
from station.db.types import utcnow
from station.webhooks import admin, outbox
from station.webhooks.dispatcher import Dispatcher

READ_TIMEOUT_S = 0.5
DEFAULT_TIMEOUT_S = 15.0


class SilentReceiver:
    """Reads each request's headers; holds the first connection open without a word, answers 204 after."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.webhook_ids: list[str] = []
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
            self.webhook_ids.append({k.lower(): v for k, v in headers.items()}["webhook-id"])
            if len(self.webhook_ids) == 1:
                self.held.append(conn)  # accepted, never answered
                continue
            conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            conn.close()

    def stop(self) -> None:
        self.listener.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def receiver() -> Iterator[SilentReceiver]:
    server = SilentReceiver()
    yield server
    server.stop()


def test_a_receiver_that_never_answers_times_out_and_is_retried_with_the_same_webhook_id(
    ctx: StationContext, receiver: SilentReceiver
) -> None:
    now = [utcnow() + timedelta(seconds=60)]  # ahead of the event emitted below, also when slow

    def clock() -> datetime:
        return now[0]

    with ctx.db.transaction() as session:
        admin.create_endpoint(session, receiver.url)
        event_id = outbox.enqueue(session, "inspection.completed", "rma:RMA-SILENT",
                                  {"rma_id": "RMA-SILENT"}, (1, "0" * 64)).id
    worker = Dispatcher(ctx.db, timeout_s=READ_TIMEOUT_S, clock=clock)

    assert worker.run_once().retrying == 1
    with ctx.db.reader() as session:
        (attempt,) = session.execute(select(WebhookDelivery)).scalars()
        row = session.get(OutboxEvent, event_id)
        assert row is not None
    assert attempt.outcome == "failed" and attempt.status_code is None
    assert "timed out" in attempt.error.lower(), attempt.error
    # the configured read timeout ended the attempt, not the 15 s default
    assert READ_TIMEOUT_S * 1000 <= attempt.duration_ms < DEFAULT_TIMEOUT_S * 1000
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.next_attempt_at == now[0] + timedelta(seconds=5)

    assert worker.run_once().claimed == 0, "not retried before its 5 s delay"
    now[0] += timedelta(seconds=5)
    assert worker.run_once().delivered == 1
    assert receiver.webhook_ids == [event_id, event_id]
