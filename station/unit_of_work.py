"""The one way the domain writes: a transaction with its audit events, outbox events, analytics marks and anchor.

``with uow() as work:`` opens a write transaction. Inside it, ``work.audit(...)`` appends to the
hash chain, ``work.emit(...)`` queues a webhook carrying the chain head, ``work.touch(...)``
names the inspections and returns whose analytics hours must be recounted. When the block ends
without an error, the touched hours are marked dirty and everything commits together; then
the new audit head is appended to the anchor file (every audited commit, so a deletion of the
newest rows is caught by ``station audit verify``; by a background thread in the long-running
commands, see station/audit_anchor.py) and the in-process dispatcher is woken when
an event was queued. A commit that succeeded is never reported as failed: trouble writing the
anchor file is logged and kept as a station problem (``anchor_problem``) that /readyz shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from station import audit
from station.analytics.rollup import mark_touched
from station.audit import AnchorFile
from station.audit_anchor import AnchorWriter, write_anchor
from station.db.engine import Database
from station.db.models import Inspection, ReturnAuthorization
from station.webhooks import outbox


@dataclass
class Work:
    """What one transaction did: its session, and what must follow its commit."""

    session: Session
    hours: set[datetime] = field(default_factory=set)
    inspection_ids: set[str] = field(default_factory=set)
    rma_pks: set[str] = field(default_factory=set)
    emitted: int = 0
    #: Labels queued in this transaction (the print spooler is woken after the commit).
    labels_queued: int = 0

    def audit(
        self, *, actor: str, action: str, entity_type: str, entity_id: str,
        data: dict[str, Any] | None = None, station_id: str | None = None,
    ) -> audit.AuditEvent:
        """Append one event to the hash chain (anchored after the commit)."""
        return audit.append(self.session, actor=actor, action=action, entity_type=entity_type,
                            entity_id=entity_id, data=data, station_id=station_id)

    def emit(self, event_type: str, ordering_key: str, data: dict[str, Any]) -> None:
        """Queue a webhook in this transaction; it carries the chain head as it stands now."""
        outbox.enqueue(self.session, event_type, ordering_key, data, audit.head(self.session))
        self.emitted += 1

    def touch(self, *changed: Inspection | ReturnAuthorization) -> None:
        """These rows (or their lines, scans, photos) changed: recount their analytics hours."""
        for row in changed:
            if isinstance(row, Inspection):
                if row.received_at is not None:
                    self.hours.add(row.received_at)
                elif row.id:
                    self.inspection_ids.add(row.id)
            elif row.id:
                self.rma_pks.add(row.id)


class UnitOfWork:
    """Opens the domain's write transactions (``ctx.work``); see the module text."""

    def __init__(self, db: Database, anchors: AnchorFile) -> None:
        self.db = db
        self.anchors = anchors
        #: Called after a commit that queued a webhook (the in-process dispatcher's notify).
        self.on_event: Callable[[], None] | None = None
        #: Called after a commit that queued a label (the bench's print spooler's notify).
        self.on_label: Callable[[], None] | None = None
        #: The last failure to write the anchor file (None once a later anchor succeeded).
        self.anchor_problem: str | None = None
        #: Set by the long-running commands (`station run`, `station serve`): anchors are
        #: then appended by a background thread (station/audit_anchor.py), not in the request.
        self.anchor_writer: AnchorWriter | None = None

    def anchor_in_background(self) -> AnchorWriter:
        """Hand every new audit head to a writer thread from now on (close it at shutdown)."""
        if self.anchor_writer is None:
            self.anchor_writer = AnchorWriter(self.anchors, self._anchor_result)
        return self.anchor_writer

    def close_anchor_writer(self) -> None:
        """Write the pending anchor and go back to anchoring in the committing thread."""
        writer, self.anchor_writer = self.anchor_writer, None
        if writer is not None:
            writer.close()

    def _anchor_result(self, problem: str | None) -> None:
        self.anchor_problem = problem

    @contextmanager
    def __call__(self) -> Iterator[Work]:
        with self.db.transaction() as session:
            work = Work(session)
            yield work
            session.flush()
            mark_touched(session, work.hours, work.inspection_ids, work.rma_pks)
            head = audit.appended_head(session)
        if head is not None:
            self._anchor(*head)
        if work.emitted and self.on_event is not None:
            self.on_event()
        if work.labels_queued and self.on_label is not None:
            self.on_label()

    def _anchor(self, seq: int, hash_: str) -> None:
        writer = self.anchor_writer
        if writer is not None:
            writer.submit(seq, hash_)
            return
        self.anchor_problem = write_anchor(self.anchors, seq, hash_)
