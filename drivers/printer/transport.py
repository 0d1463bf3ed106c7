"""Ways to reach a printer: raw TCP (port 9100), a USB printer class device (/dev/usb/lp*), a CUPS raw queue.

Every failure is a typed PrinterError whose reason says what to do; no OSError escapes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Protocol

from drivers.printer.errors import (
    PrinterOffline,
    PrinterSendFailed,
    PrinterStatusError,
    TransportSpecError,
)
from drivers.printer.status import MAX_REPLY_BYTES, reply_complete

#: What status() says for a CUPS queue: CUPS spools the job and hands back nothing.
CUPS_NO_STATUS = "status is not available through a CUPS raw queue (CUPS returns no ~HS answer)"


class Transport(Protocol):
    """A byte pipe to one printer."""

    description: str
    can_answer_status: bool

    def send(self, data: bytes) -> None: ...
    def query(self, request: bytes, timeout_s: float, *, retry_stale: bool = False) -> bytes: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class TransportSpec:
    """A parsed spec: ``kind`` tcp/usb/cups and its target."""

    kind: str
    target: str
    port: int | None = None
    server: str | None = None


def parse_spec(spec: str) -> TransportSpec:
    """``tcp://host[:port]``, ``usb:/dev/usb/lp0``, ``cups:queue[@server[:port]]``; TransportSpecError otherwise."""
    usage = "use tcp://HOST[:PORT], usb:/dev/usb/lpN or cups:QUEUE[@SERVER]"
    if spec.startswith("tcp://"):
        rest = spec.removeprefix("tcp://").rstrip("/")
        host, sep, port_text = rest.rpartition(":")
        if not sep:
            host, port_text = rest, ""
        host = host.strip("[]")
        if not host or "/" in host:
            raise TransportSpecError(f"{spec!r}: no host; {usage}")
        if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
            raise TransportSpecError(f"{spec!r}: port {port_text!r} is not 1-65535; {usage}")
        return TransportSpec("tcp", host, int(port_text) if port_text else None)
    if spec.startswith("usb:"):
        path = spec.removeprefix("usb:")
        if not path.startswith("/"):
            raise TransportSpecError(f"{spec!r}: the device must be an absolute path; {usage}")
        return TransportSpec("usb", path)
    if spec.startswith("cups:"):
        queue, _, server = spec.removeprefix("cups:").partition("@")
        if not queue or any(c in queue for c in " /#\t"):
            raise TransportSpecError(f"{spec!r}: {queue!r} is not a CUPS queue name; {usage}")
        return TransportSpec("cups", queue, server=server or None)
    raise TransportSpecError(f"{spec!r} is not a printer transport; {usage}")


def _reason(exc: OSError) -> str:
    """A short readable cause for an OSError."""
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__


