"""One printer: send a ZPL job (checked with ~HS before and confirmed after), ask its status, thread-safe."""

from __future__ import annotations

import threading
from pathlib import Path

from drivers.printer.errors import PrinterNotReady, PrinterOffline, PrinterSendFailed
from drivers.printer.profile import PrinterProfile, printer_profile
from drivers.printer.status import HOST_STATUS_REQUEST, PrinterStatus, parse_host_status
from drivers.printer.transport import Transport, TransportSpec, open_transport, parse_spec


class PrinterSession:
    """A printer reached through ``spec`` (tcp://, usb:, cups:); one job at a time.

    ``send`` asks ~HS first (when the transport can answer) and refuses with PrinterNotReady
    while paper is out, the head is open or the printer is paused; after the job it asks ~HS
    again, which proves the printer read every byte (a dropped connection is PrinterSendFailed).
    """

    def __init__(self, profile: PrinterProfile | str | Path, spec: str | TransportSpec) -> None:
        if not isinstance(profile, PrinterProfile):
            profile = printer_profile(str(profile))
        self.profile = profile
        self.spec = parse_spec(spec) if isinstance(spec, str) else spec
        self._transport: Transport = open_transport(
            self.spec, tcp_port=profile.tcp_port, connect_timeout_s=profile.connect_timeout_s,
            read_timeout_s=profile.read_timeout_s)
        self._lock = threading.Lock()
        self._closed = False

    @property
    def description(self) -> str:
        """Where the printer is (``tcp://host:9100``, ``usb:/dev/usb/lp0``, ``cups:queue``)."""
        return self._transport.description

    @property
    def answers_status(self) -> bool:
        """False for CUPS queues and for models that do not answer ~HS."""
        return self._transport.can_answer_status and self.profile.host_status

    def _status_locked(self, *, retry_stale: bool = True) -> PrinterStatus:
        reply = self._transport.query(HOST_STATUS_REQUEST, self.profile.read_timeout_s,
                                      retry_stale=retry_stale)
        try:
            return parse_host_status(reply)
        except Exception:
            self._transport.close()  # whatever else is in the pipe is out of step now
            raise

    def status(self) -> PrinterStatus | None:
        """The printer's ~HS status, or None when the transport cannot answer (CUPS).

        Raises PrinterOffline when it cannot be reached and PrinterStatusError for garbage.
        """
        if not self.answers_status:
            return None
        with self._lock:
            self._check_open()
            return self._status_locked()

    def send(self, zpl: bytes, *, check_ready: bool = True) -> None:
        """Send one job (one or more ^XA..^XZ formats).

        Raises PrinterOffline (not reachable), PrinterNotReady(problems) (a check before sending
        found paper out / head open / paused / ribbon out), PrinterSendFailed (the connection
        dropped while sending or before the printer confirmed it read the job).
        """
        if not isinstance(zpl, bytes | bytearray) or not zpl:
            raise ValueError("send() needs the ZPL job as non-empty bytes")
        with self._lock:
            self._check_open()
            if self.answers_status and check_ready:
                problems = self._status_locked().blocking_problems()
                if problems:
                    raise PrinterNotReady(problems)
            self._transport.send(bytes(zpl))
            if self.answers_status:
                try:
                    self._status_locked(retry_stale=False)
                except (PrinterOffline, PrinterSendFailed) as exc:
                    raise PrinterSendFailed(f"{self.description}: the printer did not confirm the "
                                            f"job ({exc.reason}); the label may not have printed"
                                            ) from exc

    def _check_open(self) -> None:
        if self._closed:
            raise PrinterOffline(f"{self.description}: session closed")

    def close(self) -> None:
        """Release the connection (idempotent)."""
        with self._lock:
            self._closed = True
            self._transport.close()

    def __enter__(self) -> PrinterSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
