"""Moving an inspection through its states inside a unit of work: load, record, move, emit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, joinedload

from station import audit
from station.db.models import Inspection, ReturnAuthorization
from station.db.types import utcnow
from station.returns.errors import IllegalTransition, NotFound
from station.returns.payloads import event_data
from station.returns.states import EVENT_ON_ENTER, OPEN_STATES, InspectionState, is_legal, step_index
from station.unit_of_work import Work

S = InspectionState


def load(session: Session, inspection_id: str, *, lock: bool = True,
         with_lines: bool = False) -> Inspection:
    """The inspection, locked for this transaction (FOR UPDATE on PostgreSQL) unless ``lock=False``;
    ``with_lines`` reads its RMA and the RMA's lines in the same statement (only the
    inspection row is locked)."""
    if with_lines:
        inspection = session.get(
            Inspection, inspection_id,
            options=[joinedload(Inspection.rma).joinedload(ReturnAuthorization.items)],
            with_for_update={"of": Inspection} if lock else None)
    else:
        inspection = session.get(Inspection, inspection_id, with_for_update=lock)
    if inspection is None:
        raise NotFound("inspection_not_found", f"no inspection {inspection_id}")
    return inspection


def require_open(inspection: Inspection, earliest: InspectionState) -> None:
    """Refuse a step on a closed inspection or one that has not reached ``earliest`` yet."""
    state = S(inspection.state)
    if state not in OPEN_STATES or step_index(state) < step_index(earliest):
        raise IllegalTransition(inspection.id, state, f"a step that needs {earliest.value}")


def ordering_key(inspection: Inspection) -> str:
    """Webhooks of one return are delivered in order; an unexpected parcel is its own key."""
    return f"rma:{inspection.rma.rma_id}" if inspection.rma else f"inspection:{inspection.id}"


class Transitions:
    """Audited changes of one inspection; entering some states queues its webhook."""

    def __init__(self, public_url: str = "") -> None:
        self.public_url = public_url

    def record(
        self, work: Work, inspection: Inspection, actor: str, action: str, **data: Any
    ) -> audit.AuditEvent:
        """An audit event about the inspection (and its analytics hour marked for a recount)."""
        work.touch(inspection)
        return self.note(work, inspection, actor, action, **data)

    def note(
        self, work: Work, inspection: Inspection, actor: str, action: str, **data: Any
    ) -> audit.AuditEvent:
        """An audit event about a change no analytics count depends on (a photo, a matched
        scan): ``record`` without the recount marker, one statement fewer on the hot path."""
        inspection.updated_at = utcnow()
        return work.audit(actor=actor, action=action, entity_type="inspection",
                          entity_id=inspection.id, data=data, station_id=inspection.station_id)

    def emit(self, work: Work, event_type: str, inspection: Inspection) -> None:
        work.session.flush()
        work.emit(event_type, ordering_key(inspection), event_data(inspection, self.public_url))

    def move(
        self, work: Work, inspection: Inspection, target: InspectionState, actor: str, **data: Any
    ) -> None:
        """A legal state change, audited; the state's webhook (if any) is queued with it."""
        current = S(inspection.state)
        if not is_legal(current, target):
            raise IllegalTransition(inspection.id, current, target)
        inspection.state = target
        self.record(work, inspection, actor, f"inspection.{target.value}", **{"from": current.value},
                    **data)
        event_type = EVENT_ON_ENTER.get(target)
        if event_type:
            self.emit(work, event_type, inspection)
