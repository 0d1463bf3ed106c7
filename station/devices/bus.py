"""In-process event bus: device states, scale readings and scans fanned out to subscribers.

Publishing never blocks: each subscriber has a bounded queue, and when a slow subscriber lags
the oldest events are dropped (and counted) so the newest state is always there to read. The web
layer streams a subscription over SSE.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from drivers.scale.reading import Reading
from drivers.scanner.events import ScanEvent
from drivers.state import DeviceStatus

EventKind = Literal["state", "reading", "scan"]
#: Queue length per subscriber: a few seconds of scale readings plus scans and state changes.
DEFAULT_QUEUE_LEN = 256


@dataclass(frozen=True)
class DeviceEvent:
    """One thing a device said: a state change, a scale reading or a scan."""

    kind: EventKind
    device: str
    payload: DeviceStatus | Reading | ScanEvent
    at: float = field(default_factory=time.time)


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

    def publish(self, event: DeviceEvent) -> None:
        """Hand ``event`` to every subscriber without blocking on any of them."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.put(event)
