"""Shared helpers for benchmarks: percentiles, writing JSON results, a station on SQLite."""

from __future__ import annotations

import json
import platform
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from station.context import StationContext

RESULTS = Path(__file__).resolve().parent / "results"


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile of ``samples`` (pct in 0..100)."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary_ms(samples_s: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / mean of samples given in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def write_result(name: str, result: dict[str, Any]) -> dict[str, Any]:
    """Print and save one benchmark's JSON result with the machine it ran on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"benchmark": name, "machine": platform.machine(), "python": platform.python_version(),
              **result}
    text = json.dumps(result, indent=2)
    (RESULTS / f"{name}.json").write_text(text + "\n", encoding="utf-8")
    print(text)
    return result


def station_settings(root: Path, database_url: str, **sections: Any) -> Any:
    """Settings of a station whose database is ``database_url`` and whose photos, anchors and
    data live under ``root``; ``sections`` add or replace whole sections."""
    from station.config import Settings

    return Settings.model_validate({
        "database": {"url": database_url}, "evidence": {"photo_dir": str(root / "photos")},
        "audit": {"anchor_file": str(root / "anchors.log")}, "data_dir": str(root), **sections})


def sqlite_station(root: Path) -> StationContext:
    """A migrated station on a fresh SQLite file, photo folder and anchor file under ``root``."""
    from station.config import Settings
    from station.context import build
    from station.db.engine import make_engine
    from station.db.migrate import upgrade

    settings = Settings.model_validate({
        "database": {"url": f"sqlite:///{root / 'bench.db'}"},
        "evidence": {"photo_dir": str(root / "photos")},
        "audit": {"anchor_file": str(root / "anchors.log")},
    })
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    return build(settings)


@contextmanager
def postgres_databases(*names: str, max_connections: int = 200) -> Iterator[list[str] | None]:
    """A throw-away PostgreSQL server (tests/support/postgres.py) with these empty databases;
    their URLs, or None when the server binaries are not installed."""
    from sqlalchemy import create_engine, text

    from tests.support.postgres import PostgresServer, find_bin

    if not find_bin("initdb"):
        yield None
        return
    server = PostgresServer(max_connections)
    server.start()
    try:
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        yield [server.url(name) for name in names]
    finally:
        server.stop()
