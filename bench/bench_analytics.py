"""bench_analytics: every dashboard query and the drill-down list over 1,000,000 inspections.

Seeds BENCH_ROWS (1,000,000) inspections over two years, each with its RMA, 1-3 expected items,
1-2 scans and 3 photo rows, into a migrated SQLite file (executemany on one sqlite3
connection) and a PostgreSQL database (COPY), with realistic spreads: volume growing with a
weekly rhythm and a peak season, reasons weighted like apparel/electronics e-commerce, 2,000
SKUs in 6 categories with a long tail, grades by category with one lenient operator, ~10 %
flagged. Then times each analytics view (station.analytics.tables.TABLES) for the last 30 days,
the last year and the whole range, and the supervisor's dashboard page end to end (Flask test
client, all cards). Goal: < 300 ms per dashboard query on SQLite.

    python -m bench.bench_analytics [--rows N] [--skip-postgres] [--repeat 5]
        [--db /tmp/analytics-1m.db] [--ranges 30d,1y,2y] [--skip-page]

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
PHOTO_COLS = ("id", "inspection_id", "sha256", "size_bytes", "width", "height", "content_type",
              "angle", "camera", "quality", "storage_key", "taken_at", "taken_by")
TABLE_COLS = {"return_authorization": RMA_COLS, "expected_item": ITEM_COLS,
              "inspection": INSPECTION_COLS, "scan": SCAN_COLS, "photo": PHOTO_COLS}


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
        category = "-"
        if not unexpected:
            rma_pk = f"R{k:025d}"
            reason = rng.choices(reasons, weights=reason_w)[0]
            delivered = received - timedelta(days=rng.randint(2, 20))
            chunk["return_authorization"].append((
                rma_pk, f"RMA-{k}", f"ORD-{k}", f"1Z{k:014d}", reason, "", "refund", delivered,
                delivered + timedelta(days=30), "inspected", "USD", "", delivered, received))
            for line in range(1 + (rng.random() < 0.25) + (rng.random() < 0.05)):
                sku, cat = rng.choices(SKUS, weights=sku_w)[0]
                category = cat if line == 0 else category
                chunk["expected_item"].append((
                    f"E{k:023d}-{line}", rma_pk, line + 1, str(line + 1), sku, None,
                    f"{cat} item {sku}", 1, "[]", 500_000, 50_000, None, cat, 2999, "[]", None))
        mix = GRADE_MIX.get(category, (.3, .3, .2))
        lenient = 0.15 if operator == "op-03" else 0.0
        roll = rng.random()
        grade = "A" if roll < mix[0] + lenient else "B" if roll < mix[0] + mix[1] else \
            "C" if roll < sum(mix) else "D"
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
        open_now = received > END - timedelta(hours=6) and roll < 0.5
        state = "received" if open_now else ("reviewed" if roll < 0.7 else "flagged") \
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
        for p, angle in enumerate(("parcel", "item_front", "label")):
            chunk["photo"].append((f"P{k:023d}-{p}", ins_id, f"{k:060d}{p:04d}", 150_000, 1280,
                                   960, "image/jpeg", angle, "sim", empty, f"ab/{k}-{p}",
                                   received + timedelta(minutes=2), operator))
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


def seed_sqlite(path: Path, n: int) -> float:
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
    rebuild_rollup(url)
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()
    return time.perf_counter() - began


def rebuild_rollup(url: str) -> None:
    """The seed bypasses the ORM (and so the rollup hooks): rebuild the hourly rollup once."""
    from sqlalchemy.orm import Session

    from station.analytics.rollup import rebuild

    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        rebuild(session)
    engine.dispose()


def seed_postgres(url: str, n: int) -> float:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    _base_rows(url)
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for chunk in rows(n):
            with conn.cursor() as cur:
                for table, cols in TABLE_COLS.items():
                    with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                        for row in chunk[table]:
                            copy.write_row(row)
            conn.commit()
    rebuild_rollup(url)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("ANALYZE")
    return time.perf_counter() - began


def prepare_reused(path: Path) -> None:
    """A reused seeded file: migrate it to head (a new migration fills its tables itself)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()


