"""Stopping a long-running process cleanly: an event that SIGTERM and SIGINT set."""

from __future__ import annotations

import signal
import threading
from typing import Any


def stop_on_signals() -> threading.Event:
    """An event SIGTERM and SIGINT set (the process ends at its next safe point).

    Install it before announcing a port or starting work, so a signal that comes right after the
    announcement still ends the process cleanly instead of killing it.
    """
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    return stop
