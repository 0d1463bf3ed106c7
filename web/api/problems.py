"""RFC 9457 problem details: one JSON error shape for every API failure, with field paths."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from station.returns.errors import DomainError, IllegalTransition, IntakeError, NotFound

PROBLEM_TYPE = "https://returns-station.invalid/problems/"
CONFLICT_CODES = {"rma_locked", "idempotency_key_reused", "illegal_transition"}


class ApiProblem(Exception):
    """An error a view raises to answer with a given status."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extra = extra


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE + code, "title": code.replace("_", " "), "status": status,
            "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "<body>", "reason": err["msg"]}
        for err in exc.errors()
    ]


def browser_page() -> bool:
    """A person's browser asked for a page (not the API, not a script's fetch)."""
    if request.path.startswith(("/api/", "/healthz", "/readyz", "/metrics")):
        return False
    if request.headers.get("X-Requested-With") == "fetch":
        return False
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def register(app: Flask) -> None:
    """Map domain errors (and HTTP ones) to problem+json; only web/ knows about HTTP."""

    @app.errorhandler(ApiProblem)
    def _api(exc: ApiProblem) -> Response:
        return problem(exc.status, exc.code, exc.detail, **exc.extra)

    @app.errorhandler(IntakeError)
    def _intake(exc: IntakeError) -> Response:
        errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
        return problem(422, exc.code, exc.message, errors=errors)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError) -> Response:
        return problem(422, "invalid_body", "the request body is invalid",
                       errors=field_errors(exc))

    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Response:
        if isinstance(exc, NotFound) or exc.code.endswith("_not_found"):
            return problem(404, exc.code, exc.message)
        if isinstance(exc, IllegalTransition) or exc.code in CONFLICT_CODES:
            return problem(409, exc.code, exc.message)
        return problem(422, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        if browser_page():
            from web.errors import error_page

            return error_page(exc)  # type: ignore[return-value]
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return problem(status, code, exc.description or code)
