"""One way to open a scale: pyserial serial_for_url (port, socket://, loop://, pty) or hidraw."""

from __future__ import annotations

import contextlib
import termios
import time
from typing import Protocol

import serial

from drivers.scale.framing import FrameSplitter, Framing
from drivers.scale.hid import HidLink
from drivers.scale.profile import ScaleProfile


class Link(Protocol):
    """A byte pipe to a scale."""

    def read(self, timeout_s: float) -> bytes: ...  # b"" on timeout; OSError when gone
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class SerialLink:
    """A pyserial port from any URL pyserial knows; read returns what arrived within a timeout."""

    def __init__(self, url: str, profile: ScaleProfile) -> None:
        settings = profile.serial
        kwargs: dict[str, object] = {
            "baudrate": settings.baudrate,
            "bytesize": settings.bytesize,
            "parity": settings.parity,
            "stopbits": settings.stopbits,
            "timeout": self.READ_SLICE_S,
        }
        if "://" not in url:
            kwargs["exclusive"] = True  # flock on POSIX ports; URL handlers do not support it
        try:
            self._port = serial.serial_for_url(url, **kwargs)
        except (serial.SerialException, ValueError, termios.error) as exc:
            raise OSError(f"cannot open {url}: {exc}") from exc
        self.url = url

    #: The port timeout is set once: changing it re-applies termios settings on every read,
    #: which some ports (ptys with parity settings) refuse.
    READ_SLICE_S = 0.01

    def read(self, timeout_s: float) -> bytes:
        """Bytes available within ``timeout_s`` (the first chunk, not waiting for more)."""
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                first = self._port.read(1)
                if first:
                    waiting = self._port.in_waiting
                    return first + (self._port.read(waiting) if waiting else b"")
                if time.monotonic() >= deadline:
                    return b""
        except (serial.SerialException, termios.error, TypeError, AttributeError) as exc:
            raise OSError(f"{self.url}: {exc}") from exc

    def write(self, data: bytes) -> None:
        """Send request bytes."""
        try:
            self._port.write(data)
        except (serial.SerialException, termios.error, TypeError, AttributeError) as exc:
            raise OSError(f"{self.url}: {exc}") from exc

    def close(self) -> None:
        """Close the port (idempotent)."""
        with contextlib.suppress(serial.SerialException, OSError):
            self._port.close()


def open_link(profile: ScaleProfile, url: str) -> Link:
    """Open ``url`` the way ``profile`` needs; OSError with a readable reason on failure."""
    if profile.protocol == "hid_pos":
        path = url.removeprefix("hidraw://")
        try:
            return HidLink(path)
        except OSError as exc:
            raise OSError(f"cannot open {path}: {exc.strerror or exc}") from exc
    return SerialLink(url, profile)


class FrameReader:
    """Frames from a link: bounded length, read timeouts, garbage dropped and counted."""

    def __init__(self, link: Link, framing: Framing) -> None:
        self.link = link
        self.splitter = FrameSplitter(framing)
        self._ready: list[bytes] = []

    @property
    def garbage_bytes(self) -> int:
        """Bytes dropped so far because they formed no frame."""
        return self.splitter.garbage_bytes

    def read_frame(self, timeout_s: float) -> bytes | None:
        """The next frame within ``timeout_s``, or None; OSError when the link is gone."""
        deadline = time.monotonic() + timeout_s
        while not self._ready:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            data = self.link.read(remaining)
            if data:
                self._ready.extend(self.splitter.feed(data))
        return self._ready.pop(0)

    def discard(self) -> None:
        """Drop frames and partial bytes held (stale replies before a new request)."""
        self._ready.clear()
        self.splitter.reset(count_as_garbage=True)
