"""Sign-in throttling per badge / username and per client address, kept in the database (login_throttle).

Every attempt first reserves one try of each of its scopes in one short write transaction
(``INSERT .. ON CONFLICT DO UPDATE .. WHERE .. RETURNING``: atomic on SQLite and PostgreSQL,
across threads and processes). Only a reserved attempt runs argon2, outside any transaction; a
wrong secret leaves the try counted (and locks the scope once it reaches its limit), a right one
gives it back. Parallel guesses therefore never get more argon2 checks than the limit, and the
counts survive a restart.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, case, delete, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station.db.models import LoginThrottleEntry
from station.db.types import UTCDateTime, utcnow
from station.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: Failures allowed inside the window before the key is locked out.
MAX_FAILURES = 5
WINDOW_S = 15 * 60
#: Lock-out after the limit: 30 s, doubling with every further failure, at most 15 min.
BASE_LOCKOUT_S = 30.0
MAX_LOCKOUT_S = 15 * 60.0
#: An address gets more room than one badge (a shared bench has many people on one IP).
IP_FACTOR = 4
#: Windows over and unlocked rows are deleted at most this often (per process).
PRUNE_EVERY = timedelta(minutes=10)

T = TypeVar("T")


class _Refused(Exception):
    """A scope had no try left: the whole reservation rolls back."""


def limit(scope: str) -> int:
    return MAX_FAILURES * IP_FACTOR if scope.startswith("ip:") else MAX_FAILURES


def lockout_s(over: int) -> float:
    """The lock-out after the limit was reached ``over`` failures ago."""
    return min(BASE_LOCKOUT_S * 2 ** min(max(over, 0), 20), MAX_LOCKOUT_S)


def _take(session: Session, scope: str, now: datetime) -> bool:
    """Reserve one try of ``scope`` (False: none left, nothing changed)."""
    row = LoginThrottleEntry
    at = literal(now, UTCDateTime())
    window_over = and_(row.window_start <= now - timedelta(seconds=WINDOW_S),
                       or_(row.locked_until.is_(None), row.locked_until <= now))
    make_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    insert = make_insert(row).values(scope=scope, failures=1, allowed=limit(scope), window_start=now,
                                     locked_until=None)
    upsert = insert.on_conflict_do_update(
        index_elements=[row.scope],
        set_={
            "failures": case((window_over, 1), else_=row.failures + 1),
            "allowed": case((window_over, insert.excluded.allowed), else_=row.allowed),
            "window_start": case((window_over, at), else_=row.window_start),
            "locked_until": case((window_over, null()), else_=row.locked_until),
        },
        where=or_(window_over, and_(row.failures < row.allowed,
                                    or_(row.locked_until.is_(None), row.locked_until <= now))),
    )
    return session.execute(upsert.returning(row.failures)).first() is not None


class LoginThrottle:
    """Counts sign-in attempts per scope in the database; see the module text."""

    def __init__(self, work: UnitOfWork, clock: Callable[[], datetime] = utcnow) -> None:
        self._work = work
        self._clock = clock
        self._pruned_at: datetime | None = None

    def attempt(self, scopes: tuple[str, ...], check: Callable[[], T | None]) -> tuple[T | None, int]:
        """Run ``check`` (the argon2 verification) only when every scope has a try left.

        Returns what ``check`` found (None: wrong) and the seconds to wait before the next try
        (0: go ahead). A refused attempt never runs ``check``.
        """
        wait = self.reserve(*scopes)
        if wait:
            return None, wait
        try:
            found = check()
        except BaseException:
            self.refund(*scopes)
            raise
        if found is None:
            return None, self.failed(*scopes)
        self.succeeded(*scopes)
        return found, 0

    def reserve(self, *scopes: str) -> int:
        """Take one try of every scope, all or none: 0 when taken, else the seconds to wait."""
        now = self._clock()
        try:
            with self._work() as work:
                for scope in sorted(set(scopes)):  # one lock order: no deadlock between two
                    if not _take(work.session, scope, now):
                        raise _Refused(scope)
        except _Refused:
            return max(1, self.retry_after(*scopes, pending=True))
        return 0

    def failed(self, *scopes: str) -> int:
        """The reserved try was wrong: a scope at its limit locks; returns the seconds to wait."""
        now = self._clock()
        with self._work() as work:
            for scope in sorted(set(scopes)):
                row = work.session.execute(select(LoginThrottleEntry).where(
                    LoginThrottleEntry.scope == scope).with_for_update()).scalar()
                if row is None or row.failures < row.allowed:
                    continue
                until = now + timedelta(seconds=lockout_s(row.failures - limit(scope)))
                row.locked_until = max(until, row.locked_until or until)
                row.allowed = row.failures + 1  # after the lock-out: one more try
        self._prune(now)
        return self.retry_after(*scopes)

    def succeeded(self, first: str, *others: str) -> None:
        """A right secret: the badge's / user's (``first``) count starts over; the address gets
        its try back."""
        with self._work() as work:
            work.session.execute(delete(LoginThrottleEntry).where(LoginThrottleEntry.scope == first))
            self._give_back(work.session, others)

    def refund(self, *scopes: str) -> None:
        """Give the reserved tries back (the check itself failed, e.g. the database was down)."""
        try:
            with self._work() as work:
                self._give_back(work.session, scopes)
        except DBAPIError as exc:
            log.warning("sign-in tries of %s not given back: %s", ", ".join(scopes), exc.orig)

    @staticmethod
    def _give_back(session: Session, scopes: tuple[str, ...]) -> None:
        if scopes:
            session.execute(update(LoginThrottleEntry)
                            .where(LoginThrottleEntry.scope.in_(sorted(set(scopes))),
                                   LoginThrottleEntry.failures > 0)
                            .values(failures=LoginThrottleEntry.failures - 1)
                            .execution_options(synchronize_session=False))

    def retry_after(self, *scopes: str, pending: bool = False) -> int:
        """Seconds until every scope may try again (0 = go ahead).

        ``pending``: a scope whose tries are all taken by attempts still being checked counts the
        lock-out they would cause.
        """
        now = self._clock()
        with self._work.db.reader() as session:
            rows = session.execute(select(LoginThrottleEntry).where(
                LoginThrottleEntry.scope.in_(set(scopes)))).scalars().all()
        waits = [0.0]
        for row in rows:
            if row.locked_until is not None and row.locked_until > now:
                waits.append((row.locked_until - now).total_seconds())
            elif pending and row.failures >= row.allowed:
                waits.append(lockout_s(row.failures - limit(row.scope)))
        longest = max(waits)
        return math.ceil(longest) if longest > 0 else 0

    def state(self, scope: str) -> LoginThrottleEntry | None:
        """The stored row of ``scope`` (for tests and support)."""
        with self._work.db.reader() as session:
            return session.get(LoginThrottleEntry, scope)

    def _prune(self, now: datetime) -> None:
        """Delete rows whose window is over and that are not locked (best effort, now and then)."""
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        over = select(LoginThrottleEntry.scope).where(
            LoginThrottleEntry.window_start < now - timedelta(seconds=WINDOW_S),
            or_(LoginThrottleEntry.locked_until.is_(None), LoginThrottleEntry.locked_until < now))
        if self._work.db.dialect == "postgresql":
            over = over.with_for_update(skip_locked=True)  # never wait for (or deadlock with) a try
        try:
            with self._work() as work:
                work.session.execute(delete(LoginThrottleEntry).where(LoginThrottleEntry.scope.in_(over))
                                     .execution_options(synchronize_session=False))
        except DBAPIError as exc:
            log.info("login_throttle not pruned: %s", exc.orig)
