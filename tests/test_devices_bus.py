"""The device event bus: every subscriber hears every event; a lagging one loses the oldest."""

from __future__ import annotations

import threading

import pytest

from drivers.state import DeviceState, DeviceStatus
from station.devices.bus import DeviceEvent, EventBus


def state_event(device: str, reason: str) -> DeviceEvent:
    return DeviceEvent("state", device, DeviceStatus(device, DeviceState.ERROR, reason))


def test_every_subscriber_hears_every_event_in_order() -> None:
    bus = EventBus()
    first, second = bus.subscribe(), bus.subscribe()
    for n in range(3):
        bus.publish(state_event("scale", f"problem {n}"))
    for sub in (first, second):
        reasons = [e.payload.reason for e in sub.drain() if isinstance(e.payload, DeviceStatus)]
        assert reasons == ["problem 0", "problem 1", "problem 2"]


def test_a_lagging_subscriber_loses_the_oldest_events_and_counts_them() -> None:
    bus = EventBus(queue_len=4)
    slow = bus.subscribe()
    for n in range(10):
        bus.publish(state_event("scale", f"problem {n}"))
    kept = [e.payload.reason for e in slow.drain() if isinstance(e.payload, DeviceStatus)]
    assert kept == ["problem 6", "problem 7", "problem 8", "problem 9"]
    assert slow.dropped == 6


def test_get_returns_none_when_nothing_arrives_in_time() -> None:
    sub = EventBus().subscribe()
    assert sub.get(timeout=0.01) is None


def test_a_closed_subscription_hears_nothing_more_and_wakes_its_reader() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    got: list[DeviceEvent | None] = []
    reader = threading.Thread(target=lambda: got.append(sub.get(timeout=5)))
    reader.start()
    sub.close()
    reader.join(5)
    assert got == [None] and not reader.is_alive()
    bus.publish(state_event("camera", "gone"))
    assert sub.get(timeout=0.01) is None and bus.subscriber_count == 0


def test_events_published_from_many_threads_all_arrive() -> None:
    bus = EventBus(queue_len=10_000)
    sub = bus.subscribe()

    def publish(device: str) -> None:
        for n in range(500):
            bus.publish(state_event(device, str(n)))

    threads = [threading.Thread(target=publish, args=(f"scanner-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = sub.drain()
    assert len(events) == 2000 and sub.dropped == 0
    for i in range(4):
        mine = [e.payload.reason for e in events if e.device == f"scanner-{i}"
                and isinstance(e.payload, DeviceStatus)]
        assert mine == [str(n) for n in range(500)]


def test_a_bus_needs_room_for_at_least_one_event() -> None:
    with pytest.raises(ValueError, match="queue_len"):
        EventBus(queue_len=0)


def test_scans_are_numbered_kept_for_a_late_screen_and_claimed_once() -> None:
    from drivers.scanner.events import ScanEvent
    from station.devices.bus import RECENT_SCANS

    bus = EventBus()
    bus.publish(DeviceEvent("state", "scale", DeviceStatus("scale", DeviceState.READY)))
    assert bus.last_scan_seq == 0  # states and readings are not numbered
    for n in range(RECENT_SCANS + 3):
        bus.publish(DeviceEvent("scan", "scanner", ScanEvent(raw=f"CODE{n}", source="serial")))
    assert bus.last_scan_seq == RECENT_SCANS + 3
    kept = bus.recent_scans(0, 60)
    assert [e.seq for e in kept] == list(range(4, RECENT_SCANS + 4))  # the newest few
    assert [e.seq for e in bus.recent_scans(RECENT_SCANS + 1, 60)] == [RECENT_SCANS + 2, RECENT_SCANS + 3]
    assert bus.recent_scans(0, -1) == []  # too old to act on now
    assert bus.claim(RECENT_SCANS + 3) is True and bus.claim(RECENT_SCANS + 3) is False
    assert [e.seq for e in bus.recent_scans(RECENT_SCANS + 1, 60)] == [RECENT_SCANS + 2]
    bus.release(RECENT_SCANS + 3)
    assert bus.claim(RECENT_SCANS + 3) is True
