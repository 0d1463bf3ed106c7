"""The device manager at a bench: simulated scale, scanner and camera through real ptys and frames."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from drivers.scale.profile import find_scale_profile
from drivers.scale.reading import Reading
from drivers.scanner.events import ScanEvent
from drivers.sim.pty import PtyLink
from drivers.state import DeviceState, DeviceStatus
from station.config import ConfigError, DevicesSection
from station.devices import DeviceEvent, DeviceManager, Subscription
from tests.support.wait import WAIT_S, wait_until

FAST = {"reconnect_base_s": 0.05, "reconnect_max_s": 0.2}


def next_event(
    sub: Subscription, match: Callable[[DeviceEvent], bool], timeout_s: float = WAIT_S
) -> DeviceEvent | None:
    deadline = time.monotonic() + timeout_s
    while (remaining := deadline - time.monotonic()) > 0:
        event = sub.get(timeout=remaining)
        if event is not None and match(event):
            return event
    return None


def state_of(manager: DeviceManager, name: str) -> DeviceStatus:
    return manager.states()[name]


def is_ready(manager: DeviceManager, *names: str) -> Callable[[], bool]:
    return lambda: all(state_of(manager, n).state is DeviceState.READY for n in names)


def is_error(manager: DeviceManager, name: str) -> Callable[[], bool]:
    return lambda: state_of(manager, name).state is DeviceState.ERROR


@pytest.fixture
def no_new_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before]
    assert left == [], f"threads still running after stop(): {left}"


def start_manager(**settings: object) -> DeviceManager:
    manager = DeviceManager(DevicesSection.model_validate({"simulated": True, **FAST, **settings}))
    manager.start()
    assert wait_until(is_ready(manager, "scale", "scanner", "camera")), manager.states()
    return manager


@pytest.fixture
def bench(no_new_threads: None) -> Iterator[DeviceManager]:
    manager = start_manager()
    yield manager
    manager.stop()


def test_a_parcel_placed_on_the_scale_arrives_on_the_bus_as_a_stable_reading(
    bench: DeviceManager,
) -> None:
    assert bench.simulators is not None
    with bench.subscribe() as sub:
        bench.simulators.scale.place(500, settle_s=0.3)
        event = next_event(sub, lambda e: isinstance(e.payload, Reading) and e.payload.stable
                           and e.payload.weight_g == Decimal(500))
    assert event is not None and event.kind == "reading" and event.device == "scale"
    latest = bench.latest_weight()
    assert latest is not None and latest.weight_g == Decimal(500)


def test_the_settled_weight_is_the_recent_stable_one_and_not_a_parcel_taken_off(
    bench: DeviceManager,
) -> None:
    assert bench.simulators is not None
    bench.simulators.scale.place(500, settle_s=0.2)
    assert wait_until(lambda: (r := bench.settled_weight()) is not None and r.weight_g == Decimal(500))
    bench.simulators.scale.place(2500, settle_s=30)  # moving towards 2.5 kg: never stable
    assert wait_until(lambda: bench.settled_weight() is None), "a weight far from the scale's was kept"
    bench.simulators.scale.place(2500, settle_s=0.1)
    assert wait_until(lambda: (r := bench.settled_weight()) is not None and r.weight_g == Decimal(2500))
    assert bench.settled_weight(max_age_s=0.0) is None  # too old by definition


def test_a_code_scanned_on_the_serial_scanner_arrives_as_a_scan_event(
    bench: DeviceManager,
) -> None:
    assert bench.simulators is not None
    with bench.subscribe() as sub:
        bench.simulators.scanner.scan("RMA-2026-000042")
        event = next_event(sub, lambda e: e.kind == "scan")
    assert event is not None and event.device == "scanner"
    assert isinstance(event.payload, ScanEvent) and event.payload.raw == "RMA-2026-000042"


def test_a_code_presented_to_the_camera_arrives_as_a_scan(bench: DeviceManager) -> None:
    assert bench.simulators is not None
    with bench.subscribe() as sub:
        bench.simulators.camera.present("4006381333931", "ean13")
        event = next_event(sub, lambda e: e.kind == "scan" and e.device == "camera")
    assert event is not None and isinstance(event.payload, ScanEvent)
    assert event.payload.gtin == "04006381333931" and event.payload.symbology == "ean13"


def test_the_camera_gives_a_still_and_a_preview_while_ready(bench: DeviceManager) -> None:
    still = bench.still()
    assert still is not None and still.jpeg.startswith(b"\xff\xd8")
    assert (still.width_px, still.height_px) == (1280, 720)  # devices.sim_camera_size: stills bigger than the stream
    assert bench.preview_jpeg().startswith(b"\xff\xd8")


def test_an_unplugged_scale_shows_the_error_then_is_ready_again_on_its_new_port(
    bench: DeviceManager,
) -> None:
    sims = bench.simulators
    assert sims is not None
    old_port = sims.scale.port
    sims.scale.disconnect()
    assert wait_until(is_error(bench, "scale")), bench.states()
    assert state_of(bench, "scale").reason  # the bench screen says why
    assert bench.latest_weight() is None  # the UI falls back to a typed weight
    # the other devices carry on while the scale is down
    assert is_ready(bench, "scanner", "camera")()
    with bench.subscribe() as sub:
        sims.scanner.scan("SKU-1234")
        assert next_event(sub, lambda e: e.kind == "scan" and e.device == "scanner") is not None
    with PtyLink() as other_device:  # takes the freed pty number, as another device would
        new_port = sims.scale.reconnect()  # replugged: the scale shows up under a new name
        assert new_port != other_device.port
        assert wait_until(is_ready(bench, "scale")), bench.states()
    assert new_port != old_port
    sims.scale.place(1234.5, settle_s=0.1)
    assert wait_until(lambda: (r := bench.latest_weight()) is not None and r.stable
                      and r.weight_g == Decimal("1234.5"))


def test_a_silent_scale_shows_the_error_and_recovers_when_it_talks_again(
    tmp_path: Path, no_new_threads: None,
) -> None:
    profile = tmp_path / "quick-silence.toml"
    text = find_scale_profile("generic-mt-sics").read_text()
    profile.write_text(text + "\nsilence_s = 0.5\n")
    manager = start_manager(scale_profile=str(profile))
    try:
        assert manager.simulators is not None
        manager.simulators.scale.fault("silence")
        assert wait_until(is_error(manager, "scale")), manager.states()
        assert "no data" in state_of(manager, "scale").reason
        manager.simulators.scale.clear_faults()
        assert wait_until(is_ready(manager, "scale")), manager.states()
    finally:
        manager.stop()


def test_an_unplugged_scanner_shows_the_error_and_scans_again_after_replug(
    bench: DeviceManager,
) -> None:
    sims = bench.simulators
    assert sims is not None
    sims.scanner.disconnect()
    assert wait_until(is_error(bench, "scanner")), bench.states()
    assert "disconnected" in state_of(bench, "scanner").reason or "cannot open" in state_of(
        bench, "scanner").reason
    assert is_ready(bench, "scale", "camera")()
    with PtyLink():  # takes the freed pty number: the scanner comes back under a new name
        new_port = sims.scanner.reconnect()
        assert wait_until(lambda: is_ready(bench, "scanner")()
                          and new_port in state_of(bench, "scanner").reason), bench.states()
    with bench.subscribe() as sub:
        sims.scanner.scan("0123456789")
        event = next_event(sub, lambda e: e.kind == "scan" and e.device == "scanner")
    assert event is not None and isinstance(event.payload, ScanEvent)


def test_an_unplugged_camera_shows_the_error_and_streams_again(bench: DeviceManager) -> None:
    assert bench.simulators is not None
    bench.simulators.camera.set_fault("unplugged")
    assert wait_until(is_error(bench, "camera")), bench.states()
    assert bench.preview_jpeg() == b""
    assert is_ready(bench, "scale", "scanner")()
    bench.simulators.camera.set_fault(None)
    assert wait_until(is_ready(bench, "camera")), bench.states()


def test_state_changes_are_published_on_the_bus(bench: DeviceManager) -> None:
    assert bench.simulators is not None
    with bench.subscribe() as sub:
        bench.simulators.scale.disconnect()
        event = next_event(sub, lambda e: e.kind == "state" and e.device == "scale")
        bench.simulators.scale.reconnect()
        back = next_event(sub, lambda e: e.kind == "state" and e.device == "scale"
                          and isinstance(e.payload, DeviceStatus)
                          and e.payload.state is DeviceState.READY)
    assert event is not None and isinstance(event.payload, DeviceStatus)
    assert event.payload.state is DeviceState.ERROR
    assert back is not None


def test_stop_leaves_no_threads_and_every_device_disconnected(no_new_threads: None) -> None:
    manager = start_manager()
    manager.stop()
    assert {s.state for s in manager.states().values()} == {DeviceState.DISCONNECTED}


def test_devices_that_cannot_be_opened_are_errors_and_the_manager_keeps_running(
    tmp_path: Path, no_new_threads: None,
) -> None:
    manager = DeviceManager(DevicesSection(
        simulated=False, scale_url=str(tmp_path / "no-scale-here"), camera_scan=False,
        camera_source=str(tmp_path / "no-camera.mp4"), scanner_profiles=["generic-serial"],
        **FAST))
    manager.start()
    try:
        assert wait_until(lambda: is_error(manager, "scale")() and is_error(manager, "camera")())
        assert "no-scale-here" in state_of(manager, "scale").reason
        scanner = state_of(manager, "scanner")
        assert scanner.state is DeviceState.DISCONNECTED and "scanner_urls" in scanner.reason
        assert manager.latest_weight() is None and manager.still() is None
        assert manager.tare() is True  # queued for when the scale is back; never blocks
    finally:
        manager.stop()


def test_an_unknown_profile_name_is_a_configuration_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"devices\.scale_profile"):
        DeviceManager(DevicesSection(scale_profile="acme-nonexistent"))
    with pytest.raises(ConfigError, match=r"devices\.scanner_profiles"):
        DeviceManager(DevicesSection(scanner_profiles=["acme-nonexistent"]))
    with pytest.raises(ConfigError, match=r"devices\.camera_profile"):
        DeviceManager(DevicesSection(camera_profile="acme-nonexistent"))


def test_reconnect_waits_one_second_doubling_to_thirty() -> None:
    manager = DeviceManager(DevicesSection())
    assert [manager.delay_s(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert manager.delay_s(1000) == 30


def test_stop_returns_when_a_reconnect_is_stuck_in_a_blocking_open() -> None:
    """A driver stuck in the kernel (a USB open that never returns) must not hang shutdown."""
    from station.devices.adapters import ManagedDevice

    release = threading.Event()
    entered = threading.Event()

    class StuckOpen(ManagedDevice):
        name = "stuck"

        def start(self) -> None:
            pass

        def close(self) -> None:
            pass

        def reconnect(self, retry_s: float) -> None:
            entered.set()
            release.wait()

    manager = start_manager()
    try:
        manager._add(StuckOpen())
        manager._set("stuck", DeviceStatus("stuck", DeviceState.ERROR, "gone"))
        assert entered.wait(WAIT_S)  # the reconnect thread is inside the blocking call
        assert manager.stop(timeout_s=0.2) == ["reconnect-stuck"]
        assert {s.state for s in manager.states().values()} == {DeviceState.DISCONNECTED}
    finally:
        release.set()
