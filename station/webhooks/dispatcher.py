"""Webhook dispatcher: claims due outbox rows, signs and POSTs them, records and reschedules.

Claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of dispatchers
on any node can share one outbox; a claim is a lease (``lease_until``) that expires if the
worker dies. On SQLite the same statement runs inside ``BEGIN IMMEDIATE`` (one writer at a
time; SQLite has no row locks and SQLAlchemy leaves FOR UPDATE out). An event waits while an
earlier event with the same ordering key (the RMA) is neither delivered nor dead.

A claimed batch therefore holds at most one event per ordering key, so its POSTs run
concurrently on a small thread pool (``concurrency``) without breaking per-RMA order. Results
are recorded in group commits: each transaction records every POST that has finished by then,
so a fast batch costs a few commits instead of one per event, and one hanging receiver does not
hold back the record of the others. ``run_forever`` claims the next batch while this one's
POSTs are on the wire; events in flight are ``delivering``, so it never holds a later event of
their RMA. A batch claimed ahead and not sent when the loop stops is handed back (pending).
Leases of a slow batch are renewed at a group commit once half the lease has passed.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, exists, insert, or_, select, text, update
from sqlalchemy.orm import Session

from station.db.engine import Database
from station.db.models import UNSETTLED_SQL, OutboxEvent, WebhookDelivery, WebhookEndpoint
from station.db.types import new_id, utcnow
from station.webhooks import schedule, signing, transport

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
WallClock = Callable[[], float]
Poster = Callable[[str, bytes, dict[str, str], float, float], transport.HttpResult]
Results = list[tuple["Target", transport.HttpResult]]

FINAL_STATES = ("delivered", "dead")
UNSETTLED_STATES = ("pending", "delivering")  # the partial index ix_outbox_unsettled's rows
OUTBOX = cast(Table, OutboxEvent.__table__)
DELIVERIES = cast(Table, WebhookDelivery.__table__)
ENDPOINTS = cast(Table, WebhookEndpoint.__table__)
#: The outbox columns finish_many writes back (each from the row's settled values).
_WRITTEN = ("status", "attempts", "throttled", "lease_until", "claimed_by", "last_error",
            "next_attempt_at", "delivered_at")


class EndpointFields(Protocol):
    """The endpoint columns delivery needs (an ORM row or a Core row)."""

    @property
    def secret(self) -> str: ...
    @property
    def previous_secret(self) -> str | None: ...
    @property
    def previous_secret_until(self) -> datetime | None: ...
    @property
    def event_types(self) -> list[Any]: ...


@dataclass(frozen=True)
class Target:
    """An endpoint as one delivery needs it: where, and the secrets that sign."""

    id: str
    url: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Claim:
    """A claimed outbox event with the endpoints it still has to reach."""

    event_id: str
    body: bytes
    targets: tuple[Target, ...]
    delivered_before: int
    ordering_key: str = ""


@dataclass
class DispatchStats:
    """What one ``run_once`` did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    attempts: list[tuple[str, str, str]] = field(default_factory=list)


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed: compact JSON, UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def active_secrets(endpoint: EndpointFields, now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its rotation overlap lasts."""
    secrets = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and until > now:
        secrets.append(endpoint.previous_secret)
    return tuple(secrets)


def subscribed(endpoint: EndpointFields, event_type: str) -> bool:
    """An empty list of event types means every event."""
    return not endpoint.event_types or event_type in endpoint.event_types


class Dispatcher:
    """Delivers outbox events to every enabled, subscribed endpoint."""

    def __init__(
        self,
        db: Database,
        *,
        timeout_s: float = 15.0,
        connect_timeout_s: float | None = None,
        batch_size: int = 200,
        concurrency: int = 8,
        commit_window_s: float = 0.05,
        lease_s: float | None = None,
        worker_id: str | None = None,
        clock: Clock = utcnow,
        wall_clock: WallClock = time.time,
        poster: Poster | None = None,
    ) -> None:
        self.db = db
        self._wake = threading.Event()
        #: How often the loop found nothing to do and began to wait (tests synchronise on it).
        self.idle_waits = 0
        self.read_timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s if connect_timeout_s is not None else timeout_s
        if batch_size < 1 or concurrency < 1:
            raise ValueError("batch_size and concurrency must be at least 1")
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.commit_window_s = commit_window_s
        self.lease_s = lease_s if lease_s is not None else 4 * timeout_s + 30
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.clock = clock
        self.wall_clock = wall_clock
        #: One kept-alive connection pool per dispatcher (one slot per concurrent POST).
        self.sender = transport.Sender(pool_size=concurrency)
        self.poster = poster or self.sender.post
        #: run_forever claims the next batch while one is being sent (run_once alone does not).
        self._claim_ahead = False
        self._claimed_ahead: list[Claim] = []
        self._claimed_ahead_at = 0.0  # time.monotonic() of that claim

    # -- claiming ---------------------------------------------------------------------------

    def claim(self) -> list[Claim]:
        """Lease up to ``batch_size`` due events whose predecessors are settled.

        Core statements on the hot path: the due rows come in created order from the partial
        index ``ix_outbox_unsettled`` (only pending and delivering rows, no sort of the due
        rows), and the lease is one UPDATE for the whole batch.
        """
        now = self.clock()
        t = OUTBOX
        earlier = t.alias("earlier")
        blocked = exists().where(
            earlier.c.ordering_key == t.c.ordering_key,
            earlier.c.status.in_(UNSETTLED_STATES),
            or_(
                earlier.c.created_at < t.c.created_at,
                and_(earlier.c.created_at == t.c.created_at, earlier.c.id < t.c.id),
            ),
        )
        due = or_(
            and_(t.c.status == "pending", t.c.next_attempt_at <= now),
            and_(t.c.status == "delivering", t.c.lease_until < now),
        )
        with self.db.transaction() as session:
            rows = session.execute(
                select(t.c.id, t.c.event_type, t.c.ordering_key, t.c.payload)
                .where(text(UNSETTLED_SQL), due, ~blocked)  # literal: it selects the index
                .order_by(t.c.created_at, t.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, of=t)
            ).all()
            if not rows:
                return []
            endpoints = session.execute(
                select(ENDPOINTS.c.id, ENDPOINTS.c.url, ENDPOINTS.c.secret,
                       ENDPOINTS.c.previous_secret, ENDPOINTS.c.previous_secret_until,
                       ENDPOINTS.c.event_types)
                .where(ENDPOINTS.c.enabled.is_(True)).order_by(ENDPOINTS.c.created_at)
            ).all()
            delivered = _delivered_endpoints(session, [row.id for row in rows])
            claims = []
            keys: set[str] = set()
            for row in rows:
                if row.ordering_key in keys:
                    continue  # one event per RMA in a batch (the query already ensures it)
                keys.add(row.ordering_key)
                done = delivered.get(row.id, set())
                targets = tuple(
                    Target(e.id, e.url, active_secrets(e, now))
                    for e in endpoints
                    if subscribed(e, row.event_type) and e.id not in done
                )
                claims.append(
                    Claim(row.id, encode_body(row.payload), targets, len(done), row.ordering_key)
                )
            session.execute(
                update(t).where(t.c.id.in_([claim.event_id for claim in claims])).values(
                    status="delivering", lease_until=now + timedelta(seconds=self.lease_s),
                    claimed_by=self.worker_id,
                )
            )
            return claims

    # -- delivering -------------------------------------------------------------------------

    def deliver(self, claim: Claim) -> Results:
        """POST the event to each target; the same webhook-id every time."""
        results: Results = []
        for target in claim.targets:
            stamp = int(self.wall_clock())
            headers = signing.headers(target.secrets, claim.event_id, stamp, claim.body)
            result = self.poster(
                target.url, claim.body, headers, self.connect_timeout_s, self.read_timeout_s
            )
            results.append((target, result))
        return results

    def finish(self, claim: Claim, results: Results) -> str:
        """Record one event's attempts; returns its status (see ``finish_many``)."""
        return self.finish_many([(claim, results)])[claim.event_id]

    def finish_many(self, outcomes: Sequence[tuple[Claim, Results]]) -> dict[str, str]:
        """Record attempts in one transaction; mark each event delivered, due again, or dead.

        One locking SELECT, one multi-row INSERT of the attempts and one executemany UPDATE.
        Returns each event's status by id ("missing" when the row is gone).
        """
        now = self.clock()
        statuses: dict[str, str] = {}
        t = OUTBOX
        with self.db.transaction() as session:
            ids = sorted(claim.event_id for claim, _ in outcomes)  # one lock order for all
            rows = {
                row.id: dict(row._mapping)
                for row in session.execute(
                    select(t.c.id, t.c.status, t.c.claimed_by, t.c.attempts, t.c.throttled,
                           t.c.created_at, t.c.next_attempt_at, t.c.last_error,
                           t.c.delivered_at)
                    .where(t.c.id.in_(ids)).order_by(t.c.id).with_for_update()
                )
            }
            attempts: list[dict[str, Any]] = []
            changed: list[dict[str, Any]] = []
            for claim, results in outcomes:
                row = rows.get(claim.event_id)
                if row is None:
                    statuses[claim.event_id] = "missing"
                    continue
                mine = self._record(session, row, claim, results, now, attempts)
                statuses[claim.event_id] = row["status"]
                if mine:
                    changed.append({f"b_{k}": v for k, v in row.items()})
            if attempts:
                session.execute(insert(DELIVERIES), attempts)
            if changed:
                session.execute(
                    update(t).where(t.c.id == bindparam("b_id")).values(
                        {name: bindparam(f"b_{name}") for name in _WRITTEN}
                    ).execution_options(synchronize_session=False),
                    changed,
                )
        return statuses

    def _record(
        self, session: Session, row: dict[str, Any], claim: Claim, results: Results,
        now: datetime, attempts: list[dict[str, Any]],
    ) -> bool:
        """Add ``claim``'s attempts to ``attempts`` and settle ``row`` (a dict of its columns).

        Returns False when the lease ran out and another worker owns the row now: the attempts
        are recorded, the row is left as it is.
        """
        attempt = row["attempts"] + 1
        retry_after: list[float] = []
        failures: list[str] = []
        gone: list[str] = []
        spends = False  # a failure that uses up one of the schedule's attempts
        delivered = claim.delivered_before
        for target, result in results:
            outcome = _outcome(result)
            attempts.append({
                "id": new_id(), "outbox_event_id": row["id"], "endpoint_id": target.id,
                "attempt": attempt, "outcome": outcome, "status_code": result.status_code,
                "error": result.error, "duration_ms": result.duration_ms, "attempted_at": now,
            })
            if outcome == "delivered":
                delivered += 1
            elif outcome == "gone":
                _disable(session, target.id, "the receiver answered 410 Gone")
                gone.append(f"{target.url}: 410 Gone, endpoint disabled")
            else:
                failures.append(f"{target.url}: {result.status_code or result.error}")
                seconds = schedule.parse_retry_after(result.retry_after, now) \
                    if outcome == "throttled" else None
                if seconds is None:
                    spends = True
                else:
                    retry_after.append(seconds)
        if row["status"] != "delivering" or row["claimed_by"] != self.worker_id:
            return False  # our lease ran out and another worker owns it now
        row.update(attempts=attempt, lease_until=None, claimed_by=None)
        if failures:
            row["last_error"] = "; ".join(failures + gone)[:2000]
            # A receiver that said when to come back (429/503 + Retry-After) does not use up the
            # schedule's attempts; within the schedule's whole span it is simply asked again.
            if not spends:  # asked to wait: again after Retry-After, until the span is over
                row["throttled"] += 1
                within_span = now < row["created_at"] + timedelta(seconds=schedule.total_span_s())
                due = schedule.next_attempt(now, 1, max(retry_after)) if within_span else None
            else:
                due = schedule.next_attempt(now, max(attempt - row["throttled"], 1),
                                            max(retry_after) if retry_after else None)
            if due is None:
                row["status"] = "dead"
            else:
                row["status"], row["next_attempt_at"] = "pending", due
        elif delivered:
            row.update(status="delivered", delivered_at=now, last_error="")
        else:
            row["status"] = "dead"
            row["last_error"] = ("; ".join(gone) if gone else
                                 "no enabled webhook endpoint is subscribed to this event")[:2000]
        return True

    def run_once(self) -> DispatchStats:
        """Claim one batch, POST its events concurrently, record results as they come in."""
        stats = DispatchStats()
        if self._claimed_ahead and time.monotonic() - self._claimed_ahead_at > self.lease_s / 2:
            self._hand_back()  # held back by a slow batch: its lease could run out on the wire
        claims, self._claimed_ahead = self._claimed_ahead or self.claim(), []
        if not claims:
            return stats
        if self.concurrency == 1 or len(claims) == 1:
            for claim in claims:
                self._tally(stats, [(claim, self.deliver(claim))])
            return stats
        with ThreadPoolExecutor(
            min(self.concurrency, len(claims)), thread_name_prefix="webhook-post"
        ) as pool:
            running: dict[Future[Results], Claim] = {
                pool.submit(self.deliver, claim): claim for claim in claims
            }
            waiting = set(running)
            if self._claim_ahead and len(claims) == self.batch_size:  # a backlog: keep it moving
                self._claim_next()
            leased_at = time.monotonic()
            while waiting:
                # Group commit: record what finished within a short window, or at least one.
                done, waiting = wait(waiting, timeout=self.commit_window_s)
                if not done:
                    done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                self._tally(stats, [(running[f], f.result()) for f in done])
                if waiting and time.monotonic() - leased_at > self.lease_s / 2:
                    # slow receivers: no other worker may send what is still on the wire
                    self._renew([running[f].event_id for f in waiting])
                    leased_at = time.monotonic()
        return stats

    def _renew(self, event_ids: list[str]) -> None:
        """Extend this worker's lease on ``event_ids`` and on the batch claimed ahead."""
        ahead, t = [claim.event_id for claim in self._claimed_ahead], OUTBOX
        with self.db.transaction() as session:
            session.execute(
                update(t).where(t.c.id.in_(event_ids + ahead), t.c.status == "delivering",
                                t.c.claimed_by == self.worker_id)
                .values(lease_until=self.clock() + timedelta(seconds=self.lease_s))
            )
        if ahead:
            self._claimed_ahead_at = time.monotonic()

    def _claim_next(self) -> None:
        """Claim the next batch now (sent by the next run_once); trouble waits for that call."""
        try:
            self._claimed_ahead, self._claimed_ahead_at = self.claim(), time.monotonic()
        except Exception:
            log.exception("webhook dispatcher: claiming ahead failed; claiming again later")
            self._claimed_ahead = []

    def _hand_back(self) -> None:
        """Make a batch claimed ahead and not sent pending again (stopping, or held back)."""
        claims, self._claimed_ahead = self._claimed_ahead, []
        if not claims:
            return
        t = OUTBOX
        with self.db.transaction() as session:
            session.execute(
                update(t).where(t.c.id.in_([claim.event_id for claim in claims]),
                                t.c.status == "delivering", t.c.claimed_by == self.worker_id)
                .values(status="pending", lease_until=None, claimed_by=None)
            )

    def _tally(self, stats: DispatchStats, outcomes: list[tuple[Claim, Results]]) -> None:
        statuses = self.finish_many(outcomes)
        for claim, results in outcomes:
            stats.claimed += 1
            for target, result in results:
                stats.attempts.append((claim.event_id, target.id, _outcome(result)))
            status = statuses[claim.event_id]
            if status == "delivered":
                stats.delivered += 1
            elif status == "dead":
                stats.dead += 1
            else:
                stats.retrying += 1

    def notify(self) -> None:
        """An event was just committed in this process: deliver it now, not at the next poll."""
        self._wake.set()

    def _idle(self, stop: threading.Event, poll_interval_s: float) -> None:
        """Wait for the next poll, a notify() or (within one poll interval) the stop."""
        self.idle_waits += 1
        if not stop.is_set() and self._wake.wait(poll_interval_s):
            self._wake.clear()

    def run_forever(self, stop: threading.Event, poll_interval_s: float = 1.0) -> None:
        """Loop until ``stop`` is set; a database error is logged and retried after a pause."""
        self._claim_ahead = True
        try:
            while not stop.is_set():
                try:
                    stats = self.run_once()
                except Exception:
                    log.exception("webhook dispatcher: batch failed; retrying")
                    stop.wait(poll_interval_s)
                    continue
                if stats.claimed == 0:
                    self._idle(stop, poll_interval_s)
        finally:
            self._claim_ahead = False
            try:
                self._hand_back()
            except Exception:  # their lease runs out instead: delivered later, in order
                log.exception("webhook dispatcher: handing back a batch claimed ahead failed")
            self.close()

    def close(self) -> None:
        """Close the kept-alive connections to the receivers."""
        self.sender.close()

    def start_thread(self, stop: threading.Event, poll_interval_s: float = 1.0) -> threading.Thread:
        """``run_forever`` in a daemon thread (inside `station run` / `station serve`)."""
        thread = threading.Thread(
            target=self.run_forever, args=(stop, poll_interval_s),
            name="webhook-dispatcher", daemon=True,
        )
        thread.start()
        return thread


def _outcome(result: transport.HttpResult) -> str:
    if result.ok:
        return "delivered"
    if result.status_code == 410:
        return "gone"
    if result.status_code in (429, 503):
        return "throttled"
    return "failed"


def _delivered_endpoints(session: Session, event_ids: list[str]) -> dict[str, set[str]]:
    """Per event, the endpoints that already accepted it (a retry skips them)."""
    done: dict[str, set[str]] = {}
    for event_id, endpoint_id in session.execute(
        select(WebhookDelivery.outbox_event_id, WebhookDelivery.endpoint_id).where(
            WebhookDelivery.outbox_event_id.in_(event_ids),
            WebhookDelivery.outcome == "delivered",
        )
    ):
        done.setdefault(event_id, set()).add(endpoint_id)
    return done


def _disable(session: Session, endpoint_id: str, reason: str) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is not None and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = reason
