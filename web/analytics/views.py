"""Analytics pages (supervisors): dashboard, grading consistency, drill-down list, CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from station.analytics import (
    TABLES,
    FilterError,
    Filters,
    Options,
    Scope,
    consistency,
    drilldown,
    parse_filters,
    throughput,
    views,
)
from station.analytics.drilldown import MAX_PAGE
from station.analytics.filters import CHOICES, HOUR_FIELDS, TEXT_FIELDS
from station.analytics.reader import AnalyticsReader
from station.analytics.sqlexpr import BUCKETS
from station.db.models import Operator, Station
from web.analytics import labels
from web.analytics.charts import Datum, bar_chart, donut_chart, line_chart
from web.app import station_context
from web.auth.roles import SUPERVISOR_ROLES, protect
from web.params import bounded_int

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
protect(bp, SUPERVISOR_ROLES)

_DATES = _l("Dates are written YYYY-MM-DD, the start on or before the end, at most ten years apart.")
_CHOICE = _l("Choose one of the values the form offers.")
_TEXT = _l("At most 100 characters, no control characters.")
_HOURS = _l("A number of hours from 0.")
UNKNOWN_FILTER = _l("This page has no such filter.")
FILTER_HINTS: dict[str, LazyString] = {
    "date_from": _DATES, "date_to": _DATES, **dict.fromkeys(CHOICES, _CHOICE),
    **dict.fromkeys(TEXT_FIELDS, _TEXT), **dict.fromkeys(HOUR_FIELDS, _HOURS),
}


class BadRequestArgs(Exception):
    """A query parameter the page cannot use (shown on a 400 page with the filter form)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def zone() -> ZoneInfo:
    return ZoneInfo(station_context(current_app).settings.station.timezone)


def options() -> Options:
    review = station_context(current_app).settings.review
    bucket = request.args.get("bucket", "day") or "day"
    if bucket not in BUCKETS:
        raise BadRequestArgs("bucket", _("Choose day, week or month."))
    page = request.args.get("page", "1") or "1"
    page_no = bounded_int(page, 1, MAX_PAGE)
    if page_no is None:
        raise BadRequestArgs("page", _("The page must be a number from 1 to %(last)d.",
                                       last=MAX_PAGE))
    if request.args.get("format", "") not in ("", "html", "csv"):
        raise BadRequestArgs("format", _("The format is html or csv."))
    top = request.args.get("top", "10") or "10"
    rows = bounded_int(top, 1, 100)
    if rows is None:
        raise BadRequestArgs("top", _("Show from 1 to 100 rows."))
    return Options(bucket=bucket, top=rows, page=page_no,
                   sla_warn_hours=review.sla_warn_hours, sla_breach_hours=review.sla_breach_hours)


def filters() -> Filters:
    try:
        return parse_filters(request.args.to_dict(), zone())
    except FilterError as exc:
        raise BadRequestArgs(exc.field, str(FILTER_HINTS.get(exc.field, UNKNOWN_FILTER))) from None


@bp.errorhandler(BadRequestArgs)
def _bad_args(exc: BadRequestArgs) -> tuple[str, int]:
    with session() as s:
        choices = form_choices(s)
    return render_template("analytics/bad_filters.html", field=exc.field, message=exc.message,
                           args=request.args, bad=True, **choices), 400


@contextmanager
def session() -> Iterator[Session]:
    reader: AnalyticsReader = current_app.extensions["analytics_reader"]
    with reader.session() as s:
        yield s


def form_choices(s: Session) -> dict[str, Any]:
    """What the filter form offers: stations and people from their (small) tables."""
    stations = s.execute(select(Station.id, Station.name).order_by(Station.id)).all()
    people = s.execute(select(Operator.id, Operator.display_name, Operator.username)
                       .order_by(Operator.display_name)).all()
    return {"station_choices": [(i, n or i) for i, n in stations],
            "operator_choices": [(i, d or u) for i, d, u in people], "labels": labels,
            "buckets": BUCKETS}


def drill(f: Filters, **changes: object) -> str:
    """The drill-down list of ``f`` narrowed by ``changes``."""
    params: dict[str, Any] = f.params(**changes)
    return url_for("analytics.inspections", **params)


def csv_url(view: str, f: Filters, o: Options | None = None) -> str:
    params: dict[str, Any] = {**f.params(), **({"bucket": o.bucket, "top": o.top} if o else {})}
    return url_for("analytics.export", view=view, **params)


