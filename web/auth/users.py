"""The signed-in person as Flask-Login sees it: an open signin_session row of an active operator, on every request."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from station.context import StationContext
from station.db.engine import Database
from station.db.models import Operator
from station.users import check_secret
from web.auth import sessions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchUser(UserMixin):
    """An operator, supervisor or admin; signed in while ``signin_id`` names an open session."""

    operator_id: str
    username: str
    display_name: str
    role: str
    locale: str
    #: What the cookie holds: ``<operator id>:<token>`` ("" before the session is started).
    session_id: str = ""
    #: The signin_session row ("" before the session is started).
    signin_id: str = ""
    #: The bench was locked: only the lock screen (and sign-out) answer.
    locked: bool = False
    last_seen_at: datetime | None = None

    def get_id(self) -> str:
        return self.session_id

    @property
    def actor(self) -> str:
        """How audit rows name this person."""
        return f"{self.role}:{self.username}"


def _user(row: Operator) -> BenchUser:
    return BenchUser(row.id, row.username, row.display_name, row.role, row.locale)


def load_user(ctx: StationContext, cookie_value: str) -> BenchUser | None:
    """The person whose open session the cookie names; None (signed out) for an unknown, ended,
    expired or deactivated one. A read; only an expiry or deactivation found now is written."""
    found, ended = sessions.find(ctx.db, cookie_value)
    if found is None:
        return None
    if ended is not None:
        try:
            sessions.end_now(ctx.work, found.session_id, ended)
        except OperationalError as exc:  # refused either way; written on a later request
            log.info("session %s not marked %s (database busy): %s", found.session_id, ended, exc.orig)
        return None
    person = found.person
    return BenchUser(person.id, person.username, person.display_name, person.role, person.locale,
                     cookie_value, found.session_id, found.locked, found.last_seen_at)


def is_active_badge(db: Database, code: str) -> bool:
    """True when ``code`` is an active person's badge (a badge is never an item or a label)."""
    with db.reader() as session:
        return session.execute(select(Operator.id).where(
            Operator.badge_id == code, Operator.active.is_(True))).first() is not None


def check_badge(db: Database, badge_id: str, pin: str) -> BenchUser | None:
    """The active person holding ``badge_id`` when ``pin`` is theirs, else None."""
    with db.reader() as session:
        row = session.execute(select(Operator).where(Operator.badge_id == badge_id)).scalar()
        stored = row.pin_hash if row is not None and row.active else None
        person = _user(row) if row is not None else None
    # argon2 (64 MB, ~0.3 s) runs after the read transaction has ended
    return person if check_secret(stored, pin) and person is not None else None


def check_password(db: Database, username: str, password: str) -> BenchUser | None:
    """The active supervisor/admin ``username`` when ``password`` is theirs, else None."""
    with db.reader() as session:
        row = session.execute(select(Operator).where(Operator.username == username)).scalar()
        usable = row is not None and row.active and row.role in ("supervisor", "admin")
        stored = row.password_hash if usable and row is not None else None
        person = _user(row) if row is not None else None
    # argon2 (64 MB, ~0.3 s) runs after the read transaction has ended
    return person if check_secret(stored, password) and person is not None else None


def set_locale(db: Database, operator_id: str, locale: str) -> None:
    """Remember the language a person chose on screen."""
    with db.transaction() as session:
        row = session.get(Operator, operator_id)
        if row is not None:
            row.locale = locale
