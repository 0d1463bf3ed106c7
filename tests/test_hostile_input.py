"""Hostile input to the API and pages: each a 4xx answer, never a 500, and nothing changed."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from station.context import StationContext
from station.db.models import AuditEvent, ReturnAuthorization
from tests.test_api import RMA, app, client, inspected, key, platform  # noqa: F401  (fixtures)

DEEP = "[" * 100_000


def audit_rows(ctx: StationContext) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one())


@pytest.fixture
def before(ctx: StationContext) -> Iterator[int]:
    rows = audit_rows(ctx)
    yield rows
    assert audit_rows(ctx) == rows, "hostile input changed something"


@pytest.mark.parametrize("path", ["/api/v1/returns", "/api/v1/webhooks/endpoints",
                                  "/api/v1/returns/RMA-X/refund-status"])
def test_json_nested_a_hundred_thousand_deep_is_400(client: FlaskClient,  # noqa: F811
                                                     platform: dict[str, str],  # noqa: F811
                                                     before: int, path: str) -> None:
    answer = client.post(path, data=DEEP, headers={**platform, "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert answer.mimetype == "application/problem+json"


def test_a_cursor_of_nested_brackets_is_400(client: FlaskClient,  # noqa: F811
                                            platform: dict[str, str]) -> None:  # noqa: F811
    cursor = base64.urlsafe_b64encode(DEEP.encode()).decode()
    answer = client.get(f"/api/v1/inspections?cursor={cursor}", headers=platform)
    assert answer.status_code == 400 and answer.get_json()["title"] == "invalid cursor"


@pytest.mark.parametrize("value", ["--5", "²", "5" * 5000, "-0x10", " ", "1e3", "٣"])
def test_integer_query_parameters_take_plain_integers_only(client: FlaskClient,  # noqa: F811
                                                           platform: dict[str, str],  # noqa: F811
                                                           inspected: str,  # noqa: F811
                                                           value: str) -> None:
    assert client.get(f"/api/v1/inspections?limit={value}", headers=platform).status_code == 400
    photo = client.get(f"/api/v1/inspections/{inspected}", headers=platform).get_json()["photos"][0]
    signed = client.post(f"/api/v1/photos/{photo['id']}/signed-url?ttl_s={value}", headers=platform)
    assert signed.status_code == 400


@pytest.mark.parametrize("expires, sig", [("²", "ab"), ("9" * 5000, "ab"), ("99999999999", "é" * 64),
                                          ("99999999999", "\u2603")])
def test_a_signed_photo_url_with_odd_expiry_or_signature_is_refused(
        client: FlaskClient, platform: dict[str, str], inspected: str,  # noqa: F811
        expires: str, sig: str) -> None:
    photo = client.get(f"/api/v1/inspections/{inspected}", headers=platform).get_json()["photos"][0]
    signed = client.post(f"/api/v1/photos/{photo['id']}/signed-url", headers=platform).get_json()
    path = signed["url"].split("/api/v1", 1)[1].split("?")[0]
    answer = client.get(f"/api/v1{path}?expires={expires}&sig={sig}")
    assert answer.status_code == 403


def test_a_wrong_method_is_405_with_allow(client: FlaskClient,  # noqa: F811
                                          platform: dict[str, str]) -> None:  # noqa: F811
    answer = client.put("/api/v1/returns", headers=platform)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"POST"}
    page = client.delete("/auth/sign-in", headers={"Accept": "text/html"})
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_nothing_was_created_by_the_hostile_bodies(ctx: StationContext, client: FlaskClient,  # noqa: F811
                                                  platform: dict[str, str]) -> None:  # noqa: F811
    for body in (DEEP, "{", "\x00", '{"rma_id": ' + "[" * 5000 + "]" * 5000 + "}"):
        client.post("/api/v1/returns", data=body,
                    headers={**platform, "Content-Type": "application/json"})
    with ctx.db.reader() as session:
        assert session.execute(select(func.count()).select_from(ReturnAuthorization)).scalar_one() == 0
    assert RMA["rma_id"]


@pytest.mark.parametrize("url", ["http://" + "a" * 64 + ".example/hook", "http://host:99999x/hook",
                                 "http://" + ("abc." * 70) + "example/hook", "http://a..b/hook"])
def test_a_webhook_url_with_an_impossible_host_is_refused_at_creation(
        ctx: StationContext, client: FlaskClient, platform: dict[str, str], url: str) -> None:  # noqa: F811
    answer = client.post("/api/v1/webhooks/endpoints", json={"url": url}, headers=platform)
    assert answer.status_code in (400, 422), answer.get_data(as_text=True)[:200]
    from station.db.models import WebhookEndpoint

    with ctx.db.reader() as session:
        assert session.execute(select(func.count()).select_from(WebhookEndpoint)).scalar_one() == 0


def test_any_transport_exception_is_a_failed_attempt_with_its_reason() -> None:
    from station.webhooks import transport

    result = transport.post("http://" + "a" * 64 + ".example/hook", b"{}", {}, 1.0, 1.0)
    assert not result.ok and result.status_code is None and "UnicodeError" in result.error
    bad_port = transport.post("http://127.0.0.1:99999x/hook", b"{}", {}, 1.0, 1.0)
    assert not bad_port.ok and "port" in bad_port.error.lower()


BAD_BODIES = [
    pytest.param(b"", "application/json", "empty", id="empty"),
    pytest.param(b'{"url": ', "application/json", "well-formed", id="malformed"),
    pytest.param(b"enabled=false", "text/plain", "Content-Type", id="text"),
    pytest.param(b'{"enabled": false}', "text/plain", "Content-Type", id="json-as-text"),
    pytest.param(b"null", "application/json", "well-formed", id="null"),
]


@pytest.mark.parametrize(("body", "mimetype", "says"), BAD_BODIES)
def test_a_patch_without_a_json_object_is_400_and_changes_nothing(
        ctx: StationContext, client: FlaskClient, platform: dict[str, str],  # noqa: F811
        body: bytes, mimetype: str, says: str) -> None:
    made = client.post("/api/v1/webhooks/endpoints", json={"url": "http://127.0.0.1:9/hook"},
                       headers=platform).get_json()
    path = f"/api/v1/webhooks/endpoints/{made['id']}"
    rows = audit_rows(ctx)
    answer = client.patch(path, data=body, headers={**platform, "Content-Type": mimetype})
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert answer.mimetype == "application/problem+json" and says in answer.get_json()["detail"]
    assert audit_rows(ctx) == rows
    assert client.get(path, headers=platform).get_json()["enabled"] is True


def test_an_empty_patch_object_is_422_nothing_to_change(
        client: FlaskClient, platform: dict[str, str]) -> None:  # noqa: F811
    made = client.post("/api/v1/webhooks/endpoints", json={"url": "http://127.0.0.1:9/hook"},
                       headers=platform).get_json()
    answer = client.patch(f"/api/v1/webhooks/endpoints/{made['id']}", json={}, headers=platform)
    assert answer.status_code == 422 and answer.get_json()["title"] == "nothing to change"


@pytest.mark.parametrize("path", ["/api/v1/returns", "/api/v1/webhooks/endpoints",
                                  "/api/v1/returns/RMA-X/refund-status"])
@pytest.mark.parametrize(("body", "mimetype", "says"), BAD_BODIES)
def test_every_json_endpoint_answers_400_for_a_body_that_is_not_json(
        client: FlaskClient, platform: dict[str, str], before: int,  # noqa: F811
        path: str, body: bytes, mimetype: str, says: str) -> None:
    answer = client.post(path, data=body, headers={**platform, "Content-Type": mimetype})
    assert answer.status_code == 400, answer.get_data(as_text=True)[:200]
    assert says in answer.get_json()["detail"]
