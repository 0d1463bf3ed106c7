"""The signed-in person as Flask-Login sees it, loaded from the operator table on every request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask_login import UserMixin
from sqlalchemy import select

from station.db.engine import Database
from station.db.models import Operator
from station.users import check_secret


@dataclass(frozen=True)
class BenchUser(UserMixin):
    """An operator, supervisor or admin; ``session_id`` changes when their secret changes."""

    operator_id: str
    username: str
    display_name: str
    role: str
    locale: str
    session_id: str

    def get_id(self) -> str:
        return self.session_id

    @property
    def actor(self) -> str:
        """How audit rows name this person."""
        return f"{self.role}:{self.username}"


def _session_id(row: Operator) -> str:
    # Tie the session to BOTH secrets (a supervisor may have a badge PIN and a password): changing
    # either ends old sessions. Only a digest goes into the (readable) session cookie.
    secrets = f"{row.pin_hash or ''}|{row.password_hash or ''}"
    return f"{row.id}:{hashlib.sha256(secrets.encode()).hexdigest()[:24]}"


def _user(row: Operator) -> BenchUser:
    return BenchUser(row.id, row.username, row.display_name, row.role, row.locale,
                     _session_id(row))


def load_user(db: Database, session_id: str) -> BenchUser | None:
    operator_id = session_id.split(":", 1)[0]
    with db.reader() as session:
        row = session.get(Operator, operator_id)
        if row is None or not row.active or _session_id(row) != session_id:
            return None
        return _user(row)


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
