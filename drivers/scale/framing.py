"""Cutting a byte stream into frames: terminator or fixed length, max length, garbage counted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framing:
    """How a protocol delimits frames on the wire.

    ``terminator``: bytes ending every frame (empty for fixed-length frames).
    ``start``: optional byte(s) that begin a frame; bytes before it are garbage.
    ``fixed_len``: frame length for binary protocols (USB HID reports); 0 = use terminator.
    ``max_len``: longest frame accepted; a longer run without terminator is dropped as garbage.
    """

    terminator: bytes = b"\r\n"
    start: bytes = b""
    fixed_len: int = 0
    max_len: int = 64


class FrameSplitter:
    """Feed bytes in, get whole frames out; counts the bytes it had to throw away."""

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self._buffer = bytearray()
        self.garbage_bytes = 0

    def reset(self, count_as_garbage: bool = False) -> None:
        """Forget a partial frame (after a reconnect, or a stale one before a new request)."""
        if count_as_garbage:
            self.garbage_bytes += len(self._buffer)
        self._buffer.clear()

    def pending(self) -> int:
        """Bytes held that do not yet form a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        """Append ``data``; return the complete frames now available (terminator included)."""
        self._buffer.extend(data)
        frames: list[bytes] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return frames
            frames.append(frame)

    def _drop(self, count: int) -> None:
        del self._buffer[:count]
        self.garbage_bytes += count

    def _sync_to_start(self) -> bool:
        start = self.framing.start
        if not start:
            return True
        index = self._buffer.find(start)
        if index < 0:
            keep = len(start) - 1  # a start marker may be split across reads
            if len(self._buffer) > keep:
                self._drop(len(self._buffer) - keep)
            return False
        if index:
            self._drop(index)
        return True

    def _next_frame(self) -> bytes | None:
        if not self._sync_to_start():
            return None
        framing = self.framing
        if framing.fixed_len:
            if len(self._buffer) < framing.fixed_len:
                return None
            frame = bytes(self._buffer[: framing.fixed_len])
            del self._buffer[: framing.fixed_len]
            return frame
        end = self._buffer.find(framing.terminator)
        if end < 0 or end + len(framing.terminator) > framing.max_len:
            if end >= 0 or len(self._buffer) > framing.max_len:
                # no terminator within max_len: drop through the terminator (or all but a tail)
                cut = end + len(framing.terminator) if end >= 0 else len(self._buffer)
                self._drop(cut)
                return self._next_frame()
            return None
        cut = end + len(framing.terminator)
        frame = bytes(self._buffer[:cut])
        del self._buffer[:cut]
        return frame
