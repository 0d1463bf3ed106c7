"""bench_analytics: every dashboard card, unfiltered and with one filter, over 1,000,000 units.

Seeds ``--units`` (1,000,000; about 1.3 units per parcel, so ~770,000 parcels) over two years,
each parcel with its RMA, 1-3 expected items, one unit per item (an undeclared one for a parcel
without RMA) and 1-2 scans, into a migrated SQLite file (executemany on one sqlite3 connection)
and a PostgreSQL database (COPY via psycopg), with realistic spreads: volume growing with a
weekly rhythm and a peak season, reasons weighted like apparel/electronics e-commerce, 2,000
SKUs in 6 categories with a long tail, grades per unit by category with one lenient operator
(the parcel's grade its worst unit's), ~10 % flagged. Then times each analytics view
(station.analytics.tables.TABLES) and the whole dashboard (all its cards) for the last year and
the whole two years, with no filter and with each single filter (station, category, reason,
grade, operator), against the direct queries on the base tables for the same filters (the
baseline, rollup off), and the supervisor's dashboard page end to end (Flask test client).
Goal: < 300 ms for the whole dashboard.

    python -m bench.bench_analytics [--units N] [--pg-units N] [--skip-postgres] [--repeat 3]
        [--db /tmp/analytics-1m.db] [--ranges 1y,2y] [--skip-page] [--skip-baseline]

``--db`` (env BENCH_DB) keeps the seeded SQLite file: the first run seeds it, later runs only
migrate it to head (new indexes, the hourly rollup) and time the views, so a 1M-row seed (a few
minutes) is paid once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import summary_ms, write_result
from station.analytics import TABLES, Filters, Options, Scope
from station.db.engine import make_engine
from station.db.migrate import upgrade

ZONE = ZoneInfo("Asia/Shanghai")
#: Units per parcel on average (1 + 0.25 + 0.05 lines, one unit per line).
UNITS_PER_PARCEL = 1.3
#: One value of each sliced filter (the dashboard's form).
SINGLE_FILTERS = {"station": "bench-2", "category": "electronics", "reason": "size_mismatch",
                  "grade": "A", "operator": "op-03"}
END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 730
CHUNK = 20_000
REASONS = [("size_mismatch", 30), ("no_reason", 20), ("quality_defect", 18),
           ("not_as_described", 12), ("damaged_in_transit", 8), ("wrong_item_shipped", 5),
           ("other", 5)]
CATEGORIES = ["apparel", "shoes", "electronics", "home", "toys", "beauty"]
#: Share of A, B, C (rest D) per category.
GRADE_MIX = {"apparel": (.45, .30, .18), "shoes": (.40, .35, .18), "electronics": (.30, .35, .22),
             "home": (.50, .25, .15), "toys": (.45, .30, .15), "beauty": (.35, .25, .25)}
DISPOSITION = {"A": "restock", "B": "open_box", "C": "refurbish", "D": "scrap"}
RECOMMEND = {"A": "full_refund", "B": "partial_refund", "C": "partial_refund", "D": "deny"}
STATIONS = ["bench-1", "bench-2", "bench-3"]
OPERATORS = [f"op-{i:02d}" for i in range(12)]
SKUS = [(f"SKU-{i:05d}", CATEGORIES[i % len(CATEGORIES)]) for i in range(2000)]

RMA_COLS = ("id", "rma_id", "order_id", "tracking_number", "reason", "reason_note",
            "requested_resolution", "delivered_at", "window_end", "status", "currency",
            "payload_sha256", "created_at", "updated_at")
ITEM_COLS = ("id", "rma_pk", "line_no", "line_id", "sku", "gtin", "description", "quantity",
             "expected_serials", "unit_weight_mg", "weight_tolerance_mg", "weight_tolerance_pct",
             "category", "price_minor", "accessories", "image_url")
INSPECTION_COLS = ("id", "rma_pk", "station_id", "operator_id", "state", "label", "unexpected",
                   "received_at", "updated_at", "completed_at", "measured_weight_mg",
                   "expected_weight_mg", "weight_source", "verdicts", "checklist", "grade",
                   "disposition", "recommendation", "deduction_pct", "decision",
                   "policy_version", "override", "flags", "reviewed_by", "reviewed_at", "review",
                   "refund_status")
SCAN_COLS = ("id", "inspection_id", "raw", "symbology", "source", "gtin", "sku", "serial", "lot",
             "matched_item_id", "result", "scanned_at")
UNIT_COLS = ("id", "inspection_id", "position", "kind", "expected_item_id", "line_id",
             "unit_index", "sku", "category", "state", "checklist", "grade", "disposition",
             "recommendation", "deduction_pct", "decision", "flags", "review")
TABLE_COLS = {"return_authorization": RMA_COLS, "expected_item": ITEM_COLS,
              "inspection": INSPECTION_COLS, "scan": SCAN_COLS, "inspection_unit": UNIT_COLS}


def day_weights() -> list[float]:
    """Relative volume per day: growth over two years, weekends lower, a peak after Nov/Dec."""
    start = (END - timedelta(days=DAYS)).date()
    weights = []
    for i in range(DAYS):
        day = start + timedelta(days=i)
        w = (1 + i / DAYS) * (0.7 if day.weekday() >= 5 else 1.0)
        if day.month in (1, 12) or (day.month == 11 and day.day > 11):
            w *= 1.6
        weights.append(w)
    return weights


def graded(rng: random.Random, category: str, lenient: float) -> str:
    """A unit's grade drawn from its category's mix (a lenient operator gives more A)."""
    mix = GRADE_MIX.get(category, (.3, .3, .2))
    roll = rng.random()
    return "A" if roll < mix[0] + lenient else "B" if roll < mix[0] + mix[1] else \
        "C" if roll < sum(mix) else "D"


def rows(n: int, seed: int = 7) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    """Chunks of related rows for ``n`` inspections (deterministic); datetimes aware UTC."""
    rng = random.Random(seed)
    start = END - timedelta(days=DAYS)
    weights = day_weights()
    days = rng.choices(range(DAYS), weights=weights, k=n)
    reasons, reason_w = zip(*REASONS, strict=True)
    sku_w = [1 / (i + 1) ** 0.8 for i in range(len(SKUS))]
    empty = "{}"
    chunk: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLE_COLS}
    for k in range(n):
        received = start + timedelta(days=days[k], seconds=rng.randrange(8 * 3600, 20 * 3600))
        ins_id, operator = f"I{k:025d}", rng.choice(OPERATORS)
        unexpected = rng.random() < 0.02
        rma_pk = None
        lenient = 0.15 if operator == "op-03" else 0.0
        units: list[tuple[str | None, str | None, str]] = []  # (item id, sku, category)
        if not unexpected:
            rma_pk = f"R{k:025d}"
            reason = rng.choices(reasons, weights=reason_w)[0]
            delivered = received - timedelta(days=rng.randint(2, 20))
            chunk["return_authorization"].append((
                rma_pk, f"RMA-{k}", f"ORD-{k}", f"1Z{k:014d}", reason, "", "refund", delivered,
                delivered + timedelta(days=30), "inspected", "USD", "", delivered, received))
            for line in range(1 + (rng.random() < 0.25) + (rng.random() < 0.05)):
                sku, cat = rng.choices(SKUS, weights=sku_w)[0]
                chunk["expected_item"].append((
                    f"E{k:023d}-{line}", rma_pk, line + 1, str(line + 1), sku, None,
                    f"{cat} item {sku}", 1, "[]", 500_000, 50_000, None, cat, 2999, "[]", None))
                units.append((f"E{k:023d}-{line}", sku, cat))
        else:
            units.append((None, None, ""))  # what was in the parcel, not on any return
        unit_grades = [graded(rng, u[2], lenient) for u in units]
        grade = max(unit_grades)  # the parcel's grade is its worst unit's
        flags: list[str] = []
        wrong = rng.random() < 0.03
        weight_code = "over_tolerance" if rng.random() < 0.04 else "within_tolerance"
        if unexpected:
            flags.append("unexpected_parcel")
        if wrong or weight_code != "within_tolerance":
            flags.append("verification_failed")
        if rng.random() < 0.03:
            flags.append("manual_weight")
        roll = rng.random()
        # the last hours' ungraded ones wait for a supervisor (a bench has one open at most)
        open_now = received > END - timedelta(hours=6) and roll < 0.5
        if open_now:
            flags.append("operator_flag")
        state = "flagged" if open_now else ("reviewed" if roll < 0.7 else "flagged") \
            if flags else "completed"
        minutes = math.exp(rng.gauss(1.8, 0.5))
        completed = None if open_now else received + timedelta(minutes=minutes)
        override = {"grade": "C"} if state == "reviewed" and rng.random() < 0.15 else {}
        refund = rng.choice(["refunded", "refunded", "partially_refunded", "denied", ""]) \
            if state in ("completed", "reviewed") else ""
        chunk["inspection"].append((
            ins_id, rma_pk, rng.choice(STATIONS), operator, state, f"L{k}", unexpected, received,
            completed or received, completed, 500_000, 500_000, "scale",
            json.dumps([{"rule": "parcel.weight", "ok": weight_code == "within_tolerance",
                         "code": weight_code, "detail": "", "data": {}}]), empty,
            None if open_now else grade, None if open_now else DISPOSITION[grade],
            None if open_now else RECOMMEND[grade], 0, empty, "2026.1", empty,
            json.dumps(sorted(flags)), None, completed if state == "reviewed" else None,
            json.dumps({"override": override, "note": ""}) if state == "reviewed" else empty,
            json.dumps({"status": refund}) if refund else empty))
        for s in range(1 + (rng.random() < 0.3)):
            chunk["scan"].append((f"S{k:023d}-{s}", ins_id, "0400000000000", "ean13", "scanner",
                                  None, None, None, None, None,
                                  "mismatch" if wrong and s == 0 else "match",
                                  received + timedelta(minutes=1)))
        for u, ((item_id, unit_sku, unit_cat), g) in enumerate(zip(units, unit_grades,
                                                                    strict=True)):
            chunk["inspection_unit"].append((
                f"U{k:023d}-{u}", ins_id, u + 1, "expected" if item_id else "undeclared",
                item_id, str(u + 1) if item_id else None, 1, unit_sku, unit_cat,
                None if open_now else "done", empty, None if open_now else g,
                None if open_now else DISPOSITION[g], None if open_now else RECOMMEND[g], 0,
                empty, "[]", empty))
        if len(chunk["inspection"]) >= CHUNK:
            yield chunk
            chunk = {t: [] for t in TABLE_COLS}
    if chunk["inspection"]:
        yield chunk


def _base_rows(session_url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(session_url)
    with engine.begin() as conn:
        for sid in STATIONS:
            conn.execute(text("INSERT INTO station (id, name, created_at) VALUES (:i, :n, :t)"),
                         {"i": sid, "n": sid.replace("-", " ").title(), "t": END})
        for oid in OPERATORS:
            conn.execute(text("INSERT INTO operator (id, username, display_name, role, locale, "
                              "active, created_at) VALUES (:i, :i, :n, 'operator', 'en', "
                              "true, :t)"), {"i": oid, "n": f"Operator {oid[-2:]}", "t": END})
    engine.dispose()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def seed_sqlite(path: Path, n: int) -> dict[str, float]:
    """Seed ``n`` parcels; seconds spent loading rows and rebuilding the rollup."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    _base_rows(url)
    began = time.perf_counter()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    for chunk in rows(n):
        for table, cols in TABLE_COLS.items():
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in chunk[table]))
        conn.commit()
    conn.commit()
    conn.close()
    loaded = time.perf_counter()
    rebuild_rollup(url)
    conn = sqlite3.connect(path)  # after the rebuild: the planner must see the rollup's size
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return {"load_s": round(loaded - began, 1), "rollup_rebuild_s":
            round(time.perf_counter() - loaded, 1)}


