"""RFC 9457 problem details: one JSON error shape for every API failure, with field paths."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import BadRequest, HTTPException, ServiceUnavailable

from station.evidence.store import PhotoStoreError
from station.returns.errors import DomainError, IllegalTransition, IntakeError, NotFound

log = logging.getLogger(__name__)
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


class DatabaseBusy(ServiceUnavailable):
    """503: the station database could not be written in time (another writer holds it)."""

    description = "the station database is busy, try again"

    def __init__(self) -> None:
        super().__init__(retry_after=1)


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE + code, "title": code.replace("_", " "), "status": status,
            "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def json_body() -> Any:
    """The request's JSON body; ApiProblem 400 when it is empty, not JSON or not sent as JSON.

    Well-formed JSON of the wrong shape is the schema's business (422), so an array or a
    string is returned as it is.
    """
    if not request.get_data(cache=True):
        raise ApiProblem(400, "invalid_json", "the request body is empty; send a JSON object")
    if not request.is_json:
        raise ApiProblem(400, "invalid_json", "send the body as Content-Type: application/json")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, "invalid_json", "the request body is not well-formed JSON")
    return data


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

    @app.errorhandler(PhotoStoreError)
    def _photo_store(exc: PhotoStoreError) -> Response:
        return problem(507, exc.code, exc.message)

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

            response = error_page(exc)
        else:
            status = exc.code or 500
            code = (exc.name or "error").lower().replace(" ", "_")
            response = problem(status, code, exc.description or code)
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after"):  # 405 says which methods, 429/503 when
                response.headers[name] = value
        return response  # type: ignore[return-value]  # werkzeug Response from error_page

    @app.errorhandler(RecursionError)
    def _too_deep(exc: RecursionError) -> Response:
        """JSON nested deeper than the parser goes (``[`` x 100000): a bad body, not a crash."""
        return _http(BadRequest("the body is nested too deeply to read"))

    @app.errorhandler(OperationalError)
    def _database(exc: OperationalError) -> Response:
        """The database is locked by another writer past the busy timeout, or unreachable.

        The transaction was rolled back: nothing of the request was stored. The operator is told
        to try again (503 with Retry-After), never shown a 500.
        """
        log.warning("database unavailable for %s %s: %s", request.method, request.path,
                    str(getattr(exc, "orig", exc)).splitlines()[0][:200])
        return _http(DatabaseBusy())
