"""The bench's print spooler: sends queued labels to the printer, one job at a time, on its own thread.

A job is queued in the same transaction as the outcome it labels (``label_print`` row), so a
printer that is off, out of paper or gone never loses anything the operator confirmed. The
spooler checks the printer is ready before it sends (a Zebra printer keeps formats it receives
while out of paper and prints them when paper is loaded, so sending then and reprinting later
would print twice); a job that cannot be sent is ``failed`` with the reason, and the bench
offers a reprint (a new job), another printer or a PDF. A job left ``sending`` by a crash is
marked failed, not sent again: it may have printed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from station.db.engine import Database
from station.db.models import LabelPrint
from station.db.types import utcnow

log = logging.getLogger(__name__)

#: Builds the ZPL of one job (its unit's or tote's label) from the stored rows.
Render = Callable[[Session, LabelPrint], bytes]
#: Sends ZPL to the printer named by the job (``printer``: a transport URL, "" = the bench's).
Send = Callable[[str, bytes], None]


class PrintFailed(Exception):
    """The printer did not take the label; the message says why in words an operator acts on."""


@dataclass(frozen=True)
class JobResult:
    job_id: str
    status: str
    error: str = ""
    seconds: float = 0.0


class PrintSpooler:
    """Sends this station's queued labels; ``notify()`` after a commit that queued one."""

    def __init__(self, db: Database, station_id: str, render: Render, send: Send,
                 poll_s: float = 2.0) -> None:
        self.db = db
        self.station_id = station_id
        self.render = render
        self.send = send
        self.poll_s = poll_s
        self._cond = threading.Condition()
        self._pending = True
        self._stop = False
        self._thread: threading.Thread | None = None
        #: Finished jobs, for whoever waits on them (tests, the bench's answer after a reprint).
        self.finished: list[JobResult] = []

    def start(self) -> None:
        if self._thread is not None:
            return
        self.recover()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="print-spooler", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def notify(self) -> None:
        with self._cond:
            self._pending = True
            self._cond.notify_all()

    def wait_for(self, job_id: str, timeout_s: float) -> JobResult | None:
        """The result of ``job_id`` once it is sent or failed (None: not within the timeout)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                done = next((r for r in self.finished if r.job_id == job_id), None)
                left = deadline - time.monotonic()
                if done is not None or left <= 0:
                    return done
                self._cond.wait(left)

    # -- the work -------------------------------------------------------------------------
    def recover(self) -> int:
        """Jobs a crash left half-sent are failed (they may have printed): never sent twice."""
        with self.db.transaction() as session:
            result = session.execute(
                update(LabelPrint)
                .where(LabelPrint.station_id == self.station_id, LabelPrint.status == "sending")
                .values(status="failed",
                        error="interrupted while sending (the station stopped); reprint if "
                              "no label came out")
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def run_once(self) -> list[JobResult]:
        """Send every queued job of this station, oldest first."""
        results: list[JobResult] = []
        while True:
            claimed = self._claim()
            if claimed is None:
                return results
            results.append(claimed if isinstance(claimed, JobResult) else self._print(claimed))

    def _claim(self) -> tuple[str, str, bytes] | JobResult | None:
        """The oldest queued job, marked sending, with its ZPL (a failed result: not drawable)."""
        with self.db.transaction() as session:
            job = session.execute(
                select(LabelPrint)
                .where(LabelPrint.station_id == self.station_id, LabelPrint.status == "queued")
                .order_by(LabelPrint.created_at, LabelPrint.id).limit(1)
            ).scalars().first()
            if job is None:
                return None
            job.status = "sending"
            job.attempts += 1
            try:
                zpl = self.render(session, job)
            except Exception as exc:  # a label that cannot be drawn must not stop the spooler
                log.exception("label %s cannot be drawn", job.id)
                job.status, job.error = "failed", f"label cannot be drawn: {exc}"[:2000]
                failed = JobResult(job.id, "failed", job.error)
            else:
                return job.id, job.printer, zpl
        self._finish(failed)
        return failed

    def _print(self, claimed: tuple[str, str, bytes]) -> JobResult:
        job_id, printer, zpl = claimed
        started = time.monotonic()
        try:
            self.send(printer, zpl)
        except PrintFailed as exc:
            outcome = JobResult(job_id, "failed", str(exc), time.monotonic() - started)
        except Exception as exc:  # a driver fault is a failed job, never a dead spooler
            log.exception("printing label %s failed", job_id)
            outcome = JobResult(job_id, "failed", f"printer error: {exc}",
                                time.monotonic() - started)
        else:
            outcome = JobResult(job_id, "printed", "", time.monotonic() - started)
        with self.db.transaction() as session:
            row = session.get(LabelPrint, job_id)
            if row is not None:
                row.status, row.error = outcome.status, outcome.error[:2000]
                row.printed_at = utcnow() if outcome.status == "printed" else None
        self._finish(outcome)
        return outcome

    def _finish(self, result: JobResult) -> None:
        with self._cond:
            self.finished = [*self.finished[-199:], result]
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stop, self.poll_s)
                if self._stop:
                    return
                self._pending = False
            try:
                self.run_once()
            except Exception:  # the database is busy or gone: try again on the next turn
                log.exception("print spooler turn failed")


def bench_spooler(db: Database, station_id: str, render: Render, send: Send,
                  on_failure: Callable[[], None] | None = None) -> PrintSpooler:
    """A spooler whose failed prints also call ``on_failure`` (the printer's state is re-read)."""
    if on_failure is None:
        return PrintSpooler(db, station_id, render, send)

    def send_and_report(url: str, zpl: bytes) -> None:
        try:
            send(url, zpl)
        except Exception:
            on_failure()
            raise

    return PrintSpooler(db, station_id, render, send_and_report)
