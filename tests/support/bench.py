"""Bench UI test helpers: people who sign in, a migrated station, CSRF tokens read from the pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from station import apikeys
from station.config import Settings
from station.context import StationContext, build
from station.db.models import AuditEvent, Inspection
from station.users import add_user
from tests.conftest import make_settings
from tests.support.templates import migrate_fresh
from web.app import create_app

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" type="hidden" value="([^"]+)"'
                   r'|name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    """Someone who signs in at the bench: badge + PIN (operators), username + password (others)."""

    username: str
    role: str
    badge: str | None = None
    pin: str | None = None
    password: str | None = None


OPERATOR = Person("ana.op", "operator", badge="BADGE-1001", pin="246810")
SECOND_OPERATOR = Person("ben.op", "operator", badge="BADGE-1002", pin="135790")
SUPERVISOR = Person("sue.super", "supervisor", badge="BADGE-2001", pin="112233",
                    password="supervisor-secret-1")
ADMIN = Person("ada.admin", "admin", password="admin-secret-0001")
PEOPLE = (OPERATOR, SECOND_OPERATOR, SUPERVISOR, ADMIN)


def migrated(settings: Settings) -> StationContext:
    """The station's services on a database brought up by the migrations (a copy of the
    test process's migrated template, tests/support/templates.py)."""
    migrate_fresh(settings.database.url)
    return build(settings)


def sqlite_settings(tmp_path: Path, **web: object) -> Settings:
    """Settings on a fresh SQLite file in ``tmp_path`` (``web`` overrides the [web] section)."""
    return make_settings(tmp_path, f"sqlite:///{tmp_path / 'station.db'}",
                         web={"secret_key": "test-session-key", **web})


def add_people(ctx: StationContext, people: tuple[Person, ...] = PEOPLE) -> None:
    with ctx.db.transaction() as session:
        for person in people:
            add_user(session, username=person.username, display_name=person.username.title(),
                     role=person.role, actor="test", badge_id=person.badge, pin=person.pin,
                     password=person.password)


def api_key_header(ctx: StationContext) -> dict[str, str]:
    """A platform API key holding every scope, as a Bearer header."""
    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, "platform", apikeys.SCOPES)
    return {"Authorization": f"Bearer {secret}"}


def bench_app(ctx: StationContext) -> Flask:
    """The web app without devices (what `station serve` runs), on ``ctx``."""
    app = create_app(ctx.settings, ctx, devices=None)
    app.config["TESTING"] = True
    return app


def csrf_from(page: TestResponse) -> str:
    """The CSRF token a page carries (meta tag or hidden form field)."""
    found = _CSRF.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {page.request.path} ({page.status_code})"
    return next(group for group in found.groups() if group)


def csrf(client: FlaskClient, path: str = "/auth/sign-in") -> str:
    """A valid token for this client's session, read from ``path``."""
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200, (path, page.status_code)
    return csrf_from(page)


def sign_in(client: FlaskClient, person: Person, *, next_path: str = "") -> TestResponse:
    """Badge + PIN when the person has a badge, else the password form."""
    if person.badge and person.pin:
        token = csrf(client, "/auth/sign-in")
        return client.post("/auth/sign-in", data={
            "badge": person.badge, "pin": person.pin, "next": next_path, "csrf_token": token})
    token = csrf(client, "/auth/password")
    return client.post("/auth/password", data={
        "username": person.username, "password": person.password or "", "next": next_path,
        "csrf_token": token})


def signed_in(app: Flask, person: Person) -> FlaskClient:
    """A fresh browser with ``person`` signed in."""
    client = app.test_client()
    response = sign_in(client, person)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def html(client: FlaskClient, path: str) -> TestResponse:
    return client.get(path, headers={"Accept": "text/html"})


def audit_count(ctx: StationContext) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count(AuditEvent.seq))).scalar_one())


def snapshot(ctx: StationContext) -> tuple[int, list[tuple[str, str, str, int | None]]]:
    """What a refused request must leave alone: the audit log length and every inspection."""
    with ctx.db.reader() as session:
        rows = session.execute(select(Inspection.id, Inspection.state, Inspection.flags,
                                      Inspection.measured_weight_mg)
                               .order_by(Inspection.id)).all()
    return audit_count(ctx), [(r[0], r[1], ",".join(r[2] or []), r[3]) for r in rows]
