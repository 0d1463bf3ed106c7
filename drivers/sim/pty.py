"""A real pseudo-terminal for simulators: the daemon opens the slave path like any serial port."""

from __future__ import annotations

import contextlib
import os
import select
import termios
import tty


class PtyLink:
    """Master side of an os.openpty() pair; ``port`` is the path a serial driver opens."""

    def __init__(self) -> None:
        self.master_fd, self._slave_fd = os.openpty()
        tty.setraw(self._slave_fd)
        attrs = termios.tcgetattr(self._slave_fd)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(self._slave_fd, termios.TCSANOW, attrs)
        self.port: str = os.ttyname(self._slave_fd)
        self._closed = False

    def write(self, data: bytes) -> None:
        """Send bytes to whoever opened ``port``."""
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master_fd, view)
            except BlockingIOError:  # the pty buffer is full: wait until the driver reads
                select.select([], [self.master_fd], [], 1.0)
                continue
            view = view[written:]

    def read(self, timeout_s: float) -> bytes:
        """Bytes the driver sent, or b'' when nothing arrived within ``timeout_s``."""
        ready, _, _ = select.select([self.master_fd], [], [], timeout_s)
        if not ready:
            return b""
        try:
            return os.read(self.master_fd, 4096)
        except OSError:  # the other side closed: a pty reports EIO
            return b""

    def close(self) -> None:
        """Close both ends; a driver reading the port then sees it go away."""
        if self._closed:
            return
        self._closed = True
        for fd in (self.master_fd, self._slave_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