@bp.get("/")
def dashboard() -> str:
    f, o = filters(), options()
    with session() as s:
        scope = Scope.of(s, f, zone())
        points = views.returns_over_time(s, scope, o.bucket)
        reasons = views.by_reason(s, scope)
        categories = views.by_category(s, scope, o.top)
        products = views.by_sku(s, scope, o.top)
        grades = views.by_grade(s, scope)
        dispositions = views.by_disposition(s, scope)
        stations = throughput.by_station(s, scope)
        operators = throughput.by_operator(s, scope)
        rates = views.rates(s, scope)
        refunds = views.refund_outcomes(s, scope)
        sla = views.sla_ages(s, scope, o.sla_warn_hours, o.sla_breach_hours)
        choices = form_choices(s)
    reason_name = lambda k: labels.name(labels.REASONS, k)  # noqa: E731
    issues = [("flagged", rates.flagged), ("wrong_item", rates.wrong_item),
              ("weight_mismatch", rates.weight_mismatch),
              ("supervisor_override", rates.supervisor_override),
              *sorted(rates.by_flag.items(), key=lambda kv: -kv[1])]
    charts = {
        "over_time": line_chart(
            [Datum(p.first.isoformat(), p.inspections, drill(f, date_from=p.first, date_to=p.last),
                   f"{p.first.isoformat()}–{p.last.isoformat()}: {p.inspections}")
             for p in points], _titled("over_time"), width=OVER_TIME_WIDTH_PX),
        "reasons": bar_chart([Datum(reason_name(r.key), r.inspections, drill(f, reason=r.key))
                              for r in reasons[:MAX_BARS]], _titled("reasons")),
        "categories": bar_chart([Datum(c.key, c.inspections, drill(f, category=c.key))
                                 for c in categories[:MAX_BARS]], _titled("categories")),
        "products": bar_chart([Datum(f"{p.sku} {p.description}".strip(), p.inspections,
                                     drill(f, sku=p.sku)) for p in products],
                              _titled("products"), lines=1),
        "grades": donut_chart([Datum(labels.name(labels.GRADES, g.key), g.inspections,
                                     drill(f, grade=g.key)) for g in grades], _titled("grades")),
        "dispositions": donut_chart(with_other([
            Datum(labels.name(labels.DISPOSITIONS, d.key), d.inspections,
                  drill(f, disposition=d.key)) for d in dispositions], drill(f)),
            _titled("dispositions")),
        "stations": bar_chart([Datum(t.name, t.inspections, drill(f, station=t.key))
                               for t in stations[:MAX_BARS]], _titled("stations")),
        "operators": bar_chart([Datum(t.name, t.inspections, _operator_drill(f, t.key))
                                for t in operators[:MAX_BARS]], _titled("operators")),
        # the four rates always, the two most frequent flag reasons that happened (all of
        # them: the numbers table)
        "rates": bar_chart([Datum(labels.name(labels.ISSUES, k), v, drill(f, issue=k))
                            for i, (k, v) in enumerate(issues) if i < 4 or (v and i < 6)],
                           _titled("rates")),
        "refunds": bar_chart([Datum(f"{labels.name(labels.RECOMMENDATIONS, r.recommendation)} → "
                                    f"{labels.name(labels.REFUNDS, r.refund)}", r.inspections,
                                    drill(f, recommendation=r.recommendation, refund=r.refund))
                              for r in refunds[:MAX_BARS]], _titled("refunds")),
        "sla": bar_chart([Datum(_age_label(b.from_h, b.to_h), b.inspections,
                                drill(f, state="flagged", age_from_h=b.from_h, age_to_h=b.to_h))
                          for b in sla], _titled("sla")),
    }
    return render_template(
        "analytics/dashboard.html", f=f, o=o, charts=charts, points=points, reasons=reasons,
        figures=key_figures(f, rates, stations, sla),
        categories=categories, products=products, grades=grades, dispositions=dispositions,
        stations=stations, operators=operators, rates=rates, issues=issues, refunds=refunds,
        sla=sla, drill=drill, csv_url=csv_url, age_label=_age_label,
        operator_drill=_operator_drill, counted=counted, **choices)


#: Slices a ring chart draws: its legend then stays within the ring's height.
MAX_SLICES = 7


def with_other(slices: list[Datum], href: str, keep: int = MAX_SLICES - 1) -> list[Datum]:
    """At most ``MAX_SLICES`` slices: the largest ones and the rest as one "Other" slice."""
    if len(slices) <= MAX_SLICES:
        return slices
    ordered = sorted(slices, key=lambda d: -d.value)
    rest = ordered[keep:]
    return [*ordered[:keep], Datum(str(_("Other")), sum(d.value for d in rest), href,
                                   ", ".join(f"{d.label}: {d.value:g}" for d in rest))]


