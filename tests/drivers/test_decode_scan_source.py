"""Camera as a scanner: codes shown to the synthetic camera arrive once as ScanEvents."""

from __future__ import annotations

import queue
from pathlib import Path

from drivers.camera.capture import CameraCapture
from drivers.camera.profile import load_camera_profile, shipped_camera_profiles
from drivers.scanner.aim import Symbology
from drivers.scanner.camera_decode import CameraScanSource, DecoderConfig
from drivers.scanner.events import ScanEvent
from drivers.sim.camera import SyntheticCamera

PROFILE = load_camera_profile(Path(shipped_camera_profiles()[0]).parent / "generic-uvc.toml")


def test_a_code_held_up_to_the_camera_is_scanned_once_and_the_next_one_too() -> None:
    sim = SyntheticCamera(480, 360, fps=30)
    scans: queue.Queue[ScanEvent] = queue.Queue()
    with CameraCapture(PROFILE, sim) as capture:
        source = CameraScanSource(capture, scans.put, DecoderConfig(hold_s=30.0)).start()
        try:
            sim.present("(01)04006381333931(21)RET-7", Symbology.GS1_DATAMATRIX, module_px=4)
            first = scans.get(timeout=10)
            frames_then = source.frames_decoded
            sim.present("96385074", Symbology.EAN8, module_px=3)
            second = scans.get(timeout=10)
            assert source.frames_decoded > frames_then
        finally:
            source.close()
    assert (first.gtin, first.serial, first.source) == ("04006381333931", "RET-7", "camera")
    assert (second.symbology, second.gtin) == ("ean8", "00000096385074")
    # the DataMatrix stayed in view for many frames before the swap, yet it was reported once
    leftovers = [scans.get_nowait() for _ in range(scans.qsize())]
    assert [e.text for e in leftovers if e.serial == "RET-7"] == []
