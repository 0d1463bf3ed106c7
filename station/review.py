"""Supervisor review: the flagged queue, search, the four-eyes rule, parcel and unit decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from station.db.models import (
    AuditEvent,
    ExpectedItem,
    Inspection,
    InspectionUnit,
    Operator,
    ReturnAuthorization,
    Scan,
)
from station.db.types import utcnow
from station.policy.model import Policy
from station.returns import grading
from station.returns.errors import DomainError, IllegalTransition, NotFound
from station.returns.payloads import event_data
from station.returns.states import InspectionState
from station.returns.transitions import Transitions, load, ordering_key
from station.returns.units import unit_of
from station.review_units import apply_unit_changes, retotal, unit_changes, unit_snapshot
from station.unit_of_work import UnitOfWork

S = InspectionState
Decision = Literal["approve", "override", "reinspect"]
DECISIONS: tuple[Decision, ...] = ("approve", "override", "reinspect")
SlaLevel = Literal["ok", "warn", "breach"]
#: Audit actions of a review itself: they never make the reviewer someone who worked the bench.
REVIEW_ACTIONS = ("inspection.reviewed", "review.unit_decided", "inspection.attached_to_rma")


@dataclass(frozen=True)
class QueueFilters:
    """What a supervisor narrowed the queue to (empty = everything)."""

    station: str = ""
    operator: str = ""
    reason: str = ""  # a flag, e.g. manual_weight
    product: str = ""  # a SKU
    grade: str = ""


@dataclass
class QueueRow:
    """One flagged inspection waiting for a supervisor."""

    inspection: Inspection
    age: timedelta
    sla: SlaLevel
    products: list[str] = field(default_factory=list)


def sla_level(age: timedelta, warn_hours: float, breach_hours: float) -> SlaLevel:
    hours = age.total_seconds() / 3600
    return "breach" if hours >= breach_hours else "warn" if hours >= warn_hours else "ok"


def flagged_queue(
    session: Session, filters: QueueFilters, *, warn_hours: float, breach_hours: float,
    now: datetime | None = None, limit: int = 200,
) -> list[QueueRow]:
    """Flagged inspections, oldest parcel first, with their age since the parcel was received."""
    now = now or utcnow()
    query = (
        select(Inspection)
        .where(Inspection.state == S.FLAGGED.value)
        .options(selectinload(Inspection.rma).selectinload(ReturnAuthorization.items))
        .order_by(Inspection.received_at, Inspection.id)
        .limit(limit)
    )
    if filters.station:
        query = query.where(Inspection.station_id == filters.station)
    if filters.operator:
        query = query.where(Inspection.operator_id == filters.operator)
    if filters.grade:
        query = query.where(Inspection.grade == filters.grade)
    if filters.reason:
        # flags is a JSON list; its text form contains the quoted flag on both backends.
        query = query.where(cast(Inspection.flags, String).contains(f'"{filters.reason}"'))
    if filters.product:
        query = query.where(Inspection.rma_pk.in_(
            select(ExpectedItem.rma_pk).where(ExpectedItem.sku == filters.product)))
    rows = []
    for inspection in session.execute(query).scalars():
        age = now - inspection.received_at
        items = inspection.rma.items if inspection.rma else []
        rows.append(QueueRow(inspection, age, sla_level(age, warn_hours, breach_hours),
                             [f"{i.sku} · {i.description}" for i in items]))
    return rows


def search(session: Session, text: str, limit: int = 50) -> list[Inspection]:
    """Inspections by RMA, order, tracking, label, GTIN, serial or unit LPN (exact, case-insensitive)."""
    needle = text.strip()
    if not needle or len(needle) > 200:
        raise DomainError("bad_search", "search for 1-200 characters")
    lowered = needle.lower()
    gtin = needle.zfill(14) if needle.isdigit() else needle  # GTINs are stored as 14 digits
    rma_match = select(ReturnAuthorization.id).where(or_(
        func.lower(ReturnAuthorization.rma_id) == lowered,
        func.lower(ReturnAuthorization.order_id) == lowered,
        func.lower(ReturnAuthorization.tracking_number) == lowered,
    ))
    item_match = select(ExpectedItem.rma_pk).where(or_(
        ExpectedItem.gtin == gtin,
        func.lower(ExpectedItem.sku) == lowered,
        cast(ExpectedItem.expected_serials, String).contains(f'"{needle}"'),
    ))
    scan_match = select(Scan.inspection_id).where(or_(
        func.lower(Scan.serial) == lowered, Scan.gtin == gtin,
    ))
    # plates are upper case (station/sorting/plates.py): compare upper case, on the unique index
    plate_match = select(InspectionUnit.inspection_id).where(InspectionUnit.lpn == needle.upper())
    query = (
        select(Inspection)
        .where(or_(
            Inspection.id == needle.upper(),
            Inspection.id.in_(plate_match),
            func.lower(Inspection.label) == lowered,
            Inspection.rma_pk.in_(rma_match),
            Inspection.rma_pk.in_(item_match),
            Inspection.id.in_(scan_match),
        ))
        .options(selectinload(Inspection.rma))
        .order_by(Inspection.received_at.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


def audit_trail(session: Session, inspection_id: str) -> list[AuditEvent]:
    """Every audit row about this inspection, in chain order."""
    return list(session.execute(
        select(AuditEvent).where(AuditEvent.entity_type == "inspection")
        .where(AuditEvent.entity_id == inspection_id).order_by(AuditEvent.seq)
    ).scalars())


def worked_on(session: Session, inspection: Inspection, supervisor_id: str, actor: str) -> bool:
    """Did this person operate the bench for this inspection (the four-eyes rule forbids review)?"""
    if inspection.operator_id == supervisor_id:
        return True
    return session.execute(
        select(AuditEvent.seq).where(AuditEvent.entity_type == "inspection")
        .where(AuditEvent.entity_id == inspection.id).where(AuditEvent.actor == actor)
        .where(AuditEvent.action.notin_(REVIEW_ACTIONS)).limit(1)
    ).first() is not None


def override_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The override fields a supervisor set (empty ones are left out)."""
    keys = ("grade", "disposition", "recommendation", "deduction_pct")
    return {k: form[k].strip() for k in keys if form.get(k, "").strip()}


