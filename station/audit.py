"""Hash-chained, append-only audit log with an external anchor file, and its verification."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import AuditEvent, AuditHead
from station.db.types import utcnow

GENESIS_HASH = "0" * 64
_APPENDED = "audit_appended_head"


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes (sorted keys, no spaces, UTF-8) used for hashing."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _event_body(
    seq: int,
    at: datetime,
    actor: str,
    station_id: str | None,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "station_id": station_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "data": data,
        "prev_hash": prev_hash,
    }


def event_hash(event: AuditEvent) -> str:
    """SHA-256 over the canonical JSON of the row's content and its predecessor's hash."""
    body = _event_body(
        event.seq,
        event.at,
        event.actor,
        event.station_id,
        event.action,
        event.entity_type,
        event.entity_id,
        event.data,
        event.prev_hash,
    )
    return hashlib.sha256(canonical_json(body)).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    data: dict[str, Any] | None = None,
    station_id: str | None = None,
) -> AuditEvent:
    """Add one event to the chain inside the caller's transaction (the head row is locked)."""
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    at = utcnow()
    # Round-trip through JSON so the hashed data equals what the database hands back.
    clean = json.loads(canonical_json(data or {}))
    event = AuditEvent(
        seq=head.seq + 1,
        at=at,
        actor=actor,
        station_id=station_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        data=clean,
        prev_hash=head.hash,
        hash="",
    )
    event.hash = event_hash(event)
    session.add(event)
    head.seq, head.hash = event.seq, event.hash
    # No flush here: the event and the head go with the step's next query or its final flush
    # (the unit of work flushes before it commits), one round of statements fewer per step.
    session.info[_APPENDED] = (event.seq, event.hash)
    return event


def appended_head(session: Session) -> tuple[int, str] | None:
    """The head this session's transaction appended up to (to anchor after its commit), if any."""
    head_: tuple[int, str] | None = session.info.pop(_APPENDED, None)
    return head_


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest event; (0, genesis) for an empty log."""
    row = session.get(AuditHead, 1)
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)


class AnchorFile:
    """Append-only text file of (seq, hash) pairs kept outside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, seq: int, hash_: str) -> None:
        """Record the head durably (fsync) after the transaction that made it has committed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{seq} {hash_} {utcnow().isoformat(timespec='seconds')}\n".encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[tuple[int, str]]:
        """Every anchor; a damaged line is reported as seq -1 so verify names it."""
        if not self.path.exists():
            return []
        anchors = []
        for raw in self.path.read_text(encoding="utf-8").splitlines():
            parts = raw.split()
            if len(parts) >= 2 and parts[0].isdigit() and len(parts[1]) == 64:
                anchors.append((int(parts[0]), parts[1]))
            else:
                anchors.append((-1, raw[:80]))
        return anchors


@dataclass(frozen=True)
class AuditProblem:
    """One finding of verify: which row (seq) and what is wrong with it."""

    seq: int
    problem: str


def verify(session: Session, anchors: list[tuple[int, str]] | None = None) -> list[AuditProblem]:
    """Walk the chain; report edited, deleted, inserted or reordered rows and anchor mismatches."""
    problems: list[AuditProblem] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    hashes: dict[int, str] = {}
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for event in rows:
        if event.seq != expected_seq:
            problems.append(
                AuditProblem(expected_seq, f"rows {expected_seq}..{event.seq - 1} are missing")
            )
        if event.prev_hash != expected_prev:
            problems.append(
                AuditProblem(event.seq, "prev_hash does not match the row before (deleted or reordered)")
            )
        actual = event_hash(event)
        if actual != event.hash:
            problems.append(AuditProblem(event.seq, "content does not match its hash (edited)"))
        hashes[event.seq] = event.hash
        expected_prev = event.hash
        expected_seq = event.seq + 1
    last_seq = expected_seq - 1
    head_seq, head_hash = head(session)
    if (head_seq, head_hash) != (last_seq, expected_prev if last_seq else GENESIS_HASH):
        problems.append(
            AuditProblem(head_seq, f"chain head says seq {head_seq} but the log ends at {last_seq}")
        )
    for seq, anchored in anchors or []:
        if seq < 0:
            problems.append(AuditProblem(seq, f"unreadable anchor line: {anchored!r}"))
        elif seq > last_seq:
            problems.append(
                AuditProblem(seq, f"anchored row {seq} is missing: the log was cut off at {last_seq}")
            )
        elif hashes.get(seq) != anchored:
            problems.append(AuditProblem(seq, "row differs from its external anchor"))
    return problems
