"""The central side of a fleet bench: its PostgreSQL (short connect timeout), unit of work and evidence store."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import NullPool

from station.audit import AnchorFile
from station.config import CentralSection
from station.db.engine import Database
from station.evidence.store import LocalPhotoStore, PhotoStore, PhotoStoreUnavailable
from station.unit_of_work import UnitOfWork


@dataclass
class Central:
    """What the sync worker writes to: central's database, its unit of work and photo store."""

    db: Database
    work: UnitOfWork
    store: PhotoStore
    public_url: str = ""

    def close(self) -> None:
        self.db.dispose()


def central_store(section: CentralSection) -> PhotoStore:
    """Central's evidence store as ``[central]`` describes it (an S3 bucket, or a folder)."""
    if section.backend == "s3":
        from station.evidence.store_s3 import S3Options, S3PhotoStore

        return S3PhotoStore(S3Options.from_section(section), Path(section.photo_dir), 0)
    return LocalPhotoStore(Path(section.photo_dir), section.min_free_mb)


def open_central(section: CentralSection) -> Central:
    """Central's services; nothing is connected yet (a bench starts while central is down).

    The engine connects with ``connect_timeout`` (libpq, PostgreSQL documentation 34.1.2
    "Parameter Key Words"), so a cut network is found in ``timeout_s``. It keeps no idle
    connection (SQLAlchemy ``NullPool``): a bench talks to central for a round every few
    seconds, and hundreds of benches holding idle connections would use up the server's
    ``max_connections``; a restored network is simply used by the next connect.
    """
    engine = create_engine(
        section.database_url, poolclass=NullPool,
        connect_args={"connect_timeout": max(1, round(section.timeout_s)),
                      "options": "-c lock_timeout=5000"},
    )
    db = Database(engine)
    return Central(db, UnitOfWork(db, AnchorFile(section.anchor_file)), central_store(section),
                   section.public_url)


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` means central (database or store) cannot be reached right now."""
    if isinstance(exc, OperationalError | InterfaceError | PhotoStoreUnavailable | ConnectionError
                  | TimeoutError | socket.gaierror):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
