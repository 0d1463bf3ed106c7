"""Webhook endpoint management: create, update, delete, rotate secrets, list deliveries, replay, ping."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from station.db.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from station.db.types import new_id, utcnow
from station.returns.errors import DomainError, NotFound
from station.webhooks import signing, transport
from station.webhooks.dispatcher import active_secrets, encode_body
from station.webhooks.outbox import EVENT_TYPES, PAYLOAD_VERSION

DEFAULT_ROTATION_OVERLAP_S = 24 * 3600
TEST_EVENT_TYPE = "webhook.test"


#: A webhook URL: http(s), a DNS name or IPv4 host, an optional port, then visible ASCII only
#: (percent-encode the rest). The API's
#: OpenAPI document publishes this same pattern, so what it calls valid is what is accepted.
URL_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$"
MAX_URL_LENGTH = 2000


def check_url(url: str) -> str:
    """An http(s) URL with a host; DomainError otherwise (never another exception)."""
    if len(url) > MAX_URL_LENGTH or not re.fullmatch(URL_PATTERN, url):
        raise DomainError("invalid_url", f"webhook URL must be http(s)://host/...: {url[:200]!r}")
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:
        raise DomainError("invalid_url", f"webhook URL {url[:200]!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise DomainError("invalid_url", f"webhook URL must be http(s)://host/...: {url[:200]!r}")
    try:  # the name as DNS will be asked for it: labels of 1-63 characters, 253 in all
        ascii_host = hostname.encode("idna")
        _ = parts.port  # a port that is not a number
    except (UnicodeError, ValueError) as exc:
        raise DomainError("invalid_url", f"webhook URL host {hostname[:80]!r} is not a valid "
                          f"host name: {exc}") from exc
    if len(ascii_host) > 253 or any(not 0 < len(label) <= 63
                                    for label in ascii_host.rstrip(b".").split(b".")):
        raise DomainError("invalid_url", f"webhook URL host {hostname[:80]!r} is not a valid "
                          "host name (labels of 1-63 characters)")
    return url


def check_event_types(event_types: Sequence[str]) -> list[str]:
    """Known event types only; an empty list subscribes to every event."""
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise DomainError("invalid_event_type", f"unknown event types: {', '.join(unknown)}")
    return list(dict.fromkeys(event_types))


def create_endpoint(
    session: Session, url: str, event_types: Sequence[str] = (), secret: str | None = None
) -> WebhookEndpoint:
    """A new enabled endpoint with a fresh ``whsec_`` secret unless one is given."""
    if secret is not None:
        try:
            signing.secret_key(secret)
        except ValueError as exc:
            raise DomainError("invalid_secret", str(exc)) from exc
    endpoint = WebhookEndpoint(
        id=new_id(), url=check_url(url), secret=secret or signing.new_secret(),
        event_types=check_event_types(event_types), enabled=True, disabled_reason="",
        created_at=utcnow(),
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("endpoint_not_found", f"no webhook endpoint {endpoint_id}")
    return endpoint


def list_endpoints(session: Session) -> list[WebhookEndpoint]:
    return list(session.execute(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).scalars())


def update_endpoint(
    session: Session,
    endpoint_id: str,
    *,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change URL, subscriptions or enable/disable (re-enabling clears the reason)."""
    endpoint = get_endpoint(session, endpoint_id)
    if url is not None:
        endpoint.url = check_url(url)
    if event_types is not None:
        endpoint.event_types = check_event_types(event_types)
    if enabled is not None:
        endpoint.enabled = enabled
        endpoint.disabled_reason = "" if enabled else "disabled by an administrator"
    return endpoint


def delete_endpoint(session: Session, endpoint_id: str) -> None:
    endpoint = get_endpoint(session, endpoint_id)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
    session.delete(endpoint)


def rotate_secret(
    session: Session, endpoint_id: str, overlap_s: int = DEFAULT_ROTATION_OVERLAP_S
) -> WebhookEndpoint:
    """New secret now; the old one keeps signing (second signature) for ``overlap_s``."""
    endpoint = get_endpoint(session, endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = utcnow() + timedelta(seconds=overlap_s)
    endpoint.secret = signing.new_secret()
    return endpoint


def list_deliveries(
    session: Session, endpoint_id: str | None = None, event_id: str | None = None,
    limit: int = 100,
) -> list[WebhookDelivery]:
    """Newest attempts first."""
    query = select(WebhookDelivery).order_by(
        WebhookDelivery.attempted_at.desc(), WebhookDelivery.id.desc()
    )
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    if event_id is not None:
        query = query.where(WebhookDelivery.outbox_event_id == event_id)
    return list(session.execute(query.limit(limit)).scalars())


def list_events(session: Session, status: str | None = None, limit: int = 100) -> list[OutboxEvent]:
    query = select(OutboxEvent).order_by(OutboxEvent.created_at.desc(), OutboxEvent.id.desc())
    if status is not None:
        query = query.where(OutboxEvent.status == status)
    return list(session.execute(query.limit(limit)).scalars())


def replay(session: Session, event_id: str | None = None) -> int:
    """Put one dead letter (or all of them) back in the queue with a fresh round of attempts.

    The webhook-id stays the same, so receivers that already saw it can deduplicate.
    """
    query = (
        update(OutboxEvent)
        .where(OutboxEvent.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), lease_until=None,
                claimed_by=None)
    )
    if event_id is not None:
        if session.get(OutboxEvent, event_id) is None:
            raise NotFound("event_not_found", f"no outbox event {event_id}")
        query = query.where(OutboxEvent.id == event_id)
    return int(session.execute(query).rowcount)  # type: ignore[attr-defined]


def queue_depth(session: Session) -> dict[str, int]:
    """Outbox rows per status (for /metrics and `station webhooks list`)."""
    rows = session.execute(
        select(OutboxEvent.status, func.count()).group_by(OutboxEvent.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def send_test(endpoint: WebhookEndpoint, timeout_s: float = 15.0) -> transport.HttpResult:
    """POST a signed ``webhook.test`` event straight to the endpoint (not via the outbox)."""
    now = utcnow()
    msg_id = f"msg_{new_id()}"
    body = encode_body({
        "type": TEST_EVENT_TYPE,
        "timestamp": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "schema_version": PAYLOAD_VERSION,
        "data": {"endpoint_id": endpoint.id},
    })
    headers = signing.headers(active_secrets(endpoint, now), msg_id, int(time.time()), body)
    return transport.post(endpoint.url, body, headers, timeout_s, timeout_s)
