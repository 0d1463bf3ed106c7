"""OpenAPI 3.1 document built from the same pydantic models the views validate with."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from station.returns.intake import ReturnAuthorizationIn
from station.returns.states import InspectionState
from station.webhooks.outbox import EVENT_TYPES, PAYLOAD_VERSION
from web.api import schemas as s

REF = "#/components/schemas/{model}"

#: (method, path, summary, scope, request model, response model, success status)
OPERATIONS: list[tuple[str, str, str, str | None, type[BaseModel] | None, Any, int]] = [
    ("post", "/returns", "Create or update an RMA (idempotent by rma_id)", "returns:write",
     ReturnAuthorizationIn, s.ReturnUpsertOut, 201),
    ("get", "/returns/{rma_id}", "Read an RMA", "returns:write", None, s.ReturnOut, 200),
    ("delete", "/returns/{rma_id}", "Cancel an RMA not yet inspected", "returns:write", None,
     s.ReturnOut, 200),
    ("post", "/returns/{rma_id}/refund-status", "Report what the refund flow did",
     "returns:write", s.RefundStatusIn, None, 200),
    ("get", "/inspections", "List inspections, newest first (cursor paging)",
     "inspections:read", None, s.InspectionPage, 200),
    ("get", "/inspections/{inspection_id}", "One inspection with verdicts and decision",
     "inspections:read", None, s.InspectionOut, 200),
    ("get", "/units/{lpn}", "One unit by its license plate, with its outcome and sort",
     "inspections:read", None, s.UnitLookupOut, 200),
    ("get", "/photos/{photo_id}", "Photo evidence bytes (API key or signed URL)", "photos:read",
     None, "image", 200),
    ("get", "/photos/{photo_id}/thumbnail", "JPEG thumbnail (API key or signed URL)",
     "photos:read", None, "image", 200),
    ("post", "/photos/{photo_id}/signed-url", "A short-lived signed URL for a photo",
     "photos:read", None, s.SignedUrlOut, 200),
    ("get", "/webhooks/endpoints", "List webhook endpoints", "webhooks:admin", None,
     list[s.EndpointOut], 200),
    ("post", "/webhooks/endpoints", "Add a webhook endpoint (secret shown once)",
     "webhooks:admin", s.EndpointIn, s.EndpointWithSecret, 201),
    ("get", "/webhooks/endpoints/{endpoint_id}", "Read an endpoint", "webhooks:admin", None,
     s.EndpointOut, 200),
    ("patch", "/webhooks/endpoints/{endpoint_id}", "Change URL, events, enabled",
     "webhooks:admin", s.EndpointPatch, s.EndpointOut, 200),
    ("delete", "/webhooks/endpoints/{endpoint_id}", "Remove an endpoint", "webhooks:admin",
     None, None, 204),
    ("post", "/webhooks/endpoints/{endpoint_id}/rotate-secret",
     "New secret; the old one also signs for 24 h", "webhooks:admin", None,
     s.EndpointWithSecret, 200),
    ("post", "/webhooks/endpoints/{endpoint_id}/test", "Send a signed webhook.test now",
     "webhooks:admin", None, s.PingOut, 200),
    ("get", "/webhooks/endpoints/{endpoint_id}/deliveries", "Delivery attempts, newest first",
     "webhooks:admin", None, list[s.DeliveryOut], 200),
    ("post", "/webhooks/dead-letters/replay", "Replay every dead letter", "webhooks:admin",
     None, s.ReplayOut, 200),
    ("post", "/webhooks/dead-letters/{event_id}/replay", "Replay one dead letter",
     "webhooks:admin", None, s.ReplayOut, 200),
    ("get", "/fleet", "Every bench: up / stale / down, devices, versions, queue", "fleet:read",
     None, s.FleetOut, 200),
]

def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    """An optional query parameter; given, it is never empty (``?cursor=`` is a 400)."""
    if schema.get("type") == "string" and "enum" not in schema:
        schema = {**schema, "minLength": 1}
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


_TIME = {"type": "string", "format": "date-time"}

#: Query parameters per operation, typed as the views parse them.
QUERY: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("get", "/inspections"): [
        _query("since", _TIME, "received at or after (RFC 3339 with zone)"),
        _query("until", _TIME, "received before (RFC 3339 with zone)"),
        _query("state", {"type": "string", "enum": [str(x) for x in InspectionState]}, ""),
        _query("grade", {"type": "string", "enum": ["A", "B", "C", "D"]}, ""),
        _query("station_id", {"type": "string"}, ""),
        _query("cursor", {"type": "string"}, "next_cursor of the previous page (opaque)"),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}, ""),
    ],
    ("post", "/photos/{photo_id}/signed-url"): [
        _query("variant", {"type": "string", "enum": ["original", "thumbnail"],
                           "default": "original"}, ""),
        _query("ttl_s", {"type": "integer", "minimum": 1, "maximum": 3600, "default": 900},
               "seconds until the URL expires"),
    ],
    ("get", "/photos/{photo_id}"): [
        _query("expires", {"type": "string"}, "signed URL: expiry (Unix seconds)"),
        _query("sig", {"type": "string"}, "signed URL: signature"),
    ],
    ("get", "/photos/{photo_id}/thumbnail"): [
        _query("expires", {"type": "string"}, "signed URL: expiry (Unix seconds)"),
        _query("sig", {"type": "string"}, "signed URL: signature"),
    ],
    ("get", "/webhooks/endpoints/{endpoint_id}/deliveries"): [
        _query("event_id", {"type": "string"}, "only attempts of this event"),
    ],
}

#: Operations that can answer 409 Conflict, and when.
CONFLICTS: dict[tuple[str, str], str] = {
    ("post", "/returns"): "the RMA is already at a bench and cannot change",
    ("delete", "/returns/{rma_id}"): "a bench already received the parcel",
    ("post", "/returns/{rma_id}/refund-status"): "the RMA has no inspection yet",
}

MODELS: list[type[BaseModel]] = [
    ReturnAuthorizationIn, s.ReturnUpsertOut, s.ReturnOut, s.RefundStatusIn, s.InspectionPage,
    s.InspectionOut, s.UnitLookupOut, s.SignedUrlOut, s.EndpointOut, s.EndpointIn, s.EndpointWithSecret,
    s.EndpointPatch, s.PingOut, s.DeliveryOut, s.ReplayOut, s.WebhookEvent, s.Problem, s.FleetOut,
]


def _ref(model: Any) -> dict[str, Any]:
    if model == "image":
        return {"content": {"image/jpeg": {"schema": {"type": "string",
                                                        "contentMediaType": "image/jpeg"}}}}
    if getattr(model, "__origin__", None) is list:
        schema: dict[str, Any] = {"type": "array",
                                  "items": {"$ref": REF.format(model=model.__args__[0].__name__)}}
    else:
        schema = {"$ref": REF.format(model=model.__name__)}
    return {"content": {"application/json": {"schema": schema}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {
        "application/problem+json": {"schema": {"$ref": REF.format(model="Problem")}}}}


def document(server_url: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.1 document, including the webhook events the station sends."""
    _, defs = models_json_schema(
        [(m, "validation" if m in (ReturnAuthorizationIn, s.RefundStatusIn, s.EndpointIn,
                                   s.EndpointPatch) else "serialization") for m in MODELS],
        ref_template=REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for method, path, summary, scope, body, response, status in OPERATIONS:
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
            "parameters": [
                {"name": p[1:-1], "in": "path", "required": True, "schema": {"type": "string"}}
                for p in path.split("/") if p.startswith("{")
            ],
            "responses": {
                str(status): {"description": "success", **(_ref(response) if response else {})},
                "401": _problem("missing, unknown or revoked API key"),
                "403": _problem(f"the key lacks the scope {scope}"),
                "404": _problem("not found"),
                "422": _problem("invalid request; `errors` lists field paths"),
                "429": _problem("rate limited"),
            },
            "security": [{"apiKey": [scope]}] if scope else [],
        }
        if body is not None:
            op["requestBody"] = {"required": True, **_ref(body)}
        op["parameters"] += QUERY.get((method, path), [])
        if path == "/returns" and method == "post":
            op["parameters"].append({"name": "Idempotency-Key", "in": "header",
                                     "required": False, "schema": {"type": "string"}})
            op["responses"]["200"] = {"description": "updated or unchanged", **_ref(response)}
        op["responses"]["400"] = _problem("malformed query, cursor or JSON")
        if body is not None:
            op["responses"]["413"] = _problem("request body over 1 MiB")
        if (method, path) in CONFLICTS:
            op["responses"]["409"] = _problem(CONFLICTS[(method, path)])
        paths.setdefault(path, {})[method] = op
    webhooks = {
        event_type: {"post": {
            "summary": f"{event_type} (payload schema version {PAYLOAD_VERSION})",
            "requestBody": {"required": True, **_ref(s.WebhookEvent)},
            "responses": {"2XX": {"description": "accepted"},
                          "410": {"description": "endpoint gone: the station disables it"}},
        }}
        for event_type in EVENT_TYPES
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Returns-inspection station API", "version": "1"},
        "servers": [{"url": server_url}],
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "station apikey create --scopes ..."}},
        },
    }
