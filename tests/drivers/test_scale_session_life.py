"""One reader per scale port, always: a close that gives up never leaves two readers behind."""

from __future__ import annotations

import threading
from collections.abc import Callable

from drivers.scale.profile import find_scale_profile, load_scale_profile
from drivers.scale.reading import Reading
from drivers.scale.session import ScaleSession
from drivers.sim.scale import SimulatedScale
from drivers.state import DeviceState

PROFILE = load_scale_profile(find_scale_profile("generic-mt-sics"))


def scale_threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"scale-{name}" and t.is_alive()]


def test_a_stuck_reader_is_reused_not_doubled(wait_for: Callable[..., bool]) -> None:
    """The reader is stuck in a slow listener; close gives up, start must not add a second one."""
    release = threading.Event()
    readings: list[Reading] = []

    def slow_listener(reading: Reading) -> None:
        readings.append(reading)
        release.wait()  # a listener that hangs (a bus consumer stuck on a full queue)

    with SimulatedScale(PROFILE) as sim:
        sim.place(700.0, settle_s=0.0)
        session = ScaleSession(PROFILE, sim.port, name="stuck", on_reading=slow_listener,
                               retry_s=0.05)
        session.start()
        try:
            assert wait_for(lambda: len(readings) == 1)
            assert session.close(timeout_s=0.05) is False  # still inside the listener
            session.restart(sim.port)
            session.start()
            assert len(scale_threads("stuck")) == 1
            assert session.readers == 1
            release.set()
            assert wait_for(lambda: len(readings) > 3)  # the same thread reads on
            assert len(scale_threads("stuck")) == 1
            assert session.status.state is DeviceState.READY
        finally:
            release.set()
            assert session.close() is True
    assert session.readers == 0
    assert scale_threads("stuck") == []


def test_close_then_start_reads_again_on_a_new_port(wait_for: Callable[..., bool]) -> None:
    readings: list[Reading] = []
    with SimulatedScale(PROFILE) as first, SimulatedScale(PROFILE) as second:
        first.place(100.0, settle_s=0.0)
        second.place(2500.0, settle_s=0.0)
        session = ScaleSession(PROFILE, first.port, name="moved", on_reading=readings.append,
                               retry_s=0.05)
        with session:
            assert wait_for(lambda: any(r.weight_mg == 100_000 for r in readings))
            session.restart(second.port)
            assert wait_for(lambda: any(r.weight_mg == 2_500_000 for r in readings))
            assert session.readers == 1
