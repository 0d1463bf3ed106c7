"""In-process event bus: device states, scale readings and scans fanned out to subscribers.

Publishing never blocks: each subscriber has a bounded queue, and when a slow subscriber lags
the oldest events are dropped (and counted) so the newest state is always there to read. The web
layer streams a subscription over SSE.

Scans are numbered (``seq``) and the newest few are kept: a screen that opens while a page is
loading (no subscriber yet) asks for the scans it missed (``recent_scans``). Whoever acts on a
scan claims it first (``claim``), so a scan is acted on once, however many screens saw it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Literal

from drivers.scale.reading import Reading
from drivers.scanner.events import ScanEvent
from drivers.state import DeviceStatus

EventKind = Literal["state", "reading", "scan"]
#: Queue length per subscriber: a few seconds of scale readings plus scans and state changes.
DEFAULT_QUEUE_LEN = 256
#: How many of the newest scans are kept for a screen that subscribes after they were read.
RECENT_SCANS = 32


@dataclass(frozen=True)
class DeviceEvent:
    """One thing a device said: a state change, a scale reading or a scan."""

    kind: EventKind
    device: str
    payload: DeviceStatus | Reading | ScanEvent
    at: float = field(default_factory=time.time)
    #: A scan's number on this bus (1, 2, ...); 0 for states and readings.
    seq: int = 0
    #: time.monotonic() when published (what ``recent_scans`` ages by).
    published: float = 0.0


class Subscription:
    """One subscriber's bounded queue; ``get`` waits, ``close`` unsubscribes."""

    def __init__(self, bus: EventBus, max_len: int) -> None:
        self._bus = bus
        self._queue: deque[DeviceEvent] = deque(maxlen=max_len)
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0  # events lost because this subscriber lagged

    @property
    def closed(self) -> bool:
        """True after close() (or when the bus shut down)."""
        return self._closed

    def put(self, event: DeviceEvent) -> None:
        """Queue ``event``; drops the oldest when full. Called by the bus, never blocks."""
        with self._cond:
            if self._closed:
                return
            if len(self._queue) == self._queue.maxlen:
                self.dropped += 1
            self._queue.append(event)
            self._cond.notify()

    def get(self, timeout: float | None = None) -> DeviceEvent | None:
        """The oldest queued event; None after ``timeout`` seconds or once closed and empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._cond.wait(remaining)
            return self._queue.popleft()

    def drain(self) -> list[DeviceEvent]:
        """Everything queued right now, oldest first, without waiting."""
        with self._cond:
            events = list(self._queue)
            self._queue.clear()
            return events

    def close(self) -> None:
        """Unsubscribe; a waiting get() returns None."""
        self._bus.unsubscribe(self)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Thread-safe publish/subscribe for device events."""

    def __init__(self, queue_len: int = DEFAULT_QUEUE_LEN) -> None:
        if queue_len < 1:
            raise ValueError("queue_len must be at least 1")
        self.queue_len = queue_len
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self._scan_seq = 0
        self._recent: deque[DeviceEvent] = deque(maxlen=RECENT_SCANS)
        self._claimed: deque[int] = deque(maxlen=RECENT_SCANS * 4)

    def subscribe(self, queue_len: int | None = None) -> Subscription:
        """A new subscription that sees every event published from now on."""
        subscription = Subscription(self, queue_len or self.queue_len)
        with self._lock:
            self._subscribers.append(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget ``subscription`` (no error if already gone)."""
        with self._lock:
            if subscription in self._subscribers:
                self._subscribers.remove(subscription)

    @property
    def subscriber_count(self) -> int:
        """How many subscriptions are open."""
        with self._lock:
            return len(self._subscribers)

    @property
    def last_scan_seq(self) -> int:
        """The number of the newest scan published (0: none yet)."""
        with self._lock:
            return self._scan_seq

    def recent_scans(self, after: int, max_age_s: float) -> list[DeviceEvent]:
        """Unclaimed scans numbered above ``after`` and younger than ``max_age_s``, oldest first."""
        oldest = time.monotonic() - max_age_s
        with self._lock:
            return [e for e in self._recent
                    if e.seq > after and e.published >= oldest and e.seq not in self._claimed]

    def claim(self, seq: int) -> bool:
        """True for the first caller that takes scan ``seq`` on; False for every later one."""
        with self._lock:
            if seq in self._claimed:
                return False
            self._claimed.append(seq)
            return True

    def release(self, seq: int) -> None:
        """Scan ``seq`` was not delivered after all: a screen that subscribes next may take it."""
        with self._lock:
            if seq in self._claimed:
                self._claimed.remove(seq)

    def publish(self, event: DeviceEvent) -> None:
        """Hand ``event`` to every subscriber without blocking on any of them."""
        with self._lock:
            if event.kind == "scan":
                self._scan_seq += 1
                event = replace(event, seq=self._scan_seq, published=time.monotonic())
                self._recent.append(event)
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.put(event)
