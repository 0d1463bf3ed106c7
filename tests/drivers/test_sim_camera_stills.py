"""The simulated camera's stills: bigger than its cheap stream, same view, never byte-identical."""

from __future__ import annotations

import time

from drivers.camera.capture import CameraCapture
from drivers.scanner.aim import Symbology
from drivers.sim.camera import SyntheticCamera
from station.config import DevicesSection
from station.devices.adapters import camera_profile_named
from station.devices.simulators import SIM_CAMERA_SIZE_PX, sim_stream_size


def test_the_default_still_is_1280x720_and_the_stream_stays_640_wide() -> None:
    assert DevicesSection().sim_camera_size == SIM_CAMERA_SIZE_PX == (1280, 720)
    assert sim_stream_size((1280, 720)) == (640, 360)
    assert sim_stream_size((1920, 1080)) == (640, 360)
    assert sim_stream_size((640, 480)) == (640, 480)


def test_a_still_is_rendered_at_the_still_size_with_the_code_where_the_stream_shows_it() -> None:
    camera = SyntheticCamera(640, 360, paced=False, still_size=(1280, 720))
    camera.noise_std = 2.0
    camera.present("5012345678900", Symbology.EAN13)
    frame, still, again = camera.frame(), camera.still_frame(), None
    camera.frames_served += 1
    again = camera.still_frame()
    assert frame.shape == (360, 640, 3) and still.shape == (720, 1280, 3)
    assert still.tobytes() != again.tobytes()  # sensor noise: two stills differ
    # the label sits in the middle of both pictures (same framing, twice the pixels)
    assert abs(int(still[360, 640].mean()) - int(frame[180, 320].mean())) < 40


def test_camera_capture_takes_the_still_from_the_source_s_still_mode() -> None:
    camera = SyntheticCamera(320, 180, fps=60, still_size=(1280, 720))
    with CameraCapture(camera_profile_named("generic-uvc"), camera) as capture:
        deadline = time.monotonic() + 5
        still = None
        while still is None and time.monotonic() < deadline:
            still = capture.still()
            time.sleep(0.02)
        assert still is not None
        assert (still.width_px, still.height_px) == (1280, 720)
        assert capture.latest() is not None and capture.latest()[1].shape == (180, 320, 3)  # type: ignore[index]
