"""A query scope: the filters turned into SQL conditions on inspection, for one database dialect."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from station.analytics import sqlexpr
from station.analytics.filters import FLAG_REASONS, UNEXPECTED, Filters
from station.db.models import (
    AnalyticsHour,
    ExpectedItem,
    Inspection,
    InspectionUnit,
    ReturnAuthorization,
    Scan,
)

#: A unit's disposition / recommendation key (and filter value) for a unit that never came.
MISSING = "missing"


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
    #: The rollup also holds the unit dims (rollup.UNITS_READY): unit views may read it too.
    unit_rollup: bool = True
    #: The sliced rollup (analytics_slice, migration 0013) exists: one filter may read it.
    slice_rollup: bool = True

    @classmethod
    def of(cls, session: Session, filters: Filters, zone: ZoneInfo | str,
           now: datetime | None = None) -> Scope:
        from station.analytics.rollup import DIRTY, has_slices, units_ready

        dialect = session.get_bind().dialect.name
        tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
        # Hours waiting to be recounted (AnalyticsReader recounts them first): until then the
        # direct queries answer, so a reader that skipped the refresh still gets exact numbers.
        stale = session.execute(select(AnalyticsHour.hour).where(AnalyticsHour.dim == DIRTY)
                                .limit(1)).first() is not None
        return cls(filters, tz, dialect, now or datetime.now(UTC), rollup=not stale,
                   unit_rollup=not stale and units_ready(session),
                   slice_rollup=not stale and has_slices(session))

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

    def unit_filters(self) -> list[ColumnElement[bool]]:
        """The grade / disposition / recommendation / category / SKU filters on one unit
        (a disposition or recommendation of "missing" means a unit that never came)."""
        f = self.filters
        U = InspectionUnit
        conds: list[ColumnElement[bool]] = []
        for column, value in ((U.grade, f.grade), (U.category, f.category), (U.sku, f.sku)):
            if value is not None:
                conds.append(column == value)
        for column, value in ((U.disposition, f.disposition),
                              (U.recommendation, f.recommendation)):
            if value == MISSING:
                conds.append(U.kind == MISSING)
            elif value is not None:
                conds.append(and_(column == value, U.kind != MISSING))
        return conds

    def unit_conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions for unit views (inspection_unit joined to inspection): the
        parcel's filters, and the unit filters on the unit itself."""
        return [*self.conditions(parcel_only=True), *self.unit_filters()]

    def conditions(self, parcel_only: bool = False) -> list[ColumnElement[bool]]:
        """The WHERE conditions on inspection for these filters (AND-ed).

        Grade, disposition and recommendation filters mean parcels having such a unit; category
        and SKU filters mean parcels whose return listed such a line. ``parcel_only`` leaves
        those out (unit views apply them to the unit, ``unit_conditions``).
        """
        f = self.filters
        start, end = self.bounds
        conds: list[ColumnElement[bool]] = [Inspection.received_at >= start,
                                            Inspection.received_at < end]
        for column, value in ((Inspection.station_id, f.station),
                              (Inspection.operator_id, f.operator),
                              (Inspection.state, f.state)):
            if value is not None:
                conds.append(column == value)
        if not parcel_only and (f.grade or f.disposition or f.recommendation):
            unit = Scope(replace(f, category=None, sku=None), self.zone, self.dialect, self.now)
            conds.append(exists().where(InspectionUnit.inspection_id == Inspection.id,
                                        *unit.unit_filters()))
        if f.reason == UNEXPECTED:
            conds.append(Inspection.rma_pk.is_(None))
        elif f.reason is not None:
            conds.append(Inspection.rma_pk.in_(
                select(ReturnAuthorization.id).where(ReturnAuthorization.reason == f.reason)))
        if f.category is not None and not parcel_only:
            conds.append(Inspection.rma_pk.in_(
                select(ExpectedItem.rma_pk).where(ExpectedItem.category == f.category)))
        if f.sku is not None and not parcel_only:
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
