"""USB camera model profile (firmware_configs/cameras/*.toml): capture mode, JPEG, quality."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from drivers.profiles import StrictProfile, load_profile, shipped_profiles


class QualityThresholds(StrictProfile):
    """Limits a photo must meet to count as evidence (see drivers.camera.quality.assess)."""

    #: Variance of the Laplacian of the grey frame downscaled to ``analysis_width_px``.
    min_sharpness: float = Field(ge=0)
    #: Mean grey level 0..255 below which the frame is too dark.
    min_brightness: float = Field(ge=0, le=255)
    #: Mean grey level 0..255 above which the frame is overexposed.
    max_brightness: float = Field(ge=0, le=255)
    #: Fraction of pixels at or below ``dark_level`` that makes a frame too dark.
    max_dark_fraction: float = Field(ge=0, le=1)
    #: Fraction of pixels at or above ``bright_level`` that makes a frame overexposed.
    max_bright_fraction: float = Field(ge=0, le=1)
    dark_level: int = Field(default=16, ge=0, le=255)
    bright_level: int = Field(default=250, ge=0, le=255)
    #: Width the grey frame is shrunk to before the metrics (keeps them cheap and comparable).
    analysis_width_px: int = Field(default=640, ge=64, le=4096)


class CameraProfile(StrictProfile):
    """One camera model: how to open it and what a usable photo from it looks like."""

    vendor: str
    model: str
    #: "vid:pid" lowercase hex; read by device discovery, not by the capture driver.
    usb_ids: list[str]
    #: Manual / datasheet the numbers were taken from (title and section or page).
    source: str
    width_px: int = Field(ge=16, le=8192)
    height_px: int = Field(ge=16, le=8192)
    fps: int = Field(ge=1, le=240)
    fourcc: Literal["MJPG", "YUYV", "H264"]
    jpeg_quality: int = Field(ge=1, le=100)
    preview_width_px: int = Field(default=640, ge=16, le=4096)
    preview_jpeg_quality: int = Field(default=70, ge=1, le=100)
    #: No new frame for this long puts the camera into ERROR.
    frame_timeout_s: float = Field(default=2.0, gt=0)
    quality: QualityThresholds

    @field_validator("usb_ids")
    @classmethod
    def _usb_ids_are_vid_pid(cls, ids: list[str]) -> list[str]:
        for usb_id in ids:
            vid, sep, pid = usb_id.partition(":")
            ok = sep == ":" and len(vid) == 4 and len(pid) == 4
            if not ok or usb_id != usb_id.lower() or not _is_hex(vid + pid):
                raise ValueError(f"{usb_id!r} is not a lowercase 'vid:pid' pair like '046d:082d'")
        return ids


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def load_camera_profile(path: Path) -> CameraProfile:
    """Read one camera profile; raises drivers.profiles.ProfileError naming file and key."""
    return load_profile(path, CameraProfile)


def shipped_camera_profiles() -> list[Path]:
    """Every camera profile shipped in firmware_configs/cameras/."""
    return shipped_profiles("cameras")
