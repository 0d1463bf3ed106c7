"""What every scanner source shares: deliver scans and state changes without crashing its thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from drivers.scanner.events import ScanEvent
from drivers.scanner.interpret import ScanRejected, interpret
from drivers.scanner.plausibility import DEFAULT_MIN_CHARS, implausible
from drivers.state import DeviceState, DeviceStatus

log = logging.getLogger(__name__)

OnScan = Callable[[ScanEvent], None]
OnStatus = Callable[[DeviceStatus], None]


@dataclass
class SourceStats:
    """What a source delivered and what it threw away (shown on the device page)."""

    scans: int = 0
    garbage: int = 0
    last_garbage_reason: str = ""


class ScanSink:
    """Interprets texts into ScanEvents and reports them and state changes to the callbacks."""

    def __init__(
        self, device: str, on_scan: OnScan | None, on_status: OnStatus | None,
        min_chars: int = DEFAULT_MIN_CHARS,
    ) -> None:
        self.device = device
        self.min_chars = min_chars
        self._on_scan = on_scan
        self._on_status = on_status
        self._lock = threading.Lock()
        self.stats = SourceStats()
        self.status = DeviceStatus(device, DeviceState.DISCONNECTED, "not opened")

    def report(self, state: DeviceState, reason: str = "") -> None:
        """Set the state; the callback hears it only when state or reason changed."""
        with self._lock:
            if state == self.status.state and reason == self.status.reason:
                return
            self.status = DeviceStatus(device=self.device, state=state, reason=reason)
            status = self.status
        if self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:  # a broken listener must not stop the reader thread
                log.exception("on_status callback failed for %s", self.device)

    def garbage(self, reason: str) -> None:
        """Count input that was not a scan, keeping the reason of the last one."""
        with self._lock:
            self.stats.garbage += 1
            self.stats.last_garbage_reason = reason

    def deliver(self, text: str, at: float | None = None) -> ScanEvent | None:
        """Interpret ``text`` and hand the event to on_scan; rejected text is counted as garbage.

        Text that interprets but is no plausible read (too short, no letter or digit, a bad
        check digit, a GS1 symbology without GS1 data) is garbage too: line noise never scans.
        """
        try:
            event = interpret(text, self.device, at=at)
        except ScanRejected as exc:
            self.garbage(str(exc))
            return None
        reason = implausible(event, self.min_chars)
        if reason is not None:
            self.garbage(reason)
            return None
        with self._lock:
            self.stats.scans += 1
        if self._on_scan is not None:
            try:
                self._on_scan(event)
            except Exception:  # a broken listener must not stop the reader thread
                log.exception("on_scan callback failed for %s", self.device)
        return event


class SourceThread:
    """Start/close life cycle shared by the scanner sources: one reader thread, a stop flag."""

    _sink: ScanSink
    thread_name = "scanner"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        raise NotImplementedError

    @property
    def status(self) -> DeviceStatus:
        """The current state with its reason."""
        return self._sink.status

    @property
    def stats(self) -> SourceStats:
        """Scans delivered and garbage counted so far."""
        return self._sink.stats

    def start(self) -> None:
        """Start the reader thread (it opens the device itself, so start never blocks)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread, release the device, report DISCONNECTED."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None
        self._sink.report(DeviceState.DISCONNECTED, "closed")

    def __enter__(self) -> SourceThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
