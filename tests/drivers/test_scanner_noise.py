"""Line noise never becomes a scan: plausibility rules, 1 MB of random bytes on a real pty."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

import numpy as np
import pytest

from drivers.scanner.interpret import interpret
from drivers.scanner.plausibility import implausible
from drivers.scanner.profile import scanner_profile
from drivers.scanner.serial_source import LineFramer, SerialScannerSource
from drivers.sim.scanner import SimulatedSerialScanner
from drivers.state import DeviceState

GS = "\x1d"

PLAUSIBLE = [
    ("RMA-2026-000123", None),
    ("1Z999AA10123456784", None),  # a UPS tracking number
    ("A-01", None),  # a bin label
    ("NEXT", None),  # a command barcode
    ("]E04006381333931", None),  # EAN-13 with AIM id
    ("]E096385074", None),  # EAN-8 under ]E0 (some scanners)
    ("]E0042100005264", None),  # UPC-A as 12 digits
    ("]E004252614", None),  # UPC-E as 8 digits (expands to 042100005264)
    ("]E3400638133393112", None),  # EAN-13 + 2-digit add-on
    ("]E496385074", None),  # EAN-8
    ("]I104006381333931", None),  # ITF-14
    ("]C10104006381333931" + GS + "21SN-1", None),  # GS1-128 with FNC1 as GS
    ("]d201040063813339312112345", None),  # GS1 DataMatrix
    ("]Q3https://id.gs1.org/01/04006381333931/21/SN-1", None),  # GS1 QR Digital Link
    ("退货单 RMA-88", "QRCode"),  # Chinese text in a QR code read by the camera
    ("[)>\x1e06" + GS + "1PHP200" + GS + "SSN123\x1e\x04", None),  # ISO/IEC 15434 format 06
    ("https://example.com/r?rma=RMA-1&x=2", None),
]

IMPLAUSIBLE = [
    ("i", None, "shorter than 4"),
    (GS, None, "shorter than 4"),
    ("----", None, "no letter or digit"),
    ("]E04006381333932", None, "check digit"),  # last digit off by one
    ("]E4963850", None, "check digit"),  # EAN-8 with a digit missing
    ("]E04006x81333931", None, "other than digits"),
    ("]I104006381333932", None, "check digit"),
    ("]C1HELLO-WORLD", None, "GS1 element string"),
    ("]d2not gs1 data", None, "GS1 element string"),
    ("AB" + GS + "CDEF", None, "separator"),
    ("ЖRMA-12345", None, "beyond ASCII"),
    ("=w_t", None, "capitals"),
    ("PG&&", None, "capitals"),
    ("ab12", None, "capitals"),
    ("?T\\@jKS6", None, "punctuation"),
    ("4006381333932", "EAN13", "check digit"),  # a camera misread
]


@pytest.mark.parametrize(("text", "symbology"), PLAUSIBLE)
def test_real_codes_are_plausible(text: str, symbology: str | None) -> None:
    assert implausible(interpret(text, "test", symbology)) is None


@pytest.mark.parametrize(("text", "symbology", "why"), IMPLAUSIBLE)
def test_noise_and_misreads_are_not(text: str, symbology: str | None, why: str) -> None:
    reason = implausible(interpret(text, "test", symbology))
    assert reason is not None and why in reason


def test_the_minimum_length_is_the_profiles() -> None:
    event = interpret("AB1", "test")
    assert implausible(event, min_chars=3) is None
    assert "shorter than 4" in str(implausible(event))
    assert scanner_profile("generic-serial").min_chars == 4


def test_random_bytes_through_the_framer_give_no_scans() -> None:
    """8 MB of seeded random bytes cut into lines: the accepted "scans" are counted."""
    rng = random.Random(20261203)
    accepted: list[str] = []
    lines = 0
    for _ in range(8):
        framer = LineFramer(b"\r")
        for line in framer.feed(rng.randbytes(1 << 20)):
            lines += 1
            event = None
            text = line.decode("utf-8", errors="replace")
            try:
                event = interpret(text, "noise")
            except ValueError:
                continue
            if implausible(event) is None:
                accepted.append(event.raw)
    assert lines > 50_000
    assert len(accepted) <= 3, accepted  # measured 4 in 50 MB: about 0.08 per MB


class Scans:
    """Scans the source delivered, with a condition to wait on."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.cond = threading.Condition()

    def add(self, event: object) -> None:
        with self.cond:
            self.texts.append(getattr(event, "raw", ""))
            self.cond.notify_all()


def test_one_megabyte_of_noise_then_a_good_scan_on_a_pty(
    wait_for: Callable[..., bool],
) -> None:
    scans = Scans()
    noise = random.Random(7).randbytes(1 << 20)
    with SimulatedSerialScanner(scanner_profile("generic-serial")) as sim:
        source = SerialScannerSource(sim.port, device="serial-1", on_scan=scans.add)
        with source:
            assert wait_for(lambda: source.status.state is DeviceState.READY)
            sim.send_garbage(noise)
            assert wait_for(lambda: source.stats.garbage > 1000, timeout_s=30)
            sim.scan("RMA-2026-000777")
            assert wait_for(lambda: "RMA-2026-000777" in scans.texts, timeout_s=30)
            assert source.status.state is DeviceState.READY
    assert scans.texts[-1] == "RMA-2026-000777"
    assert len(scans.texts) <= 2, scans.texts  # noise itself: about 0.08 per MB


def test_an_unterminated_megabyte_does_not_swallow_the_next_scan(
    wait_for: Callable[..., bool],
) -> None:
    scans = Scans()
    noise = bytes(b for b in random.Random(8).randbytes(1 << 20) if b not in b"\r\n")
    with SimulatedSerialScanner(scanner_profile("generic-serial")) as sim:
        source = SerialScannerSource(sim.port, device="serial-1", on_scan=scans.add)
        with source:
            assert wait_for(lambda: source.status.state is DeviceState.READY)
            sim.send_raw(noise)  # no terminator anywhere
            assert wait_for(
                lambda: "over-long line dropped" in source.stats.last_garbage_reason,
                timeout_s=30,
            )
            sim.scan("RMA-2026-000778")
            assert wait_for(lambda: scans.texts == ["RMA-2026-000778"])


def test_bad_camera_frames_are_counted_and_skipped() -> None:
    from drivers.scanner.camera_decode import CameraDecoder, frame_problem

    assert frame_problem(np.zeros((48, 64, 2), np.uint8)) == "frame has 2 channels, not 1, 3 or 4"
    assert frame_problem(np.zeros((48, 64), np.uint16)) == "frame has uint16 pixels, not 8-bit"
    assert frame_problem(np.zeros((48, 64, 3), np.uint8)) is None
    with pytest.raises(ValueError, match="2 channels"):
        CameraDecoder().decode(np.zeros((48, 64, 2), np.uint8))
