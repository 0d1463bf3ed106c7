"""Session secret, cookie flags and security headers for every browser response."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response

from station.config import Settings

#: Pages and scripts come only from this server; photos of the expected product may come from the
#: platform's https image host (the only outside content a bench page shows).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Same-origin requests keep their Referer: over https Flask-WTF refuses a POST without one
    # (WTF_CSRF_SSL_STRICT), so "no-referrer" broke every form; other sites still get nothing.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), microphone=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def secret_key(settings: Settings) -> str:
    """The configured session key, else one generated once into var/ (mode 0600) and reused."""
    configured = settings.web.secret_key.get_secret_value()
    if configured:
        return configured
    path = Path(settings.audit.anchor_file).parent / "web-secret-key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this bench created it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())
    return key


def init_app(app: Flask, settings: Settings) -> None:
    """Cookie flags and the security headers on every response."""
    https = settings.web.public_url.lower().startswith("https://")
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="station_session",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Strict",
        REMEMBER_COOKIE_SECURE=https,
        PERMANENT_SESSION_LIFETIME=12 * 3600,
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if https:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
