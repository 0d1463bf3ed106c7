"""A query scope: the filters turned into SQL conditions on inspection, for one database dialect."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from station.analytics import sqlexpr
from station.analytics.filters import FLAG_REASONS, UNEXPECTED, Filters
from station.db.models import AnalyticsHour, ExpectedItem, Inspection, ReturnAuthorization, Scan


@dataclass(frozen=True)
class Scope:
    """Filters + station time zone + dialect + "now" (for ages): everything a query needs."""

    filters: Filters
    zone: ZoneInfo
    dialect: str
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Let counts come from the hourly rollup when it answers exactly (hourly.usable); False
    #: forces the direct queries on the inspections (tests compare the two).
    rollup: bool = True

    @classmethod
    def of(cls, session: Session, filters: Filters, zone: ZoneInfo | str,
           now: datetime | None = None) -> Scope:
        from station.analytics.rollup import DIRTY

        dialect = session.get_bind().dialect.name
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        # Hours waiting to be recounted (AnalyticsReader recounts them first): until then the
        # direct queries answer, so a reader that skipped the refresh still gets exact numbers.
        stale = session.execute(select(AnalyticsHour.hour).where(AnalyticsHour.dim == DIRTY)
                                .limit(1)).first() is not None
        return cls(filters, tz, dialect, now or datetime.now(UTC), rollup=not stale)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return self.filters.utc_bounds(self.zone)

    def issue(self, name: str) -> ColumnElement[bool]:
        """The SQL condition for a drill-down issue (see filters.ISSUES)."""
        if name == "flagged":
            return sqlexpr.any_flag(self.dialect)
        if name == "wrong_item":
            return wrong_item()
        if name == "weight_mismatch":
            return sqlexpr.has_verdict_code(self.dialect, "over_tolerance", "under_tolerance")
        if name == "supervisor_override":
            return sqlexpr.supervisor_override(self.dialect)
        if name in FLAG_REASONS:
            return sqlexpr.has_flag(self.dialect, name)
        raise ValueError(f"unknown issue {name!r}")

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on inspection for these filters (AND-ed)."""
        f = self.filters
        start, end = self.bounds
        conds: list[ColumnElement[bool]] = [Inspection.received_at >= start,
                                            Inspection.received_at < end]
        for column, value in ((Inspection.station_id, f.station),
                              (Inspection.operator_id, f.operator),
                              (Inspection.grade, f.grade),
                              (Inspection.disposition, f.disposition),
                              (Inspection.recommendation, f.recommendation),
                              (Inspection.state, f.state)):
            if value is not None:
                conds.append(column == value)
        if f.reason == UNEXPECTED:
            conds.append(Inspection.rma_pk.is_(None))
        elif f.reason is not None:
            conds.append(Inspection.rma_pk.in_(
                select(ReturnAuthorization.id).where(ReturnAuthorization.reason == f.reason)))
        if f.category is not None:
            conds.append(Inspection.rma_pk.in_(
                select(ExpectedItem.rma_pk).where(ExpectedItem.category == f.category)))
        if f.sku is not None:
            conds.append(Inspection.rma_pk.in_(
                select(ExpectedItem.rma_pk).where(ExpectedItem.sku == f.sku)))
        if f.refund is not None:
            conds.append(sqlexpr.refund_state(self.dialect) == f.refund)
        if f.issue is not None:
            conds.append(self.issue(f.issue))
        if f.age_from_h is not None:
            conds.append(Inspection.received_at <= self.now - timedelta(hours=f.age_from_h))
        if f.age_to_h is not None:
            conds.append(Inspection.received_at > self.now - timedelta(hours=f.age_to_h))
        return conds


def wrong_item() -> ColumnElement[bool]:
    """At least one scanned item was on no line of the return."""
    return Inspection.id.in_(select(Scan.inspection_id).where(Scan.result == "mismatch"))
