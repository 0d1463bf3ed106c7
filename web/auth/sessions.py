"""Server-side sign-in sessions: the cookie carries a random token, the signin_session row its SHA-256 and state.

A request is signed in only while its token names an open row of an active person. Sign-out,
the lock screen's unlock, a PIN/password change and deactivation end rows on the server, so a
copy of the cookie saved earlier stops working. Reads stay reads: ``last_seen_at`` is written at
most once per ``TOUCH_EVERY`` and locking writes only once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from station.db.engine import Database
from station.db.models import Operator, SigninSession
from station.db.types import utcnow
from station.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

#: ``last_seen_at`` is refreshed when older than this (so a busy bench writes once a minute).
TOUCH_EVERY = timedelta(seconds=60)
#: A session unused this long ends (``expired``): a bench left locked overnight signs in afresh.
EXPIRES_AFTER = timedelta(hours=12)
#: Rows of sessions ended (or unused) this long ago are deleted at a later sign-in.
KEEP_ROWS = timedelta(days=30)


@dataclass(frozen=True)
class Found:
    """An open session and its person, as read on this request."""

    session_id: str
    locked: bool
    last_seen_at: datetime
    person: Operator


def new_token() -> str:
    """A random session token (256 bits) for the cookie; the database keeps only its digest."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_id(operator_id: str, token: str) -> str:
    """What Flask-Login keeps in the (signed, readable) cookie: ``<operator id>:<token>``."""
    return f"{operator_id}:{token}"


def start(session: Session, operator_id: str, token: str) -> str:
    """A new open session for ``operator_id`` holding ``token``'s digest; returns its id."""
    now = utcnow()
    row = SigninSession(token_hash=token_hash(token), operator_id=operator_id, created_at=now,
                        last_seen_at=now, locked=False)
    session.add(row)
    session.flush()
    return row.id


def prune(session: Session) -> None:
    """Delete rows of sessions that ended, or were last used, ``KEEP_ROWS`` ago."""
    cutoff = utcnow() - KEEP_ROWS
    session.execute(delete(SigninSession)
                    .where(or_(SigninSession.ended_at < cutoff, SigninSession.last_seen_at < cutoff))
                    .execution_options(synchronize_session=False))


def end(session: Session, session_id: str, reason: str) -> bool:
    """End one open session; False when it had already ended."""
    result = session.execute(
        update(SigninSession)
        .where(SigninSession.id == session_id, SigninSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def find(db: Database, cookie_value: str) -> tuple[Found | None, str | None]:
    """The open session the cookie names, read without a write lock.

    Returns (found, None), or (None, why) where ``why`` is an end reason to write now (the person
    was deactivated, the session expired) or None when there is nothing to write.
    """
    operator_id, _, token = cookie_value.partition(":")
    if not token:
        return None, None
    with db.reader() as session:
        row = session.execute(
            select(SigninSession, Operator).join(Operator, Operator.id == SigninSession.operator_id)
            .where(SigninSession.token_hash == token_hash(token))).first()
    if row is None:
        return None, None
    signin, person = row
    if signin.ended_at is not None or person.id != operator_id:
        return None, None
    if not person.active:
        return Found(signin.id, signin.locked, signin.last_seen_at, person), "deactivated"
    if utcnow() - signin.last_seen_at > EXPIRES_AFTER:
        return Found(signin.id, signin.locked, signin.last_seen_at, person), "expired"
    return Found(signin.id, signin.locked, signin.last_seen_at, person), None


def end_now(work: UnitOfWork, session_id: str, reason: str) -> None:
    """End one session in its own short transaction."""
    with work() as unit:
        end(unit.session, session_id, reason)


def lock(work: UnitOfWork, session_id: str) -> None:
    """Mark the session locked: until badge + PIN (or password) are entered again, its cookie
    reaches only the lock screen. A busy database does not stop the refusal (logged, retried on
    the next request)."""
    try:
        with work() as unit:
            unit.session.execute(
                update(SigninSession)
                .where(SigninSession.id == session_id, SigninSession.ended_at.is_(None),
                       SigninSession.locked.is_(False))
                .values(locked=True).execution_options(synchronize_session=False))
    except OperationalError as exc:
        log.warning("session %s not marked locked (database busy): %s", session_id, exc.orig)


def stale(last_seen_at: datetime, now: datetime | None = None) -> bool:
    """True when ``last_seen_at`` is due to be written again."""
    return (now or utcnow()) - last_seen_at > TOUCH_EVERY


def touch(work: UnitOfWork, session_id: str, last_seen_at: datetime) -> None:
    """Refresh ``last_seen_at`` when it is ``TOUCH_EVERY`` old (best effort: a busy database is
    no reason to refuse a read)."""
    now = utcnow()
    if not stale(last_seen_at, now):
        return
    try:
        with work() as unit:
            unit.session.execute(
                update(SigninSession)
                .where(SigninSession.id == session_id, SigninSession.ended_at.is_(None),
                       SigninSession.last_seen_at < now - TOUCH_EVERY)
                .values(last_seen_at=now).execution_options(synchronize_session=False))
    except OperationalError as exc:
        log.info("last_seen of session %s not refreshed (database busy): %s", session_id, exc.orig)
