"""API key authentication (Authorization: Bearer), scope checks and a per-key rate limit.

The rate limit's buckets live in the database (station/api_limits.py), so every gunicorn
worker and every node of the central server counts against the same bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import current_app, g, request

from station import apikeys
from station.api_limits import RateLimiter
from web.api.problems import ApiProblem
from web.app import station_context

P = ParamSpec("P")
R = TypeVar("R")

__all__ = ["RateLimiter", "bearer_token", "require"]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def require(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The view needs a live API key holding ``scope``."""
    if scope not in apikeys.SCOPES:
        raise ValueError(f"unknown scope {scope}")

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            token = bearer_token()
            if token is None:
                raise ApiProblem(401, "unauthorized", "send Authorization: Bearer <API key>")
            db = station_context(current_app).db
            with db.reader() as session:  # a read: checking a key never takes the write lock
                key = apikeys.authenticate(session, token)
                if key is None:
                    raise ApiProblem(401, "unauthorized", "the API key is unknown or revoked")
                key_id, scopes, name = key.id, list(key.scopes), key.name
                stale = apikeys.stale_last_use(key)
            if stale:
                with db.transaction() as session:
                    apikeys.mark_used(session, key_id)
            if scope not in scopes:
                raise ApiProblem(403, "forbidden", f"the API key lacks the scope {scope}")
            limiter: RateLimiter = current_app.extensions["api_rate_limiter"]
            wait_s = limiter.take(db, key_id)
            if wait_s > 0:
                raise ApiProblem(429, "rate_limited", "too many requests for this API key",
                                 retry_after_s=round(wait_s, 3))
            g.api_key_id = key_id
            g.api_actor = f"api:{name}"
            return view(*args, **kwargs)

        return wrapper

    return decorate
