"""Outbox: an event row written in the same transaction as the state change it reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from station.db.models import OutboxEvent
from station.db.types import new_id, utcnow

#: Version of the payload schema; bump with a CHANGELOG entry when a payload changes.
PAYLOAD_VERSION = "2"

EVENT_TYPES = (
    "return.received",
    "return.unexpected",
    "inspection.completed",
    "inspection.flagged",
    "inspection.reviewed",
    "unit.sorted",
    "tote.closed",
)


def enqueue(
    session: Session,
    event_type: str,
    ordering_key: str,
    data: dict[str, Any],
    anchor: tuple[int, str],
) -> OutboxEvent:
    """Add an event; ``ordering_key`` (the RMA) keeps events of one return in order.

    The payload follows the Standard Webhooks shape {type, timestamp, data} and carries the
    audit chain head (``anchor``) so the platform holds an external copy of it.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    now = utcnow()
    seq, head_hash = anchor
    payload = {
        "type": event_type,
        "timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "schema_version": PAYLOAD_VERSION,
        "data": {**data, "audit_anchor": {"seq": seq, "hash": head_hash}},
    }
    event = OutboxEvent(
        id=f"msg_{new_id()}",
        event_type=event_type,
        ordering_key=ordering_key,
        payload=payload,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(event)
    return event
