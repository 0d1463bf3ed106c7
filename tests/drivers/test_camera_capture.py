"""CameraCapture with the synthetic camera: latest frame, stills, preview, faults as device state."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from drivers.camera.capture import CameraCapture
from drivers.camera.profile import CameraProfile, load_camera_profile, shipped_camera_profiles
from drivers.profiles import ProfileError
from drivers.scanner.aim import Symbology
from drivers.scanner.camera_decode import CameraDecoder
from drivers.sim import photoset
from drivers.sim.camera import RecordedCamera, SyntheticCamera
from drivers.state import DeviceState, DeviceStatus

GENERIC = load_camera_profile(Path(shipped_camera_profiles()[0]).parent / "generic-uvc.toml")


def _profile(**changes: object) -> CameraProfile:
    update: dict[str, object] = {"frame_timeout_s": 0.3, "preview_width_px": 160}
    update.update(changes)
    return GENERIC.model_copy(update=update)


class StatusLog:
    """Collects DeviceStatus callbacks and waits for a state."""

    def __init__(self) -> None:
        self.seen: list[DeviceStatus] = []
        self._cond = threading.Condition()

    def __call__(self, status: DeviceStatus) -> None:
        with self._cond:
            self.seen.append(status)
            self._cond.notify_all()

    def wait_for(self, state: DeviceState, timeout_s: float = 5.0) -> DeviceStatus:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for status in reversed(self.seen):
                    if status.state is state:
                        return status
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {state} status; saw {self.seen}")
                self._cond.wait(remaining)


@pytest.fixture
def camera() -> SyntheticCamera:
    sim = SyntheticCamera(320, 240, fps=60)
    sim.present("4006381333931", Symbology.EAN13, module_px=2)
    return sim


@pytest.fixture
def running(camera: SyntheticCamera) -> Iterator[tuple[CameraCapture, StatusLog]]:
    log = StatusLog()
    capture = CameraCapture(_profile(), camera, on_status=log).start()
    yield capture, log
    capture.close()


def test_capture_holds_the_latest_frame(
    camera: SyntheticCamera, running: tuple[CameraCapture, StatusLog]
) -> None:
    capture, log = running
    first = capture.wait_frame(0, timeout_s=5)
    assert first is not None
    later = capture.wait_frame(first[0] + 2, timeout_s=5)
    assert later is not None and later[0] > first[0]
    assert later[1].shape == (240, 320, 3)
    assert log.wait_for(DeviceState.READY).reason == "streaming 320x240"
    assert camera.frames_served >= later[0]


def test_a_still_is_a_jpeg_of_the_camera_resolution_with_its_hash_and_quality(
    running: tuple[CameraCapture, StatusLog],
) -> None:
    capture, log = running
    log.wait_for(DeviceState.READY)
    still = capture.still()
    assert still is not None
    assert still.jpeg[:2] == b"\xff\xd8"
    decoded = cv2.imdecode(np.frombuffer(still.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert decoded.shape == (240, 320, 3)
    assert (still.width_px, still.height_px) == (320, 240)
    assert still.sha256 == hashlib.sha256(still.jpeg).hexdigest()
    assert still.problems == []
    assert still.metrics.sharpness > 0


def test_the_preview_is_smaller_and_encoded_once_per_frame(
    running: tuple[CameraCapture, StatusLog],
) -> None:
    capture, _ = running
    assert capture.wait_frame(0, timeout_s=5) is not None
    capture.close()  # freeze the latest frame
    first = capture.preview_jpeg()
    again = capture.preview_jpeg()
    assert first is again
    assert capture._preview.encode_count == 1
    preview = cv2.imdecode(np.frombuffer(first, np.uint8), cv2.IMREAD_COLOR)
    assert preview is not None
    assert preview.shape == (120, 160, 3)


@pytest.mark.parametrize(
    ("fault", "reason_part"),
    [
        ("read_fails", "no frame from camera"),
        ("stall", "no frame from camera"),
        ("unplugged", "No such device"),
    ],
)
def test_a_failing_camera_goes_to_error_with_a_reason_and_recovers(
    camera: SyntheticCamera, running: tuple[CameraCapture, StatusLog], fault: str,
    reason_part: str,
) -> None:
    capture, log = running
    log.wait_for(DeviceState.READY)
    camera.stall_s = 0.1
    camera.set_fault(fault)
    error = log.wait_for(DeviceState.ERROR)
    assert reason_part in error.reason
    assert capture.status.state is DeviceState.ERROR
    assert capture.still() is None  # no evidence photo from a dead camera, and no exception
    log.seen.clear()
    camera.set_fault(None)
    assert log.wait_for(DeviceState.READY).reason.startswith("streaming")


def test_a_missing_device_is_an_error_naming_it(tmp_path: Path) -> None:
    log = StatusLog()
    missing = str(tmp_path / "video99")
    capture = CameraCapture(_profile(), missing, on_status=log).start()
    try:
        error = log.wait_for(DeviceState.ERROR)
        assert missing in error.reason
        assert capture.still() is None
        assert capture.preview_jpeg() == b""
    finally:
        capture.close()
    assert capture.status.state is DeviceState.DISCONNECTED


def test_a_broken_status_listener_does_not_stop_the_camera(camera: SyntheticCamera) -> None:
    def broken(_: DeviceStatus) -> None:
        raise RuntimeError("listener bug")

    with CameraCapture(_profile(), camera, on_status=broken) as capture:
        assert capture.wait_frame(0, timeout_s=5) is not None
        assert capture.wait_frame(3, timeout_s=5) is not None


@pytest.mark.parametrize("path", shipped_camera_profiles(), ids=lambda p: p.stem)
def test_every_shipped_profile_runs_with_the_synthetic_camera(path: Path) -> None:
    profile = load_camera_profile(path)
    assert all(len(usb_id) == 9 for usb_id in profile.usb_ids)
    assert profile.source
    sim = SyntheticCamera(profile.width_px, profile.height_px, fps=profile.fps)
    sim.present("(01)04006381333931(21)SN1", Symbology.GS1_DATAMATRIX, module_px=6)
    log = StatusLog()
    with CameraCapture(profile, sim, on_status=log) as capture:
        log.wait_for(DeviceState.READY)
        still = capture.still()
        assert still is not None
        assert (still.width_px, still.height_px) == (profile.width_px, profile.height_px)
        assert still.problems == []
        newest = capture.latest()
        assert newest is not None
        events = CameraDecoder().scan(newest[1])
        assert [e.serial for e in events] == ["SN1"]


def test_a_profile_with_a_misspelled_key_names_file_and_key(tmp_path: Path) -> None:
    text = (Path(shipped_camera_profiles()[0])).read_text(encoding="utf-8")
    bad = tmp_path / "typo.toml"
    bad.write_text(text.replace("jpeg_quality", "jpg_quality"), encoding="utf-8")
    with pytest.raises(ProfileError, match=r"typo\.toml.*jpg_quality"):
        load_camera_profile(bad)


def test_a_profile_with_an_uppercase_usb_id_is_refused(tmp_path: Path) -> None:
    text = (Path(shipped_camera_profiles()[0]).parent / "logitech-c920.toml").read_text(
        encoding="utf-8"
    )
    bad = tmp_path / "upper.toml"
    bad.write_text(text.replace('"046d:082d"', '"046D:082D"'), encoding="utf-8")
    with pytest.raises(ProfileError, match="usb_ids"):
        load_camera_profile(bad)


def test_a_folder_of_photos_plays_as_a_camera_and_its_codes_decode(tmp_path: Path) -> None:
    photos = list(
        photoset.generate(seed=3, variants=1, width_px=480, height_px=360,
                          symbologies=(Symbology.QR, Symbology.EAN8), conditions=("clean",))
    )
    photoset.write(photos, tmp_path)
    player = RecordedCamera(tmp_path, fps=200, loop=False)
    decoder = CameraDecoder()
    decoded: list[str] = []
    while True:
        ok, frame = player.read()
        if not ok or frame is None:
            break
        decoded.extend(r.text for r in decoder.decode(frame).results)
    assert sorted(photoset.normalised(t) for t in decoded) == sorted(
        photoset.normalised(p.text) for p in photos
    )


def test_a_folder_without_images_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no images"):
        RecordedCamera(tmp_path)