class TcpTransport:
    """Raw TCP to the printer's print server; one connection, reopened after a failure."""

    can_answer_status = True

    def __init__(self, host: str, port: int = 9100, *, connect_timeout_s: float = 3.0,
                 read_timeout_s: float = 3.0) -> None:
        self.host, self.port = host, port
        self.connect_timeout_s, self.read_timeout_s = connect_timeout_s, read_timeout_s
        self.description = f"tcp://{host}:{port}"
        self._sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        if self._sock is not None:
            return self._sock
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout_s)
        except ConnectionRefusedError as exc:
            raise PrinterOffline(f"{self.description}: connection refused (printer off, or its "
                                 "print server disabled?)") from exc
        except TimeoutError as exc:
            raise PrinterOffline(f"{self.description}: connection timed out after "
                                 f"{self.connect_timeout_s:g} s (wrong address or network down?)") from exc
        except socket.gaierror as exc:
            raise PrinterOffline(f"{self.description}: unknown host ({exc.strerror})") from exc
        except OSError as exc:
            raise PrinterOffline(f"{self.description}: cannot connect: {_reason(exc)}") from exc
        sock.settimeout(self.read_timeout_s)
        # A job is a write followed by a small ~HS query: without this, Nagle's algorithm holds
        # the query until the printer's delayed ACK of the job (about 40 ms on Linux).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        return sock

    def send(self, data: bytes) -> None:
        """Send a whole job; PrinterOffline before the first byte, PrinterSendFailed after."""
        sock = self._connect()
        try:
            sock.sendall(data)
        except OSError as exc:
            self.close()
            raise PrinterSendFailed(f"{self.description}: connection lost while sending "
                                    f"({_reason(exc)}); the label may not have printed") from exc

    def query(self, request: bytes, timeout_s: float, *, retry_stale: bool = False) -> bytes:
        """Send ``request`` and read until three status strings arrived.

        ``retry_stale``: a kept connection the printer closed meanwhile is reopened once (never
        for the confirmation after a job: that would hide a connection dropped mid-job).
        """
        reused = self._sock is not None
        try:
            return self._query_once(request, timeout_s)
        except PrinterSendFailed:
            if not (retry_stale and reused):
                raise
        return self._query_once(request, timeout_s)

    def _query_once(self, request: bytes, timeout_s: float) -> bytes:
        sock = self._connect()
        try:
            sock.sendall(request)
            reply = b""
            deadline = time.monotonic() + timeout_s
            while not reply_complete(reply):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PrinterOffline(f"{self.description}: no complete host status within "
                                         f"{timeout_s:g} s")
                sock.settimeout(remaining)
                chunk = sock.recv(512)
                if not chunk:
                    raise PrinterSendFailed(f"{self.description}: the printer closed the connection")
                reply += chunk
                if len(reply) > MAX_REPLY_BYTES:
                    raise PrinterStatusError(f"{self.description}: garbage instead of a host status")
            return reply
        except TimeoutError as exc:
            self.close()
            raise PrinterOffline(f"{self.description}: no host status within {timeout_s:g} s "
                                 "(timed out)") from exc
        except OSError as exc:
            self.close()
            raise PrinterSendFailed(f"{self.description}: connection lost ({_reason(exc)})") from exc
        except (PrinterOffline, PrinterSendFailed, PrinterStatusError):
            self.close()
            raise

    def close(self) -> None:
        """Close the connection (idempotent); the next call reconnects."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


class UsbTransport:
    """A USB printer class device (usblp: /dev/usb/lpN) opened read/write; ~HS answers are read back."""

    can_answer_status = True

    def __init__(self, path: str, *, write_timeout_s: float = 10.0) -> None:
        self.path = path
        self.description = f"usb:{path}"
        self.write_timeout_s = write_timeout_s
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except FileNotFoundError as exc:
            raise PrinterOffline(f"{self.path} is not there: printer unplugged, switched off or "
                                 "the usblp driver not loaded") from exc
        except PermissionError as exc:
            raise PrinterOffline(f"{self.path}: permission denied (install the udev rules and add "
                                 "the station's user to the plugdev group)") from exc
        except OSError as exc:
            raise PrinterOffline(f"cannot open {self.path}: {_reason(exc)}") from exc
        self._fd = fd
        return fd

    def send(self, data: bytes) -> None:
        """Write the whole job; PrinterSendFailed when the device goes away part-way."""
        fd = self._open()
        view = memoryview(data)
        deadline = time.monotonic() + self.write_timeout_s
        try:
            while view:
                try:
                    view = view[os.write(fd, view):]
                except BlockingIOError:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PrinterSendFailed(f"{self.path}: the printer stopped taking data for "
                                                f"{self.write_timeout_s:g} s") from None
                    select.select([], [fd], [], min(remaining, 0.5))
        except OSError as exc:
            self.close()
            gone = exc.errno in (errno.EIO, errno.ENODEV, errno.ENXIO, errno.EPIPE)
            raise PrinterSendFailed(f"{self.path}: {'device gone' if gone else _reason(exc)} while "
                                    "sending; the label may not have printed") from exc

    def query(self, request: bytes, timeout_s: float, *, retry_stale: bool = False) -> bytes:
        """Write ``request``; read the reply from the same device until complete."""
        self.send(request)
        fd = self._open()
        reply = b""
        deadline = time.monotonic() + timeout_s
        try:
            while not reply_complete(reply):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PrinterOffline(f"{self.path}: no complete host status within "
                                         f"{timeout_s:g} s (timed out)")
                ready, _, _ = select.select([fd], [], [], remaining)
                if not ready:
                    continue
                try:
                    chunk = os.read(fd, 512)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise PrinterSendFailed(f"{self.path}: device gone")
                reply += chunk
                if len(reply) > MAX_REPLY_BYTES:
                    raise PrinterStatusError(f"{self.path}: garbage instead of a host status")
        except OSError as exc:
            self.close()
            raise PrinterSendFailed(f"{self.path}: device gone ({_reason(exc)})") from exc
        except (PrinterOffline, PrinterSendFailed, PrinterStatusError):
            self.close()
            raise
        return reply

    def close(self) -> None:
        """Close the device (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


class CupsTransport:
    """A CUPS raw queue: each job is ``lp -d QUEUE -o raw`` with the ZPL on stdin; no status."""

    can_answer_status = False

    def __init__(self, queue: str, *, server: str | None = None, timeout_s: float = 30.0,
                 lp: str = "lp") -> None:
        self.queue, self.server, self.timeout_s, self.lp = queue, server, timeout_s, lp
        self.description = f"cups:{queue}" + (f"@{server}" if server else "")

    def send(self, data: bytes) -> None:
        """Hand the job to CUPS; PrinterOffline when lp is missing or the queue refuses it."""
        lp = shutil.which(self.lp)
        if lp is None:
            raise PrinterOffline(f"{self.description}: the lp command is not installed "
                                 "(Debian package cups-client)")
        command = [lp, "-d", self.queue, "-o", "raw"]
        if self.server:
            command[1:1] = ["-h", self.server]
        try:
            done = subprocess.run(command, input=data, capture_output=True,
                                  timeout=self.timeout_s, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PrinterOffline(f"{self.description}: lp did not finish within "
                                 f"{self.timeout_s:g} s (is the CUPS scheduler running?)") from exc
        except OSError as exc:
            raise PrinterOffline(f"{self.description}: cannot run lp: {_reason(exc)}") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            first = message[0] if message else f"lp exited with {done.returncode}"
            raise PrinterOffline(f"{self.description}: CUPS refused the job: {first[:200]}")

    def query(self, request: bytes, timeout_s: float, *, retry_stale: bool = False) -> bytes:
        """Not possible through CUPS."""
        raise PrinterOffline(f"{self.description}: {CUPS_NO_STATUS}")

    def close(self) -> None:
        """Nothing is held open between jobs."""


def open_transport(spec: str | TransportSpec, *, tcp_port: int = 9100,
                   connect_timeout_s: float = 3.0, read_timeout_s: float = 3.0) -> Transport:
    """A transport for ``spec`` (nothing is opened until the first send or query)."""
    parsed = parse_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind == "tcp":
        return TcpTransport(parsed.target, parsed.port or tcp_port,
                            connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s)
    if parsed.kind == "usb":
        return UsbTransport(parsed.target)
    return CupsTransport(parsed.target, server=parsed.server)
