"""Supervisor review: the flagged queue, search, the four-eyes rule and review decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from station.db.models import AuditEvent, ExpectedItem, Inspection, ReturnAuthorization, Scan
from station.db.types import utcnow
from station.returns.errors import DomainError
from station.returns.states import InspectionState

S = InspectionState
Decision = Literal["approve", "override", "reinspect"]
DECISIONS: tuple[Decision, ...] = ("approve", "override", "reinspect")
SlaLevel = Literal["ok", "warn", "breach"]


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
    """Inspections by RMA, order, tracking number, label, GTIN or serial (exact, case-insensitive)."""
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
    query = (
        select(Inspection)
        .where(or_(
            Inspection.id == needle.upper(),
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
        .where(AuditEvent.action != "inspection.reviewed").limit(1)
    ).first() is not None


def override_from_form(form: dict[str, str]) -> dict[str, Any]:
    """The override fields a supervisor set (empty ones are left out)."""
    keys = ("grade", "disposition", "recommendation", "deduction_pct")
    return {k: form[k].strip() for k in keys if form.get(k, "").strip()}
