"""Photo quality metrics (sharpness, brightness, clipping) and the problems they reveal."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np
import numpy.typing as npt

from drivers.camera.profile import QualityThresholds

Frame = npt.NDArray[np.uint8]

TOO_BLURRY = "too_blurry"
TOO_DARK = "too_dark"
OVEREXPOSED = "overexposed"


@dataclass(frozen=True)
class QualityMetrics:
    """Numbers measured on one frame; stored with the photo as evidence of its quality."""

    sharpness: float
    brightness: float
    dark_fraction: float
    bright_fraction: float

    def as_dict(self) -> dict[str, float]:
        """Plain dict for JSON / database columns."""
        return asdict(self)


def grey(frame: Frame) -> Frame:
    """Single-channel 8-bit view of a BGR, BGRA or grey frame."""
    if frame.ndim == 2:
        return frame
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)  # type: ignore[return-value]
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)  # type: ignore[return-value]


def downscale(image: Frame, width_px: int) -> Frame:
    """Shrink ``image`` to ``width_px`` wide (area interpolation); never enlarges."""
    height, width = image.shape[:2]
    if width <= width_px:
        return image
    height_px = max(1, round(height * width_px / width))
    return cv2.resize(image, (width_px, height_px), interpolation=cv2.INTER_AREA)  # type: ignore[return-value]


def measure(
    frame: Frame,
    analysis_width_px: int = 640,
    dark_level: int = 16,
    bright_level: int = 250,
) -> QualityMetrics:
    """Measure one frame on a grey copy downscaled to ``analysis_width_px``.

    Sharpness is the variance of the Laplacian (a blurred image has few strong edges), so it is
    only comparable between frames analysed at the same width.
    """
    small = downscale(grey(frame), analysis_width_px)
    laplacian = cv2.Laplacian(small, cv2.CV_64F)
    pixel_count = float(small.size) or 1.0
    return QualityMetrics(
        sharpness=float(laplacian.var()),
        brightness=float(small.mean()),
        dark_fraction=float(np.count_nonzero(small <= dark_level)) / pixel_count,
        bright_fraction=float(np.count_nonzero(small >= bright_level)) / pixel_count,
    )


def measure_for(frame: Frame, thresholds: QualityThresholds) -> QualityMetrics:
    """Measure with the analysis width and clip levels of a camera profile."""
    return measure(
        frame,
        analysis_width_px=thresholds.analysis_width_px,
        dark_level=thresholds.dark_level,
        bright_level=thresholds.bright_level,
    )


def assess(metrics: QualityMetrics, thresholds: QualityThresholds) -> list[str]:
    """Problems with a photo ("too_blurry", "too_dark", "overexposed"); empty when usable."""
    problems: list[str] = []
    if metrics.sharpness < thresholds.min_sharpness:
        problems.append(TOO_BLURRY)
    if (
        metrics.brightness < thresholds.min_brightness
        or metrics.dark_fraction > thresholds.max_dark_fraction
    ):
        problems.append(TOO_DARK)
    if (
        metrics.brightness > thresholds.max_brightness
        or metrics.bright_fraction > thresholds.max_bright_fraction
    ):
        problems.append(OVEREXPOSED)
    return problems
