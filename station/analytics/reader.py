"""Read-only sessions for analytics: on SQLite without the write lock the station's engine takes.

The station engine begins every SQLite transaction with BEGIN IMMEDIATE (the write lock), so a
long report would stall the bench's writes. Analytics reads through a second engine on the same
file: query_only, no BEGIN IMMEDIATE; in WAL mode such readers never block the writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from station.analytics import rollup
from station.db.engine import Database


class AnalyticsReader:
    """Sessions for analytics queries; PostgreSQL reuses the station's engine."""

    def __init__(self, db: Database, busy_timeout_ms: int = 5000) -> None:
        self._db = db
        self._own: Engine | None = None
        engine = db.engine
        if engine.dialect.name == "sqlite":
            self._own = create_engine(engine.url, connect_args={"check_same_thread": False})
            event.listen(self._own, "connect", _read_only(busy_timeout_ms))
            engine = self._own
        self._sessions = sessionmaker(engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read session on an up-to-date rollup (dirty hours are recomputed first)."""
        with self._sessions() as session:
            pending = bool(rollup.dirty_hours(session))
        if pending:  # a short write transaction on the station's engine, only when needed
            with self._db.transaction() as writer:
                rollup.refresh_dirty(writer)
        with self._sessions() as session:
            yield session

    def dispose(self) -> None:
        if self._own is not None:
            self._own.dispose()


def _read_only(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect
