"""Photo quality checks: a sharp, well-lit photo passes; blurry, dark and overexposed ones don't."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers.camera.profile import load_camera_profile, shipped_camera_profiles
from drivers.camera.quality import OVEREXPOSED, TOO_BLURRY, TOO_DARK, assess, measure_for
from drivers.scanner.aim import Symbology
from drivers.sim.camera import SyntheticCamera

THRESHOLDS = load_camera_profile(shipped_camera_profiles()[0]).quality


def _bench_photo(blur_sigma: float = 0.0, gain: float = 1.0) -> np.ndarray:
    camera = SyntheticCamera(640, 480, paced=False)
    camera.present("4006381333931", Symbology.EAN13, module_px=3)
    camera.blur_sigma, camera.gain = blur_sigma, gain
    return camera.frame()


def test_a_sharp_well_lit_photo_has_no_problems() -> None:
    metrics = measure_for(_bench_photo(), THRESHOLDS)
    assert assess(metrics, THRESHOLDS) == []
    assert metrics.sharpness > THRESHOLDS.min_sharpness


def test_an_out_of_focus_photo_is_too_blurry() -> None:
    sharp = measure_for(_bench_photo(), THRESHOLDS)
    blurred = measure_for(_bench_photo(blur_sigma=4.0), THRESHOLDS)
    assert blurred.sharpness < sharp.sharpness / 5
    assert assess(blurred, THRESHOLDS) == [TOO_BLURRY]


def test_a_photo_in_a_dark_corner_is_too_dark() -> None:
    problems = assess(measure_for(_bench_photo(gain=0.15), THRESHOLDS), THRESHOLDS)
    assert TOO_DARK in problems
    assert OVEREXPOSED not in problems


def test_a_photo_into_the_bench_lamp_is_overexposed() -> None:
    problems = assess(measure_for(_bench_photo(gain=3.0), THRESHOLDS), THRESHOLDS)
    assert OVEREXPOSED in problems
    assert TOO_DARK not in problems


def test_a_large_blown_out_patch_is_overexposed_even_if_the_mean_is_fine() -> None:
    frame = _bench_photo()
    frame[:, : frame.shape[1] // 3] = 255  # a window behind the bench
    metrics = measure_for(frame, THRESHOLDS)
    assert metrics.brightness < THRESHOLDS.max_brightness
    assert metrics.bright_fraction > THRESHOLDS.max_bright_fraction
    assert OVEREXPOSED in assess(metrics, THRESHOLDS)


def test_sharpness_is_measured_at_the_analysis_width_whatever_the_camera_resolution() -> None:
    small = _bench_photo()
    large: np.ndarray = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)
    small_metrics = measure_for(small, THRESHOLDS)
    large_metrics = measure_for(large, THRESHOLDS)
    assert large_metrics.brightness == pytest.approx(small_metrics.brightness, abs=2.0)
    assert large_metrics.sharpness == pytest.approx(small_metrics.sharpness, rel=0.35)


def test_grey_and_colour_frames_are_both_measured() -> None:
    frame = _bench_photo()
    grey: np.ndarray = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    assert measure_for(grey, THRESHOLDS).brightness == pytest.approx(
        measure_for(frame, THRESHOLDS).brightness, abs=1.0
    )
