"""Webhook POSTs over a pooled, kept-alive httpx client with separate connect and read timeouts.

One ``Sender`` per dispatcher keeps its connections open between deliveries (HTTP/1.1
keep-alive), so a backlog costs one TCP (and TLS) handshake per receiver and pool slot instead
of one per POST. TLS is verified against the system's trust store (``ssl.create_default_context``,
as before, not certifi's bundle), redirects are never followed (a 3xx is a failed attempt), and
proxy variables from the environment are ignored: a webhook goes straight to its receiver.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "returns-station-webhooks/1"
#: Idle kept-alive connections are closed after this long (receivers often close at 5-60 s).
KEEPALIVE_EXPIRY_S = 30.0


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
    """A kept-alive connection pool for webhook POSTs; safe to share between threads."""

    def __init__(self, pool_size: int = 8) -> None:
        self.pool_size = max(pool_size, 1)
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def _open(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    verify=_tls_context(),
                    follow_redirects=False,
                    trust_env=False,
                    headers={"user-agent": USER_AGENT},
                    limits=httpx.Limits(
                        max_connections=self.pool_size,
                        max_keepalive_connections=self.pool_size,
                        keepalive_expiry=KEEPALIVE_EXPIRY_S,
                    ),
                )
            return self._client

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
        timeout = httpx.Timeout(
            connect=connect_timeout_s, read=read_timeout_s, write=read_timeout_s,
            pool=connect_timeout_s,
        )
        try:
            client = self._open()
            request = client.build_request(
                "POST", url, content=body, headers={**headers, "user-agent": USER_AGENT},
                timeout=timeout,
            )
            response = client.send(request, stream=True)
            try:
                _read_capped(response)
                return HttpResult(
                    response.status_code, response.headers.get("Retry-After"), "", _ms(started)
                )
            finally:
                response.close()
        except Exception as exc:  # the network's edge: any failure is a failed attempt with its reason
            return HttpResult(None, None, _reason(exc), _ms(started))

    def close(self) -> None:
        """Close the kept connections (a later POST opens a new pool)."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()


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


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """The system's trust store, loaded once per process (an SSLContext is shared by threads)."""
    return ssl.create_default_context()


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


def _read_capped(response: httpx.Response) -> None:
    """Read at most MAX_RESPONSE_BYTES of the answer; a longer one is cut (its connection closed)."""
    seen = 0
    for chunk in response.iter_raw():
        seen += len(chunk)
        if seen >= MAX_RESPONSE_BYTES:
            return


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        phase = {httpx.ConnectTimeout: "connect", httpx.ReadTimeout: "read",
                 httpx.WriteTimeout: "write", httpx.PoolTimeout: "pool"}.get(type(exc), "")
        return f"{type(exc).__name__}: {phase} timed out ({exc})"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
