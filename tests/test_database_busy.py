"""Another process holds the SQLite write lock: readers carry on, a bench write says 'busy', nothing half-done."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from station.context import StationContext
from station.db.models import AuditEvent, Inspection
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.bench import OPERATOR, add_people, bench_app, csrf, html, migrated, signed_in

HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # the write lock, as a long bulk job would hold it
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'station.db'}",
                             database={"url": f"sqlite:///{tmp_path / 'station.db'}",
                                       "busy_timeout_ms": 300},
                             web={"secret_key": "test-session-key"})
    ctx = migrated(settings)
    add_people(ctx)
    seed_rma(ctx)
    yield ctx
    ctx.close()


class LockHolder:
    """A second process holding the write lock until released."""

    def __init__(self, path: Path) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None and self.process.stdout.readline() == "locked\n"

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        assert self.process.wait(10) == 0


def counts(ctx: StationContext) -> tuple[int, int]:
    with ctx.db.reader() as session:
        return (session.execute(select(func.count()).select_from(Inspection)).scalar_one(),
                session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


def test_reads_go_on_and_a_write_is_503_busy_with_nothing_stored(station: StationContext,
                                                                  tmp_path: Path) -> None:
    app: Flask = bench_app(station)
    client = signed_in(app, OPERATOR)
    token = csrf(client, "/bench/")
    before = counts(station)
    holder = LockHolder(tmp_path / "station.db")
    try:
        assert html(client, "/bench/").status_code == 200  # a page is a read: not blocked
        assert counts(station) == before
        page = client.post("/bench/receive", data={"code": "TRKRMA-1001", "csrf_token": token},
                           headers={"Accept": "text/html"})
        assert page.status_code == 503 and page.headers["Retry-After"] == "1"
        assert "database is busy" in page.get_data(as_text=True)
        fetched = client.post("/bench/receive", data={"code": "TRKRMA-1001", "csrf_token": token},
                              headers={"X-Requested-With": "fetch", "Accept": "application/json"})
        assert fetched.status_code == 503
        assert fetched.get_json()["detail"] == "the station database is busy, try again"
    finally:
        holder.release()
    assert counts(station) == before  # nothing half-done
    done = client.post("/bench/receive", data={"code": "TRKRMA-1001", "csrf_token": token})
    assert done.status_code == 302 and counts(station)[0] == before[0] + 1


def test_an_open_read_never_holds_up_a_bench_write(station: StationContext) -> None:
    """A reader in the middle of its transaction (a review page, load_user) and a write at once."""
    written = threading.Event()
    with station.db.reader() as session:
        assert session.execute(select(func.count()).select_from(Inspection)).scalar_one() == 0

        def bench() -> None:
            station.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
            written.set()

        thread = threading.Thread(target=bench)
        thread.start()
        assert written.wait(5), "the write waited for the open read"
        thread.join()


PG_HOLDER = """
import sys
import psycopg
with psycopg.connect(sys.argv[1]) as db:
    db.execute("LOCK TABLE inspection IN ACCESS EXCLUSIVE MODE")  # a stuck migration or bulk job
    print("locked", flush=True)
    sys.stdin.readline()
"""


@pytest.mark.postgres
def test_a_table_locked_on_postgresql_is_503_busy_not_a_hang(tmp_path: Path,
                                                             request: pytest.FixtureRequest) -> None:
    from tests.conftest import _fresh_postgres_url

    url = _fresh_postgres_url(request.getfixturevalue("postgres_server"))
    settings = make_settings(tmp_path, url, database={"url": url, "busy_timeout_ms": 300},
                             web={"secret_key": "test-session-key"})
    ctx = migrated(settings)
    try:
        add_people(ctx)
        seed_rma(ctx)
        client = signed_in(bench_app(ctx), OPERATOR)
        token = csrf(client, "/bench/")
        holder = subprocess.Popen([sys.executable, "-c", PG_HOLDER, url.replace("+psycopg", "")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        try:
            page = client.post("/bench/receive", data={"code": "TRKRMA-1001", "csrf_token": token},
                               headers={"Accept": "text/html"})
            assert page.status_code == 503
            assert "database is busy" in page.get_data(as_text=True)
        finally:
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.wait(10) == 0
        assert counts(ctx)[0] == 0  # nothing half-done
        done = client.post("/bench/receive", data={"code": "TRKRMA-1001", "csrf_token": token})
        assert done.status_code == 302 and counts(ctx)[0] == 1
    finally:
        ctx.close()
