"""Standard Webhooks signing: webhook-id / -timestamp / -signature headers with whsec_ secrets.

Spec: Standard Webhooks, "Signature scheme" (standardwebhooks.com, spec/standard-webhooks.md):
the signed content is ``{webhook-id}.{webhook-timestamp}.{body}``, HMAC-SHA256 keyed with the
base64-decoded secret after its ``whsec_`` prefix, sent as ``v1,<base64>``; several signatures
are separated by spaces (secret rotation). Tested byte for byte against the `standardwebhooks`
library's ``Webhook.verify``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_secrets
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
DEFAULT_TOLERANCE_S = 300


class SignatureError(ValueError):
    """Headers missing, timestamp out of tolerance, or no signature matches."""


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_...`` secret; ValueError if it is not valid base64."""
    body = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(body + "==", validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret is not base64 after whsec_") from exc
    if not key:
        raise ValueError("webhook secret is empty")
    return key


def sign(secret: str, msg_id: str, timestamp_s: int, body: bytes) -> str:
    """One ``v1,<base64 HMAC-SHA256>`` signature of ``msg_id.timestamp.body``."""
    content = f"{msg_id}.{timestamp_s}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Sequence[str], msg_id: str, timestamp_s: int, body: bytes) -> str:
    """Space-separated signatures, one per active secret (new secret first during rotation)."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    return " ".join(sign(s, msg_id, timestamp_s, body) for s in secrets)


def headers(secrets: Sequence[str], msg_id: str, timestamp_s: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers plus the JSON content type."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp_s)),
        "webhook-signature": signature_header(secrets, msg_id, timestamp_s, body),
        "content-type": "application/json",
    }


def verify(
    secret: str,
    received: Mapping[str, str],
    body: bytes,
    now_s: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Check a received webhook (receiver side, used by `station webhooks test` and tests)."""
    lowered = {k.lower(): v for k, v in received.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        timestamp_s = int(stamp)
    except ValueError as exc:
        raise SignatureError(f"webhook-timestamp {stamp!r} is not an integer") from exc
    if abs(now_s - timestamp_s) > tolerance_s:
        raise SignatureError(f"webhook-timestamp {timestamp_s} is outside ±{tolerance_s} s")
    expected = sign(secret, msg_id, timestamp_s, body).encode()
    for candidate in signatures.split(" "):
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise SignatureError("no matching v1 signature")
