"""The simulated printer's input side: cutting bytes into ^XA..^XZ formats and ~HS queries, and its knob names."""

from __future__ import annotations

#: Knobs that stop printing (formats wait in the receive buffer until they clear).
BLOCKING_KNOBS = ("paper_out", "head_open", "paused", "ribbon_out")
#: Every knob ``station sim printer`` accepts on stdin.
KNOB_NAMES = (*BLOCKING_KNOBS, "offline", "slow", "drop_after")

FORMAT_START, FORMAT_END, HOST_STATUS = b"^XA", b"^XZ", b"~HS"
#: A format still open after this many bytes is dropped (a real receive buffer is finite).
MAX_FORMAT_BYTES = 4 * 1024 * 1024


class FormatSplitter:
    """Feeds bytes; returns ("format", bytes of one ^XA..^XZ) and ("status", b"~HS") in arrival order.

    Control (tilde) commands are acted on as soon as they arrive between formats; bytes outside
    any format that are no command are ignored, as a printer ignores them.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.ignored_bytes = 0

    @property
    def partial(self) -> bool:
        """True while a format has started (^XA) but not ended (^XZ): ~HS "partial format"."""
        return self._buffer.startswith(FORMAT_START)

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        """Add ``data``; the complete items it finished."""
        self._buffer += data
        out: list[tuple[str, bytes]] = []
        while True:
            buf = self._buffer
            start, query = buf.find(FORMAT_START), buf.find(HOST_STATUS)
            if query >= 0 and (start < 0 or query < start):
                self.ignored_bytes += query
                del buf[: query + len(HOST_STATUS)]
                out.append(("status", HOST_STATUS))
                continue
            if start < 0:
                keep = 2 if len(buf) >= 2 and buf[-2:] in (b"^X", b"~H") else (
                    1 if buf[-1:] in (b"^", b"~") else 0)
                self.ignored_bytes += len(buf) - keep
                del buf[: len(buf) - keep]
                return out
            if start:
                self.ignored_bytes += start
                del buf[:start]
            end = buf.find(FORMAT_END, len(FORMAT_START))
            if end < 0:
                if len(buf) > MAX_FORMAT_BYTES:
                    self.ignored_bytes += len(buf)
                    buf.clear()
                return out
            out.append(("format", bytes(buf[: end + len(FORMAT_END)])))
            del buf[: end + len(FORMAT_END)]

    def reset(self) -> None:
        """Forget a partial format (the connection it came on closed)."""
        self._buffer.clear()
