"""Slices of the rollup: the dashboard's single filters (station, category, reason, grade, operator).

``analytics_slice`` holds the rows of ``analytics_hour`` counted again inside each value of one
filter (slice ``station=bench-2``, ``grade=A``, ...), so a dashboard with one such filter is
answered from the rollup too. A slice keeps exactly what ``Scope.conditions`` would keep:

- parcel dims (reason, station, operator, issue, grading, all): ``station`` / ``operator`` the
  parcel's column; ``reason`` the RMA's reason (``unexpected``: no RMA); ``grade`` parcels having
  a unit of that grade; ``category`` parcels whose RMA listed a line of that category. A parcel
  with an A and a C unit (or two categories) is in both slices, as the filters count it.
- unit dims (unit_*): ``station`` / ``operator`` / ``reason`` of the unit's parcel; ``grade`` and
  ``category`` the unit's own (``Scope.unit_filters``).

Two or more filters at once (or any other filter) are not sliced: those read the base tables.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import aliased

from station.analytics.filters import UNEXPECTED, Filters
from station.db.models import ExpectedItem, Inspection, InspectionUnit, ReturnAuthorization

#: The filters that have slices, in the dashboard form's order.
SLICE_FIELDS = ("station", "category", "reason", "grade", "operator")
_DATES = frozenset({"date_from", "date_to"})


@dataclass(frozen=True)
class Slicer:
    """One filter as SQL: the slice value per row, and the joins that value needs."""

    name: str
    value: Any  # a column or SQL expression
    joins: tuple[tuple[Any, Any], ...] = ()


def slice_of(filters: Filters) -> str | None:
    """``"station=bench-2"`` when exactly one sliced filter (and the dates) is set, else None."""
    others = [(f.name, getattr(filters, f.name)) for f in fields(filters)
              if f.name not in _DATES and getattr(filters, f.name) is not None]
    if len(others) != 1 or others[0][0] not in SLICE_FIELDS:
        return None
    return f"{others[0][0]}={others[0][1]}"


def _reason() -> Slicer:
    rma = aliased(ReturnAuthorization, name="slice_rma")
    value = case((Inspection.rma_pk.is_(None), UNEXPECTED), else_=rma.reason)
    return Slicer("reason", value, ((rma, rma.id == Inspection.rma_pk),))


def parcel_slicers(start: datetime, end: datetime) -> list[Slicer]:
    """Slicers for selects over ``inspection`` received in [start, end)."""
    in_range = (Inspection.received_at >= start, Inspection.received_at < end)
    U = aliased(InspectionUnit, name="slice_unit")
    graded = (select(U.inspection_id.label("inspection_id"), U.grade.label("value"))
              .join(Inspection, Inspection.id == U.inspection_id)
              .where(*in_range, U.grade.is_not(None)).distinct().subquery("slice_grade"))
    listed = (select(Inspection.id.label("inspection_id"), ExpectedItem.category.label("value"))
              .join(ExpectedItem, ExpectedItem.rma_pk == Inspection.rma_pk)
              .where(*in_range, ExpectedItem.category.is_not(None)).distinct()
              .subquery("slice_category"))
    return [
        Slicer("station", Inspection.station_id),
        Slicer("category", listed.c.value, ((listed, listed.c.inspection_id == Inspection.id),)),
        _reason(),
        Slicer("grade", graded.c.value, ((graded, graded.c.inspection_id == Inspection.id),)),
        Slicer("operator", Inspection.operator_id),
    ]


def unit_slicers() -> list[Slicer]:
    """Slicers for selects over ``inspection_unit`` joined to its ``inspection``."""
    U = InspectionUnit
    category = case((U.category == "", None), else_=U.category)
    return [Slicer("station", Inspection.station_id), Slicer("category", category), _reason(),
            Slicer("grade", U.grade), Slicer("operator", Inspection.operator_id)]
