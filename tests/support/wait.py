"""Waiting in tests: poll a condition until it holds or the time is up (never a fixed sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable

#: How long a test waits for a device thread, a subprocess or a server by default.
WAIT_S = 5.0


def wait_until(condition: Callable[[], object], timeout_s: float = WAIT_S, *,
               interval_s: float = 0.01) -> bool:
    """Poll ``condition`` until it is truthy; the last answer (True/False) when time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return bool(condition())
