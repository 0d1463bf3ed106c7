"""REST API for the platform at /api/v1, plus /healthz, /readyz, /metrics at the root."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, jsonify

from web.api import inspections, ops, problems, returns, webhooks
from web.api.auth import RateLimiter
from web.api.openapi import document

URL_PREFIX = "/api/v1"


def init_app(app: Flask) -> None:
    """Register the API blueprints, its error format and its per-process helpers."""
    app.extensions["api_rate_limiter"] = RateLimiter()
    app.extensions["api_idempotency"] = returns.IdempotencyCache()
    api = Blueprint("api", __name__, url_prefix=URL_PREFIX)
    api.register_blueprint(returns.bp)
    api.register_blueprint(inspections.bp)
    api.register_blueprint(webhooks.bp)

    @api.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(document(URL_PREFIX))

    app.register_blueprint(api)
    app.register_blueprint(ops.bp)
    ops.install_timing(app)
    problems.register(app)
