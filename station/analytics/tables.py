"""Every analytics view as a plain table (columns + rows) for CSV export and the HTML report."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from station.analytics import consistency, drilldown, throughput, views
from station.analytics.filters import FLAG_REASONS
from station.analytics.scope import Scope
from station.analytics.sqlexpr import Bucket

Cell = str | int | float | None


@dataclass(frozen=True)
class Options:
    """View settings that are not filters: time bucket, top-N size, SLA hours, drill-down page."""

    bucket: Bucket = "day"
    top: int = 10
    sla_warn_hours: float = 24.0
    sla_breach_hours: float = 48.0
    page: int = 1


@dataclass(frozen=True)
class Table:
    """A named table: machine column names and rows of plain values."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]] = field(default_factory=list)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows(["" if c is None else _plain(c) for c in row] for row in self.rows)
        return out.getvalue()


def _plain(value: Cell) -> Cell:
    """Round floats for people; guard against spreadsheet formula injection in text cells."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, str) and (value[:1] in ("=", "+", "@", "\t", "\r")
                                   or (value[:1] == "-" and len(value) > 1)):
        return "'" + value
    return value


def _rate(count: int, total: int) -> float | None:
    return count / total if total else None


def over_time(session: Session, scope: Scope, o: Options) -> Table:
    points = views.returns_over_time(session, scope, o.bucket)
    return Table("over_time", ("first_day", "last_day", "inspections", "flagged"),
                 [(p.first.isoformat(), p.last.isoformat(), p.inspections, p.flagged)
                  for p in points])


def _shares(name: str, key: str, shares: list[views.Share]) -> Table:
    """A key and its count; the count's column says what it counts (views.COUNTS)."""
    counted = "units" if views.COUNTS[name] == "units" else "inspections"
    return Table(name, (key, counted), [(s.key, s.inspections) for s in shares])


def reasons(session: Session, scope: Scope, o: Options) -> Table:
    return _shares("reasons", "reason", views.by_reason(session, scope))


def categories(session: Session, scope: Scope, o: Options) -> Table:
    return _shares("categories", "category", views.by_category(session, scope, o.top))


def products(session: Session, scope: Scope, o: Options) -> Table:
    return Table("products", ("sku", "description", "category", "units", "inspections"),
                 [(p.sku, p.description, p.category, p.units, p.inspections)
                  for p in views.by_sku(session, scope, o.top)])


def grades(session: Session, scope: Scope, o: Options) -> Table:
    return _shares("grades", "grade", views.by_grade(session, scope))


def dispositions(session: Session, scope: Scope, o: Options) -> Table:
    return _shares("dispositions", "disposition", views.by_disposition(session, scope))


def _throughput(name: str, rows: list[throughput.Throughput]) -> Table:
    return Table(name, ("id", "name", "inspections", "completed", "median_minutes"),
                 [(t.key, t.name, t.inspections, t.completed, t.median_minutes) for t in rows])


def stations(session: Session, scope: Scope, o: Options) -> Table:
    return _throughput("stations", throughput.by_station(session, scope))


def operators(session: Session, scope: Scope, o: Options) -> Table:
    return _throughput("operators", throughput.by_operator(session, scope))


def rates(session: Session, scope: Scope, o: Options) -> Table:
    r = views.rates(session, scope)
    counts = [("inspections", r.inspections), ("flagged", r.flagged),
              ("wrong_item", r.wrong_item), ("weight_mismatch", r.weight_mismatch),
              ("unexpected_parcel", r.unexpected_parcel),
              ("supervisor_override", r.supervisor_override),
              *((f"flag:{k}", r.by_flag[k]) for k in FLAG_REASONS)]
    return Table("rates", ("measure", "inspections", "rate"),
                 [(k, v, _rate(v, r.inspections)) for k, v in counts])


def refunds(session: Session, scope: Scope, o: Options) -> Table:
    return Table("refunds", ("recommendation", "refund_status", "units"),
                 [(x.recommendation, x.refund, x.inspections)
                  for x in views.refund_outcomes(session, scope)])


def sla(session: Session, scope: Scope, o: Options) -> Table:
    bins = views.sla_ages(session, scope, o.sla_warn_hours, o.sla_breach_hours)
    return Table("sla", ("age_from_h", "age_to_h", "level", "inspections"),
                 [(b.from_h, b.to_h, b.level, b.inspections) for b in bins])


def grading(session: Session, scope: Scope, o: Options) -> Table:
    columns = ("operator_id", "name", "inspections", "graded",
               *(f"share_{g}" for g in consistency.GRADES),
               *(f"expected_{g}" for g in consistency.GRADES),
               "ab_share", "expected_ab_share", "ab_z", "flag_rate", "flag_z", "override_rate",
               "override_z", "median_minutes", "outlier")
    rows: list[tuple[Cell, ...]] = []
    for c in consistency.grading_consistency(session, scope):
        rows.append((c.operator_id, c.name, c.inspections, c.graded,
                     *(c.grade_share.get(g) for g in consistency.GRADES),
                     *(c.expected_grade_share.get(g) for g in consistency.GRADES),
                     c.ab_share, c.expected_ab_share, c.ab_z, c.flag_rate, c.flag_z,
                     c.override_rate, c.override_z, c.median_minutes,
                     " ".join(c.outlier_reasons)))
    return Table("grading", columns, rows)


def inspections(session: Session, scope: Scope, o: Options) -> Table:
    page = drilldown.inspections(session, scope, o.page)
    return Table("inspections", ("id", "received_at", "completed_at", "station", "operator",
                                 "state", "rma", "reason", "grade", "disposition",
                                 "recommendation", "flags"),
                 [(r.id, r.received_at.isoformat(),
                   r.completed_at.isoformat() if r.completed_at else None, r.station_id,
                   r.operator, r.state, r.rma_id, r.reason, r.grade, r.disposition,
                   r.recommendation, " ".join(str(f) for f in r.flags)) for r in page.rows])


TableFn = Callable[[Session, Scope, Options], Table]
#: Every exportable view by its URL / file name (the report writes them in this order).
TABLES: dict[str, TableFn] = {
    "over_time": over_time, "reasons": reasons, "categories": categories, "products": products,
    "grades": grades, "dispositions": dispositions, "stations": stations,
    "operators": operators, "rates": rates, "refunds": refunds, "sla": sla, "grading": grading,
    "inspections": inspections,
}
