"""Grading consistency per operator: grades against the bench average for the same categories.

Each operator's share of A/B grades is compared with what the whole bench gives the same mix of
categories (category-weighted expected share: sum over categories of the operator's graded count
times the bench's A/B share in that category). The gap is scored as a binomial z-score. Flag and
supervisor-override rates are scored the same way against the bench rate.

An operator is highlighted as an outlier when they graded at least ``MIN_GRADED`` parcels and
|z| >= ``Z_OUTLIER`` on A/B share, flag rate or override rate, or their A/B share is more than
``SHARE_OUTLIER`` (15 points) away from the expected share. The counts come from two GROUP BY
queries (operator x category, operator); only those aggregates are combined in Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from station.analytics import hourly, sqlexpr
from station.analytics.scope import Scope
from station.analytics.throughput import NOBODY, medians, operator_names
from station.db.models import ExpectedItem, Inspection

GRADES = ("A", "B", "C", "D")
MIN_GRADED = 10
Z_OUTLIER = 2.0
SHARE_OUTLIER = 0.15
#: Category of an inspection without an RMA line (unexpected parcel).
NO_CATEGORY = "-"


@dataclass(frozen=True)
class OperatorConsistency:
    """One operator's grading next to the bench's, and why they stand out (if they do)."""

    operator_id: str
    name: str
    inspections: int
    graded: int
    grade_share: dict[str, float]
    expected_grade_share: dict[str, float]
    ab_share: float | None
    expected_ab_share: float | None
    ab_z: float | None
    flag_rate: float | None
    flag_z: float | None
    override_rate: float | None
    override_z: float | None
    median_minutes: float | None
    outlier_reasons: list[str] = field(default_factory=list)

    @property
    def ab_deviation(self) -> float | None:
        if self.ab_share is None or self.expected_ab_share is None:
            return None
        return self.ab_share - self.expected_ab_share

    @property
    def outlier(self) -> bool:
        return bool(self.outlier_reasons)


def _z(observed: float, expected: float, variance: float) -> float | None:
    return (observed - expected) / math.sqrt(variance) if variance > 0 else None


def _binomial_z(hits: int, trials: int, rate: float) -> float | None:
    return _z(hits, trials * rate, trials * rate * (1 - rate)) if trials else None


def grading_consistency(session: Session, scope: Scope) -> list[OperatorConsistency]:
    """Every operator with inspections in scope, most inspections first."""
    operator = func.coalesce(Inspection.operator_id, NOBODY)
    if hourly.usable(scope):
        graded_rows, totals = _rolled_counts(session, scope)
    else:
        graded_rows, totals = _direct_counts(session, scope, operator)
    return _combine(session, scope, graded_rows, totals)


def _rolled_counts(session: Session, scope: Scope
                   ) -> tuple[list[Any], dict[str, tuple[int, int, int]]]:
    """The same two tables from analytics_hour (operator x category x grade; per operator)."""
    cells: dict[tuple[str, str], list[int]] = {}
    for op, cat, grade, n, *_ in hourly.totals(session, scope, "grading",
                                              by=("key", "key2", "key3")):
        row = cells.setdefault((str(op), str(cat)), [0, 0, 0, 0])
        if grade in GRADES:
            row[GRADES.index(str(grade))] += int(n)
    graded_rows = [(op, cat, sum(v), *v) for (op, cat), v in cells.items()]
    totals = {str(r[0]): (int(r[1]), int(r[3] or 0), int(r[4] or 0))
              for r in hourly.totals(session, scope, "operator")}
    return graded_rows, totals


def _direct_counts(session: Session, scope: Scope, operator: Any
                   ) -> tuple[list[Any], dict[str, tuple[int, int, int]]]:
    category = func.coalesce(ExpectedItem.category, NO_CATEGORY)
    per_grade = [func.sum(case((Inspection.grade == g, 1), else_=0)) for g in GRADES]
    graded_rows = session.execute(
        select(operator, category, func.count(), *per_grade)
        .select_from(Inspection)
        .outerjoin(ExpectedItem, and_(ExpectedItem.rma_pk == Inspection.rma_pk,
                                      ExpectedItem.line_no == 1))
        .where(*scope.conditions(), Inspection.grade.is_not(None))
        .group_by(operator, category)
    ).all()
    d = scope.dialect
    flag = func.sum(case((sqlexpr.any_flag(d), 1), else_=0))
    override = func.sum(case((sqlexpr.supervisor_override(d), 1), else_=0))
    totals = {str(r[0]): (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in session.execute(
        select(operator, func.count(), flag, override).where(*scope.conditions())
        .group_by(operator)).all()}
    return list(graded_rows), totals


def _combine(session: Session, scope: Scope, graded_rows: list[Any],
             totals: dict[str, tuple[int, int, int]]) -> list[OperatorConsistency]:
    cells: dict[str, dict[str, list[int]]] = defaultdict(dict)  # operator -> category -> A..D
    bench: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in graded_rows:
        grades = [int(v or 0) for v in row[3:]]
        cells[str(row[0])][str(row[1])] = grades
        bench[str(row[1])] = [a + b for a, b in zip(bench[str(row[1])], grades, strict=True)]
    bench_share = {c: [g / sum(v) for g in v] for c, v in bench.items() if sum(v)}
    all_inspections = sum(t[0] for t in totals.values())
    flag_rate = sum(t[1] for t in totals.values()) / all_inspections if all_inspections else 0.0
    override_rate = sum(t[2] for t in totals.values()) / all_inspections if all_inspections \
        else 0.0
    median = medians(session, scope, Inspection.operator_id)
    names = operator_names(session)

    result = []
    for op_id, (count, flagged, overridden) in sorted(totals.items(), key=lambda t: (-t[1][0], t[0])):
        by_cat = cells.get(op_id, {})
        graded = sum(sum(v) for v in by_cat.values())
        actual = [sum(v[i] for v in by_cat.values()) for i in range(4)]
        expected = [sum(sum(v) * bench_share[c][i] for c, v in by_cat.items()) for i in range(4)]
        ab_var = sum(sum(v) * (p := bench_share[c][0] + bench_share[c][1]) * (1 - p)
                     for c, v in by_cat.items())
        ab_z = _z(actual[0] + actual[1], expected[0] + expected[1], ab_var) if graded else None
        item = OperatorConsistency(
            operator_id=op_id, name=names.get(op_id, op_id), inspections=count, graded=graded,
            grade_share={g: actual[i] / graded for i, g in enumerate(GRADES)} if graded else {},
            expected_grade_share={g: expected[i] / graded for i, g in enumerate(GRADES)}
            if graded else {},
            ab_share=(actual[0] + actual[1]) / graded if graded else None,
            expected_ab_share=(expected[0] + expected[1]) / graded if graded else None,
            ab_z=ab_z,
            flag_rate=flagged / count if count else None,
            flag_z=_binomial_z(flagged, count, flag_rate),
            override_rate=overridden / count if count else None,
            override_z=_binomial_z(overridden, count, override_rate),
            median_minutes=median.get(op_id),
        )
        item.outlier_reasons.extend(outlier_reasons(item))
        result.append(item)
    return result


def outlier_reasons(item: OperatorConsistency) -> list[str]:
    """Which of the documented thresholds this operator crosses (empty: not an outlier)."""
    if item.graded < MIN_GRADED:
        return []
    reasons = []
    deviation = item.ab_deviation
    if (item.ab_z is not None and abs(item.ab_z) >= Z_OUTLIER) or \
            (deviation is not None and abs(deviation) >= SHARE_OUTLIER):
        reasons.append("grades_high" if (deviation or 0) > 0 else "grades_low")
    if item.flag_z is not None and abs(item.flag_z) >= Z_OUTLIER:
        reasons.append("flags_high" if item.flag_z > 0 else "flags_low")
    if item.override_z is not None and item.override_z >= Z_OUTLIER:
        reasons.append("overrides_high")
    return reasons
