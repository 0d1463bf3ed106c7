"""Who may open which browser route: sign-in, role and idle-lock checks for a whole blueprint."""

from __future__ import annotations

import time
from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from web.api.problems import browser_page

#: Endpoints that must not count as operator activity (live streams, background polls).
PASSIVE_ENDPOINTS: set[str] = set()

OPERATOR_ROLES = ("operator", "supervisor", "admin")
SUPERVISOR_ROLES = ("supervisor", "admin")
#: A longer ``next`` is not a path of this app.
MAX_NEXT = 2000


def passive(endpoint: str) -> None:
    """Mark ``endpoint`` as not resetting the idle timer (SSE, preview)."""
    PASSIVE_ENDPOINTS.add(endpoint)


def wants_html() -> bool:
    return request.method == "GET" and browser_page()  # browser_page: not the API, not a fetch


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths are followed after sign-in (no open redirect).

    Control characters and spaces are refused too: browsers drop tabs and newlines from URLs, so
    ``/<tab>/evil.example`` would become ``//evil.example``, and a newline cannot go in a header.
    """
    if not target or len(target) > MAX_NEXT or not target.startswith("/"):
        return fallback
    if target.startswith("//") or "\\" in target or any(c <= " " or c == "\x7f" for c in target):
        return fallback
    parts = urlsplit(target)
    return fallback if parts.scheme or parts.netloc else target


def idle_lock_s() -> int:
    return int(current_app.config.get("IDLE_LOCK_S", 300))


def check_idle() -> bool:
    """True when the session is (now) locked; refreshes the activity time otherwise."""
    now = time.time()
    if session.get("locked"):
        return True
    seen = float(session.get("seen", now))
    if now - seen > idle_lock_s():
        session["locked"] = True
        return True
    if request.endpoint not in PASSIVE_ENDPOINTS:
        session["seen"] = now
    return False


def protect(bp: Blueprint, roles: Iterable[str], *, idle_lock: bool = True) -> None:
    """Every route of ``bp`` needs a signed-in person with one of ``roles`` (and not locked)."""
    allowed = frozenset(roles)

    @bp.before_request
    def _guard() -> Response | None:
        if not current_user.is_authenticated:
            if wants_html():
                return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
            abort(401)
        if current_user.role not in allowed:
            abort(403)
        if idle_lock and check_idle():
            if wants_html():
                return redirect(url_for("auth.lock_screen"))
            abort(423)
        return None
