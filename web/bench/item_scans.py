"""Items-screen scans decided on the station: recorded from the live stream, the verdict pushed back.

The bench's scanner reading reaches the station first. On the items screen the station records
it there and then (the same answer the page's own POST gets, web/bench/actions.item_answer) and
sends the verdict down the screen's event stream, instead of sending the code to the page and
waiting for the page to post it back. The person is checked again for every scan: a session that
ended or locked since the stream opened gets the plain scan, which the page then posts (and is
refused as any request would be).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from drivers.scanner.events import ScanEvent
from station.db.models import Inspection, Scan
from station.returns.errors import DomainError
from station.returns.states import InspectionState
from web.app import station_context
from web.auth import sessions
from web.auth.roles import OPERATOR_ROLES
from web.auth.users import load_user
from web.bench import labels
from web.bench.actions import item_answer, lines_json
from web.bench.services import bench_services


class ItemScans:
    """One items screen's stream: records each scan, remembers an item still waiting for its serial."""

    def __init__(self, inspection_id: str, signin_id: str, stream: int) -> None:
        self.inspection_id = inspection_id
        self._signin_id = signin_id
        self._stream = stream  # this stream's number among its session's (BenchServices)
        #: The scan whose serial number label is asked for next ("" when none).
        self.serial_for = ""

    def counting(self) -> bool:
        """This is the session's newest stream and the parcel is still at its items step (a
        stream whose page was left behind must not take a scan meant for the next screen)."""
        if not bench_services(current_app).newest_stream(self._signin_id, self._stream):
            return False
        with station_context(current_app).db.reader() as session:
            state = session.execute(select(Inspection.state)
                                    .where(Inspection.id == self.inspection_id)).scalar_one_or_none()
        return state == InspectionState.WEIGHED

    def decide(self, scan: ScanEvent) -> dict[str, Any] | None:
        """The verdict to push, or None: the page gets the scan itself (the person is gone)."""
        ctx = station_context(current_app)
        cookie = current_user.get_id() if current_user.is_authenticated else None
        person = load_user(ctx, cookie) if cookie else None
        if person is None or person.locked or person.role not in OPERATOR_ROLES:
            return None
        try:
            body, lines = item_answer(self.inspection_id, scan.raw, scan.source,
                                      self._waiting_serial(), event=scan)
        except DomainError as error:
            self.serial_for = ""
            return {"ok": False, "code": error.code, "message": labels.error_message(error)}
        if body["result"] != "badge":
            body["lines"] = lines_json(lines)
        self.serial_for = str(body["scan_id"]) if body.get("needs_serial") else ""
        if person.last_seen_at is not None:  # a scan is the operator at work: keeps the lock off
            sessions.touch(ctx.work, person.signin_id, person.last_seen_at)
        return body

    def _waiting_serial(self) -> str:
        """The item still waiting for its serial (one typed meanwhile on the page ends the wait)."""
        if not self.serial_for:
            return ""
        with station_context(current_app).db.reader() as session:
            serial = session.execute(select(Scan.serial).where(Scan.id == self.serial_for)).first()
        if serial is None or serial[0]:
            self.serial_for = ""
        return self.serial_for
