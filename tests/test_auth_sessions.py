"""Sessions kept on the server and the persistent sign-in throttle, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from station.config import Settings
from station.context import StationContext, build
from station.db.models import LoginThrottleEntry, Operator, SigninSession
from station.db.types import utcnow
from station.users import reset_secret, set_active
from tests.conftest import make_settings
from tests.support.bench import (
    OPERATOR,
    SECOND_OPERATOR,
    SUPERVISOR,
    Person,
    add_people,
    bench_app,
    csrf,
    html,
    migrated,
    signed_in,
)
from tests.support.wait import wait_until
from web.auth import sessions
from web.auth.throttle import LoginThrottle

FETCH = {"X-Requested-With": "fetch", "Accept": "application/json"}
COOKIE = "station_session"
IDLE_LOCK_S = 30
#: The requirement (docs/bench-ui.md): five wrong tries per badge, then a lock-out of 30 s.
FAILURES_ALLOWED = 5
GUESSERS = 20


def station_settings(tmp_path: Path, database_url: str, **database: object) -> Settings:
    return make_settings(tmp_path, database_url, database={"url": database_url, **database},
                         web={"secret_key": "test-session-key", "idle_lock_s": IDLE_LOCK_S})


@pytest.fixture
def migrated_station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    """A migrated station with nobody who could sign in (the throttle needs no people)."""
    ctx = migrated(station_settings(tmp_path, database_url))
    yield ctx
    ctx.close()


@pytest.fixture
def station(migrated_station: StationContext) -> StationContext:
    add_people(migrated_station, (OPERATOR, SECOND_OPERATOR, SUPERVISOR))
    return migrated_station


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def browser_with(app: Flask, cookie: str) -> FlaskClient:
    """Another browser replaying a saved session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, cookie)
    return client


def signin_row(station: StationContext, client: FlaskClient) -> SigninSession:
    """The signin_session row the client's cookie names."""
    with client.session_transaction() as cookie:
        token = str(cookie["_user_id"]).partition(":")[2]
    with station.db.reader() as session:
        row = session.execute(select(SigninSession).where(
            SigninSession.token_hash == sessions.token_hash(token))).scalar_one()
    return row


def status(client: FlaskClient) -> int:
    return client.get("/bench/status", headers=FETCH).status_code


def sends_to_sign_in(client: FlaskClient) -> bool:
    page = html(client, "/bench/")
    return page.status_code == 302 and page.location.startswith("/auth/sign-in")


def set_session(station: StationContext, signin_id: str, **values: object) -> None:
    with station.db.transaction() as session:
        session.execute(update(SigninSession).where(SigninSession.id == signin_id).values(**values))


def pin_post(client: FlaskClient, person: Person, path: str, pin: str | None = None) -> int:
    return client.post(path, data={"badge": person.badge, "pin": pin or person.pin,
                                   "csrf_token": csrf(client)}).status_code


# -- sessions ----------------------------------------------------------------------------------

def test_only_the_tokens_digest_is_stored(app: Flask, station: StationContext) -> None:
    client = signed_in(app, OPERATOR)
    with client.session_transaction() as cookie:
        operator_id, _, token = str(cookie["_user_id"]).partition(":")
    row = signin_row(station, client)
    assert len(token) >= 40 and row.operator_id == operator_id
    assert row.token_hash == sessions.token_hash(token) != token
    assert token not in {str(value) for value in vars(row).values()}
    assert row.ended_at is None and row.locked is False


def test_a_cookie_saved_before_sign_out_is_refused_afterwards(app: Flask, station: StationContext) -> None:
    client = signed_in(app, OPERATOR)
    saved = saved_cookie(client)
    assert status(browser_with(app, saved)) == 200  # the copy works while the session is open
    row = signin_row(station, client)
    assert client.post("/auth/sign-out", data={"csrf_token": csrf(client)}).status_code == 302
    replay = browser_with(app, saved)
    assert status(replay) == 401
    assert sends_to_sign_in(replay)
    with station.db.reader() as session:
        ended = session.get(SigninSession, row.id)
        assert ended is not None and ended.end_reason == "signed_out" and ended.ended_at is not None


