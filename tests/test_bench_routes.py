"""Who may open which browser route: every rule of the url_map, anonymous / API key / each role, CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from drivers.state import DeviceState
from station.config import DevicesSection
from station.context import StationContext
from station.db.models import Operator
from station.devices import DeviceManager
from tests.factories import seed_rma, walk_to_graded
from tests.support.bench import (
    ADMIN,
    OPERATOR,
    SUPERVISOR,
    Person,
    add_people,
    api_key_header,
    csrf,
    migrated,
    signed_in,
    snapshot,
    sqlite_settings,
)
from tests.support.wait import wait_until
from web.app import create_app
from web.auth.roles import OPERATOR_ROLES, SUPERVISOR_ROLES, protect

#: Paths that are not browser routes (the platform API and the probes have their own auth).
NOT_BROWSER = ("/api/", "/static/", "/healthz", "/readyz", "/metrics")
#: Endpoints anyone may reach: signing in, and what only redirects to it.
PUBLIC = {"index", "auth.sign_in", "auth.password_sign_in", "auth.sign_out", "auth.lock_screen",
          "auth.unlock", "auth.language", "auth.badge_events"}
HTML = {"Accept": "text/html,application/xhtml+xml"}
FETCH = {"Accept": "application/json", "X-Requested-With": "fetch"}
#: Who may use each blueprint's routes (a new blueprint must be added here to pass the matrix).
ROLES_BY_BLUEPRINT: dict[str, tuple[str, ...]] = {
    "bench": OPERATOR_ROLES, "sim": OPERATOR_ROLES, "review": SUPERVISOR_ROLES,
    "analytics": SUPERVISOR_ROLES, "fleet": SUPERVISOR_ROLES,
}


@pytest.fixture(scope="module")
def devices() -> Iterator[DeviceManager]:
    """Simulated devices, so the demo panel's routes (/bench/sim/...) are in the url_map too."""
    manager = DeviceManager(DevicesSection.model_validate({"simulated": True}))
    manager.start()
    wait_until(lambda: len(manager.states()) == 3
               and all(s.state is DeviceState.READY for s in manager.states().values()), 10)
    yield manager
    manager.stop()


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path_factory.mktemp("routes")))
    add_people(ctx)
    seed_rma(ctx)
    walk_to_graded(ctx)
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def app(station: StationContext, devices: DeviceManager) -> Flask:
    return create_app(station.settings, station, devices)


@pytest.fixture(scope="module")
def sessions(app: Flask) -> dict[str, FlaskClient]:
    """One signed-in browser per role (sign-in hashes are slow: once per module)."""
    return {person.role: signed_in(app, person) for person in (OPERATOR, SUPERVISOR, ADMIN)}


def browser_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules()
            if not rule.rule.startswith(NOT_BROWSER) and rule.endpoint != "static"]


def guarded_rules(app: Flask) -> list[Rule]:
    return [rule for rule in browser_rules(app) if rule.endpoint not in PUBLIC]


def sample_path(rule: Rule, station: StationContext) -> str:
    """The rule with real values for its parts (a new placeholder must be added here)."""
    inspection = station.inspections.open_inspection("bench-test")
    assert inspection is not None
    values = {"inspection_id": inspection.id, "step": "parcel", "command": "tare",
              "photo_id": inspection.photos[0].id, "view": "inspections",
              "unit_id": inspection.units[0].id if inspection.units else "NO-SUCH-UNIT",
              "position": "1", "job_id": "NO-SUCH-JOB", "tote_id": "NO-SUCH-TOTE",
              "chunk_id": "NO-SUCH-CHUNK"}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: give the matrix a sample value for {sorted(missing)}"
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: values[m.group(1)], rule.rule)


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def call(client: FlaskClient, method: str, path: str, headers: dict[str, str],
         token: str | None = None) -> TestResponse:
    """One request; POSTs carry a valid token and a form that changes nothing."""
    if method == "GET":
        response = client.get(path, headers=headers)
    else:
        data = {"override": "1"}  # /complete: an override without a reason is refused
        if token:
            data["csrf_token"] = token
        response = client.open(path, method=method, headers=headers, data=data)
    response.close()  # streams (SSE, MJPEG) are not read
    return response


def is_sign_in_redirect(response: TestResponse) -> bool:
    return response.status_code == 302 and response.location.startswith("/auth/sign-in")


