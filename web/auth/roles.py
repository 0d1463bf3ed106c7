"""Who may open which browser route: sign-in, role and idle-lock checks (kept on the server) for a whole blueprint."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from station.db.types import utcnow
from web.api.problems import browser_page
from web.app import station_context
from web.auth import sessions

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
    """True when the session is (now) locked; refreshes the activity time otherwise.

    Locked means: locked on the server (the lock screen, or idle found on an earlier request),
    locked or idle in this cookie (``locked``, ``seen``), or not seen by the server for longer than the idle time plus
    the ``last_seen_at`` resolution (a cookie kept from before). Finding it idle locks it on the
    server, so no copy of the cookie gets past the lock screen either.
    """
    user = current_user
    if user.locked:
        return True
    now = time.time()
    seen = float(session.get("seen", now))
    server_idle = user.last_seen_at is not None and (
        utcnow() - user.last_seen_at > timedelta(seconds=idle_lock_s()) + sessions.TOUCH_EVERY)
    work = station_context(current_app).work
    # the cookie's own flag: this browser stays locked even if the server could not be told yet
    if session.get("locked") or now - seen > idle_lock_s() or server_idle:
        session["locked"] = True
        sessions.lock(work, user.signin_id)
        return True
    if request.endpoint not in PASSIVE_ENDPOINTS:
        session["seen"] = now
        if user.last_seen_at is not None:
            sessions.touch(work, user.signin_id, user.last_seen_at)
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