def test_after_lock_the_cookie_reaches_only_the_lock_screen_until_the_pin(
    app: Flask, station: StationContext
) -> None:
    client = signed_in(app, OPERATOR)
    before_lock = saved_cookie(client)  # a copy from before the lock: neither locked nor idle
    row = signin_row(station, client)
    assert client.post("/auth/lock", data={"csrf_token": csrf(client)}).location == "/auth/lock"
    replay = browser_with(app, before_lock)
    assert status(replay) == 423
    page = html(replay, "/bench/")
    assert page.status_code == 302 and page.location == "/auth/lock"
    assert html(replay, "/auth/lock").status_code == 200
    assert pin_post(replay, OPERATOR, "/auth/unlock", "000000") == 401  # a wrong PIN: still locked
    assert status(replay) == 423
    assert pin_post(client, OPERATOR, "/auth/unlock") == 302  # the PIN, on the bench
    assert status(client) == 200
    assert status(browser_with(app, before_lock)) == 401  # the locked session was replaced
    with station.db.reader() as session:
        old = session.get(SigninSession, row.id)
        assert old is not None and old.locked and old.end_reason == "locked_out"
    assert signin_row(station, client).id != row.id


def test_an_idle_cookie_locks_the_session_on_the_server(app: Flask, station: StationContext) -> None:
    client = signed_in(app, OPERATOR)
    fresh = saved_cookie(client)
    with client.session_transaction() as cookie:
        cookie["seen"] = time.time() - IDLE_LOCK_S - 5
    assert status(client) == 423
    assert signin_row(station, client).locked
    assert status(browser_with(app, fresh)) == 423  # a copy with a fresh activity time too


def test_a_session_the_server_has_not_seen_for_the_idle_time_is_locked(
    app: Flask, station: StationContext
) -> None:
    client = signed_in(app, OPERATOR)
    row = signin_row(station, client)
    set_session(station, row.id, last_seen_at=utcnow() - timedelta(seconds=IDLE_LOCK_S + 61))
    assert status(client) == 423
    assert signin_row(station, client).locked


def test_a_session_unused_for_twelve_hours_has_expired(app: Flask, station: StationContext) -> None:
    client = signed_in(app, OPERATOR)
    row = signin_row(station, client)
    set_session(station, row.id, locked=True, last_seen_at=utcnow() - timedelta(hours=12, minutes=1))
    assert status(client) == 401
    assert sends_to_sign_in(client)
    with station.db.reader() as session:
        ended = session.get(SigninSession, row.id)
        assert ended is not None and ended.end_reason == "expired"


@pytest.mark.parametrize("keep_own", [True, False])
def test_a_pin_change_ends_the_persons_other_sessions(
    app: Flask, station: StationContext, keep_own: bool
) -> None:
    own = signed_in(app, SUPERVISOR)
    other = signed_in(app, Person(SUPERVISOR.username, "supervisor", password=SUPERVISOR.password))
    colleague = signed_in(app, OPERATOR)
    own_row, other_row = signin_row(station, own), signin_row(station, other)
    with station.work() as work:
        reset_secret(work.session, SUPERVISOR.username, actor="supervisor:test", pin="778899",
                     keep_session=own_row.id if keep_own else None)
    assert status(own) == (200 if keep_own else 401)
    assert status(other) == 401 and sends_to_sign_in(other)
    assert status(colleague) == 200  # someone else's sessions are not touched
    with station.db.reader() as session:
        other_end = session.get(SigninSession, other_row.id)
        assert other_end is not None and other_end.end_reason == "pin_changed"
    changed = app.test_client()
    assert pin_post(changed, SUPERVISOR, "/auth/sign-in", "778899") == 302