def time_views(url: str, repeat: int,
               labels: tuple[str, ...] = ("30d", "1y", "2y")) -> dict[str, Any]:
    """p50/p95 per view and range; the whole dashboard as the page runs it."""
    from station.analytics.reader import AnalyticsReader
    from station.db.engine import Database

    station_db = Database(make_engine(url))
    db = AnalyticsReader(station_db)
    last = END.astimezone(ZONE).date()
    ranges = {"30d": Filters(last - timedelta(days=29), last),
              "1y": Filters(last - timedelta(days=364), last),
              "2y": Filters(last - timedelta(days=DAYS - 1), last)}
    ranges = {label: f for label, f in ranges.items() if label in labels}
    out: dict[str, Any] = {}
    for label, filters in ranges.items():
        per_view: dict[str, Any] = {}
        dashboard: list[float] = []
        for _ in range(repeat):
            total = 0.0
            for name, make in TABLES.items():
                with db.session() as session:
                    began = time.perf_counter()
                    make(session, Scope.of(session, filters, ZONE, now=END),
                         Options(bucket="week" if label != "30d" else "day", page=1))
                    spent = time.perf_counter() - began
                per_view.setdefault(name, []).append(spent)
                total += spent if name not in ("grading", "inspections") else 0.0
            dashboard.append(total)
        out[label] = {name: summary_ms(samples) for name, samples in per_view.items()}
        out[label]["dashboard_all_cards"] = summary_ms(dashboard)
        with db.session() as session:
            began = time.perf_counter()
            TABLES["inspections"](session, Scope.of(session, filters, ZONE, now=END),
                                  Options(page=200))
            out[label]["inspections_page_200"] = round((time.perf_counter() - began) * 1000, 1)
    narrowed = Filters(last - timedelta(days=364), last, category="electronics", reason="size_mismatch")
    with db.session() as session:
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            for make in TABLES.values():
                make(session, Scope.of(session, narrowed, ZONE, now=END), Options())
            samples.append(time.perf_counter() - began)
    out["1y_category_and_reason_all_views"] = summary_ms(samples)
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
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ROWS", 1_000_000)))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--workdir", default=None, help="where the SQLite file goes (temp dir)")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB"),
                        help="SQLite file to seed once and reuse (env BENCH_DB)")
    parser.add_argument("--ranges", default="30d,1y,2y", help="which of 30d,1y,2y to time")
    parser.add_argument("--skip-page", action="store_true", help="skip the HTTP page timings")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"rows": args.rows, "goal_ms_per_dashboard_query_sqlite": 300,
                              "timezone": ZONE.key, "end": END.isoformat()}
    ranges = tuple(args.ranges.split(","))
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if args.skip_sqlite:
            return _postgres(args, ranges, result)
        path = Path(args.db) if args.db else Path(tmp) / "analytics.db"
        if path.exists():
            result["sqlite_seed_s"] = f"reused {path}"
            began = time.perf_counter()
            prepare_reused(path)
            result["sqlite_migrate_s"] = round(time.perf_counter() - began, 1)
        else:
            result["sqlite_seed_s"] = round(seed_sqlite(path, args.rows), 1)
        result["sqlite_file_mb"] = round(path.stat().st_size / 2**20)
        result["sqlite"] = time_views(f"sqlite:///{path}", args.repeat, ranges)
        if not args.skip_page:
            result["sqlite_http_p50_ms"] = time_page(f"sqlite:///{path}", args.repeat)
    return _postgres(args, ranges, result)


def _postgres(args: argparse.Namespace, ranges: tuple[str, ...],
              result: dict[str, Any]) -> dict[str, Any]:
    if not args.skip_postgres:
        from tests.support.postgres import PostgresServer, find_bin

        if find_bin("initdb"):
            server = PostgresServer()
            server.start()
            try:
                result["postgres_seed_s"] = round(seed_postgres(server.url(), args.rows), 1)
                result["postgres"] = time_views(server.url(), args.repeat, ranges)
                if not args.skip_page:
                    result["postgres_http_p50_ms"] = time_page(server.url(), args.repeat)
            finally:
                server.stop()
        else:
            result["postgres"] = "skipped: PostgreSQL binaries not installed"
    return write_result("bench_analytics", _keep_other_backend(result))


def _keep_other_backend(result: dict[str, Any]) -> dict[str, Any]:
    """A run of one backend keeps the other's numbers from the last results file."""
    from bench.common import RESULTS

    path = RESULTS / "bench_analytics.json"
    if not path.exists():
        return result
    previous = json.loads(path.read_text(encoding="utf-8"))
    for backend in ("sqlite", "postgres"):
        if backend not in result and previous.get("rows") == result["rows"]:
            result.update({k: v for k, v in previous.items() if k.startswith(backend)})
    return result


if __name__ == "__main__":
    main()
