"""People who sign in: operators (badge + PIN), supervisors and admins (password), argon2id hashes."""

from __future__ import annotations

import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from station import audit
from station.db.models import SESSION_END_REASONS, Operator, SigninSession
from station.db.types import utcnow
from station.returns.errors import DomainError

ROLES = ("operator", "supervisor", "admin")
MIN_PASSWORD_LENGTH = 12
_PIN = re.compile(r"^\d{4,8}$")
_USERNAME = re.compile(r"^[a-z0-9._-]{2,50}$")

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def check_secret(stored_hash: str | None, secret: str) -> bool:
    """True when ``secret`` matches; False for a wrong secret or no secret set."""
    if not stored_hash:
        _hasher.hash(secret)  # same cost either way: no timing hint that the user has none
        return False
    try:
        return _hasher.verify(stored_hash, secret)
    except (VerificationError, InvalidHashError):
        return False


def generate_pin(digits: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    actor: str,
    badge_id: str | None = None,
    pin: str | None = None,
    password: str | None = None,
    locale: str = "en",
) -> Operator:
    """Create a person; operators need a badge and PIN, supervisors/admins a password."""
    if role not in ROLES:
        raise DomainError("bad_role", f"role must be one of {', '.join(ROLES)}")
    if not _USERNAME.match(username):
        raise DomainError("bad_username", "username: 2-50 of a-z 0-9 . _ -")
    if locale not in ("en", "zh_Hans_CN"):
        raise DomainError("bad_locale", "locale must be en or zh_Hans_CN")
    if role == "operator":
        if not badge_id or not pin:
            raise DomainError("badge_required", "an operator needs a badge id and a PIN")
        if not _PIN.match(pin):
            raise DomainError("bad_pin", "PIN must be 4-8 digits")
    elif not password or len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password", f"{role}s need a password of at least {MIN_PASSWORD_LENGTH} characters"
        )
    if session.execute(select(Operator.id).where(Operator.username == username)).first():
        raise DomainError("user_exists", f"user {username} already exists")
    if badge_id and session.execute(select(Operator.id).where(Operator.badge_id == badge_id)).first():
        raise DomainError("badge_taken", f"badge {badge_id} already belongs to someone")
    person = Operator(
        username=username,
        display_name=display_name or username,
        role=role,
        badge_id=badge_id,
        pin_hash=hash_secret(pin) if pin else None,
        password_hash=hash_secret(password) if password else None,
        locale=locale,
    )
    session.add(person)
    session.flush()
    audit.append(session, actor=actor, action="user.created", entity_type="operator",
                 entity_id=person.id, data={"username": username, "role": role})
    return person


def list_users(session: Session) -> list[Operator]:
    return list(session.execute(select(Operator).order_by(Operator.username)).scalars())


def end_sessions(session: Session, operator_id: str, reason: str, *, keep: str | None = None) -> int:
    """End the person's open sign-in sessions on the server (all but ``keep``); how many ended.

    Their cookies stop working on the next request: the web app finds no open session.
    """
    if reason not in SESSION_END_REASONS:
        raise ValueError(f"unknown end reason {reason}")
    stmt = update(SigninSession).where(SigninSession.operator_id == operator_id,
                                       SigninSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(SigninSession.id != keep)
    result = session.execute(stmt.values(ended_at=utcnow(), end_reason=reason)
                             .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def reset_secret(
    session: Session, username: str, *, actor: str, pin: str | None = None,
    password: str | None = None, keep_session: str | None = None,
) -> Operator:
    """Give ``username`` a new PIN or password; their sign-in sessions end (``pin_changed``).

    ``keep_session`` (a signin_session id) survives: the person changing their own secret stays
    signed in on that browser, every other one is signed out.
    """
    person = session.execute(select(Operator).where(Operator.username == username)).scalar()
    if person is None:
        raise DomainError("user_not_found", f"no user {username}")
    if pin is not None:
        if not _PIN.match(pin):
            raise DomainError("bad_pin", "PIN must be 4-8 digits")
        person.pin_hash = hash_secret(pin)
    if password is not None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise DomainError("weak_password", f"a password needs {MIN_PASSWORD_LENGTH} characters")
        person.password_hash = hash_secret(password)
    ended = end_sessions(session, person.id, "pin_changed", keep=keep_session)
    audit.append(session, actor=actor, action="user.secret_reset", entity_type="operator",
                 entity_id=person.id, data={"username": username, "sessions_ended": ended})
    return person


def set_active(session: Session, username: str, active: bool, *, actor: str) -> Operator:
    """Enable or disable ``username``; disabling ends their sign-in sessions (``deactivated``)."""
    person = session.execute(select(Operator).where(Operator.username == username)).scalar()
    if person is None:
        raise DomainError("user_not_found", f"no user {username}")
    if person.active == active:
        return person
    person.active = active
    ended = 0 if active else end_sessions(session, person.id, "deactivated")
    audit.append(session, actor=actor, action="user.enabled" if active else "user.disabled",
                 entity_type="operator", entity_id=person.id,
                 data={"username": username, "sessions_ended": ended})
    return person
