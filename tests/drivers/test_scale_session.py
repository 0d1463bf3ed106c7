"""Every shipped scale profile against the simulator through a real pty, and every fault knob."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from drivers.scale.profile import (
    ScaleProfile,
    find_scale_profile,
    load_scale_profile,
    shipped_scale_profiles,
)
from drivers.scale.reading import Reading, ScaleStatus
from drivers.scale.session import ScaleSession
from drivers.sim.scale import SimulatedScale
from drivers.state import DeviceState, DeviceStatus

WaitFor = Callable[..., bool]
PLACED_G = 1234.5
TOLERANCE_MG = 600  # coarsest simulated display: 0.001 kg


@dataclass
class Bench:
    """A simulated scale, a session on its port, and everything the session published."""

    sim: SimulatedScale
    session: ScaleSession
    readings: list[Reading] = field(default_factory=list)
    statuses: list[DeviceStatus] = field(default_factory=list)

    def stable_near(self, grams: float, since: int = 0) -> bool:
        return any(
            r.stable and r.weight_mg is not None and abs(r.weight_mg - grams * 1000) <= TOLERANCE_MG
            for r in self.readings[since:]
        )

    def error_then_ready(self, reason: str) -> bool:
        errors = [i for i, s in enumerate(self.statuses) if s.state is DeviceState.ERROR and reason in s.reason]
        return bool(errors) and any(s.state is DeviceState.READY for s in self.statuses[errors[0] + 1 :])

    def has_error(self, reason: str) -> bool:
        return any(s.state is DeviceState.ERROR and reason in s.reason for s in self.statuses)


def _profile(name: str, **update: object) -> ScaleProfile:
    profile = load_scale_profile(find_scale_profile(name))
    return profile.model_copy(update=update) if update else profile


@pytest.fixture
def bench_for() -> Iterator[Callable[[ScaleProfile], Bench]]:
    made: list[Bench] = []

    def make(profile: ScaleProfile) -> Bench:
        sim = SimulatedScale(profile)
        readings: list[Reading] = []
        statuses: list[DeviceStatus] = []
        session = ScaleSession(profile, sim.port, on_reading=readings.append, on_status=statuses.append, retry_s=0.1)
        bench = Bench(sim, session, readings, statuses)
        session.start()
        made.append(bench)
        return bench

    yield make
    for bench in made:
        bench.session.close()
        bench.sim.close()


@pytest.mark.parametrize("path", shipped_scale_profiles(), ids=lambda p: p.stem)
def test_every_shipped_profile_weighs_the_placed_parcel_as_stable(
    path: Path, bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(load_scale_profile(path))
    bench.sim.place(PLACED_G, settle_s=0.2)
    assert wait_for(lambda: bench.stable_near(PLACED_G), 5.0), bench.readings[-3:]
    assert bench.session.status.state is DeviceState.READY


def test_a_parcel_taken_off_reads_zero(bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor) -> None:
    bench = bench_for(_profile("generic-mt-sics"))
    bench.sim.place(800.0, settle_s=0.1)
    assert wait_for(lambda: bench.stable_near(800.0))
    mark = len(bench.readings)
    bench.sim.remove(settle_s=0.1)
    assert wait_for(lambda: bench.stable_near(0.0, since=mark))


def test_tare_and_clear_tare_reach_an_mt_sics_balance(
    bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(_profile("generic-mt-sics"))
    bench.sim.place(500.0, settle_s=0.1)
    assert wait_for(lambda: bench.stable_near(500.0))
    mark = len(bench.readings)
    assert bench.session.tare()
    assert wait_for(lambda: bench.stable_near(0.0, since=mark))
    mark = len(bench.readings)
    assert bench.session.clear_tare()
    assert wait_for(lambda: bench.stable_near(500.0, since=mark))


def test_zero_reaches_an_8213_scale(bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor) -> None:
    bench = bench_for(_profile("brecknell-3700lp"))
    bench.sim.place(300.0, settle_s=0.1)
    assert wait_for(lambda: bench.stable_near(300.0))
    mark = len(bench.readings)
    assert bench.session.zero()
    assert wait_for(lambda: bench.stable_near(0.0, since=mark))


def test_zero_reaches_a_hid_scale_as_an_output_report(
    bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(_profile("dymo-m10"))
    bench.sim.place(42.0, settle_s=0.05)
    assert wait_for(lambda: bench.stable_near(42.0))
    mark = len(bench.readings)
    assert bench.session.zero()
    assert wait_for(lambda: bench.stable_near(0.0, since=mark))


def test_a_scale_without_tare_says_so_instead_of_raising(bench_for: Callable[[ScaleProfile], Bench]) -> None:
    bench = bench_for(_profile("cas-ci600d"))
    assert bench.session.tare() is False
    assert bench.session.zero() is False


def test_an_overloaded_scale_reports_overload_and_recovers(
    bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(_profile("mettler_toledo-at-balance"))
    bench.sim.place(250.0, settle_s=0.05)
    bench.sim.fault("overload")
    assert wait_for(lambda: any(r.status is ScaleStatus.OVERLOAD for r in bench.readings))
    assert bench.session.status.state is DeviceState.READY  # overload is the parcel, not the device
    mark = len(bench.readings)
    bench.sim.clear_faults()
    assert wait_for(lambda: bench.stable_near(250.0, since=mark))


@pytest.mark.parametrize("name", ["nci-3825", "dymo-m10", "cas-ci600d"])
def test_overload_on_other_protocols(name: str, bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor) -> None:
    bench = bench_for(_profile(name))
    bench.sim.fault("overload")
    assert wait_for(lambda: any(r.status is ScaleStatus.OVERLOAD for r in bench.readings))


@pytest.mark.parametrize("name", ["generic-mt-sics", "cas-ci600d-10byte"])
def test_a_scale_that_never_settles_never_gives_a_stable_weight(
    name: str, bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(_profile(name))
    bench.sim.fault("unstable")
    bench.sim.place(700.0, settle_s=0.0)
    assert wait_for(lambda: len(bench.readings) >= 8)
    # The empty scale may report a stable 0 g before the fault takes hold; the parcel never settles.
    loaded = [r for r in bench.readings if r.weight_mg is not None and r.weight_mg > 100_000]
    assert loaded and not any(r.stable for r in loaded)
    mark = len(bench.readings)
    bench.sim.clear_faults()
    assert wait_for(lambda: bench.stable_near(700.0, since=mark))


FAULTS = [
    ("garbage", "generic-mt-sics", "unreadable data"),
    ("garbage", "cas-ci600d", "unreadable data"),
    ("garbage", "generic-hid-pos", "unreadable data"),
    ("partial", "generic-mt-sics", "unreadable data"),
    ("partial", "cas-ci600d-and18", "unreadable data"),
    ("wrong_baud", "mettler_toledo-ariva-s", "unreadable data"),
    ("wrong_baud", "nci-3825", "unreadable data"),
    ("silence", "generic-mt-sics", "no data from scale"),
    ("silence", "ohaus-explorer", "no data from scale"),
    ("silence", "dymo-m25", "no data from scale"),
]


@pytest.mark.parametrize(("fault", "name", "reason"), FAULTS, ids=[f"{f}-{n}" for f, n, _ in FAULTS])
def test_a_fault_shows_as_error_with_reason_and_clears(
    fault: str, name: str, reason: str, bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(_profile(name, silence_s=0.6, reply_timeout_s=0.2))
    bench.sim.place(321.0, settle_s=0.05)
    assert wait_for(lambda: bench.stable_near(321.0))
    bench.sim.fault(fault)
    assert wait_for(lambda: bench.has_error(reason), 5.0), bench.statuses
    assert bench.session.status.state is DeviceState.ERROR
    mark = len(bench.readings)
    bench.sim.clear_faults()
    assert wait_for(lambda: bench.error_then_ready(reason) and bench.stable_near(321.0, since=mark))


def test_a_slow_scale_is_reported_and_recovers(bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor) -> None:
    bench = bench_for(_profile("generic-mt-sics", silence_s=0.5, reply_timeout_s=0.2))
    bench.sim.place(90.0, settle_s=0.05)
    assert wait_for(lambda: bench.stable_near(90.0))
    bench.sim.fault("slow", 0.9)
    assert wait_for(lambda: bench.has_error("no data from scale"), 5.0)
    bench.sim.clear_faults()
    mark = len(bench.readings)
    assert wait_for(lambda: bench.error_then_ready("no data") and bench.stable_near(90.0, since=mark))


def test_a_disconnected_scale_is_an_error_and_a_restart_on_the_new_port_recovers(
    bench_for: Callable[[ScaleProfile], Bench], wait_for: WaitFor
) -> None:
    bench = bench_for(_profile("generic-mt-sics"))
    bench.sim.place(55.0, settle_s=0.05)
    assert wait_for(lambda: bench.stable_near(55.0))
    bench.sim.disconnect()
    assert wait_for(lambda: bench.has_error("disconnected"), 5.0), bench.statuses
    new_port = bench.sim.reconnect()
    bench.session.restart(new_port)
    mark = len(bench.readings)
    assert wait_for(lambda: bench.error_then_ready("disconnected") and bench.stable_near(55.0, since=mark))


def test_a_missing_port_is_an_error_naming_it_and_close_is_clean(wait_for: WaitFor) -> None:
    statuses: list[DeviceStatus] = []
    session = ScaleSession(_profile("generic-mt-sics"), "/dev/no-such-scale", on_status=statuses.append)
    session.start()
    assert wait_for(lambda: any(s.state is DeviceState.ERROR and "/dev/no-such-scale" in s.reason for s in statuses))
    session.close()
    assert session.status.state is DeviceState.DISCONNECTED


def test_a_failing_callback_does_not_stop_the_scale(wait_for: WaitFor) -> None:
    seen: list[Reading] = []

    def clumsy(reading: Reading) -> None:
        seen.append(reading)
        raise RuntimeError("bench UI bug")

    with SimulatedScale("generic-mt-sics") as sim:
        session = ScaleSession(_profile("generic-mt-sics"), sim.port, on_reading=clumsy)
        with session:
            sim.place(10.0, settle_s=0.0)
            assert wait_for(lambda: len(seen) >= 3)
            assert session.status.state is DeviceState.READY


def test_a_closed_session_starts_again(wait_for: WaitFor) -> None:
    with SimulatedScale("cas-ci600d") as sim:
        readings: list[Reading] = []
        session = ScaleSession(_profile("cas-ci600d"), sim.port, on_reading=readings.append)
        session.start()
        assert wait_for(lambda: readings)
        session.close()
        assert session.status.state is DeviceState.DISCONNECTED
        readings.clear()
        session.start()
        assert wait_for(lambda: readings)
        assert wait_for(lambda: session.status.state is DeviceState.READY)
        session.close()
