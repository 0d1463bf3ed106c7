"""Simulated ZPL label printer on a real TCP socket (and optionally a pty, USB-style) with fault knobs.

It keeps every format it prints (``labels``), answers ~HS with the three framed strings of the
ZPL II Programming Guide, and holds formats in its receive buffer (``waiting``, reported as
"formats in receive buffer") while paper is out, the head is open, a ribbon is out or it is
paused; they print, once each and in order, when the fault clears. ``offline`` closes the
listening socket (connection refused) and the pty; ``slow`` limits how fast it reads (bytes/s);
``drop_after`` closes a connection after that many job bytes.
"""

from __future__ import annotations

import contextlib
import importlib
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.printer.profile import PrinterProfile, printer_profile
from drivers.printer.status import PrinterStatus, format_host_status
from drivers.sim.printer_faults import BLOCKING_KNOBS, FormatSplitter
from drivers.sim.pty import PtyLink

__all__ = ["ReceivedLabel", "SimulatedPrinter"]

POLL_S = 0.05


@dataclass
class ReceivedLabel:
    """One ^XA..^XZ format as the printer read it, with what the checker and renderer said."""

    zpl: bytes
    received_at: float
    via: str
    printed_at: float | None = None
    problems: list[str] | None = None  # drivers.sim.zpl_parse.check_zpl, None if not available
    png: list[bytes] | None = None  # drivers.sim.zpl_render.render_png, None if not available
    check_error: str | None = None


def _optional(module: str, name: str) -> object | None:
    """A function from a module that may not exist yet (imported lazily)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def inspect_label(label: ReceivedLabel, dpi: int) -> None:
    """Fill ``problems`` and ``png`` when the ZPL checker and renderer are installed."""
    check = _optional("drivers.sim.zpl_parse", "check_zpl")
    render = _optional("drivers.sim.zpl_render", "render_png")
    errors = []
    if callable(check):
        try:
            label.problems = list(check(label.zpl))
        except Exception as exc:
            errors.append(f"check_zpl failed: {type(exc).__name__}: {exc}")
    if callable(render):
        try:
            label.png = list(render(label.zpl, dpi=dpi))
        except Exception as exc:
            errors.append(f"render_png failed: {type(exc).__name__}: {exc}")
    label.check_error = "; ".join(errors) or None


class _FaultKnob:
    """A blocking fault as a settable attribute of the simulator (``printer.paper_out = True``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, printer: SimulatedPrinter | None, owner: type) -> bool:
        if printer is None:
            raise AttributeError(self.name)
        return printer._faults[self.name]

    def __set__(self, printer: SimulatedPrinter, value: bool) -> None:
        printer.set_fault(self.name, value)


@dataclass
class _Connection:
    sock: socket.socket
    splitter: FormatSplitter = field(default_factory=FormatSplitter)


