"""REST API through Flask's test client against real SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

from station import apikeys
from station.context import StationContext
from station.db.models import ApiKey
from web.app import create_app

RMA: dict[str, Any] = {
    "rma_id": "RMA-API-1",
    "order_id": "SO-1",
    "tracking_number": "1Z999AA10123456784",
    "reason": "size_mismatch",
    "items": [{"line_id": "1", "sku": "TS-M", "gtin": "4006381333931", "quantity": 1,
               "unit_weight_g": "180.0", "category": "apparel"}],
}


@pytest.fixture
def app(ctx: StationContext) -> Flask:
    return create_app(ctx.settings, ctx)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def key(ctx: StationContext, *scopes: str) -> dict[str, str]:
    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, f"platform {'+'.join(scopes)}", scopes)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def platform(ctx: StationContext) -> dict[str, str]:
    """A key holding every scope."""
    return key(ctx, *apikeys.SCOPES)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def inspected(ctx: StationContext, client: FlaskClient, platform: dict[str, str]) -> Iterator[str]:
    """An RMA pushed over the API and received at the bench, with one photo."""
    assert client.post("/api/v1/returns", json=RMA, headers=platform).status_code == 201
    service = ctx.inspections
    inspection = service.receive(RMA["tracking_number"], ctx.settings.station.id, None, "test")
    service.record_weight(inspection.id, 330_000, "scale", "test")
    service.finish_items(inspection.id, "test")
    service.add_photo(inspection.id, jpeg(), angle="parcel", width=640, height=480, actor="test")
    yield inspection.id


def test_pushing_an_rma_twice_creates_it_once(
    client: FlaskClient, platform: dict[str, str]
) -> None:
    first = client.post("/api/v1/returns", json=RMA, headers=platform)
    again = client.post("/api/v1/returns", json=RMA, headers=platform)
    assert (first.status_code, js(first)["outcome"]) == (201, "created")
    assert (again.status_code, js(again)["outcome"]) == (200, "unchanged")
    got = client.get("/api/v1/returns/RMA-API-1", headers=platform)
    assert js(got)["items"][0]["gtin"] == "04006381333931"


def test_an_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    client: FlaskClient, platform: dict[str, str]
) -> None:
    headers = {**platform, "Idempotency-Key": "k-1"}
    first = client.post("/api/v1/returns", json=RMA, headers=headers)
    replay = client.post("/api/v1/returns", json=RMA, headers=headers)
    assert replay.status_code == 201 and js(replay) == js(first)
    other = client.post("/api/v1/returns", json={**RMA, "order_id": "SO-2"}, headers=headers)
    assert other.status_code == 422 and js(other)["title"] == "idempotency key reused"


def test_an_invalid_rma_lists_every_field_at_fault_as_problem_json(
    client: FlaskClient, platform: dict[str, str]
) -> None:
    bad = {**RMA, "reason": "bored", "items": [{**RMA["items"][0], "quantity": 0}]}
    response = client.post("/api/v1/returns", json=bad, headers=platform)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    fields = {e["field"] for e in js(response)["errors"]}
    assert {"reason", "items.0.quantity"} <= fields


def test_cancelling_works_until_the_parcel_is_received(
    client: FlaskClient, platform: dict[str, str], inspected: str
) -> None:
    refused = client.delete("/api/v1/returns/RMA-API-1", headers=platform)
    assert refused.status_code == 409
    other = {**RMA, "rma_id": "RMA-API-2", "tracking_number": None}
    client.post("/api/v1/returns", json=other, headers=platform)
    cancelled = client.delete("/api/v1/returns/RMA-API-2", headers=platform)
    assert js(cancelled)["status"] == "cancelled"
    assert client.delete("/api/v1/returns/NOPE", headers=platform).status_code == 404


def test_an_inspection_lists_with_its_photos_and_a_cursor(
    client: FlaskClient, platform: dict[str, str], inspected: str, ctx: StationContext
) -> None:
    second = ctx.inspections.receive("UNKNOWN-LABEL", "bench-2", None, "test")
    page = client.get("/api/v1/inspections?limit=1", headers=platform)
    assert [i["inspection_id"] for i in js(page)["items"]] == [second.id]
    rest = client.get(f"/api/v1/inspections?limit=1&cursor={js(page)['next_cursor']}",
                      headers=platform)
    assert [i["inspection_id"] for i in js(rest)["items"]] == [inspected]
    assert js(rest)["next_cursor"] is None
    detail = client.get(f"/api/v1/inspections/{inspected}", headers=platform).get_json()
    assert detail["rma_id"] == "RMA-API-1"
    assert len(detail["photos"][0]["sha256"]) == 64
    filtered = client.get("/api/v1/inspections?state=completed", headers=platform)
    assert js(filtered)["items"] == []


def test_a_photo_is_served_by_key_and_by_a_signed_url_that_fits_only_that_photo(
    client: FlaskClient, platform: dict[str, str], inspected: str, ctx: StationContext
) -> None:
    photo = client.get(f"/api/v1/inspections/{inspected}", headers=platform).get_json()["photos"][0]
    by_key = client.get(f"/api/v1/photos/{photo['id']}", headers=platform)
    assert by_key.status_code == 200 and by_key.headers["X-Content-SHA256"] == photo["sha256"]
    signed = client.post(f"/api/v1/photos/{photo['id']}/signed-url", headers=platform).get_json()
    path = signed["url"].split("/api/v1", 1)[1]
    assert client.get("/api/v1" + path).data == by_key.data
    forged = path.replace(photo["id"], "01OTHERPHOTO0000000000000")
    assert client.get("/api/v1" + forged).status_code in (403,)
    thumb_path = path.replace(photo["id"], photo["id"] + "/thumbnail", 1)
    assert client.get("/api/v1" + thumb_path).status_code == 403, "variant is signed too"
    expired = path.split("expires=")[0] + "expires=1000&" + path.split("&", 1)[1]
    assert client.get("/api/v1" + expired).status_code == 403
    thumbnail = client.get(f"/api/v1/photos/{photo['id']}/thumbnail", headers=platform)
    assert Image.open(io.BytesIO(thumbnail.data)).size[0] <= ctx.settings.evidence.thumbnail_px


def test_the_refund_outcome_is_stored_on_the_inspection(
    client: FlaskClient, platform: dict[str, str], inspected: str
) -> None:
    report = {"status": "partially_refunded", "amount": "12.50", "currency": "USD",
              "reference": "RF-9"}
    response = client.post("/api/v1/returns/RMA-API-1/refund-status", json=report,
                           headers=platform)
    assert response.status_code == 200
    detail = client.get(f"/api/v1/inspections/{inspected}", headers=platform).get_json()
    assert detail["refund_status"]["reference"] == "RF-9"
    wrong = client.post("/api/v1/returns/RMA-API-1/refund-status", json={"status": "maybe"},
                        headers=platform)
    assert wrong.status_code == 422 and js(wrong)["errors"][0]["field"] == "status"


PROTECTED = [
    ("post", "/api/v1/returns", "returns:write"),
    ("get", "/api/v1/returns/RMA-API-1", "returns:write"),
    ("delete", "/api/v1/returns/RMA-API-1", "returns:write"),
    ("post", "/api/v1/returns/RMA-API-1/refund-status", "returns:write"),
    ("get", "/api/v1/inspections", "inspections:read"),
    ("get", "/api/v1/inspections/X", "inspections:read"),
    ("get", "/api/v1/units/B01-26120300001", "inspections:read"),
    ("get", "/api/v1/photos/X", "photos:read"),
    ("post", "/api/v1/photos/X/signed-url", "photos:read"),
    ("get", "/api/v1/webhooks/endpoints", "webhooks:admin"),
    ("post", "/api/v1/webhooks/endpoints", "webhooks:admin"),
    ("post", "/api/v1/webhooks/dead-letters/replay", "webhooks:admin"),
]


def test_every_endpoint_refuses_no_key_a_key_without_the_scope_and_a_revoked_key(
    client: FlaskClient, ctx: StationContext
) -> None:
    for method, path, scope in PROTECTED:
        others = [s for s in apikeys.SCOPES if s != scope]
        assert getattr(client, method)(path).status_code == 401, path
        assert getattr(client, method)(path, headers=key(ctx, *others)).status_code == 403, path
    with ctx.db.transaction() as session:
        row, secret = apikeys.create_api_key(session, "to revoke", apikeys.SCOPES)
    revoked = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/inspections", headers=revoked).status_code == 200
    with ctx.db.transaction() as session:
        apikeys.revoke_api_key(session, row.prefix)
    assert client.get("/api/v1/inspections", headers=revoked).status_code == 401
    wrong = {"Authorization": revoked["Authorization"][:-3] + "xyz"}
    assert client.get("/api/v1/inspections", headers=wrong).status_code == 401


def test_webhook_endpoints_are_managed_over_the_api(
    client: FlaskClient, platform: dict[str, str]
) -> None:
    created = client.post("/api/v1/webhooks/endpoints", headers=platform,
                          json={"url": "http://127.0.0.1:9/hooks",
                                "event_types": ["inspection.completed"]})
    assert created.status_code == 201 and js(created)["secret"].startswith("whsec_")
    endpoint_id = js(created)["id"]
    rotated = client.post(f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret",
                          headers=platform).get_json()
    assert rotated["secret"] != js(created)["secret"] and rotated["previous_secret_until"]
    patched = client.patch(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=platform,
                           json={"enabled": False})
    assert js(patched)["enabled"] is False
    ping = client.post(f"/api/v1/webhooks/endpoints/{endpoint_id}/test", headers=platform).get_json()
    assert ping["ok"] is False and "Connection" in ping["error"]
    listed = client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=platform)
    assert js(listed) == []
    bad = client.post("/api/v1/webhooks/endpoints", headers=platform,
                      json={"url": "ftp://x", "event_types": ["nope"]})
    assert {e["field"] for e in js(bad)["errors"]} == {"url", "event_types.0"}
    assert client.delete(f"/api/v1/webhooks/endpoints/{endpoint_id}",
                         headers=platform).status_code == 204


def test_health_readiness_metrics_and_openapi_answer(
    client: FlaskClient, platform: dict[str, str]
) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json()["checks"] == {"database": "ok", "photo_store": "ok",
                                                                "audit_anchor": "ok"}
    client.get("/api/v1/inspections", headers=platform)
    text = client.get("/metrics").get_data(as_text=True)
    assert "station_webhook_outbox_events" in text
    assert 'station_http_request_duration_seconds_count{endpoint="api.api_inspections.' in text
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert "ReturnAuthorizationIn" in doc["components"]["schemas"]
    assert set(doc["webhooks"]) >= {"inspection.completed", "return.received"}
    refs = [r for r in _refs(doc) if r.removeprefix("#/components/schemas/") not in doc["components"]["schemas"]]
    assert refs == [], "every $ref resolves"


def test_an_oversized_body_is_refused_with_413(
    client: FlaskClient, platform: dict[str, str]
) -> None:
    response = client.post("/api/v1/returns", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           headers={**platform, "Content-Type": "application/json"})
    assert response.status_code == 413 and response.mimetype == "application/problem+json"


def js(response: TestResponse) -> Any:
    """The JSON body (Any: the tests index into it)."""
    return response.get_json()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_a_key_records_its_last_use_at_most_once_per_resolution(
    ctx: StationContext, client: FlaskClient, platform: dict[str, str],
) -> None:
    def last_used() -> object:
        with ctx.db.reader() as session:
            return session.execute(select(ApiKey.last_used_at)).scalar_one()

    assert last_used() is None
    assert client.get("/api/v1/inspections", headers=platform).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/inspections", headers=platform).status_code == 200
    assert last_used() == first  # within apikeys.LAST_USED_RESOLUTION: no second write


def test_a_unit_is_found_by_its_license_plate_with_its_destination_and_sort(
    client: FlaskClient, platform: dict[str, str], ctx: StationContext
) -> None:
    from tests.factories import seed_rma, walk_to_graded

    seed_rma(ctx, "RMA-LPN")
    inspection_id = walk_to_graded(ctx, label="TRKRMA-LPN")
    ctx.inspections.complete(inspection_id, "op")
    (unit,) = ctx.inspections.get(inspection_id).units
    assert unit.lpn is not None
    before = js(client.get(f"/api/v1/units/{unit.lpn.lower()}", headers=platform))
    assert (before["lpn"], before["destination"], before["sorted_at"]) == (
        unit.lpn, "RESTOCK", None)
    assert (before["inspection_id"], before["rma_id"]) == (inspection_id, "RMA-LPN")
    ctx.sorting.sort_scan(inspection_id, "TOTE-0100", "op")
    after = js(client.get(f"/api/v1/units/{unit.lpn}", headers=platform))
    assert after["tote"] == "TOTE-0100" and after["sorted_at"]
    missing = client.get("/api/v1/units/NO-SUCH-PLATE", headers=platform)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/v1/units/" + "X" * 300, headers=platform).status_code == 404
