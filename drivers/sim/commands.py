"""Standalone simulators' command loop: stdin lines while there are any, then serve until a signal.

A simulator started in the background or by a service manager has no terminal: its stdin is at
EOF at once. It keeps serving its port until SIGTERM or SIGINT (or a ``quit`` line).
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any


def serve(obey: Callable[[str], bool]) -> None:
    """Feed every stdin line to ``obey`` (False = quit); return on quit, SIGTERM or SIGINT."""
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def read() -> None:
        for line in sys.stdin:
            if not obey(line):
                stop.set()
                return
        # end of input: no more commands, but the port stays served until a signal

    threading.Thread(target=read, name="sim-commands", daemon=True).start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