def test_the_matrix_sees_every_bench_route(app: Flask) -> None:
    """The enumeration is not empty and includes the demo panel and every bench action."""
    endpoints = {rule.endpoint for rule in guarded_rules(app)}
    assert {"bench.home", "bench.step", "bench.receive", "bench.complete", "bench.events",
            "bench.preview", "bench.status", "sim.scan", "sim.plug"} <= endpoints
    assert len(endpoints) >= 20


def test_anonymous_gets_the_sign_in_page_or_401_never_a_bench_route(
    app: Flask, station: StationContext
) -> None:
    client = app.test_client()
    token = csrf(client)
    for rule in guarded_rules(app):
        path = sample_path(rule, station)
        for method in methods(rule):
            if method == "GET":
                page = call(client, "GET", path, HTML)
                assert is_sign_in_redirect(page), (rule.rule, page.status_code, page.location)
                assert "next=" in page.location
                assert call(client, "GET", path, FETCH).status_code == 401, rule.rule
                assert call(client, "GET", path, {}).status_code == 401, rule.rule
            else:
                assert call(client, method, path, HTML, token).status_code == 401, rule.rule
                assert call(client, method, path, FETCH, token).status_code == 401, rule.rule


def test_an_api_key_does_not_open_browser_routes(app: Flask, station: StationContext) -> None:
    bearer = api_key_header(station)
    client = app.test_client()
    assert client.get("/api/v1/inspections", headers=bearer).status_code == 200  # the key works
    token = csrf(client)
    for rule in guarded_rules(app):
        path = sample_path(rule, station)
        for method in methods(rule):
            response = call(client, method, path, {**HTML, **bearer}, token)
            if method == "GET":
                assert is_sign_in_redirect(response), (rule.rule, response.status_code)
            else:
                assert response.status_code == 401, (rule.rule, response.status_code)
            response = call(client, method, path, {**FETCH, **bearer}, token)
            assert response.status_code == 401, (rule.rule, method, response.status_code)


def allowed_roles(rule: Rule) -> tuple[str, ...]:
    blueprint = rule.endpoint.split(".", 1)[0]
    assert blueprint in ROLES_BY_BLUEPRINT, f"{rule.rule}: say which roles may use {blueprint!r}"
    return ROLES_BY_BLUEPRINT[blueprint]


@pytest.mark.parametrize("role", ["operator", "supervisor", "admin"])
def test_each_role_may_use_its_routes_and_gets_403_on_the_others(
    app: Flask, station: StationContext, sessions: dict[str, FlaskClient], role: str
) -> None:
    client = sessions[role]
    token = csrf(client)
    for rule in guarded_rules(app):
        path = sample_path(rule, station)
        allowed = role in allowed_roles(rule)
        for method in methods(rule):
            for headers in (HTML, FETCH):
                response = call(client, method, path, headers, token)
                where = (role, method, rule.rule, response.status_code)
                if not allowed:
                    assert response.status_code == 403, where
                    continue
                assert response.status_code not in (401, 403, 423), where
                if response.status_code == 400:  # bad form input is fine, a CSRF refusal is not
                    assert b"CSRF" not in response.data, where
                assert not (response.location or "").startswith("/auth/"), where


def test_the_bench_pages_render_for_a_signed_in_operator(
    sessions: dict[str, FlaskClient], station: StationContext
) -> None:
    client = sessions["operator"]
    inspection = station.inspections.open_inspection("bench-test")
    assert inspection is not None
    for step in ("parcel", "weigh", "items", "photos", "units/1", "result"):
        page = client.get(f"/bench/i/{inspection.id}/{step}", headers=HTML)
        assert page.status_code == 200, (step, page.status_code)
        assert page.mimetype == "text/html"
    home = client.get("/bench/", headers=HTML)
    assert home.status_code == 302 and f"/bench/i/{inspection.id}/" in home.location
    thumb = client.get(f"/bench/i/{inspection.id}/photo/{inspection.photos[0].id}.jpg")
    assert thumb.status_code == 200 and thumb.data[:2] == b"\xff\xd8"
    assert client.get("/bench/status", headers=FETCH).get_json()[0]["device"] == "scale"


