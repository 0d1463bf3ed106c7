"""Standalone simulators' command loop: stdin lines while there are any, then serve until a signal.

A simulator started in the background or by a service manager has no terminal: its stdin is at
EOF at once. It keeps serving its port until SIGTERM or SIGINT (or a ``quit`` line).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from drivers.signals import stop_on_signals

__all__ = ["serve", "stop_on_signals"]


def serve(obey: Callable[[str], bool], stop: threading.Event) -> None:
    """Feed every stdin line to ``obey`` (False = quit); return on quit or once ``stop`` is set."""

    def read() -> None:
        for line in sys.stdin:
            if not obey(line):
                stop.set()
                return
        # end of input: no more commands, but the port stays served until a signal

    threading.Thread(target=read, name="sim-commands", daemon=True).start()
    stop.wait()