def test_deactivation_ends_the_sessions_and_reactivation_does_not_revive_them(
    app: Flask, station: StationContext
) -> None:
    client = signed_in(app, SECOND_OPERATOR)
    saved = saved_cookie(client)
    row = signin_row(station, client)
    with station.work() as work:
        set_active(work.session, SECOND_OPERATOR.username, False, actor="admin:test")
    assert status(client) == 401
    with station.work() as work:
        set_active(work.session, SECOND_OPERATOR.username, True, actor="admin:test")
    assert status(browser_with(app, saved)) == 401
    with station.db.reader() as session:
        ended = session.get(SigninSession, row.id)
        assert ended is not None and ended.end_reason == "deactivated"
    assert signed_in(app, SECOND_OPERATOR) is not None


def test_a_person_disabled_in_the_database_directly_is_signed_out(
    app: Flask, station: StationContext
) -> None:
    client = signed_in(app, SECOND_OPERATOR)
    row = signin_row(station, client)
    with station.db.transaction() as session:
        session.execute(update(Operator).where(Operator.username == SECOND_OPERATOR.username)
                        .values(active=False))
    assert status(client) == 401
    with station.db.reader() as session:
        ended = session.get(SigninSession, row.id)
        assert ended is not None and ended.end_reason == "deactivated"


def test_last_seen_is_written_at_most_once_a_minute(app: Flask, station: StationContext) -> None:
    client = signed_in(app, OPERATOR)
    row = signin_row(station, client)
    for _ in range(3):
        assert html(client, "/bench/").status_code == 200
    assert signin_row(station, client).last_seen_at == row.last_seen_at  # fresh: not rewritten
    a_minute_ago = utcnow() - timedelta(seconds=61)
    set_session(station, row.id, last_seen_at=a_minute_ago)
    assert html(client, "/bench/").status_code == 200
    touched = signin_row(station, client).last_seen_at
    assert touched > a_minute_ago + timedelta(seconds=30)
    assert html(client, "/bench/").status_code == 200
    assert signin_row(station, client).last_seen_at == touched


