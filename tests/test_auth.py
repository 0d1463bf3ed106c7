"""Signing in at the bench: badge + PIN, passwords, throttling, idle lock, cookies and headers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

from station.context import StationContext
from station.db.models import AuditEvent, LoginThrottleEntry, Operator
from station.users import reset_secret
from tests.support.bench import (
    ADMIN,
    OPERATOR,
    SECOND_OPERATOR,
    SUPERVISOR,
    Person,
    add_people,
    bench_app,
    csrf,
    csrf_from,
    html,
    migrated,
    sign_in,
    signed_in,
    sqlite_settings,
)
from web.app import create_app
from web.auth.throttle import LoginThrottle

#: The requirement (docs/bench-ui.md): five wrong attempts per badge or user within 15 minutes
#: lock it out; one address may try four times as many before it is locked out too.
FAILURES_ALLOWED = 5
PER_ADDRESS = 4 * FAILURES_ALLOWED

FETCH = {"X-Requested-With": "fetch", "Accept": "application/json"}
IDLE_LOCK_S = 30


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path_factory.mktemp("auth"), idle_lock_s=IDLE_LOCK_S))
    add_people(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    """A fresh app per test, with no sign-in failures counted (they are kept in the database)."""
    with station.db.transaction() as session:
        session.execute(delete(LoginThrottleEntry))
    return bench_app(station)


def badge_post(client: FlaskClient, badge: str, pin: str, path: str = "/auth/sign-in",
               **extra: str) -> tuple[int, str]:
    response = client.post(path, data={"badge": badge, "pin": pin, "csrf_token": csrf(client),
                                       **extra})
    return response.status_code, response.get_data(as_text=True)


def user_id(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session.get("_user_id", ""))


def operator_id(station: StationContext, person: Person) -> str:
    with station.db.reader() as session:
        return session.execute(select(Operator.id).where(
            Operator.username == person.username)).scalar_one()


# -- sign-in -----------------------------------------------------------------------------------

def test_badge_and_pin_start_a_session_and_the_sign_in_is_audited(
    app: Flask, station: StationContext
) -> None:
    client = app.test_client()
    response = sign_in(client, OPERATOR)
    assert response.status_code == 302 and response.location == "/bench/"
    assert user_id(client).startswith(operator_id(station, OPERATOR) + ":")
    assert html(client, "/bench/").status_code == 200
    with station.db.reader() as session:
        last = session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc())).scalars().first()
    assert last is not None and last.action == "operator.signed_in"
    assert last.actor == f"operator:{OPERATOR.username}"


def test_a_wrong_pin_is_401_with_a_message_and_no_session(app: Flask) -> None:
    client = app.test_client()
    status, page = badge_post(client, OPERATOR.badge or "", "999999")
    assert status == 401 and "Badge or PIN not recognised." in page
    assert user_id(client) == ""
    assert client.get("/bench/status", headers=FETCH).status_code == 401


def test_a_malformed_pin_is_400_with_the_rule(app: Flask) -> None:
    client = app.test_client()
    status, page = badge_post(client, OPERATOR.badge or "", "12ab")
    assert status == 400 and "The PIN is 4 to 8 digits." in page


def test_after_five_wrong_pins_even_the_right_pin_must_wait(app: Flask) -> None:
    client = app.test_client()
    statuses = [badge_post(client, OPERATOR.badge or "", "000000")[0] for _ in range(FAILURES_ALLOWED)]
    assert statuses[:-1] == [401] * (FAILURES_ALLOWED - 1)
    assert statuses[-1] == 429  # the fifth wrong one already says how long to wait
    status, page = badge_post(client, OPERATOR.badge or "", OPERATOR.pin or "")
    assert status == 429
    assert "Too many wrong attempts. Try again in " in page and " s." in page
    assert user_id(client) == ""
    # another badge on the same bench is not held up by it
    status, _ = badge_post(client, SECOND_OPERATOR.badge or "", SECOND_OPERATOR.pin or "")
    assert status == 302


def test_one_address_trying_many_badges_is_throttled_but_others_are_not(app: Flask) -> None:
    noisy = app.test_client()
    noisy.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    # Earlier failures from this address (each real attempt costs an argon2 hash: ~0.5 s here)
    throttle: LoginThrottle = app.extensions["login_throttle"]
    for _ in range(PER_ADDRESS - 3):
        assert throttle.attempt(("ip:10.0.0.7",), lambda: None)[0] is None
    for attempt in range(3):  # then three guesses, each at a new badge: no badge is locked
        assert badge_post(noisy, f"GUESS-{attempt}", "000000")[0] in (401, 429)
    status, page = badge_post(noisy, OPERATOR.badge or "", OPERATOR.pin or "")
    assert status == 429 and "Try again in" in page
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    assert badge_post(other, OPERATOR.badge or "", OPERATOR.pin or "")[0] == 302


def test_a_supervisor_signs_in_with_a_password_and_an_operator_cannot(app: Flask) -> None:
    supervisor = app.test_client()
    response = sign_in(supervisor, Person(SUPERVISOR.username.upper(), "supervisor",
                                          password=SUPERVISOR.password))
    assert response.status_code == 302  # user names are not case-sensitive
    assert supervisor.get("/bench/status", headers=FETCH).status_code == 200
    admin = signed_in(app, ADMIN)
    assert admin.get("/bench/status", headers=FETCH).status_code == 200
    operator = app.test_client()
    for password in (OPERATOR.pin or "", "anything-long-enough"):
        response = operator.post("/auth/password", data={
            "username": OPERATOR.username, "password": password, "csrf_token": csrf(operator)})
        assert response.status_code == 401
        assert "User name or password not recognised." in response.get_data(as_text=True)
    wrong = app.test_client()
    response = wrong.post("/auth/password", data={
        "username": SUPERVISOR.username, "password": "not-the-password", "csrf_token": csrf(wrong)})
    assert response.status_code == 401


def test_an_inactive_person_is_refused_and_their_open_session_ends(
    app: Flask, station: StationContext
) -> None:
    client = signed_in(app, SECOND_OPERATOR)
    with station.db.transaction() as session:
        session.execute(select(Operator).where(Operator.username == SECOND_OPERATOR.username)
                        ).scalar_one().active = False
    try:
        assert client.get("/bench/status", headers=FETCH).status_code == 401
        status, page = badge_post(app.test_client(), SECOND_OPERATOR.badge or "",
                                  SECOND_OPERATOR.pin or "")
        assert status == 401 and "Badge or PIN not recognised." in page
    finally:
        with station.db.transaction() as session:
            session.execute(select(Operator).where(Operator.username == SECOND_OPERATOR.username)
                            ).scalar_one().active = True


@pytest.mark.parametrize("change", ["pin", "password"])
def test_a_new_pin_or_password_ends_the_old_sessions(
    app: Flask, station: StationContext, change: str
) -> None:
    """A supervisor has a badge PIN and a password; changing either signs out old browsers."""
    by_badge = signed_in(app, SUPERVISOR)
    by_password = signed_in(app, Person(SUPERVISOR.username, "supervisor",
                                        password=SUPERVISOR.password))
    secret = {"pin": "778899"} if change == "pin" else {"password": "a-new-password-42"}
    with station.db.transaction() as session:
        reset_secret(session, SUPERVISOR.username, actor="admin:test", **secret)
    try:
        for client in (by_badge, by_password):
            assert client.get("/bench/status", headers=FETCH).status_code == 401
            page = html(client, "/bench/")
            assert page.status_code == 302 and page.location.startswith("/auth/sign-in")
    finally:
        with station.db.transaction() as session:
            reset_secret(session, SUPERVISOR.username, actor="admin:test", pin=SUPERVISOR.pin,
                         password=SUPERVISOR.password)


@pytest.mark.parametrize("target", [
    "//evil.example/x", "http://evil.example/", "https:evil.example", "/\\evil.example",
    "/\t/evil.example", "/\n/evil.example", " //evil.example", "javascript:alert(1)",
])
def test_sign_in_never_redirects_off_the_station(app: Flask, target: str) -> None:
    response = sign_in(app.test_client(), OPERATOR, next_path=target)
    assert response.status_code == 302 and response.location == "/bench/", response.location


def test_sign_in_returns_to_the_page_asked_for(app: Flask) -> None:
    client = app.test_client()
    asked = html(client, "/bench/status?x=1")
    assert asked.status_code == 302
    page = client.get(asked.location, headers={"Accept": "text/html"})
    assert 'value="/bench/status?x=1"' in page.get_data(as_text=True)
    response = sign_in(client, OPERATOR, next_path="/bench/status?x=1")
    assert response.location == "/bench/status?x=1"


def test_the_password_link_and_the_language_switch_keep_the_page_asked_for(app: Flask) -> None:
    """A supervisor sent to sign in from /review/ switches language, takes the password form
    and still lands on /review/ (the link and the switch used to drop ?next=)."""
    client = app.test_client()
    asked = html(client, "/review/")
    assert asked.status_code == 302
    page = client.get(asked.location, headers={"Accept": "text/html"}).get_data(as_text=True)
    assert 'href="/auth/password?next=/review/"' in page
    assert 'name="next" value="/auth/sign-in?next=/review/"' in page  # the language switch
    switched = client.post("/auth/language", data={
        "lang": "zh_Hans_CN", "next": "/auth/sign-in?next=/review/", "csrf_token": csrf(client)})
    assert switched.location == "/auth/sign-in?next=/review/"
    form = client.get("/auth/password?next=/review/", headers={"Accept": "text/html"})
    assert 'value="/review/"' in form.get_data(as_text=True)
    assert 'href="/auth/sign-in?next=/review/"' in form.get_data(as_text=True)
    done = client.post("/auth/password", data={
        "username": SUPERVISOR.username, "password": SUPERVISOR.password, "next": "/review/",
        "csrf_token": csrf(client)})
    assert done.status_code == 302 and done.location == "/review/"


def test_sign_out_ends_the_session(app: Flask) -> None:
    client = signed_in(app, OPERATOR)
    response = client.post("/auth/sign-out", data={"csrf_token": csrf(client)})
    assert response.status_code == 302 and response.location == "/auth/sign-in"
    assert client.get("/bench/status", headers=FETCH).status_code == 401


def test_the_language_switch_is_kept_for_the_person(app: Flask, station: StationContext) -> None:
    client = signed_in(app, SECOND_OPERATOR)
    try:
        response = client.post("/auth/language", data={
            "lang": "zh_Hans_CN", "next": "/bench/", "csrf_token": csrf(client)})
        assert response.status_code == 302 and response.location == "/bench/"
        with station.db.reader() as session:
            assert session.execute(select(Operator.locale).where(
                Operator.username == SECOND_OPERATOR.username)).scalar_one() == "zh_Hans_CN"
        refused = client.post("/auth/language", data={"lang": "xx", "csrf_token": csrf(client)})
        assert refused.status_code == 302
        with station.db.reader() as session:
            assert session.execute(select(Operator.locale).where(
                Operator.username == SECOND_OPERATOR.username)).scalar_one() == "zh_Hans_CN"
    finally:
        with station.db.transaction() as session:
            session.execute(select(Operator).where(Operator.username == SECOND_OPERATOR.username)
                            ).scalar_one().locale = "en"


# -- idle lock ---------------------------------------------------------------------------------

def go_idle(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session["seen"] = time.time() - IDLE_LOCK_S - 5


def test_an_idle_bench_locks_and_unlocks_with_badge_and_pin(app: Flask) -> None:
    client = signed_in(app, OPERATOR)
    assert html(client, "/bench/").status_code == 200
    go_idle(client)
    page = html(client, "/bench/")
    assert page.status_code == 302 and page.location == "/auth/lock"
    assert client.get("/bench/status", headers=FETCH).status_code == 423
    assert client.post("/bench/receive", headers=FETCH,
                       data={"code": "X", "csrf_token": csrf(client)}).status_code == 423
    assert html(client, "/auth/lock").status_code == 200
    status, page_text = badge_post(client, OPERATOR.badge or "", "000000", "/auth/unlock")
    assert status == 401 and "Badge or PIN not recognised." in page_text
    assert client.get("/bench/status", headers=FETCH).status_code == 423  # still locked
    status, _ = badge_post(client, OPERATOR.badge or "", OPERATOR.pin or "", "/auth/unlock")
    assert status == 302
    assert html(client, "/bench/").status_code == 200
    assert client.get("/bench/status", headers=FETCH).status_code == 200


def test_another_operators_badge_takes_the_locked_bench_over(
    app: Flask, station: StationContext
) -> None:
    client = signed_in(app, OPERATOR)
    go_idle(client)
    assert client.get("/bench/status", headers=FETCH).status_code == 423
    status, _ = badge_post(client, SECOND_OPERATOR.badge or "", SECOND_OPERATOR.pin or "",
                           "/auth/unlock")
    assert status == 302
    assert user_id(client).startswith(operator_id(station, SECOND_OPERATOR) + ":")
    assert client.get("/bench/status", headers=FETCH).status_code == 200


def test_a_supervisor_unlocks_with_the_password(app: Flask) -> None:
    client = signed_in(app, OPERATOR)
    assert client.post("/auth/lock", data={"csrf_token": csrf(client)}).location == "/auth/lock"
    assert client.get("/bench/status", headers=FETCH).status_code == 423  # locked by hand
    response = client.post("/auth/unlock", data={
        "username": SUPERVISOR.username, "password": SUPERVISOR.password,
        "csrf_token": csrf(client)})
    assert response.status_code == 302
    assert client.get("/bench/status", headers=FETCH).status_code == 200


def test_a_live_stream_does_not_keep_the_bench_awake(app: Flask) -> None:
    client = signed_in(app, OPERATOR)
    with client.session_transaction() as session:
        session["seen"] = time.time() - IDLE_LOCK_S + 3
    assert client.get("/bench/status", headers=FETCH).status_code == 200  # passive
    with client.session_transaction() as session:
        assert session["seen"] < time.time() - IDLE_LOCK_S + 4


# -- cookies and headers -----------------------------------------------------------------------

def test_cookies_are_http_only_and_same_site_strict(app: Flask) -> None:
    response = sign_in(app.test_client(), OPERATOR)
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("station_session="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http on the bench PC's own loopback
    assert "Strict-Transport-Security" not in response.headers


def test_behind_https_cookies_are_secure_and_forms_still_post(tmp_path: Path) -> None:
    """Over https Flask-WTF wants a same-origin Referer on every POST: the policy must send it."""
    ctx = migrated(sqlite_settings(tmp_path, public_url="https://station.example"))
    try:
        add_people(ctx, (OPERATOR,))
        client = create_app(ctx.settings, ctx).test_client()
        page = client.get("/auth/sign-in", base_url="https://localhost",
                          headers={"Accept": "text/html"})
        assert page.headers["Referrer-Policy"] in ("same-origin", "strict-origin")
        form = {"badge": OPERATOR.badge, "pin": OPERATOR.pin, "csrf_token": csrf_from(page)}
        # what a browser sends under that policy: the page it posts from
        response = client.post("/auth/sign-in", base_url="https://localhost", data=form,
                               headers={"Referer": "https://localhost/auth/sign-in"})
        assert response.status_code == 302
        cookie = next(c for c in response.headers.getlist("Set-Cookie")
                      if c.startswith("station_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert response.headers["Strict-Transport-Security"].startswith("max-age=")
        # a post from another site is refused
        forged = client.post("/bench/receive", base_url="https://localhost",
                             data={"code": "X", "csrf_token": form["csrf_token"]},
                             headers={"Referer": "https://evil.example/"})
        assert forged.status_code == 400
    finally:
        ctx.close()


@pytest.mark.parametrize("path", ["/auth/sign-in", "/bench/", "/bench/nothing-here"])
def test_every_page_carries_the_security_headers(app: Flask, path: str) -> None:
    client = signed_in(app, OPERATOR) if path != "/auth/sign-in" else app.test_client()
    response = html(client, path)
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "script-src 'self';" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    if response.mimetype == "text/html":
        assert headers["Cache-Control"] == "no-store"
