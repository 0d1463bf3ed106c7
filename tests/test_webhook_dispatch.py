"""Webhook delivery against a real HTTP receiver on 127.0.0.1 verifying Standard Webhooks signatures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from station.context import StationContext
from station.db.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from station.db.types import utcnow
from station.webhooks import admin, outbox
from station.webhooks.dispatcher import Dispatcher

#: docs/webhooks.md: an event is tried 12 times (over about 3 days) before it is a dead letter.
MAX_ATTEMPTS = 12


@dataclass
class Received:
    msg_id: str
    body: bytes
    verified: bool
    status: int


@dataclass
class Receiver:
    """A platform's webhook receiver: verifies with the library, answers from a script."""

    secret: str = ""
    replies: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    #: Scripted replies for one webhook-id (POSTs of a batch arrive in any order).
    replies_by_id: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def delivered_ids(self) -> list[str]:
        """Ids the receiver accepted (signature good, answered 2xx), in arrival order."""
        return [r.msg_id for r in self.received if r.verified and r.status < 300]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                try:
                    Webhook(receiver.secret).verify(body, dict(self.headers.items()))
                    verified = True
                except WebhookVerificationError:
                    verified = False
                with receiver.lock:
                    script = receiver.replies_by_id.get(self.headers["webhook-id"])
                    script = script if script else receiver.replies
                    status, headers = script.pop(0) if script else (200, {})
                    status = status if verified else 401
                    receiver.received.append(
                        Received(self.headers["webhook-id"], body, verified, status)
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()


class Clock:
    """A settable clock for due times; nothing sleeps.

    It starts a minute ahead of the wall clock so that events a test emits after making it are
    already due, also on a loaded machine where the emits take longer than a second.
    """

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(seconds=60)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def endpoint_id(ctx: StationContext, receiver: Receiver) -> str:
    with ctx.db.transaction() as session:
        endpoint = admin.create_endpoint(session, receiver.url)
        receiver.secret = endpoint.secret
        return endpoint.id


def emit(ctx: StationContext, rma: str, event_type: str = "inspection.completed") -> str:
    with ctx.db.transaction() as session:
        event = outbox.enqueue(session, event_type, f"rma:{rma}", {"rma_id": rma}, (1, "0" * 64))
        return event.id


def event(ctx: StationContext, event_id: str) -> OutboxEvent:
    with ctx.db.reader() as session:
        row = session.get(OutboxEvent, event_id)
        assert row is not None
        return row


def dispatcher(ctx: StationContext, clock: Clock, **kwargs: object) -> Dispatcher:
    return Dispatcher(ctx.db, timeout_s=5, clock=clock, **kwargs)  # type: ignore[arg-type]


def test_an_event_reaches_the_receiver_signed_and_is_marked_delivered(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    event_id = emit(ctx, "RMA-1")
    stats = dispatcher(ctx, Clock()).run_once()
    assert stats.delivered == 1
    assert receiver.delivered_ids() == [event_id]
    assert b'"type":"inspection.completed"' in receiver.received[0].body
    row = event(ctx, event_id)
    assert (row.status, row.attempts, row.claimed_by) == ("delivered", 1, None)
    with ctx.db.reader() as session:
        (delivery,) = admin.list_deliveries(session, endpoint_id=endpoint_id)
    assert (delivery.outcome, delivery.status_code, delivery.attempt) == ("delivered", 200, 1)


def test_a_500_is_retried_after_5_s_with_the_same_webhook_id(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    clock = Clock()
    worker = dispatcher(ctx, clock)
    receiver.replies = [(500, {})]
    event_id = emit(ctx, "RMA-2")
    assert worker.run_once().retrying == 1
    assert worker.run_once().claimed == 0, "not due before its 5 s delay"
    clock.advance(5)
    assert worker.run_once().delivered == 1
    assert [r.msg_id for r in receiver.received] == [event_id, event_id]
    assert event(ctx, event_id).attempts == 2


def test_410_gone_disables_the_endpoint(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    receiver.replies = [(410, {})]
    event_id = emit(ctx, "RMA-3")
    dispatcher(ctx, Clock()).run_once()
    with ctx.db.reader() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        assert not endpoint.enabled and "410" in endpoint.disabled_reason
    row = event(ctx, event_id)
    # the dead letter says what happened: the 410, not "no enabled endpoint"
    assert row.status == "dead" and "410 Gone" in row.last_error


def test_429_retry_after_sets_the_next_attempt(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    clock = Clock()
    receiver.replies = [(429, {"Retry-After": "120"})]
    event_id = emit(ctx, "RMA-4")
    dispatcher(ctx, clock).run_once()
    row = event(ctx, event_id)
    assert row.status == "pending"
    assert row.next_attempt_at == clock.now + timedelta(seconds=120)


def test_retry_after_answers_do_not_use_up_the_schedule_within_its_span(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    """A receiver saying 'Retry-After: 1' 30 times in a row does not make a dead letter in
    seconds; it is asked again until the schedule's whole span (about 2.8 days) has passed."""
    clock = Clock()
    worker = dispatcher(ctx, clock)
    receiver.replies = [(503, {"Retry-After": "1"})] * 30
    event_id = emit(ctx, "RMA-6")
    for _ in range(30):
        worker.run_once()
        row = event(ctx, event_id)
        assert row.status == "pending", row.last_error
        clock.now = max(clock.now, row.next_attempt_at)
    assert event(ctx, event_id).attempts == 30 > MAX_ATTEMPTS
    receiver.replies = [(503, {"Retry-After": "1"})] * 2
    clock.advance(3 * 24 * 3600)  # past the schedule's span: the throttling no longer shields it
    worker.run_once()
    assert event(ctx, event_id).status == "dead"


def test_a_receiver_down_for_days_gives_a_dead_letter_that_replays_under_the_same_id(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    clock = Clock()
    worker = dispatcher(ctx, clock)
    receiver.replies = [(503, {})] * MAX_ATTEMPTS
    event_id = emit(ctx, "RMA-5")
    started = clock.now
    while event(ctx, event_id).status != "dead":
        worker.run_once()
        clock.now = max(clock.now, event(ctx, event_id).next_attempt_at)
    assert event(ctx, event_id).attempts == MAX_ATTEMPTS
    assert timedelta(days=2) < clock.now - started < timedelta(days=3, hours=1)
    with ctx.db.transaction() as session:
        assert admin.replay(session) == 1
    assert worker.run_once().delivered == 1
    assert set(r.msg_id for r in receiver.received) == {event_id}
    assert receiver.delivered_ids()[-1] == event_id


def test_a_later_event_of_the_same_rma_waits_for_the_earlier_one(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    clock = Clock()
    worker = dispatcher(ctx, clock)
    first = emit(ctx, "RMA-6", "return.received")
    receiver.replies_by_id[first] = [(500, {})]
    second = emit(ctx, "RMA-6", "inspection.completed")
    other = emit(ctx, "RMA-7", "return.received")
    worker.run_once()
    assert receiver.delivered_ids() == [other]
    assert event(ctx, second).status == "pending"
    clock.advance(5)
    worker.run_once()
    worker.run_once()
    assert receiver.delivered_ids() == [other, first, second]


def test_rotated_secret_still_verifies_with_the_old_secret_during_the_overlap(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    with ctx.db.transaction() as session:
        rotated = admin.rotate_secret(session, endpoint_id)
        assert rotated.secret != receiver.secret
    emit(ctx, "RMA-8")
    assert dispatcher(ctx, Clock()).run_once().delivered == 1
    receiver.secret = rotated.secret
    emit(ctx, "RMA-9")
    assert dispatcher(ctx, Clock()).run_once().delivered == 1
    assert all(r.verified for r in receiver.received)


def test_a_crashed_workers_claim_expires_and_another_delivers_the_same_id(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    clock = Clock()
    event_id = emit(ctx, "RMA-10")
    crashed = dispatcher(ctx, clock, worker_id="crashed", lease_s=60)
    assert [c.event_id for c in crashed.claim()] == [event_id]
    survivor = dispatcher(ctx, clock, worker_id="survivor")
    assert survivor.run_once().claimed == 0, "the lease still holds"
    clock.advance(61)
    assert survivor.run_once().delivered == 1
    assert receiver.delivered_ids() == [event_id]


def test_an_unreachable_receiver_is_recorded_and_retried(ctx: StationContext) -> None:
    with ctx.db.transaction() as session:
        endpoint = admin.create_endpoint(session, "http://127.0.0.1:9/closed")
    event_id = emit(ctx, "RMA-11")
    assert dispatcher(ctx, Clock()).run_once().retrying == 1
    with ctx.db.reader() as session:
        (delivery,) = session.execute(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        ).scalars()
    assert delivery.status_code is None and "Connection" in delivery.error
    assert event(ctx, event_id).status == "pending"


def test_two_dispatchers_deliver_every_event_once_and_both_make_progress(
    ctx: StationContext, receiver: Receiver, endpoint_id: str
) -> None:
    ids = [emit(ctx, f"RMA-P{i}") for i in range(40)]
    clock = Clock()
    workers = [dispatcher(ctx, clock, worker_id=f"w{n}", batch_size=3) for n in range(2)]
    claimed = [0, 0]

    def drain(n: int) -> None:
        while True:
            stats = workers[n].run_once()
            if stats.claimed == 0:
                return
            claimed[n] += stats.claimed

    threads = [threading.Thread(target=drain, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(receiver.delivered_ids()) == sorted(ids)
    assert sum(claimed) == 40
    if ctx.db.dialect == "postgresql":
        assert min(claimed) > 0, f"both dispatchers claim work: {claimed}"