#: Bars a chart of the first view draws (the most frequent first); its numbers table lists all.
MAX_BARS = 6
#: The line chart spans two dashboard cards (analytics.css ``#over-time``).
OVER_TIME_WIDTH_PX = 900


def key_figures(f: Filters, rates: Any, stations: list[Any], sla: list[Any]) -> list[dict[str, Any]]:
    """The figures above the charts: counts with their share, each linked to its inspections."""
    completed = sum(t.completed for t in stations)
    waiting = sum(b.inspections for b in sla)
    breached = [b for b in sla if b.level == "breach"]
    late = sum(b.inspections for b in breached)
    figures: list[dict[str, Any]] = [
        {"id": "inspections", "label": _("Inspections"), "value": rates.inspections,
         "href": drill(f)},
        {"id": "completed", "label": _("Completed"), "value": completed,
         "rate": rates.rate(completed), "href": drill(f)},
    ]
    for key in ("flagged", "wrong_item", "weight_mismatch", "supervisor_override"):
        count = getattr(rates, key)
        figures.append({"id": key, "label": labels.name(labels.ISSUES, key), "value": count,
                        "rate": rates.rate(count), "href": drill(f, issue=key)})
    figures.append({"id": "waiting", "label": _("Waiting for review now"), "value": waiting,
                    "href": drill(f, state="flagged"), "level": "warn" if waiting else ""})
    first_late = breached[0].from_h if breached else None
    figures.append({"id": "breached", "label": _("Waiting longer than the review SLA"),
                    "value": late, "level": "bad" if late else "",
                    "href": drill(f, state="flagged", age_from_h=first_late) if breached
                    else drill(f, state="flagged")})
    return figures


def _titled(view: str) -> str:
    """A chart's title with what it counts, e.g. "Grades (units)"."""
    return _("%(title)s (%(counted)s)", title=str(labels.TABLE_TITLES[view]),
             counted=str(labels.COUNTED[views.COUNTS[view]]))


def counted(view: str) -> str:
    """The line under a card saying what it counts."""
    return str(labels.COUNTED_NOTE[views.COUNTS[view]])


def _operator_drill(f: Filters, key: str) -> str:
    return drill(f, operator=key) if key != throughput.NOBODY else drill(f)


def _age_label(from_h: float, to_h: float | None) -> str:
    if to_h is None:
        return _("%(hours)s h or more", hours=f"{from_h:g}")
    return _("%(low)s to %(high)s h", low=f"{from_h:g}", high=f"{to_h:g}")


@bp.get("/operators")
def grading() -> str:
    f, o = filters(), options()
    with session() as s:
        rows = consistency.grading_consistency(s, Scope.of(s, f, zone()))
        choices = form_choices(s)
    # The title goes to the template as a value: Jinja's gettext %-formats every string, and a
    # translation may write a bare "%" here (no placeholders), which would raise there.
    title = _("Share of A/B grades per operator, in percent")
    chart = bar_chart([Datum(c.name, round(100 * (c.ab_share or 0)), _operator_drill(f, c.operator_id),
                             _("%(name)s: %(share)s%% A/B, bench %(expected)s%%", name=c.name,
                                share=f"{100 * (c.ab_share or 0):.0f}",
                                expected=f"{100 * (c.expected_ab_share or 0):.0f}"))
                       for c in rows if c.graded], title, width=900)
    return render_template("analytics/grading.html", f=f, o=o, rows=rows, chart=chart, chart_title=title,
                           drill=drill, csv_url=csv_url, consistency=consistency,
                           operator_drill=_operator_drill, note=counted("grading"), **choices)


@bp.get("/inspections")
def inspections() -> str | Response:
    f, o = filters(), options()
    if request.args.get("format") == "csv":
        return export("inspections")
    with session() as s:
        page = drilldown.inspections(s, Scope.of(s, f, zone()), o.page)
        choices = form_choices(s)
    return render_template("analytics/inspections.html", f=f, o=o, page=page, zone=zone(),
                           drill=drill, csv_url=csv_url, note=counted("inspections"), **choices)


@bp.get("/<view>.csv")
def export(view: str) -> Response:
    if view not in TABLES:
        abort(404)
    f, o = filters(), options()
    with session() as s:
        table = TABLES[view](s, Scope.of(s, f, zone()), o)
    name = f"{view}_{f.date_from.isoformat()}_{f.date_to.isoformat()}.csv"
    return Response("\ufeff" + table.csv(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
