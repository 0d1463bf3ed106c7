"""Webhook POSTs over kept-alive urllib3 connection pools with separate connect and read timeouts.

One ``Sender`` per dispatcher keeps its connections open between deliveries (HTTP/1.1
keep-alive): one urllib3 connection pool per receiver origin (scheme, host, port), so a backlog
costs one TCP (and TLS) handshake per receiver and pool slot instead of one per POST. A kept
connection the receiver has closed meanwhile is noticed before it is used again (urllib3 checks
that an idle socket is not readable) and replaced. TLS is verified against the system's trust
store (``ssl.create_default_context``, not certifi's bundle), redirects are never followed (a
3xx is a failed attempt), nothing is retried here (the outbox schedule retries, with the same
webhook-id), and proxy variables from the environment are not read: a webhook goes straight to
its receiver.

urllib3 rather than httpx: one kept-alive POST (one at a time) to bench/bench_webhooks.py's
receiver cost 0.24 ms of the sender's CPU through ``HTTPConnectionPool.urlopen`` against
0.78 ms through ``httpx.Client``, measured in one process on the 2-core bench machine.
"""

from __future__ import annotations

import functools
import math
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, ReadTimeoutError

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "returns-station-webhooks/1"

Origin = tuple[str, str, int]


@dataclass(frozen=True)
class HttpResult:
    """What came back: a status code with its Retry-After, or a transport error."""

    status_code: int | None
    retry_after: str | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """Kept-alive connection pools for webhook POSTs; safe to share between threads."""

    def __init__(self, pool_size: int = 8) -> None:
        self.pool_size = max(pool_size, 1)
        self._pools: dict[Origin, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def _pool(self, origin: Origin) -> urllib3.HTTPConnectionPool:
        with self._lock:
            known = self._pools.get(origin)
            if known is None:
                scheme, host, port = origin
                if scheme == "https":
                    pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                        host, port, maxsize=self.pool_size, block=True, retries=False,
                        ssl_context=_tls_context())
                else:
                    pool = urllib3.HTTPConnectionPool(host, port, maxsize=self.pool_size,
                                                      block=True, retries=False)
                self._pools[origin] = known = pool
            return known

    def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        connect_timeout_s: float,
        read_timeout_s: float,
    ) -> HttpResult:
        """POST ``body`` to ``url``; never raises for network trouble, it reports it."""
        started = time.monotonic()
        problem = _unusable(url)
        if problem:
            return HttpResult(None, None, problem, 0)
        origin, target = _split(url)
        try:
            response = self._pool(origin).urlopen(
                "POST", target, body=body, headers={**headers, "user-agent": USER_AGENT},
                timeout=urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s),
                pool_timeout=math.ceil(connect_timeout_s), retries=False, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=False,
            )
            try:
                if len(response.read(MAX_RESPONSE_BYTES + 1)) > MAX_RESPONSE_BYTES:
                    response.close()  # cut: this connection is not used again
                return HttpResult(
                    response.status, response.headers.get("Retry-After"), "", _ms(started)
                )
            finally:
                response.release_conn()
        except Exception as exc:  # the network's edge: any failure is a failed attempt with its reason
            return HttpResult(None, None, _reason(exc), _ms(started))

    def close(self) -> None:
        """Close the kept connections (a later POST opens new pools)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    connect_timeout_s: float,
    read_timeout_s: float,
) -> HttpResult:
    """One POST on a connection of its own (`station webhooks test`); never raises."""
    sender = Sender(pool_size=1)
    try:
        return sender.post(url, body, headers, connect_timeout_s, read_timeout_s)
    finally:
        sender.close()


@functools.lru_cache(maxsize=256)
def _split(url: str) -> tuple[Origin, str]:
    """(scheme, host, port) and the request target (path and query) of a usable URL."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.scheme, parts.hostname or "", port), target


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's trust store, loaded once per process (an SSLContext is shared by threads)."""
    return ssl.create_default_context()


@functools.lru_cache(maxsize=256)
def _unusable(url: str) -> str:
    """Why ``url`` cannot be posted to, or "" (checked before any connection is opened)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port that is not a number
        if parts.hostname:
            parts.hostname.encode("idna")  # UnicodeError for a label over 63 characters
    except ValueError as exc:  # UnicodeError is a ValueError
        if isinstance(exc, UnicodeError):
            return f"UnicodeError: {exc}"[:500]
        return f"unusable URL: {exc}"[:500]
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"unsupported URL {url!r}"
    return ""


def _reason(exc: Exception) -> str:
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        phase = "connect" if isinstance(exc, ConnectTimeoutError) else "read"
        return f"{type(exc).__name__}: {phase} timed out ({exc})"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
