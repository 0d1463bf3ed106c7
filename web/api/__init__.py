"""REST API for the platform at /api/v1, plus /healthz, /readyz, /metrics at the root."""

from __future__ import annotations

import re

from flask import Blueprint, Flask, Response, jsonify, request

from web.api import docs_page, fleet, inspections, ops, problems, returns, webhooks
from web.api.auth import RateLimiter
from web.api.openapi import QUERY, document
from web.api.problems import ApiProblem

URL_PREFIX = "/api/v1"


def _documented_path(rule: str) -> str:
    """``/api/v1/returns/<rma_id>`` -> ``/returns/{rma_id}`` (the OpenAPI spelling)."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.removeprefix(URL_PREFIX))


def reject_unknown_query() -> None:
    """Like unknown config keys, unknown (e.g. misspelt) or empty query parameters are errors."""
    if request.url_rule is None or not request.args:
        return
    allowed = {q["name"] for q in QUERY.get(
        (request.method.lower(), _documented_path(request.url_rule.rule)), [])}
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ApiProblem(
            400, "unknown_query_parameter",
            f"unknown query parameters: {', '.join(u[:50] for u in unknown[:10])}",
            errors=[{"field": u[:50], "reason": "not a parameter of this operation"}
                    for u in unknown[:10]],
        )
    empty = sorted(name for name, value in request.args.items(multi=True) if not value)
    if empty:
        raise ApiProblem(400, "invalid_query", f"empty query parameters: {', '.join(empty)}",
                         errors=[{"field": name, "reason": "empty"} for name in empty])


def init_app(app: Flask) -> None:
    """Register the API blueprints, its error format and the rate limiter."""
    app.extensions["api_rate_limiter"] = RateLimiter()  # buckets in the database, leased here
    api = Blueprint("api", __name__, url_prefix=URL_PREFIX)
    api.register_blueprint(returns.bp)
    api.register_blueprint(inspections.bp)
    api.register_blueprint(webhooks.bp)
    api.register_blueprint(fleet.bp)

    @api.before_request
    def _known_query_only() -> None:
        reject_unknown_query()

    @api.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(document(URL_PREFIX))

    @api.get("/docs")
    def docs() -> Response:
        """The API reference for humans, served locally (no CDN, no scripts)."""
        html = docs_page.render(document(URL_PREFIX), f"{URL_PREFIX}/openapi.json")
        return Response(html, mimetype="text/html")

    app.register_blueprint(api)
    app.register_blueprint(ops.bp)
    ops.install_timing(app)
    problems.register(app)