class SimulatedPrinter:
    """A printer at ``address`` (tcp://127.0.0.1:PORT) and, with ``pty=True``, at ``usb_path``."""

    def __init__(self, profile: PrinterProfile | str | Path, *, dpi: int | None = None,
                 host: str = "127.0.0.1", port: int = 0, pty: bool = False,
                 inspect: bool = True) -> None:
        if not isinstance(profile, PrinterProfile):
            profile = printer_profile(str(profile))
        self.profile = profile
        self.dpi = dpi if dpi is not None else profile.dpis[0]
        profile.max_width_dots(self.dpi)  # ValueError for a printhead the model does not have
        self.inspect = inspect
        self.labels: list[ReceivedLabel] = []
        self.waiting: list[ReceivedLabel] = []
        self.status_queries = 0
        self.connections_accepted = 0
        self.slow: float | None = None  # bytes per second the printer reads, None = full speed
        self.drop_after: int | None = None  # close a connection after this many job bytes
        self._faults = dict.fromkeys(BLOCKING_KNOBS, False)
        self._offline = False
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._host = host
        self._connections: list[_Connection] = []
        self._pty_splitter = FormatSplitter()
        self._listener: socket.socket | None = self._listen(host, port)
        self.port: int = self._listener.getsockname()[1]
        self._link: PtyLink | None = PtyLink() if pty else None
        self._want_pty = pty
        self._threads = [threading.Thread(target=self._accept_loop, name="sim-printer-accept",
                                          daemon=True)]
        if pty:
            self._threads.append(threading.Thread(target=self._pty_loop, name="sim-printer-pty",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    # -- where it is --------------------------------------------------------------------------
    @property
    def address(self) -> str:
        """The transport spec a PrinterSession uses: ``tcp://127.0.0.1:PORT``."""
        return f"tcp://{self._host}:{self.port}"

    @property
    def usb_path(self) -> str:
        """The pty path standing in for /dev/usb/lpN ('' without pty or while offline)."""
        link = self._link
        return link.port if link is not None else ""

    # -- knobs --------------------------------------------------------------------------------
    #: Fault knobs (settable attributes), each a ~HS flag: paper out (string 1 flag b), head
    #: up (string 2 flag o), paused (string 1 flag c), ribbon out (string 2 flag p).
    paper_out = _FaultKnob("paper_out")
    head_open = _FaultKnob("head_open")
    paused = _FaultKnob("paused")
    ribbon_out = _FaultKnob("ribbon_out")

    def set_fault(self, name: str, value: bool = True) -> None:
        """Switch a blocking fault on or off; clearing the last one prints what waited."""
        if name not in self._faults:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(BLOCKING_KNOBS)}")
        with self._cond:
            self._faults[name] = bool(value)
            self._print_waiting_locked()
            self._cond.notify_all()

    def clear_faults(self) -> None:
        """Every knob back to a healthy printer (online, full speed, no drops)."""
        self.slow = None
        self.drop_after = None
        self.offline = False
        for name in BLOCKING_KNOBS:
            self.set_fault(name, False)

    @property
    def offline(self) -> bool:
        """True: the port refuses connections and the pty is gone."""
        return self._offline

    @offline.setter
    def offline(self, value: bool) -> None:
        with self._cond:
            if value == self._offline:
                return
            self._offline = value
            if value:
                listener, self._listener = self._listener, None
                link, self._link = self._link, None
                connections, self._connections = self._connections, []
            else:
                self._listener = self._listen(self._host, self.port)
                self._link = PtyLink() if self._want_pty else None
                listener, link, connections = None, None, []
        self._release(listener, link, connections)

    @classmethod
    def _release(cls, listener: socket.socket | None, link: PtyLink | None,
                 connections: list[_Connection]) -> None:
        """Close what was taken out of service: client connections, the listener, the pty."""
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.sock.close()
        if listener is not None:
            cls._unlisten(listener)
        if link is not None:
            link.close()

    @staticmethod
    def _unlisten(listener: socket.socket) -> None:
        """Stop listening now: shutdown first (a thread in select() keeps a closed fd alive)."""
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()

    # -- what it shows ------------------------------------------------------------------------
    def status(self) -> PrinterStatus:
        """What ~HS reports right now."""
        with self._cond:
            partial = self._pty_splitter.partial or any(c.splitter.partial for c in self._connections)
            return PrinterStatus(
                paper_out=self._faults["paper_out"], paused=self._faults["paused"],
                head_open=self._faults["head_open"], ribbon_out=self._faults["ribbon_out"],
                formats_in_buffer=min(len(self.waiting), 999), partial_format=partial,
                label_length_dots=1218 if self.dpi < 300 else 1800,
                communication_settings=30, function_settings=1, print_mode=2,
                format_while_printing=True)

    def host_status_reply(self) -> bytes:
        """The exact ~HS answer bytes (three <STX>..<ETX><CR><LF> strings)."""
        return format_host_status(self.status())

    def wait_for_labels(self, n: int, timeout_s: float = 5.0) -> bool:
        """Block until at least ``n`` labels printed (True) or ``timeout_s`` passed (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.labels) >= n, timeout_s)

    def wait_for_waiting(self, n: int, timeout_s: float = 5.0) -> bool:
        """Block until at least ``n`` formats wait in the receive buffer."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self.waiting) >= n, timeout_s)

    # -- printing -----------------------------------------------------------------------------
    def _blocked_locked(self) -> bool:
        return any(self._faults.values())

    def _print_waiting_locked(self) -> None:
        while self.waiting and not self._blocked_locked():
            label = self.waiting.pop(0)
            label.printed_at = time.time()
            self.labels.append(label)

    def _receive_format(self, data: bytes, via: str) -> None:
        label = ReceivedLabel(data, time.time(), via)
        if self.inspect:
            inspect_label(label, self.dpi)
        with self._cond:
            self.waiting.append(label)
            self._print_waiting_locked()
            self._cond.notify_all()

    def _handle(self, items: list[tuple[str, bytes]], via: str) -> bytes:
        """Act on split items; the bytes to answer."""
        reply = b""
        for kind, data in items:
            if kind == "status":
                with self._cond:
                    self.status_queries += 1
                reply += self.host_status_reply()
            else:
                self._receive_format(data, via)
        return reply

    # -- TCP ----------------------------------------------------------------------------------
    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(8)
        return sock

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            listener = self._listener
            if listener is None:
                self._stop.wait(POLL_S)
                continue
            try:
                ready, _, _ = select.select([listener], [], [], POLL_S)
                if not ready:
                    continue
                sock, _ = listener.accept()
            except (OSError, ValueError):  # closed by offline/close meanwhile
                continue
            conn = _Connection(sock)
            with self._cond:
                if self._offline:
                    sock.close()
                    continue
                self._connections.append(conn)
                self.connections_accepted += 1
            threading.Thread(target=self._serve, args=(conn,), name="sim-printer-conn",
                             daemon=True).start()

    def _chunk_size(self) -> int:
        rate = self.slow
        return 4096 if not rate else max(1, int(rate * POLL_S))

    def _serve(self, conn: _Connection) -> None:
        sock, job_bytes = conn.sock, 0
        sock.settimeout(POLL_S)
        try:
            while not self._stop.is_set():
                try:
                    data = sock.recv(self._chunk_size())
                except TimeoutError:
                    continue
                if not data:
                    return
                limit = self.drop_after
                counted = len(data) - data.count(b"~HS") * 3
                if limit is not None and job_bytes + counted >= limit:
                    data = data[: max(0, limit - job_bytes)]
                    self._handle(conn.splitter.feed(data), "tcp")
                    return  # the connection drops mid-job
                job_bytes += counted
                reply = self._handle(conn.splitter.feed(data), "tcp")
                if reply:
                    sock.sendall(reply)
                if self.slow:
                    self._stop.wait(len(data) / self.slow)
        except OSError:
            return
        finally:
            with self._cond:
                if conn in self._connections:
                    self._connections.remove(conn)
            with contextlib.suppress(OSError):
                sock.close()

    # -- pty (USB printer class stand-in) -----------------------------------------------------
    def _pty_loop(self) -> None:
        job_bytes = 0
        while not self._stop.is_set():
            link = self._link
            if link is None:
                self._stop.wait(POLL_S)
                continue
            try:
                data = link.read(POLL_S)
            except (OSError, ValueError):  # closed by offline/close meanwhile
                continue
            if not data:
                continue
            limit = self.drop_after
            counted = len(data) - data.count(b"~HS") * 3
            if limit is not None and job_bytes + counted >= limit:
                self._handle(self._pty_splitter.feed(data[: max(0, limit - job_bytes)]), "pty")
                self._pty_splitter.reset()
                job_bytes = 0
                with self._cond:  # unplugged: a new device node appears at once (replugged)
                    old, self._link = self._link, PtyLink()
                if old is not None:
                    old.close()
                continue
            job_bytes += counted
            reply = self._handle(self._pty_splitter.feed(data), "pty")
            if reply:
                with contextlib.suppress(OSError):
                    link.write(reply)
            if self.slow:
                self._stop.wait(len(data) / self.slow)

    # -- life ---------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop serving; close the port, connections and pty (idempotent)."""
        self._stop.set()
        with self._cond:
            listener, self._listener = self._listener, None
            link, self._link = self._link, None
            connections, self._connections = self._connections, []
        for thread in self._threads:
            thread.join(timeout=2)
        self._release(listener, link, connections)

    def __enter__(self) -> SimulatedPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
