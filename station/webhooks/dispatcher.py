"""Webhook dispatcher: claims due outbox rows, signs and POSTs them, records and reschedules.

Claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of dispatchers
on any node can share one outbox; a claim is a lease (``lease_until``) that expires if the
worker dies. On SQLite the same statement runs inside ``BEGIN IMMEDIATE`` (one writer at a
time; SQLite has no row locks and SQLAlchemy leaves FOR UPDATE out). An event waits while an
earlier event with the same ordering key (the RMA) is neither delivered nor dead.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from station.db.engine import Database
from station.db.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from station.db.types import new_id, utcnow
from station.webhooks import schedule, signing, transport

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
WallClock = Callable[[], float]
Poster = Callable[[str, bytes, dict[str, str], float, float], transport.HttpResult]

FINAL_STATES = ("delivered", "dead")


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


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, plus the previous one while its rotation overlap lasts."""
    secrets = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and until > now:
        secrets.append(endpoint.previous_secret)
    return tuple(secrets)


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
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
        batch_size: int = 20,
        lease_s: float | None = None,
        worker_id: str | None = None,
        clock: Clock = utcnow,
        wall_clock: WallClock = time.time,
        poster: Poster = transport.post,
    ) -> None:
        self.db = db
        self.read_timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s if connect_timeout_s is not None else timeout_s
        self.batch_size = batch_size
        self.lease_s = lease_s if lease_s is not None else 4 * timeout_s + 30
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{new_id()[-6:]}"
        self.clock = clock
        self.wall_clock = wall_clock
        self.poster = poster

    # -- claiming ---------------------------------------------------------------------------

    def claim(self) -> list[Claim]:
        """Lease up to ``batch_size`` due events whose predecessors are settled."""
        now = self.clock()
        earlier = aliased(OutboxEvent)
        blocked = exists().where(
            earlier.ordering_key == OutboxEvent.ordering_key,
            earlier.status.not_in(FINAL_STATES),
            or_(
                earlier.created_at < OutboxEvent.created_at,
                and_(earlier.created_at == OutboxEvent.created_at, earlier.id < OutboxEvent.id),
            ),
        )
        due = or_(
            and_(OutboxEvent.status == "pending", OutboxEvent.next_attempt_at <= now),
            and_(OutboxEvent.status == "delivering", OutboxEvent.lease_until < now),
        )
        with self.db.transaction() as session:
            rows = session.execute(
                select(OutboxEvent)
                .where(due, ~blocked)
                .order_by(OutboxEvent.created_at, OutboxEvent.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True, of=OutboxEvent)
            ).scalars().all()
            if not rows:
                return []
            endpoints = session.execute(
                select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))
            ).scalars().all()
            claims = []
            for row in rows:
                row.status = "delivering"
                row.lease_until = now + timedelta(seconds=self.lease_s)
                row.claimed_by = self.worker_id
                done = _delivered_endpoints(session, row.id)
                targets = tuple(
                    Target(e.id, e.url, active_secrets(e, now))
                    for e in endpoints
                    if subscribed(e, row.event_type) and e.id not in done
                )
                claims.append(Claim(row.id, encode_body(row.payload), targets, len(done)))
            return claims

    # -- delivering -------------------------------------------------------------------------

    def deliver(self, claim: Claim) -> list[tuple[Target, transport.HttpResult]]:
        """POST the event to each target; the same webhook-id every time."""
        results = []
        for target in claim.targets:
            stamp = int(self.wall_clock())
            headers = signing.headers(target.secrets, claim.event_id, stamp, claim.body)
            result = self.poster(
                target.url, claim.body, headers, self.connect_timeout_s, self.read_timeout_s
            )
            results.append((target, result))
        return results

    def finish(
        self, claim: Claim, results: list[tuple[Target, transport.HttpResult]]
    ) -> str:
        """Record attempts; mark the event delivered, due again, or dead. Returns its status."""
        now = self.clock()
        with self.db.transaction() as session:
            row = session.get(OutboxEvent, claim.event_id, with_for_update=True)
            if row is None:
                return "missing"
            attempt = row.attempts + 1
            retry_after: list[float] = []
            failures: list[str] = []
            delivered = claim.delivered_before
            for target, result in results:
                outcome = _outcome(result)
                session.add(
                    WebhookDelivery(
                        outbox_event_id=row.id, endpoint_id=target.id, attempt=attempt,
                        outcome=outcome, status_code=result.status_code,
                        error=result.error, duration_ms=result.duration_ms, attempted_at=now,
                    )
                )
                if outcome == "delivered":
                    delivered += 1
                elif outcome == "gone":
                    _disable(session, target.id, "the receiver answered 410 Gone")
                else:
                    failures.append(f"{target.url}: {result.status_code or result.error}")
                    if outcome == "throttled":
                        seconds = schedule.parse_retry_after(result.retry_after, now)
                        if seconds is not None:
                            retry_after.append(seconds)
            if row.status != "delivering" or row.claimed_by != self.worker_id:
                return row.status  # our lease ran out and another worker owns it now
            row.attempts = attempt
            row.lease_until = None
            row.claimed_by = None
            if failures:
                row.last_error = "; ".join(failures)[:2000]
                due = schedule.next_attempt(now, attempt, max(retry_after) if retry_after else None)
                if due is None:
                    row.status = "dead"
                else:
                    row.status, row.next_attempt_at = "pending", due
            elif delivered:
                row.status, row.delivered_at, row.last_error = "delivered", now, ""
            else:
                row.status = "dead"
                row.last_error = "no enabled webhook endpoint is subscribed to this event"
            return row.status

    def run_once(self) -> DispatchStats:
        """Claim one batch, deliver it, record the results."""
        stats = DispatchStats()
        for claim in self.claim():
            stats.claimed += 1
            results = self.deliver(claim)
            status = self.finish(claim, results)
            for target, result in results:
                stats.attempts.append((claim.event_id, target.id, _outcome(result)))
            if status == "delivered":
                stats.delivered += 1
            elif status == "dead":
                stats.dead += 1
            else:
                stats.retrying += 1
        return stats

    def run_forever(self, stop: threading.Event, poll_interval_s: float = 1.0) -> None:
        """Loop until ``stop`` is set; a database error is logged and retried after a pause."""
        while not stop.is_set():
            try:
                stats = self.run_once()
            except Exception:
                log.exception("webhook dispatcher: batch failed; retrying")
                stop.wait(poll_interval_s)
                continue
            if stats.claimed == 0:
                stop.wait(poll_interval_s)

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


def _delivered_endpoints(session: Session, event_id: str) -> set[str]:
    return set(
        session.execute(
            select(WebhookDelivery.endpoint_id).where(
                WebhookDelivery.outbox_event_id == event_id,
                WebhookDelivery.outcome == "delivered",
            )
        ).scalars()
    )


def _disable(session: Session, endpoint_id: str, reason: str) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True)
    if endpoint is not None and endpoint.enabled:
        endpoint.enabled = False
        endpoint.disabled_reason = reason
