"""API key authentication (Authorization: Bearer), scope checks and a per-key rate limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import current_app, g, request

from station import apikeys
from web.api.problems import ApiProblem
from web.app import station_context

P = ParamSpec("P")
R = TypeVar("R")

RATE_PER_S = 50.0
BURST = 200.0


class RateLimiter:
    """A token bucket per API key, in this process."""

    def __init__(self, rate_per_s: float = RATE_PER_S, burst: float = BURST) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> float:
        """0 when allowed, else seconds until a token is free."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate_per_s)
            if tokens < 1:
                self._buckets[key_id] = (tokens, now)
                return (1 - tokens) / self.rate_per_s
            self._buckets[key_id] = (tokens - 1, now)
            return 0.0


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
            wait_s = limiter.take(key_id)
            if wait_s > 0:
                raise ApiProblem(429, "rate_limited", "too many requests for this API key",
                                 retry_after_s=round(wait_s, 3))
            g.api_key_id = key_id
            g.api_actor = f"api:{name}"
            return view(*args, **kwargs)

        return wrapper

    return decorate
