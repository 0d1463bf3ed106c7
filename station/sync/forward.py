"""Forwarding what a fleet bench does after an inspection synced: its sort scans and the totes it closes.

The spool's own outbox rows of ``unit.sorted`` and ``tote.closed`` are the record of these
steps. Each is forwarded in its own central transaction, in the order the bench made them: the
unit's sort fields and the tote's row are copied from the spool, the step is audited centrally
with the bench's words, and the event is queued centrally under the spool row's id, so a retry
after a lost answer finds it there and writes nothing again. A sort of a unit whose inspection
is not central yet waits (and everything after it), so events keep their order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import audit
from station.db.engine import Database
from station.db.models import InspectionUnit, OutboxEvent, Tote
from station.db.sync_models import SpoolForwarded, SpoolSync
from station.db.types import utcnow
from station.sync.central import Central
from station.sync.push import columns
from station.unit_of_work import UnitOfWork, Work

#: The bench's events that follow a finished inspection.
FORWARDED = ("unit.sorted", "tote.closed")
#: How far before the newest forwarded event a later round looks again.
SLACK = timedelta(minutes=5)
#: Events read from the spool at a time.
BATCH = 100


@dataclass(frozen=True)
class Later:
    """One spool event to forward, with the spool rows it names as they are now."""

    event: dict[str, Any]
    unit: dict[str, Any] | None
    tote: dict[str, Any] | None
    ready: bool


def pending(spool: Database, since: datetime | None = None, limit: int = 100) -> list[Later]:
    """The spool's sort and tote events central does not hold yet, oldest first (from
    ``since``: the spool's outbox only grows, a round need not walk all of it)."""
    with spool.reader() as session:
        query = (select(OutboxEvent).where(OutboxEvent.event_type.in_(FORWARDED))
                 .where(OutboxEvent.id.notin_(select(SpoolForwarded.outbox_id))))
        if since is not None:
            query = query.where(OutboxEvent.created_at >= since - SLACK)
        rows = session.execute(
            query.order_by(OutboxEvent.created_at, OutboxEvent.id).limit(limit)).scalars()
        found = []
        for row in rows:
            data = row.payload.get("data", {})
            unit = session.get(InspectionUnit, data.get("unit_id") or "")
            tote_id = data.get("tote_id") or (unit.tote_id if unit is not None else None)
            tote = session.get(Tote, tote_id) if tote_id else None
            ready = unit is None or session.get(SpoolSync, unit.inspection_id) is not None
            found.append(Later(columns(row), columns(unit) if unit else None,
                               columns(tote) if tote else None, ready))
        return found


def _copy_tote(session: Session, tote: dict[str, Any]) -> None:
    """The tote as the spool has it now (a central tote of that id is brought up to date)."""
    there = session.get(Tote, tote["id"])
    sscc = tote["sscc"]
    if sscc and session.execute(select(Tote.id).where(Tote.sscc == sscc)
                                .where(Tote.id != tote["id"])).first() is not None:
        sscc = None  # another bench's spool numbered it first; central keeps theirs
    if there is None:
        session.add(Tote(**{**tote, "sscc": sscc}))
    else:
        for key in ("units_in", "status", "closed_at", "closed_by"):
            setattr(there, key, tote[key])
        there.sscc = sscc
    session.flush()


class Forwarder:
    """Forwards the spool's later events to central, one central transaction each."""

    def __init__(self, central: Central, spool: UnitOfWork) -> None:
        self.central = central
        self.spool = spool
        #: When the newest forwarded event was made (None: look from the start).
        self.since: datetime | None = None

    def forward_all(self) -> int:
        """Forward what is ready, in order; stop at the first that waits for its inspection."""
        done = 0
        batch = pending(self.spool.db, self.since, BATCH)
        while batch:
            for later in batch:
                if not later.ready:
                    return done
                self.forward(later)
                self.since = later.event["created_at"]
                done += 1
            batch = pending(self.spool.db, self.since, BATCH) if len(batch) == BATCH else []
        return done

    def forward(self, later: Later) -> None:
        event = later.event
        data = {k: v for k, v in event["payload"].get("data", {}).items() if k != "audit_anchor"}
        with self.central.work() as work:
            session = work.session
            if session.get(OutboxEvent, event["id"]) is None:
                if later.tote is not None:
                    _copy_tote(session, later.tote)
                if later.unit is not None:
                    unit = session.get(InspectionUnit, later.unit["id"], with_for_update=True)
                    if unit is not None:
                        for key in ("sorted_at", "sorted_by", "tote_id"):
                            setattr(unit, key, later.unit[key])
                self._record(work, event, data)
                central = audit.head(session)
                queued = OutboxEvent(
                    id=event["id"], event_type=event["event_type"],
                    ordering_key=event["ordering_key"],
                    payload={**event["payload"],
                             "data": {**data, "audit_anchor": {"seq": central[0],
                                                               "hash": central[1]}}},
                    created_at=utcnow(), next_attempt_at=utcnow())
                session.add(queued)
                work.emitted += 1
        with self.spool() as work:
            work.session.add(SpoolForwarded(outbox_id=event["id"]))

    def _record(self, work: Work, event: dict[str, Any], data: dict[str, Any]) -> None:
        """The central audit row of the step, in the words the bench's own row has."""
        if event["event_type"] == "unit.sorted":
            work.audit(actor=str(data.get("sorted_by") or "bench"), action="unit.sorted",
                       entity_type="inspection_unit", entity_id=str(data.get("unit_id")),
                       station_id=data.get("station_id"),
                       data={k: data.get(k) for k in ("unit_id", "lpn", "destination", "tote")})
        else:
            work.audit(actor=str(data.get("closed_by") or "bench"), action="tote.closed",
                       entity_type="tote", entity_id=str(data.get("tote_id")),
                       station_id=data.get("station_id"), data=data)
