"""The bench's label printers: one session per printer URL, driver errors in an operator's words."""

from __future__ import annotations

import threading

from drivers.printer.errors import PrinterError, TransportSpecError
from drivers.printer.session import PrinterSession
from drivers.printer.status import PrinterStatus
from station.printing.spooler import PrintFailed


class Printers:
    """Sessions to the configured printers, opened on first use and kept (thread-safe)."""

    def __init__(self, profile: str, default_url: str) -> None:
        self.profile = profile
        self.default_url = default_url
        self._sessions: dict[str, PrinterSession] = {}
        self._lock = threading.Lock()

    def session(self, url: str = "") -> PrinterSession:
        url = url or self.default_url
        if not url:
            raise PrintFailed("no label printer is set up (labels.printer_url)")
        with self._lock:
            session = self._sessions.get(url)
            if session is None:
                try:
                    session = PrinterSession(self.profile, url)
                except (TransportSpecError, ValueError, OSError) as exc:
                    raise PrintFailed(f"printer {url!r} cannot be used: {exc}") from exc
                self._sessions[url] = session
            return session

    def send(self, url: str, zpl: bytes) -> None:
        """Print ``zpl`` on ``url`` ("" = the bench's printer); PrintFailed says why not."""
        try:
            self.session(url).send(zpl)
        except PrinterError as exc:
            raise PrintFailed(exc.reason) from exc

    def status(self, url: str = "") -> PrinterStatus | None:
        """The printer's status (None: it cannot tell, e.g. a CUPS queue). Raises PrinterError."""
        return self.session(url).status()

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
