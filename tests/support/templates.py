"""Migrated test databases cloned from one template per test process: the migrations run once, not per test.

A test that needs the station's schema used to run every Alembic migration on its own new
database (0.3-0.7 s on SQLite, more on PostgreSQL). Now each test process migrates one template
the first time it is asked for one, with the same ``station.db.migrate.upgrade``, and every
fresh test database is a copy of it: a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE``
for PostgreSQL. The migrations themselves are still tested on empty databases by
tests/test_migrations.py, which does not use this.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from station.db.engine import make_engine
from station.db.migrate import upgrade

_sqlite_template: Path | None = None
_postgres_templates: dict[str, str] = {}  # server (admin URL without database) -> template name


def migrate_fresh(url: str) -> None:
    """Bring the new, empty database at ``url`` to the newest schema (a copy of the template)."""
    if url.startswith("sqlite:///"):
        target = Path(url.removeprefix("sqlite:///"))
        if not target.exists() or target.stat().st_size == 0:
            shutil.copyfile(_sqlite(), target)
            return
    elif url.startswith("postgresql"):
        _clone_postgres(url)
        return
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def _sqlite() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix=f"station-template-{os.getpid()}-"))
        path = folder / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        conn = sqlite3.connect(path)  # everything in the main file, nothing left in -wal
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _sqlite_template = path
    return _sqlite_template


def _clone_postgres(url: str) -> None:
    """Replace the empty database at ``url`` by a copy of this process's migrated template."""
    parsed = make_url(url)
    name = parsed.database or ""
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    template = _postgres_templates.get(server)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        if template is None:
            template = f"station_template_{os.getpid()}"
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{template}"'))
                conn.execute(text(f'CREATE DATABASE "{template}"'))
            engine = make_engine(parsed.set(database=template).render_as_string(hide_password=False))
            try:
                upgrade(engine)
            finally:
                engine.dispose()  # CREATE DATABASE ... TEMPLATE needs it unused
            _postgres_templates[server] = template
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()
