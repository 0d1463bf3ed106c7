"""The label printer as a managed device: its ~HS status polled into a device state the bench shows."""

from __future__ import annotations

import threading

from drivers.printer.errors import PrinterError
from drivers.state import DeviceState, DeviceStatus
from station.devices.adapters import ManagedDevice, OnStatus
from station.printing.printers import Printers
from station.printing.spooler import PrintFailed

PRINTER = "printer"
#: How often a ready printer is asked for its status (paper out, head open, paused).
POLL_S = 5.0


class PrinterDevice(ManagedDevice):
    """Polls the bench printer: READY, ERROR with the printer's words, DISCONNECTED when gone.

    A printer that cannot tell (a CUPS queue) is READY with that said in its reason. The
    manager's reconnect asks again at once (``reconnect``), so a cleared paper-out shows as
    ready within one backoff step; a failed print asks at once too (``poll_now``).
    """

    def __init__(self, printers: Printers, on_status: OnStatus, poll_s: float = POLL_S) -> None:
        self.name = PRINTER
        self.printers = printers
        self._on_status = on_status
        self.poll_s = poll_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._on_status(DeviceStatus(PRINTER, DeviceState.CONNECTING, "asking the printer"))
        self._thread = threading.Thread(target=self._run, name="printer-status", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        self.printers.close()

    def reconnect(self, retry_s: float) -> None:
        self.poll_now()

    def poll_now(self) -> None:
        self._wake.set()

    def check(self) -> DeviceStatus:
        """Ask the printer once; the state it is in, with the reason in an operator's words."""
        try:
            status = self.printers.status()
        except PrintFailed as exc:
            return DeviceStatus(PRINTER, DeviceState.DISCONNECTED, str(exc))
        except PrinterError as exc:
            return DeviceStatus(PRINTER, DeviceState.ERROR, exc.reason)
        if status is None:
            return DeviceStatus(PRINTER, DeviceState.READY, "no status over this connection")
        problems = status.problems()
        if problems:
            return DeviceStatus(PRINTER, DeviceState.ERROR, ", ".join(problems))
        return DeviceStatus(PRINTER, DeviceState.READY, "ready")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._on_status(self.check())
            self._wake.wait(self.poll_s)
            self._wake.clear()
