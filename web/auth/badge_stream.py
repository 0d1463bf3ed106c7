"""Badges read by the bench's serial or camera scanner reach the sign-in and lock screens.

Nobody is signed in there, so the bench's own event stream is closed to them; this stream sends
the kiosk browser on the bench itself (loopback only) just what it needs: a scan that is an
active person's badge fills the badge field; any other scan is answered ("scan your badge"),
never shown, so item codes do not leak to a screen nobody signed in to.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from ipaddress import ip_address

from flask import Response, abort, current_app, request, stream_with_context
from flask_babel import gettext as _

from drivers.scanner.events import ScanEvent
from web.app import station_context
from web.auth.roles import passive
from web.auth.users import is_active_badge
from web.auth.views import bp

STREAM_S = 300.0
HEARTBEAT_S = 15.0


def on_the_bench() -> bool:
    """The request comes from the bench's own kiosk browser (loopback)."""
    try:
        return ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/badge-events")
def badge_events() -> Response:
    """Server-sent events ``badge`` (the code) and ``other`` (a message) for scans at sign-in."""
    devices = current_app.extensions.get("devices")
    if devices is None or not on_the_bench():
        abort(404)
    hint = _("Scan your badge to sign in.")

    def stream() -> Iterator[str]:
        end = time.monotonic() + STREAM_S
        with devices.subscribe() as subscription:
            yield "retry: 1000\n\n"  # subscribed: no scan from here on is missed
            while (left := end - time.monotonic()) > 0:
                event = subscription.get(timeout=min(HEARTBEAT_S, left))
                if event is None:
                    yield ": ping\n\n"
                elif isinstance(event.payload, ScanEvent):
                    code = event.payload.raw
                    if is_active_badge(station_context(current_app).db, code):
                        badge = {"badge": code, "seq": event.seq}
                        yield f"event: badge\ndata: {json.dumps(badge)}\n\n"
                    else:
                        other = {"message": hint, "seq": event.seq}
                        yield f"event: other\ndata: {json.dumps(other)}\n\n"

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    return response


passive("auth.badge_events")
