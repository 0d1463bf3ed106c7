"""One HTTP POST of a webhook with separate connect and read timeouts (http.client, no deps)."""

from __future__ import annotations

import http.client
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "returns-station-webhooks/1"


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


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    connect_timeout_s: float,
    read_timeout_s: float,
) -> HttpResult:
    """POST ``body`` to ``url``; never raises for network trouble, it reports it."""
    started = time.monotonic()
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port that is not a number
    except ValueError as exc:
        return HttpResult(None, None, f"unusable URL: {exc}"[:500], 0)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return HttpResult(None, None, f"unsupported URL {url!r}", 0)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=connect_timeout_s,
            context=ssl.create_default_context(),
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=connect_timeout_s)
    try:
        conn.connect()
        if conn.sock is not None:
            conn.sock.settimeout(read_timeout_s)
        conn.request("POST", path, body=body, headers={**headers, "user-agent": USER_AGENT})
        response = conn.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return HttpResult(
            response.status, response.getheader("Retry-After"), "", _ms(started)
        )
    except Exception as exc:  # the network's edge: any failure is a failed attempt with its reason
        return HttpResult(None, None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
    finally:
        conn.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
