"""Short-lived HMAC-signed photo URLs, so webhook receivers can fetch evidence without a key."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from station.config import Settings
from web.params import bounded_int

DEFAULT_TTL_S = 900
MAX_TTL_S = 3600
KEY_FILE = "url-signing.key"


def signing_key(settings: Settings) -> bytes:
    """web.secret_key if set, else a random key kept in data_dir (created 0600 on first use)."""
    configured = settings.web.secret_key.get_secret_value()
    if configured:
        return hashlib.sha256(b"photo-url:" + configured.encode()).digest()
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def signature(key: bytes, photo_id: str, variant: str, expires_s: int) -> str:
    message = f"{photo_id}\n{variant}\n{expires_s}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def valid(key: bytes, photo_id: str, variant: str, expires: str, sig: str, now_s: float) -> bool:
    """True when ``sig`` was made for this photo and variant and has not expired."""
    expires_s = bounded_int(expires, 0, 10**12)
    if expires_s is None or expires_s < now_s or not sig.isascii():
        return False
    return hmac.compare_digest(signature(key, photo_id, variant, expires_s).encode(), sig.encode())