def test_a_wrong_role_is_refused_with_403(tmp_path: Path) -> None:
    """A blueprint guarded for supervisors refuses an operator (protect() checks the role)."""
    ctx = migrated(sqlite_settings(tmp_path))
    try:
        add_people(ctx, (OPERATOR, SUPERVISOR))
        app = create_app(ctx.settings, ctx)
        review = Blueprint("review_probe", __name__, url_prefix="/review-probe")
        protect(review, SUPERVISOR_ROLES)
        review.add_url_rule("/", "queue", lambda: "queue")
        app.register_blueprint(review)
        operator = signed_in(app, OPERATOR)
        assert operator.get("/review-probe/", headers=HTML).status_code == 403
        assert operator.get("/review-probe/", headers=FETCH).status_code == 403
        supervisor = signed_in(app, SUPERVISOR)
        assert supervisor.get("/review-probe/", headers=HTML).status_code == 200
    finally:
        ctx.close()


def test_sign_in_pages_are_open_to_anonymous_and_the_rest_of_auth_redirects(app: Flask) -> None:
    client = app.test_client()
    for path in ("/auth/sign-in", "/auth/password"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200 and b'name="csrf_token"' in page.data, path
    lock = client.get("/auth/lock", headers=HTML)
    assert is_sign_in_redirect(lock)
    token = csrf(client)
    for path in ("/auth/unlock", "/auth/sign-out"):
        assert is_sign_in_redirect(client.post(path, data={"csrf_token": token})), path
    assert client.get("/", headers=HTML).location == "/bench/"
    switched = client.post("/auth/language", data={"csrf_token": csrf(client), "lang": "zh_Hans_CN",
                                                   "next": "/auth/sign-in"})
    assert switched.status_code == 302 and switched.location == "/auth/sign-in"


# -- CSRF --------------------------------------------------------------------------------------

def good_form(endpoint: str, station: StationContext) -> dict[str, str]:
    """A form that WOULD change something if the token were there."""
    person: Person = OPERATOR
    forms: dict[str, dict[str, str]] = {
        "auth.sign_in": {"badge": person.badge or "", "pin": person.pin or ""},
        "auth.password_sign_in": {"username": SUPERVISOR.username,
                                  "password": SUPERVISOR.password or ""},
        "auth.unlock": {"badge": person.badge or "", "pin": person.pin or ""},
        "auth.language": {"lang": "zh_Hans_CN"},
        "bench.receive": {"code": "TRKRMA-2002"},
        "bench.weight": {"source": "manual", "grams": "512"},
        "bench.item": {"code": "05012345678900"},
        "bench.unit_state": {"state": "opened"},
        "bench.unit_checklist": {"packaging_intact": "yes", "signs_of_use": "no", "has_defects": "no",
                                 "function_test": "passed"},
        "bench.unit_photo": {"angle": "item"},
        "bench.complete": {},
        "bench.flag": {"reason": "looks odd"},
        "bench.photo": {"angle": "parcel"},
        "sim.scan": {"code": "05012345678900"},
        "sim.scale": {"grams": "700"},
        "sim.camera": {"code": "05012345678900"},
        "sim.plug": {"device": "scale", "action": "unplug"},
    }
    return forms.get(endpoint, {})


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_every_post_without_a_valid_csrf_token_is_400_and_changes_nothing(
    app: Flask, station: StationContext, sessions: dict[str, FlaskClient],
    devices: DeviceManager, token: str | None,
) -> None:
    seed_rma(station, "RMA-2002")
    client = sessions["operator"]
    before = snapshot(station)
    with station.db.reader() as session:
        locales = sorted(session.query(Operator.username, Operator.locale).all())
    posts = [rule for rule in browser_rules(app) if "POST" in methods(rule)]
    assert len(posts) >= 15
    for rule in posts:
        form = good_form(rule.endpoint, station)
        if token:
            form["csrf_token"] = token
        path = sample_path(rule, station)
        for headers in (HTML, FETCH):
            response = client.post(path, data=form, headers=headers)
            assert response.status_code == 400, (rule.rule, response.status_code)
    assert snapshot(station) == before
    with station.db.reader() as session:
        assert sorted(session.query(Operator.username, Operator.locale).all()) == locales
    assert devices.states()["scale"].state is DeviceState.READY  # the plug was not pulled
    assert client.get("/bench/status", headers=FETCH).status_code == 200  # still signed in


def test_the_csrf_header_of_the_page_is_accepted_for_fetch(
    sessions: dict[str, FlaskClient], station: StationContext
) -> None:
    client = sessions["supervisor"]
    token = csrf(client)
    response = client.post("/bench/scale/zero", headers={**FETCH, "X-CSRFToken": token})
    assert response.status_code == 200 and response.get_json() == {"ok": True}