def rebuild_rollup(url: str) -> None:
    """The seed bypasses the ORM (and so the rollup hooks): rebuild the hourly rollup once."""
    from sqlalchemy.orm import Session

    from station.analytics.rollup import rebuild

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        rebuild(session)
    engine.dispose()


def seed_postgres(url: str, n: int) -> dict[str, float]:
    """Seed ``n`` parcels with COPY; seconds spent loading rows and rebuilding the rollup."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    _base_rows(url)
    import psycopg

    began = time.perf_counter()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        for chunk in rows(n):
            with conn.cursor() as cur:
                for table, cols in TABLE_COLS.items():
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in chunk[table]:
                            copy.write_row(row)
            conn.commit()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    loaded = time.perf_counter()
    rebuild_rollup(url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE analytics_hour")
        conn.execute("VACUUM ANALYZE analytics_slice")
    return {"load_s": round(loaded - began, 1), "rollup_rebuild_s":
            round(time.perf_counter() - loaded, 1)}


def counted(url: str) -> dict[str, int]:
    """Parcels, units and rollup rows in the seeded database."""
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.connect() as conn:
        out = {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
               for t in ("inspection", "inspection_unit", "analytics_hour", "analytics_slice")}
    engine.dispose()
    return out


def prepare_reused(path: Path) -> None:
    """A reused seeded file: migrate it to head (a new migration fills its tables itself)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def narrowed(base: Filters, name: str, value: str) -> Filters:
    """``base`` with one more filter."""
    from dataclasses import replace as with_

    return with_(base, **{name: value})  # type: ignore[arg-type]


