"""/api/v1/webhooks: endpoint CRUD, secret rotation, test ping, delivery log, dead-letter replay."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from station.db.models import WebhookDelivery, WebhookEndpoint
from station.webhooks import admin
from web.api.auth import require
from web.api.problems import ApiProblem, json_body
from web.api.schemas import (
    DeliveryOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointWithSecret,
    PingOut,
    ReplayOut,
)
from web.app import station_context

bp = Blueprint("api_webhooks", __name__)


def endpoint_out(endpoint: WebhookEndpoint, with_secret: bool = False) -> dict[str, object]:
    fields = dict(
        id=endpoint.id, url=endpoint.url, event_types=list(endpoint.event_types),
        enabled=endpoint.enabled, disabled_reason=endpoint.disabled_reason,
        created_at=endpoint.created_at, previous_secret_until=endpoint.previous_secret_until,
    )
    if with_secret:
        return EndpointWithSecret(secret=endpoint.secret, **fields).model_dump(mode="json")
    return EndpointOut(**fields).model_dump(mode="json")


def delivery_out(row: WebhookDelivery) -> dict[str, object]:
    return DeliveryOut(
        id=row.id, event_id=row.outbox_event_id, endpoint_id=row.endpoint_id,
        attempt=row.attempt, outcome=row.outcome,
        status_code=row.status_code, error=row.error, duration_ms=row.duration_ms,
        attempted_at=row.attempted_at,
    ).model_dump(mode="json")


@bp.get("/webhooks/endpoints")
@require("webhooks:admin")
def list_endpoints() -> Response:
    with station_context(current_app).db.reader() as session:
        return jsonify([endpoint_out(e) for e in admin.list_endpoints(session)])


@bp.post("/webhooks/endpoints")
@require("webhooks:admin")
def create_endpoint() -> tuple[Response, int]:
    body = EndpointIn.model_validate(json_body())
    with station_context(current_app).work() as work:
        session = work.session
        endpoint = admin.create_endpoint(session, body.url, body.event_types)
        return jsonify(endpoint_out(endpoint, with_secret=True)), 201


@bp.get("/webhooks/endpoints/<endpoint_id>")
@require("webhooks:admin")
def get_endpoint(endpoint_id: str) -> Response:
    with station_context(current_app).db.reader() as session:
        return jsonify(endpoint_out(admin.get_endpoint(session, endpoint_id)))


@bp.patch("/webhooks/endpoints/<endpoint_id>")
@require("webhooks:admin")
def patch_endpoint(endpoint_id: str) -> Response:
    body = EndpointPatch.model_validate(json_body())
    if not body.model_fields_set:
        raise ApiProblem(422, "nothing_to_change", "name at least one of url, event_types, enabled")
    with station_context(current_app).work() as work:
        session = work.session
        endpoint = admin.update_endpoint(
            session, endpoint_id, url=body.url, event_types=body.event_types, enabled=body.enabled
        )
        return jsonify(endpoint_out(endpoint))


@bp.delete("/webhooks/endpoints/<endpoint_id>")
@require("webhooks:admin")
def delete_endpoint(endpoint_id: str) -> tuple[str, int]:
    with station_context(current_app).work() as work:
        session = work.session
        admin.delete_endpoint(session, endpoint_id)
    return "", 204


@bp.post("/webhooks/endpoints/<endpoint_id>/rotate-secret")
@require("webhooks:admin")
def rotate_secret(endpoint_id: str) -> Response:
    """New secret; the old one keeps signing as a second signature for 24 h."""
    with station_context(current_app).work() as work:
        session = work.session
        return jsonify(endpoint_out(admin.rotate_secret(session, endpoint_id), with_secret=True))


@bp.post("/webhooks/endpoints/<endpoint_id>/test")
@require("webhooks:admin")
def ping(endpoint_id: str) -> Response:
    """Send a signed webhook.test event now and report what the receiver answered."""
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        endpoint = admin.get_endpoint(session, endpoint_id)
    result = admin.send_test(endpoint, ctx.settings.webhooks.timeout_s)
    return jsonify(PingOut(ok=result.ok, status_code=result.status_code, error=result.error,
                           duration_ms=result.duration_ms).model_dump(mode="json"))


@bp.get("/webhooks/endpoints/<endpoint_id>/deliveries")
@require("webhooks:admin")
def deliveries(endpoint_id: str) -> Response:
    with station_context(current_app).db.reader() as session:
        admin.get_endpoint(session, endpoint_id)
        rows = admin.list_deliveries(session, endpoint_id=endpoint_id,
                                     event_id=request.args.get("event_id"))
        return jsonify([delivery_out(r) for r in rows])


@bp.post("/webhooks/dead-letters/replay")
@require("webhooks:admin")
def replay_all() -> Response:
    with station_context(current_app).work() as work:
        session = work.session
        return jsonify(ReplayOut(replayed=admin.replay(session)).model_dump())


@bp.post("/webhooks/dead-letters/<event_id>/replay")
@require("webhooks:admin")
def replay_one(event_id: str) -> Response:
    with station_context(current_app).work() as work:
        session = work.session
        return jsonify(ReplayOut(replayed=admin.replay(session, event_id)).model_dump())
