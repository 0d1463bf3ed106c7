"""Engine and session set-up: SQLite with WAL, foreign keys, busy timeout, synchronous=FULL; PostgreSQL via psycopg."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions (BEGIN IMMEDIATE below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    return on_connect


#: Execution option of the reader engine: its transactions start deferred (no write lock).
READ_ONLY = "station_read_only"


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock at the start: no lock upgrade failures between two writers.
    # A reader starts a deferred transaction: a WAL snapshot that never blocks a bench's write.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, busy_timeout_ms: int = 5000, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and durable pragmas."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # lock_timeout: a row or table another session holds (a bulk job, a stuck migration) makes
    # a bench write fail after the same wait as SQLite's busy timeout, and the operator is told
    # "the station database is busy" (SQLSTATE 55P03 -> OperationalError), instead of hanging.
    connect_args = {"options": f"-c lock_timeout={int(busy_timeout_ms)}"} if busy_timeout_ms else {}
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args=connect_args)


class Database:
    """The engine plus a session factory; ``transaction()`` is one unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(engine.execution_options(**{READ_ONLY: True}),
                                     expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, busy_timeout_ms: int = 5000, echo: bool = False) -> Database:
        return cls(make_engine(url, busy_timeout_ms, echo))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together on success and rolls back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reads (no commit; on SQLite it never takes the write lock)."""
        with self._readers() as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