#: The cards of the dashboard page (grading is the operators page, inspections the drill-down).
DASHBOARD = tuple(name for name in TABLES if name not in ("grading", "inspections"))


def _time_cards(db: Any, filters: Filters, repeat: int, bucket: str, rollup: bool = True
                ) -> dict[str, Any]:
    """p50 per card and of the whole dashboard (all cards, one after the other)."""
    from dataclasses import replace as with_

    per_card: dict[str, list[float]] = {}
    totals: list[float] = []
    for _ in range(repeat):
        total = 0.0
        for name in (*DASHBOARD, "grading"):
            with db.session() as session:
                began = time.perf_counter()
                scope = Scope.of(session, filters, ZONE, now=END)
                TABLES[name](session, scope if rollup else with_(scope, rollup=False),
                             Options(bucket=bucket, page=1))  # type: ignore[arg-type]
                spent = time.perf_counter() - began
            per_card.setdefault(name, []).append(spent)
            total += spent if name in DASHBOARD else 0.0
        totals.append(total)
    cards = {name: summary_ms(samples)["p50_ms"] for name, samples in per_card.items()}
    slowest = max(DASHBOARD, key=lambda n: cards[n])
    return {"dashboard_all_cards_p50_ms": summary_ms(totals)["p50_ms"],
            "slowest_card": [slowest, cards[slowest]], "cards_p50_ms": cards}


def time_views(url: str, repeat: int, labels: tuple[str, ...] = ("1y", "2y"),
               baseline: bool = True) -> dict[str, Any]:
    """Per range: no filter and each single filter from the rollup; the same on the base
    tables (rollup off, once, 1 year) as the baseline; two filters at once (base tables)."""
    from dataclasses import replace as with_

    from station.analytics.reader import AnalyticsReader
    from station.db.engine import Database

    station_db = Database(make_engine(url))
    db = AnalyticsReader(station_db)
    last = END.astimezone(ZONE).date()
    ranges = {"30d": Filters(last - timedelta(days=29), last),
              "1y": Filters(last - timedelta(days=364), last),
              "2y": Filters(last - timedelta(days=DAYS - 1), last)}
    out: dict[str, Any] = {}
    for label in labels:
        base = ranges[label]
        bucket = "week" if label != "30d" else "day"
        out[label] = {"none": _time_cards(db, base, repeat, bucket)}
        for name, value in SINGLE_FILTERS.items():
            out[label][f"{name}={value}"] = _time_cards(db, narrowed(base, name, value),
                                                        repeat, bucket)
        if baseline and label == "1y":
            out["1y_base_tables_baseline"] = {
                key: _time_cards(db, narrowed(base, *key.split("=")) if "=" in key else base,
                                 1, bucket, rollup=False)["dashboard_all_cards_p50_ms"]
                for key in ("none", *(f"{k}={v}" for k, v in SINGLE_FILTERS.items()))}
        with db.session() as session:
            began = time.perf_counter()
            TABLES["inspections"](session, Scope.of(session, base, ZONE, now=END),
                                  Options(page=200))
            out[label]["inspections_page_200_ms"] = round((time.perf_counter() - began) * 1000, 1)
    two = with_(ranges["1y"], category="electronics", reason="size_mismatch")
    out["1y_category_and_reason_two_filters_base_tables"] = _time_cards(db, two, 1, "week")
    db.dispose()
    station_db.dispose()
    return out


