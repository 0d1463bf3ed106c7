"""Shared fixtures: a real SQLite file and a real PostgreSQL server, migrated, with the station's services."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from station.config import Settings, load_settings
from station.context import StationContext, build
from tests.support.postgres import PostgresServer, find_bin
from tests.support.templates import migrate_fresh

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole run; skipped only when its binaries are absent."""
    if not find_bin("initdb"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries missing on CI: .ci/run must install postgresql")
        pytest.skip("PostgreSQL server binaries not installed")
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


def _fresh_postgres_url(server: PostgresServer) -> str:
    name = f"station_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: an SQLite file, or a fresh database on the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'station.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return _fresh_postgres_url(server)


def make_settings(tmp_path: Path, database_url: str, **sections: dict[str, object]) -> Settings:
    """Settings pointing every path into ``tmp_path``."""
    data: dict[str, object] = {
        "database": {"url": database_url},
        "evidence": {"photo_dir": str(tmp_path / "photos")},
        "audit": {"anchor_file": str(tmp_path / "anchors.log")},
        "data_dir": str(tmp_path),
        "station": {"id": "bench-test"},
    }
    data.update(sections)
    return Settings.model_validate(data)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def ctx(settings: Settings) -> Iterator[StationContext]:
    """The station's services on a migrated database (migrations, not create_all: a copy of
    this test process's migrated template, tests/support/templates.py)."""
    migrate_fresh(settings.database.url)
    context = build(settings)
    yield context
    context.close()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No STATION_* or DATABASE_URL variables leak into a test."""
    for name in list(os.environ):
        if name.startswith("STATION_") or name == "DATABASE_URL":
            monkeypatch.delenv(name)


__all__ = ["load_settings", "make_settings"]
