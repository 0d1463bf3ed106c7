"""Serial / USB CDC-ACM scanner source: one code per line, read in a thread through serial_for_url.

Real ports, ``socket://host:port``, ``loop://`` and the simulator's pty all take the same path
(pyserial ``serial_for_url``). A lost port becomes state ERROR with the reason, and the thread
re-opens it every ``reopen_interval_s`` until it is back (or ``retarget`` names a new port).
"""

from __future__ import annotations

import contextlib
import threading
import time

import serial

from drivers.scanner.plausibility import DEFAULT_MIN_CHARS
from drivers.scanner.profile import SERIAL_SUFFIX_BYTES, ScannerProfile, SerialSettings
from drivers.scanner.status import OnScan, OnStatus, ScanSink, SourceThread
from drivers.state import DeviceState

_LINE_ENDS = (b"\r", b"\n", b"\r\n")


class LineFramer:
    """Pure framing: bytes in, complete lines out; over-long and stale partial lines are dropped."""

    def __init__(self, suffix: bytes = b"\r", max_chars: int = 4096) -> None:
        # CR, LF and CR LF all end a line when any of them is configured (scanners get
        # reprogrammed; an empty line between CR and LF is skipped, not a scan).
        self._ends = b"\r\n" if suffix in _LINE_ENDS else suffix
        self.max_chars = max_chars
        self._buffer = bytearray()
        self._discarding = False
        self.dropped: list[str] = []

    def feed(self, data: bytes) -> list[bytes]:
        """Append ``data``; return the complete lines (without terminator), oldest first."""
        lines: list[bytes] = []
        for byte in data:
            if byte in self._ends:
                if self._discarding:
                    self._discarding = False
                elif self._buffer:
                    lines.append(bytes(self._buffer))
                self._buffer.clear()
            elif self._discarding:
                continue
            elif len(self._buffer) >= self.max_chars:
                self.dropped.append(f"line longer than {self.max_chars} bytes dropped")
                self._buffer.clear()
                self._discarding = True
            else:
                self._buffer.append(byte)
        return lines

    def drop_partial(self, reason: str) -> bool:
        """Forget a partial line (e.g. after silence); True when there was one."""
        had = bool(self._buffer) or self._discarding
        if self._buffer:
            self.dropped.append(f"partial line of {len(self._buffer)} bytes dropped: {reason}")
        elif self._discarding:
            self.dropped.append(f"rest of an over-long line dropped: {reason}")
        self._buffer.clear()
        self._discarding = False
        return had

    @property
    def skipping(self) -> bool:
        """True while the rest of an over-long line is being thrown away."""
        return self._discarding

    @property
    def mid_line(self) -> bool:
        """True while a line is open: bytes buffered, or an over-long line still being skipped.

        The silence timeout must also end the skipping, or the next good scan after an
        unterminated burst of noise would be swallowed as the noise's tail.
        """
        return bool(self._buffer) or self._discarding


class SerialScannerSource(SourceThread):
    """Reads one serial scanner in a daemon thread; ``on_scan`` / ``on_status`` run in it."""

    def __init__(
        self,
        url: str,
        *,
        device: str | None = None,
        suffix: bytes = b"\r",
        settings: SerialSettings | None = None,
        max_chars: int = 4096,
        min_chars: int = DEFAULT_MIN_CHARS,
        on_scan: OnScan | None = None,
        on_status: OnStatus | None = None,
        partial_timeout_s: float = 0.5,
        reopen_interval_s: float = 0.5,
        read_timeout_s: float = 0.05,
    ) -> None:
        if suffix not in SERIAL_SUFFIX_BYTES.values():
            raise ValueError(f"suffix {suffix!r} is not one of CR, LF, CR LF, Tab")
        self.url = url
        self.settings = settings or SerialSettings()
        self.partial_timeout_s = partial_timeout_s
        self.reopen_interval_s = reopen_interval_s
        self.read_timeout_s = read_timeout_s
        self._framer = LineFramer(suffix, max_chars)
        self._sink = ScanSink(device or url, on_scan, on_status, min_chars)
        super().__init__()
        self.thread_name = f"scanner:{url}"
        self._retarget = threading.Event()
        self._port: serial.SerialBase | None = None

    @classmethod
    def from_profile(
        cls,
        url: str,
        profile: ScannerProfile,
        *,
        device: str | None = None,
        on_scan: OnScan | None = None,
        on_status: OnStatus | None = None,
    ) -> SerialScannerSource:
        """A source set up as ``profile`` says (suffix, line settings, length limit)."""
        if profile.serial is None:
            raise ValueError(f"profile {profile.vendor} {profile.model} is not a serial scanner")
        return cls(
            url,
            suffix=profile.suffix_bytes,
            settings=profile.serial,
            max_chars=profile.max_chars,
            min_chars=profile.min_chars,
            device=device,
            on_scan=on_scan,
            on_status=on_status,
        )

    @property
    def line_open(self) -> bool:
        """True while an unterminated line is buffered or being skipped (noise, a cut scan)."""
        return self._framer.mid_line

    def retarget(self, url: str) -> None:
        """Read from another port from now on (the device came back under a new name)."""
        self.url = url
        self._retarget.set()

    def _open(self) -> serial.SerialBase | None:
        self._sink.report(DeviceState.CONNECTING, f"opening {self.url}")
        try:
            port = serial.serial_for_url(
                self.url,
                baudrate=self.settings.baudrate,
                bytesize=self.settings.bytesize,
                parity=self.settings.parity,
                stopbits=self.settings.stopbits,
                rtscts=self.settings.rtscts,
                timeout=self.read_timeout_s,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            self._sink.report(DeviceState.ERROR, f"cannot open {self.url}: {exc}")
            return None
        self._sink.report(DeviceState.READY, f"reading {self.url}")
        return port

    def _run(self) -> None:
        while not self._stop.is_set():
            self._retarget.clear()
            port = self._open()
            if port is None:
                self._stop.wait(self.reopen_interval_s)
                continue
            try:
                reason = self._read_until_lost(port)
            finally:
                self._framer.drop_partial("port closed")
                self._flush_dropped()
                with contextlib.suppress(serial.SerialException, OSError):
                    port.close()
            if reason and not self._stop.is_set():
                self._sink.report(DeviceState.ERROR, reason)
                self._stop.wait(self.reopen_interval_s)

    def _read_until_lost(self, port: serial.SerialBase) -> str:
        """Read lines until stop, retarget or a port error; return the error reason ('' if none)."""
        last_byte_at = time.monotonic()
        while not self._stop.is_set() and not self._retarget.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                return f"disconnected from {self.url}: {exc}"
            now = time.monotonic()
            if data:
                last_byte_at = now
                for line in self._framer.feed(data):
                    self._sink.deliver(line.decode("utf-8", errors="replace"))
            elif self._framer.skipping:  # quiet for read_timeout_s: the over-long line ended
                self._framer.drop_partial("line noise ended")
            if self._framer.mid_line and now - last_byte_at > self.partial_timeout_s:
                self._framer.drop_partial(f"no terminator for {self.partial_timeout_s} s")
            self._flush_dropped()
        return ""

    def _flush_dropped(self) -> None:
        for reason in self._framer.dropped:
            self._sink.garbage(reason)
        self._framer.dropped.clear()
