"""The drill-down list: the filtered inspections, newest first, one page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.analytics.scope import Scope
from station.db.models import Inspection, Operator, ReturnAuthorization

PER_PAGE = 50
#: Deepest page served (OFFSET gets slow past this; narrow the filters instead).
MAX_PAGE = 2000


@dataclass(frozen=True)
class InspectionRow:
    """One line of the drill-down list."""

    id: str
    received_at: datetime
    completed_at: datetime | None
    station_id: str
    operator: str
    state: str
    rma_id: str | None
    reason: str | None
    grade: str | None
    disposition: str | None
    recommendation: str | None
    flags: list[Any]


@dataclass(frozen=True)
class InspectionPage:
    rows: list[InspectionRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, min(MAX_PAGE, -(-self.total // self.per_page)))


def inspections(session: Session, scope: Scope, page: int = 1,
                per_page: int = PER_PAGE) -> InspectionPage:
    """Page ``page`` (1-based) of the inspections in scope and how many there are in all."""
    conditions = scope.conditions()
    total = int(session.execute(select(func.count()).select_from(Inspection)
                                .where(*conditions)).scalar_one())
    rows = session.execute(
        select(Inspection.id, Inspection.received_at, Inspection.completed_at,
               Inspection.station_id,
               func.coalesce(Operator.display_name, Operator.username, Inspection.operator_id),
               Inspection.state, ReturnAuthorization.rma_id, ReturnAuthorization.reason,
               Inspection.grade, Inspection.disposition, Inspection.recommendation,
               Inspection.flags)
        .select_from(Inspection)
        .outerjoin(Operator, Operator.id == Inspection.operator_id)
        .outerjoin(ReturnAuthorization, ReturnAuthorization.id == Inspection.rma_pk)
        .where(*conditions)
        .order_by(Inspection.received_at.desc(), Inspection.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return InspectionPage(
        [InspectionRow(r[0], r[1], r[2], r[3], str(r[4] or ""), r[5], r[6], r[7], r[8], r[9],
                       r[10], list(r[11] or [])) for r in rows],
        total, page, per_page)