class ReviewService:
    """Supervisor decisions on finished inspections, one audited unit of work each."""

    def __init__(self, work: UnitOfWork, policy: Policy, public_url: str = "") -> None:
        self.work = work
        self.policy = policy
        self.steps = Transitions(public_url)

    def decide(
        self, inspection_id: str, supervisor_id: str, actor: str, note: str,
        override: dict[str, Any] | None = None, *, decision: str = "approve",
        approve_manual_weight: bool = False, four_eyes: bool = False,
    ) -> Inspection:
        """A supervisor's decision on a completed or flagged inspection (audited, emits reviewed).

        ``decision``: approve (optionally with an override of grade / disposition / refund, which
        needs a reason) or reinspect (the parcel goes back to a bench: the RMA opens again).
        An inspection whose weight was typed by hand is approved only with ``approve_manual_weight``.
        With ``four_eyes`` a supervisor cannot review an inspection they worked on at the bench.
        """
        note = note.strip()[:2000]
        if decision not in ("approve", "reinspect"):
            raise DomainError("bad_decision", f"decision {decision!r} is not approve/reinspect")
        if (override or decision == "reinspect") and not note:
            raise DomainError("reason_required", "an override or a re-inspection needs a reason")
        with self.work() as work:
            inspection = load(work.session, inspection_id)
            if four_eyes and worked_on(work.session, inspection, supervisor_id, actor):
                raise DomainError("four_eyes", "you worked on this inspection; another supervisor "
                                  "must review it")
            if S(inspection.state) not in (S.COMPLETED, S.FLAGGED):
                raise IllegalTransition(inspection.id, inspection.state, S.REVIEWED)
            manual = "manual_weight" in inspection.flags
            if decision == "approve" and manual and not approve_manual_weight:
                raise DomainError("manual_weight_unapproved",
                                  "the weight was typed by hand: approve it explicitly")
            if override and decision == "approve":
                grading.apply_override(inspection, {**override, "reason": note}, self.policy)
            if decision == "reinspect" and inspection.rma is not None:
                inspection.rma.status = "open"
            inspection.reviewed_by = supervisor_id
            inspection.reviewed_at = utcnow()
            inspection.review = {
                **inspection.review, "outcome": decision, "note": note,
                "override": override or {}, "manual_weight_approved": manual and approve_manual_weight,
            }
            self.steps.move(work, inspection, S.REVIEWED, actor, note=note, decision=decision,
                            override=override or {})
            return inspection

    def decide_unit(
        self, inspection_id: str, unit_id: str, supervisor_id: str, actor: str, *,
        grade: str | None = None, disposition: str | None = None,
        recommendation: str | None = None, deduction_pct: int | str | None = None,
        release_hold_to: str | None = None, note: str, four_eyes: bool = False,
    ) -> InspectionUnit:
        """A supervisor's decision on one unit: approve it as it is, or change it with a reason.

        A change sets grade / disposition / recommendation / deduction (``release_hold_to`` is the
        disposition a held unit goes to instead of hold), recomputes the unit's refund and the
        parcel's totals, and is stored on ``unit.review`` (who by id and name, when, before,
        after, why). Audited as ``review.unit_decided``; once the parcel is reviewed, each unit
        decision emits ``inspection.reviewed`` again with ``changed_units``.
        """
        note = note.strip()[:2000]
        with self.work() as work:
            session = work.session
            inspection = load(session, inspection_id)
            unit = unit_of(inspection, unit_id)
            if unit is None:
                raise NotFound("unit_not_found", f"no unit {unit_id} in {inspection_id}")
            if four_eyes and worked_on(session, inspection, supervisor_id, actor):
                raise DomainError("four_eyes", "you worked on this inspection; another supervisor "
                                  "must review it")
            if S(inspection.state) not in (S.COMPLETED, S.FLAGGED, S.REVIEWED):
                raise IllegalTransition(inspection.id, inspection.state, "a unit decision")
            changes = unit_changes(unit, grade=grade, disposition=disposition,
                                   recommendation=recommendation, deduction_pct=deduction_pct,
                                   release_hold_to=release_hold_to)
            if changes and not note:
                raise DomainError("reason_required", "a change to a unit needs a reason")
            before = unit_snapshot(unit)
            apply_unit_changes(inspection, unit, changes)
            after = unit_snapshot(unit)
            person = session.get(Operator, supervisor_id)
            outcome = "release_hold" if release_hold_to else "override" if changes else "approve"
            unit.review = {
                "outcome": outcome, "by": supervisor_id,
                "by_name": person.display_name if person is not None else actor,
                "at": utcnow().isoformat(), "before": before, "after": after, "reason": note,
            }
            totals = retotal(inspection)
            self.steps.record(work, inspection, actor, "review.unit_decided", unit_id=unit.id,
                              outcome=outcome, before=before, after=after, reason=note,
                              refund_total_minor=totals["refund_total_minor"])
            if S(inspection.state) is S.REVIEWED:
                session.flush()
                work.emit("inspection.reviewed", ordering_key(inspection),
                          {**event_data(inspection, self.steps.public_url),
                           "changed_units": [unit.id]})
            return unit