def time_page(url: str, repeat: int) -> dict[str, float]:
    """The dashboard page over HTTP (Flask test client, signed-in supervisor), last 30 days."""
    from station.context import build
    from station.returns.errors import DomainError
    from tests.conftest import make_settings
    from tests.support.bench import SUPERVISOR, add_people, bench_app, signed_in

    with tempfile.TemporaryDirectory() as tmp:
        settings = make_settings(Path(tmp), url, web={"secret_key": "bench"},
                                 station={"id": "bench-1", "timezone": ZONE.key})
        ctx = build(settings)
        with contextlib.suppress(DomainError):  # a reused --db file has them from the last run
            add_people(ctx, (SUPERVISOR,))
        client = signed_in(bench_app(ctx), SUPERVISOR)
        last = END.astimezone(ZONE).date()
        query = f"date_from={last - timedelta(days=29)}&date_to={last}"
        samples: dict[str, list[float]] = {}
        for path in ("/analytics/", "/analytics/operators", "/analytics/inspections"):
            for _ in range(repeat):
                began = time.perf_counter()
                response = client.get(f"{path}?{query}", headers={"Accept": "text/html"})
                samples.setdefault(path, []).append(time.perf_counter() - began)
                assert response.status_code == 200, (path, response.status_code)
        ctx.close()
    return {path: summary_ms(s)["p50_ms"] for path, s in samples.items()}


def main() -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int,
                        default=int(os.environ.get("BENCH_UNITS", 1_000_000)),
                        help="units to seed on SQLite (parcels = units / 1.3)")
    parser.add_argument("--pg-units", type=int, default=None,
                        help="units to seed on PostgreSQL (default: --units)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--workdir", default=None, help="where the SQLite file goes (temp dir)")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB"),
                        help="SQLite file to seed once and reuse (env BENCH_DB)")
    parser.add_argument("--ranges", default="1y,2y", help="which of 30d,1y,2y to time")
    parser.add_argument("--skip-page", action="store_true", help="skip the HTTP page timings")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="skip the base-table (rollup off) baseline")
    args = parser.parse_args()
    if args.units < 1 or (args.pg_units is not None and args.pg_units < 1):
        parser.error("--units and --pg-units must be at least 1")
    result: dict[str, Any] = {"goal_ms_whole_dashboard": 300, "timezone": ZONE.key,
                              "end": END.isoformat(), "load_average_start": os.getloadavg()}
    ranges = tuple(args.ranges.split(","))
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if not args.skip_sqlite:
            path = Path(args.db) if args.db else Path(tmp) / "analytics.db"
            if path.exists():
                result["sqlite_seed_s"] = f"reused {path}"
                began = time.perf_counter()
                prepare_reused(path)
                result["sqlite_migrate_s"] = round(time.perf_counter() - began, 1)
            else:
                result["sqlite_seed_s"] = seed_sqlite(path, round(args.units / UNITS_PER_PARCEL))
            url = f"sqlite:///{path}"
            result["sqlite_rows"] = counted(url)
            result["sqlite_file_mb"] = round(path.stat().st_size / 2**20)
            result["sqlite"] = time_views(url, args.repeat, ranges, not args.skip_baseline)
            if not args.skip_page:
                result["sqlite_http_p50_ms"] = time_page(url, args.repeat)
            result["sqlite_load_average_end"] = os.getloadavg()
    return _postgres(args, ranges, result)


def _postgres(args: argparse.Namespace, ranges: tuple[str, ...],
              result: dict[str, Any]) -> dict[str, Any]:
    if not args.skip_postgres:
        from tests.support.postgres import PostgresServer, find_bin

        if find_bin("initdb"):
            server = PostgresServer()
            server.start()
            try:
                units = args.pg_units or args.units
                result["postgres_seed_s"] = seed_postgres(server.url(),
                                                          round(units / UNITS_PER_PARCEL))
                result["postgres_rows"] = counted(server.url())
                result["postgres"] = time_views(server.url(), args.repeat, ranges,
                                                not args.skip_baseline)
                if not args.skip_page:
                    result["postgres_http_p50_ms"] = time_page(server.url(), args.repeat)
                result["postgres_load_average_end"] = os.getloadavg()
            finally:
                server.stop()
        else:
            result["postgres"] = "skipped: PostgreSQL binaries not installed"
    return write_result("bench_analytics", _keep_other_backend(result))


def _keep_other_backend(result: dict[str, Any]) -> dict[str, Any]:
    """A run of one backend keeps the other's numbers from the last results file (each
    backend's block says how many rows it had)."""
    from bench.common import RESULTS

    path = RESULTS / "bench_analytics.json"
    if not path.exists():
        return result
    previous = json.loads(path.read_text(encoding="utf-8"))
    for backend in ("sqlite", "postgres"):
        if backend not in result and f"{backend}_rows" in previous:
            result.update({k: v for k, v in previous.items() if k.startswith(backend)})
    return result


if __name__ == "__main__":
    main()
