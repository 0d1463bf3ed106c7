"""The audit anchor written off the request path: one thread appends the newest head, bursts coalesced.

A bench step commits (the database's own fsync makes it durable) and hands the new audit head to
this writer instead of fsyncing the anchor file itself, which took a second fsync out of every
scan, weight and photo. The writer appends the newest head it was given (a burst of commits
gives one line: an anchor says "the log holds at least row N with this hash", so the newest
head covers the ones before it) and fsyncs.

What a crash can cost: the heads of the last few milliseconds are not anchored yet. The anchor
file is then behind the log, never ahead of it, which ``station audit verify`` accepts: an
anchor only proves that the rows up to it exist unchanged. The next commit anchors again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from station.audit import AnchorFile

log = logging.getLogger(__name__)


def write_anchor(anchors: AnchorFile, seq: int, hash_: str) -> str | None:
    """Append one head to the anchor file; the problem to report when it cannot be written."""
    try:
        anchors.append(seq, hash_)
    except OSError as exc:
        problem = f"audit anchor file {anchors.path} not written: {exc}"
        log.error("%s (the step itself was committed; run `station audit verify`)", problem)
        return problem
    return None


class AnchorWriter:
    """Appends the newest submitted audit head to the anchor file from its own thread."""

    def __init__(self, anchors: AnchorFile, on_result: Callable[[str | None], None]) -> None:
        self.anchors = anchors
        self._on_result = on_result
        self._cond = threading.Condition()
        self._pending: tuple[int, str] | None = None
        self._written_seq = 0
        self._submitted_seq = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)
        self._thread.start()

    def submit(self, seq: int, hash_: str) -> None:
        """Anchor this head soon (a newer head submitted before it is written replaces it)."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the anchor writer is closed")
            if self._pending is None or seq > self._pending[0]:
                self._pending = (seq, hash_)
            self._submitted_seq = max(self._submitted_seq, seq)
            self._cond.notify_all()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every submitted head is written (or its write failed); False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending is None and self._written_seq >= self._submitted_seq,
                timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is pending, then stop the thread."""
        self.flush(timeout_s)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._pending is None:
                    return
                seq, hash_ = self._pending
                self._pending = None
            self._on_result(write_anchor(self.anchors, seq, hash_))
            with self._cond:
                # A failed write counts as done: the next commit anchors a newer head anyway.
                self._written_seq = max(self._written_seq, seq)
                self._cond.notify_all()
