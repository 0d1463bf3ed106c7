"""`station report`: the analytics summary of a date range as one self-contained HTML file and CSVs."""

from __future__ import annotations

import argparse
import html
import sys
from datetime import UTC, datetime
from pathlib import Path

from station.analytics import TABLES, FilterError, Options, Scope, Table, parse_filters
from station.analytics.reader import AnalyticsReader
from station.analytics.sqlexpr import BUCKETS
from station.cli.base import Subparsers, command, group, open_context
from station.config import Settings

#: Tables in the report (the drill-down list of every inspection is left to the CSV/web page).
REPORT_TABLES = tuple(name for name in TABLES if name != "inspections")
TITLES = {
    "over_time": "Returns over time", "reasons": "Why items came back",
    "categories": "Returns by category", "products": "Most returned products",
    "grades": "Grades", "dispositions": "Dispositions", "stations": "Stations",
    "operators": "Operators", "rates": "Mismatch and flag rates",
    "refunds": "Refund outcomes and recommendations", "sla": "Age of the flagged queue",
    "grading": "Grading consistency per operator",
}
#: The column drawn as a bar next to each table's rows.
BAR_COLUMN = {"over_time": "inspections", "reasons": "inspections", "categories": "inspections",
              "products": "inspections", "grades": "inspections", "dispositions": "inspections",
              "stations": "inspections", "operators": "inspections", "rates": "inspections",
              "refunds": "inspections", "sla": "inspections", "grading": "ab_share"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 28px; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bar { background: #1565c0; height: 10px; border-radius: 2px; }
.meta { color: #555; }
"""


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return html.escape(str(value))


def render_table(table: Table) -> str:
    """One table with a proportional bar per row (inline CSS: this file stands alone)."""
    bar = BAR_COLUMN.get(table.name)
    index = table.columns.index(bar) if bar in table.columns else None
    peak = max((float(r[index] or 0) for r in table.rows), default=0.0) if index is not None \
        else 0.0
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="{"n" if isinstance(v, int | float) else ""}">{_cell(v)}</td>'
            for v in row)
        width = 0.0 if index is None or not peak else 100 * float(row[index] or 0) / peak
        body.append(f'<tr>{cells}<td><div class="bar" style="width:{width:.0f}px"></div></td></tr>')
    if not body:
        body.append(f'<tr><td colspan="{len(table.columns) + 1}">no inspections</td></tr>')
    return (f'<h2 id="{table.name}">{html.escape(TITLES.get(table.name, table.name))}</h2>'
            f"<table><thead><tr>{head}<th></th></tr></thead><tbody>{''.join(body)}</tbody>"
            "</table>")


def render_report(tables: list[Table], heading: str, meta: str) -> str:
    sections = "\n".join(render_table(t) for t in tables)
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(heading)}</title><style>{STYLE}</style></head><body>"
            f'<h1>{html.escape(heading)}</h1><p class="meta">{html.escape(meta)}</p>'
            f"{sections}</body></html>\n")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.station.timezone)
    given = {"date_from": args.date_from, "date_to": args.date_to, "station": args.station,
             "category": args.category, "reason": args.reason, "grade": args.grade,
             "operator": args.operator}
    try:
        filters = parse_filters({k: v for k, v in given.items() if v}, zone)
    except FilterError as exc:
        print(f"error: --{exc.field.replace('date_', '').replace('_', '-')}: {exc.message}",
              file=sys.stderr)
        return 2
    if not 1 <= args.top <= 100:
        print("error: --top: from 1 to 100 rows", file=sys.stderr)
        return 2
    options = Options(bucket=args.bucket, top=args.top,
                      sla_warn_hours=settings.review.sla_warn_hours,
                      sla_breach_hours=settings.review.sla_breach_hours)
    with open_context(settings) as ctx:
        reader = AnalyticsReader(ctx.db, settings.database.busy_timeout_ms)
        try:
            with reader.session() as session:
                scope = Scope.of(session, filters, zone)
                tables = [TABLES[name](session, scope, options) for name in REPORT_TABLES]
        finally:
            reader.dispose()
    span = f"{filters.date_from.isoformat()}_{filters.date_to.isoformat()}"
    out = Path(args.out or f"returns-report_{span}.html")
    described = ", ".join(f"{k}={v}" for k, v in filters.describe())
    meta = (f"{described}; days in {zone.key}; station {settings.station.id}; "
            f"generated {datetime.now(UTC).isoformat(timespec='seconds')}")
    out.write_text(render_report(tables, f"Returns report {filters.date_from.isoformat()} to "
                                 f"{filters.date_to.isoformat()}", meta), encoding="utf-8")
    print(f"wrote {out}")
    if args.csv:
        folder = Path(args.csv)
        folder.mkdir(parents=True, exist_ok=True)
        for table in tables:
            path = folder / f"{table.name}_{span}.csv"
            path.write_text(table.csv(), encoding="utf-8", newline="")
        print(f"wrote {len(tables)} CSV files to {folder}")
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    """Recompute the analytics rollup from the inspections (after a bulk load or raw SQL)."""
    from station.analytics.rollup import rebuild

    with open_context(settings) as ctx, ctx.work() as work:
        rows = rebuild(work.session)
    print(f"analytics rollup rebuilt: {rows} rows")
    return 0


def register(sub: Subparsers) -> None:
    """Add `station report` and `station analytics rebuild` to the `station` parser."""
    analytics = group(sub, "analytics", "analytics data")
    command(analytics, "rebuild", cmd_rebuild, "recompute the analytics rollup from the inspections")
    report = command(sub, "report", cmd_report, "write the returns analytics of a date range as an "
                     "HTML file (and CSV files)")
    report.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD",
                        help="first local day (station.timezone)")
    report.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD",
                        help="last local day, included")
    report.add_argument("--out", help="HTML file (default returns-report_FROM_TO.html)")
    report.add_argument("--csv", metavar="DIR", help="also write one CSV file per table here")
    report.add_argument("--bucket", choices=BUCKETS, default="day", help="returns over time by")
    report.add_argument("--top", type=int, default=10, help="rows of the product/category rankings")
    for name in ("station", "category", "reason", "grade", "operator"):
        report.add_argument(f"--{name}", help=f"only this {name}")
