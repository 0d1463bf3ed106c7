"""Sign-in throttling per badge / username and per client address, with "try again in N s"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Failures allowed inside the window before the key is locked out.
MAX_FAILURES = 5
WINDOW_S = 15 * 60
#: Lock-out after the limit: 30 s, doubling with every further failure, at most 15 min.
BASE_LOCKOUT_S = 30.0
MAX_LOCKOUT_S = 15 * 60.0
#: An address gets more room than one badge (a shared bench has many people on one IP).
IP_FACTOR = 4


@dataclass
class _Record:
    failures: list[float]
    locked_until: float = 0.0


class LoginThrottle:
    """Counts failed sign-ins per key; ``retry_after`` says how long a key must wait."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    def _limit(self, key: str) -> int:
        return MAX_FAILURES * IP_FACTOR if key.startswith("ip:") else MAX_FAILURES

    def retry_after(self, *keys: str) -> int:
        """Seconds until every key may try again (0 = go ahead)."""
        now = self._clock()
        with self._lock:
            waits = [r.locked_until - now for k in keys if (r := self._records.get(k))]
        return max([0, *[int(w) + 1 for w in waits if w > 0]])

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                record = self._records.setdefault(key, _Record([]))
                record.failures = [t for t in record.failures if now - t < WINDOW_S] + [now]
                over = len(record.failures) - self._limit(key)
                if over >= 0:
                    lockout = min(BASE_LOCKOUT_S * 2 ** over, MAX_LOCKOUT_S)
                    record.locked_until = now + lockout
            if len(self._records) > 10_000:  # bound memory: drop the stale ones
                self._records = {k: r for k, r in self._records.items()
                                 if r.locked_until > now or any(now - t < WINDOW_S for t in r.failures)}

    def succeeded(self, key: str) -> None:
        """A correct sign-in clears that badge's (not the address's) failures."""
        with self._lock:
            self._records.pop(key, None)
