"""Stable means the scale says so, or N readings agree within a band over a window."""

from __future__ import annotations

from drivers.scale.profile import StabilitySettings
from drivers.scale.reading import Reading, ScaleStatus
from drivers.scale.stability import StabilityFilter


def _flagless(weight_mg: int) -> Reading:
    return Reading(weight_mg, False, "kg", stable_known=False)


def test_the_devices_own_flag_is_trusted() -> None:
    stability = StabilityFilter(StabilitySettings())
    assert stability.apply(Reading(1000, True, "g"), 0.0).stable
    assert not stability.apply(Reading(1000, False, "g"), 0.1).stable


def test_without_a_flag_three_close_readings_are_stable() -> None:
    stability = StabilityFilter(StabilitySettings(samples=3, band_g=0.5, window_s=1.0))
    assert not stability.apply(_flagless(1_000_000), 0.0).stable
    assert not stability.apply(_flagless(1_000_200), 0.1).stable
    assert stability.apply(_flagless(1_000_400), 0.2).stable


def test_a_reading_outside_the_band_restarts_the_count() -> None:
    stability = StabilityFilter(StabilitySettings(samples=3, band_g=0.5, window_s=1.0))
    for t, mg in ((0.0, 1_000_000), (0.1, 1_000_000), (0.2, 1_002_000)):
        result = stability.apply(_flagless(mg), t)
    assert not result.stable
    assert not stability.apply(_flagless(1_002_000), 0.3).stable
    assert stability.apply(_flagless(1_002_000), 0.4).stable


def test_readings_too_far_apart_in_time_do_not_count() -> None:
    stability = StabilityFilter(StabilitySettings(samples=3, band_g=0.5, window_s=0.5))
    stability.apply(_flagless(5_000), 0.0)
    stability.apply(_flagless(5_000), 1.0)
    assert not stability.apply(_flagless(5_000), 2.0).stable


def test_the_filter_can_overrule_a_device_flag_when_told_to() -> None:
    stability = StabilityFilter(StabilitySettings(use_device_flag=False, samples=2, band_g=0.1))
    assert not stability.apply(Reading(1000, True, "g"), 0.0).stable
    assert stability.apply(Reading(1000, True, "g"), 0.1).stable
    assert not stability.apply(Reading(1000, False, "g"), 0.2).stable  # device says moving


def test_an_overload_is_never_stable_and_resets_history() -> None:
    stability = StabilityFilter(StabilitySettings(samples=2, band_g=0.1))
    stability.apply(_flagless(1000), 0.0)
    overload = stability.apply(Reading(None, True, "", ScaleStatus.OVERLOAD), 0.1)
    assert not overload.stable
    assert not stability.apply(_flagless(1000), 0.2).stable