def test_reading_pages_needs_no_write_lock(tmp_path: Path) -> None:
    """Another connection holds the SQLite write lock: signed-in pages still answer at once, even
    when last_seen is due (it is written later)."""
    db_file = tmp_path / "station.db"
    ctx = migrated(station_settings(tmp_path, f"sqlite:///{db_file}", busy_timeout_ms=200))
    try:
        add_people(ctx, (OPERATOR,))
        app = bench_app(ctx)
        client = signed_in(app, OPERATOR)
        row = signin_row(ctx, client)
        holder = sqlite3.connect(db_file, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert html(client, "/bench/").status_code == 200
            assert status(client) == 200
            holder.execute("ROLLBACK")
            set_session(ctx, row.id, last_seen_at=utcnow() - timedelta(seconds=61))
            holder.execute("BEGIN IMMEDIATE")
            assert html(client, "/bench/").status_code == 200  # the touch gives way
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        ctx.close()


# -- the throttle ------------------------------------------------------------------------------

@dataclass
class Gate:
    """Holds every verification until all guessers have either reached it or been refused, so a
    throttle that let more than the limit through would show it; it counts the verifications."""

    arrived: Callable[[], int]
    arrive: Callable[[bool], None]
    total: int

    def check(self) -> None:
        self.arrive(True)
        assert wait_until(lambda: self.arrived() >= self.total, 30)


def guess_in_threads(throttle: LoginThrottle, scopes: tuple[str, ...], guessers: int,
                     arrive: Callable[[bool], None], gate: Gate) -> list[tuple[bool, int]]:
    """``guessers`` threads each try a wrong secret at once; (verified, wait) of each."""
    results: list[tuple[bool, int]] = []
    start = threading.Barrier(guessers)

    def guess() -> None:
        verified = False

        def wrong_secret() -> None:
            nonlocal verified
            verified = True
            gate.check()

        start.wait(10)
        found, wait = throttle.attempt(scopes, wrong_secret)
        assert found is None
        if not verified:
            arrive(False)
        results.append((verified, wait))

    threads = [threading.Thread(target=guess) for _ in range(guessers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_twenty_parallel_wrong_guesses_get_five_verifications(migrated_station: StationContext) -> None:
    throttle = LoginThrottle(migrated_station.work)
    lock = threading.Lock()
    counts = {"verified": 0, "refused": 0}

    def arrive(verified: bool) -> None:
        with lock:
            counts["verified" if verified else "refused"] += 1

    gate = Gate(lambda: counts["verified"] + counts["refused"], arrive, GUESSERS)
    scopes = (f"badge:{OPERATOR.badge}", "ip:10.1.1.1")
    results = guess_in_threads(throttle, scopes, GUESSERS, arrive, gate)
    assert len(results) == GUESSERS
    assert counts["verified"] == FAILURES_ALLOWED
    assert all(wait > 0 for verified, wait in results if not verified)  # refused: told to wait
    badge_row, ip_row = throttle.state(scopes[0]), throttle.state(scopes[1])
    assert badge_row is not None and badge_row.failures == FAILURES_ALLOWED
    assert badge_row.locked_until is not None and badge_row.locked_until > utcnow()
    assert ip_row is not None and ip_row.failures == FAILURES_ALLOWED  # refused tries took nothing


def _guess_in_a_process(url: str, tmp: str, guessers: int, counter: Any, condition: Any,
                        total: int, out: Any) -> None:
    """A second station process: its own context and throttle over the same database."""
    ctx = build(station_settings(Path(tmp), url))
    try:
        def arrive(verified: bool) -> None:
            with condition:
                counter[0 if verified else 1] += 1
                condition.notify_all()

        gate = Gate(lambda: counter[0] + counter[1], arrive, total)
        results = guess_in_threads(LoginThrottle(ctx.work), (f"badge:{OPERATOR.badge}",), guessers,
                                   arrive, gate)
        out.put(results)
    finally:
        ctx.close()


def test_two_processes_guessing_at_once_get_five_verifications_together(
    migrated_station: StationContext, tmp_path: Path
) -> None:
    station = migrated_station
    spawn = multiprocessing.get_context("spawn")
    counter = spawn.Array("i", [0, 0])
    condition = spawn.Condition()
    out = spawn.Queue()
    per_process = GUESSERS // 2
    workers = [spawn.Process(target=_guess_in_a_process, args=(
        station.settings.database.url, str(tmp_path), per_process, counter, condition, GUESSERS,
        out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    results = [item for _ in workers for item in out.get(timeout=90)]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert len(results) == GUESSERS
    assert sum(verified for verified, _ in results) == FAILURES_ALLOWED == counter[0]
    row = LoginThrottle(station.work).state(f"badge:{OPERATOR.badge}")
    assert row is not None and row.failures == FAILURES_ALLOWED


def test_parallel_wrong_pins_at_the_sign_in_page_never_pass_the_limit(
    app: Flask, station: StationContext
) -> None:
    """Twenty browsers post a wrong PIN for one badge at once (real argon2)."""
    browsers = [app.test_client() for _ in range(GUESSERS)]
    tokens = [csrf(browser) for browser in browsers]
    start = threading.Barrier(GUESSERS)
    statuses: list[int] = []

    def guess(browser: FlaskClient, token: str) -> None:
        start.wait(10)
        statuses.append(browser.post("/auth/sign-in", data={
            "badge": OPERATOR.badge, "pin": "000000", "csrf_token": token}).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(browsers, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(statuses) == GUESSERS and set(statuses) <= {401, 429}
    assert statuses.count(401) < FAILURES_ALLOWED
    row = app.extensions["login_throttle"].state(f"badge:{OPERATOR.badge}")
    assert row is not None and row.failures == FAILURES_ALLOWED  # five tries were verified
    assert pin_post(app.test_client(), OPERATOR, "/auth/sign-in") == 429


def test_the_throttle_survives_a_restart(station: StationContext, tmp_path: Path) -> None:
    first = bench_app(station)
    client = first.test_client()
    assert [pin_post(client, OPERATOR, "/auth/sign-in", "000000")
            for _ in range(FAILURES_ALLOWED)][-1] == 429
    restarted = build(station.settings)  # a new process's services and app, the same database
    try:
        app = bench_app(restarted)
        browser = app.test_client()
        page = browser.post("/auth/sign-in", data={
            "badge": OPERATOR.badge, "pin": OPERATOR.pin, "csrf_token": csrf(browser)})
        assert page.status_code == 429 and "Too many wrong attempts" in page.get_data(as_text=True)
        with restarted.db.transaction() as session:  # the lock-out is over
            session.execute(update(LoginThrottleEntry).values(
                locked_until=utcnow() - timedelta(seconds=1)))
        assert pin_post(app.test_client(), OPERATOR, "/auth/sign-in") == 302
        throttle: LoginThrottle = app.extensions["login_throttle"]
        assert throttle.state(f"badge:{OPERATOR.badge}") is None  # a right PIN starts it over
        address = throttle.state("ip:127.0.0.1")
        assert address is not None and address.failures == FAILURES_ALLOWED  # its try given back
    finally:
        restarted.close()


def test_lock_outs_double_and_refused_tries_run_no_check(migrated_station: StationContext) -> None:
    moment = [datetime(2026, 12, 4, 9, 0, tzinfo=UTC)]
    throttle = LoginThrottle(migrated_station.work, clock=lambda: moment[0])
    checks: list[int] = []

    def wrong() -> None:
        checks.append(1)

    scope = ("user:sue.super",)
    waits = [throttle.attempt(scope, wrong)[1] for _ in range(FAILURES_ALLOWED)]
    assert waits == [0, 0, 0, 0, 30] and len(checks) == FAILURES_ALLOWED
    assert throttle.attempt(scope, wrong)[1] == 30 and len(checks) == FAILURES_ALLOWED
    moment[0] += timedelta(seconds=31)
    assert throttle.attempt(scope, wrong)[1] == 60 and len(checks) == FAILURES_ALLOWED + 1
    moment[0] += timedelta(seconds=61)
    assert throttle.attempt(scope, lambda: "sue")[0] == "sue"  # the right password
    assert throttle.state(scope[0]) is None
    for _ in range(FAILURES_ALLOWED - 1):
        throttle.attempt(scope, wrong)
    moment[0] += timedelta(minutes=16)  # a new window: the count starts over
    assert throttle.attempt(scope, wrong)[1] == 0
    row = throttle.state(scope[0])
    assert row is not None and row.failures == 1


# -- migration ---------------------------------------------------------------------------------

def test_rows_of_sessions_over_a_month_old_are_deleted_at_a_sign_in(
    app: Flask, station: StationContext
) -> None:
    ended, abandoned, recent = (signin_row(station, signed_in(app, person))
                                for person in (OPERATOR, SECOND_OPERATOR, SUPERVISOR))
    long_ago = utcnow() - timedelta(days=31)
    set_session(station, ended.id, ended_at=long_ago, end_reason="signed_out")
    set_session(station, abandoned.id, last_seen_at=long_ago)
    set_session(station, recent.id, ended_at=utcnow() - timedelta(days=29), end_reason="signed_out")
    signed_in(app, OPERATOR)
    with station.db.reader() as session:
        kept = set(session.execute(select(SigninSession.id)).scalars())
    assert ended.id not in kept and abandoned.id not in kept and recent.id in kept
