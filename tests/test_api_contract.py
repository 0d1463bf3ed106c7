"""Contract: schemathesis drives every operation of the served OpenAPI document with a valid key."""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, CheckFunction, GenerationMode, Response
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Err

from station import apikeys
from station.context import StationContext
from station.webhooks import admin
from tests.test_api import RMA, jpeg
from web.api.openapi import document
from web.app import create_app


@pytest.fixture
def database_url(tmp_path: object) -> str:
    """SQLite only: the contract is the same on PostgreSQL (test_api.py runs both)."""
    return f"sqlite:///{tmp_path}/station.db"


@pytest.fixture
def app(ctx: StationContext) -> Flask:
    """The app with one received RMA, a photo and a webhook endpoint, so lists are not empty."""
    with ctx.db.transaction() as session:
        admin.create_endpoint(session, "http://127.0.0.1:9/hook", [])
    from station.returns.intake import parse_rma, upsert_rma

    with ctx.work() as work:
        upsert_rma(work, parse_rma(RMA), actor="test",
                   no_reason_window_days=ctx.settings.returns.no_reason_window_days,
                   default_window_days=ctx.settings.returns.default_window_days)
    inspection = ctx.inspections.receive(RMA["tracking_number"], ctx.settings.station.id, None,
                                         "test")
    ctx.inspections.record_weight(inspection.id, 330_000, "scale", "test")
    ctx.inspections.finish_items(inspection.id, "test")
    ctx.inspections.add_photo(inspection.id, jpeg(), angle="parcel", width=640, height=480,
                              actor="test")
    return create_app(ctx.settings, ctx)


@pytest.fixture
def platform_key(ctx: StationContext) -> str:
    """A key holding every scope."""
    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, "contract", apikeys.SCOPES)
    return secret


#: Intake rules JSON Schema cannot state (checked by station.returns.intake): GTIN check digits,
#: one serial per unit, unique line ids, whitespace stripped before length checks, and Decimal
#: fields whose schema admits any string (so NaN, out-of-range or too many decimal places).
INTAKE_RULES = ("gtin", "serials:", "line_id must be unique", "at least 1 character",
                "valid decimal", "decimal places", "finite number", "than or equal to")


def rules_beyond_json_schema(case: Case, response: Response) -> list[CheckFunction]:
    """Skip only "valid data must be accepted" when the refusal is a rule a schema cannot hold.

    Every other check (no 5xx, status documented, body matches its schema) still runs.
    """
    label = case.operation.label
    if response.status_code == 400 and label == "GET /inspections" and case.query \
            and "cursor" in case.query and response.json()["type"].endswith("invalid_cursor"):
        return [positive_data_acceptance]  # a cursor is opaque: only ones the API gave out work
    if response.status_code == 422 and label in ("POST /webhooks/endpoints",
                                                 "PATCH /webhooks/endpoints/{endpoint_id}") \
            and response.json()["type"].endswith("invalid_url"):
        return [positive_data_acceptance]  # host names are checked by IDNA, beyond the pattern
    if response.status_code == 422 and label == "POST /returns":
        errors = response.json().get("errors") or [{"field": "", "reason": ""}]
        if all(any(rule in f"{e['field']} {e['reason']}" for rule in INTAKE_RULES)
               for e in errors):
            return [positive_data_acceptance]
    return []


#: Every operation the served document lists (the document is pure, so collection needs no app).
def _operation_labels() -> list[str]:
    labels = []
    for result in schemathesis.openapi.from_dict(document()).get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        labels.append(result.ok().label)
    return labels


OPERATIONS = _operation_labels()
#: Examples per operation and mode; `make fault` runs many more (STATION_CONTRACT_EXAMPLES).
EXAMPLES = int(os.environ.get("STATION_CONTRACT_EXAMPLES", "15"))


def tally(status: int) -> None:
    """Count one generated request by status class into STATION_CONTRACT_TALLY (make fault)."""
    path = os.environ.get("STATION_CONTRACT_TALLY")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{status}\n")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_within_its_documented_schema(
    app: Flask, platform_key: str, label: str, mode: GenerationMode
) -> None:
    """Generated requests never get a 5xx, and every answer matches the OpenAPI document."""
    served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = served.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"
    headers = {"Authorization": f"Bearer {platform_key}"}

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def check(case: Case) -> None:
        if case.headers and "Idempotency-Key" in case.headers:
            # Generated keys repeat ("0", "") across examples with different bodies, which the
            # API rightly refuses (422, tested in test_api.py); each example is new.
            case.headers["Idempotency-Key"] = uuid.uuid4().hex
        response = case.call(headers=headers)
        tally(response.status_code)
        case.validate_response(response, headers=headers, transport_kwargs={"headers": headers},
                               excluded_checks=rules_beyond_json_schema(case, response))

    check()


# -- regressions found by the contract run --------------------------------------------------


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_malformed_webhook_url_is_a_422_problem_not_a_server_error(
    app: Flask, platform_key: str
) -> None:
    client = app.test_client()
    for url in ("http://[", "http://", "https://host/\x1e", "http://a b/"):
        response = client.post("/api/v1/webhooks/endpoints", json={"url": url},
                               headers=bearer(platform_key))
        assert response.status_code == 422, url
        assert response.mimetype == "application/problem+json"


def test_a_refund_amount_must_be_a_plain_decimal_with_two_places(
    app: Flask, platform_key: str
) -> None:
    client = app.test_client()
    for amount in ("1e2", "api_webhooks", "NaN", " 5", 0.001, True):
        response = client.post("/api/v1/returns/RMA-API-1/refund-status",
                               json={"status": "refunded", "amount": amount},
                               headers=bearer(platform_key))
        assert response.status_code == 422, amount
        assert [e["field"] for e in response.get_json()["errors"]] == ["amount"]
    accepted = client.post("/api/v1/returns/RMA-API-1/refund-status",
                           json={"status": "refunded", "amount": "12.50"},
                           headers=bearer(platform_key))
    assert accepted.status_code == 200
    assert accepted.get_json()["refund_status"]["amount"] == "12.50"


@pytest.mark.parametrize("query", ["until=", "cursor=", "station_id=", "limit=0", "limit=101", "limit=x", "state=lost",
                                   "grade=E", "grdae=A"])
def test_an_inspection_query_outside_the_document_is_a_400(
    app: Flask, platform_key: str, query: str
) -> None:
    response = app.test_client().get(f"/api/v1/inspections?{query}",
                                     headers=bearer(platform_key))
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == query.split("=")[0]


def test_every_status_the_api_answers_with_is_documented() -> None:
    doc = document()
    push = doc["paths"]["/returns"]["post"]["responses"]
    assert {"200", "201", "400", "409", "413", "422"} <= set(push)
    assert "400" in doc["paths"]["/inspections"]["get"]["responses"]
