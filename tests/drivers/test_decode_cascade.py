"""Camera barcode decoding: every symbology the bench sees, check digits, de-dup, the cascade."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from drivers.scanner.aim import Symbology
from drivers.scanner.camera_decode import (
    ALL_STAGES,
    CameraDecoder,
    DecoderConfig,
    plausible,
    to_grey,
)
from drivers.scanner.decode_stages import read_zbar, read_zxing
from drivers.scanner.gtin import gs1_check_digit
from drivers.sim import photoset
from drivers.sim.camera import SyntheticCamera

# (symbology as printed, text as printed, symbology decoded, data decoded)
CODES = [
    (Symbology.EAN13, "4006381333931", Symbology.EAN13, "4006381333931"),
    (Symbology.UPCA, "036000291452", Symbology.UPCA, "0036000291452"),
    (Symbology.EAN8, "96385074", Symbology.EAN8, "96385074"),
    (Symbology.CODE128, "RMA-2024-00017", Symbology.CODE128, "RMA-2024-00017"),
    (Symbology.GS1_128, "(01)04006381333931(10)LOT7(21)SN42", Symbology.GS1_128,
     "010400638133393110LOT7\x1d21SN42"),
    (Symbology.QR, "https://returns.example/rma/88", Symbology.QR,
     "https://returns.example/rma/88"),
    (Symbology.DATAMATRIX, "SN-0042-XYZ", Symbology.DATAMATRIX, "SN-0042-XYZ"),
    (Symbology.GS1_DATAMATRIX, "(01)04006381333931(17)261231(21)ABC123",
     Symbology.GS1_DATAMATRIX, "01040063813339311726123121ABC123"),
]


def _frame(text: str, symbology: Symbology, module_px: int = 3, angle_deg: float = 0.0,
           width_px: int = 640, height_px: int = 480) -> np.ndarray:
    camera = SyntheticCamera(width_px, height_px, paced=False)
    camera.present(text, symbology, module_px=module_px, angle_deg=angle_deg)
    return camera.frame()


@pytest.mark.parametrize(("printed", "text", "symbology", "data"), CODES,
                         ids=[str(c[0]) for c in CODES])
def test_every_supported_symbology_is_read_from_a_camera_frame(
    printed: Symbology, text: str, symbology: Symbology, data: str
) -> None:
    report = CameraDecoder().decode(_frame(text, printed))
    assert [(r.symbology, r.text) for r in report.results] == [(symbology, data)]
    result = report.results[0]
    assert result.stage in ALL_STAGES
    assert result.reader in ("zxing", "zbar")
    xs = [x for x, _ in result.corners]
    ys = [y for _, y in result.corners]
    assert min(xs) < 320 < max(xs) and min(ys) < 240 < max(ys)  # the code is centred


def test_a_gs1_datamatrix_becomes_a_scan_with_gtin_serial_and_expiry() -> None:
    events = CameraDecoder().scan(_frame("(01)04006381333931(17)261231(21)ABC123",
                                         Symbology.GS1_DATAMATRIX))
    assert len(events) == 1
    event = events[0]
    assert event.aim_id == "]d2"
    assert event.symbology == "gs1-datamatrix"
    assert (event.gtin, event.serial, event.expiry) == (
        "04006381333931", "ABC123", date(2026, 12, 31)
    )
    assert event.source == "camera"


def test_a_gs1_128_label_gives_lot_and_serial() -> None:
    (event,) = CameraDecoder().scan(_frame("(01)04006381333931(10)LOT7(21)SN42",
                                           Symbology.GS1_128, module_px=2))
    assert (event.gtin, event.lot, event.serial) == ("04006381333931", "LOT7", "SN42")


def test_an_ean13_with_a_wrong_check_digit_is_rejected() -> None:
    assert plausible(Symbology.EAN13, "4006381333931")
    assert not plausible(Symbology.EAN13, "4006381333932")
    assert not plausible(Symbology.EAN8, "96385075")
    assert not plausible(Symbology.UPCA, "0036000291453")
    assert not plausible(Symbology.EAN13, "400638133393")  # a digit short: a partial read


@settings(max_examples=200, deadline=None)
@given(payload=hs.text(alphabet="0123456789", min_size=12, max_size=12),
       wrong=hs.integers(min_value=1, max_value=9))
def test_any_ean13_is_accepted_only_with_its_own_check_digit(payload: str, wrong: int) -> None:
    check = gs1_check_digit(payload)
    assert plausible(Symbology.EAN13, payload + str(check))
    assert not plausible(Symbology.EAN13, payload + str((check + wrong) % 10))


def test_a_code_held_in_view_is_reported_once_until_it_has_been_away() -> None:
    decoder = CameraDecoder(DecoderConfig(hold_s=2.0))
    frame = _frame("96385074", Symbology.EAN8)
    assert len(decoder.scan(frame, now=100.0)) == 1
    assert decoder.scan(frame, now=100.5) == []
    assert decoder.scan(frame, now=102.0) == []  # still in view: every sighting renews the hold
    assert len(decoder.scan(frame, now=104.5)) == 1  # gone for more than 2 s, then back


def test_two_different_codes_are_both_reported() -> None:
    decoder = CameraDecoder()
    first = decoder.scan(_frame("96385074", Symbology.EAN8), now=10.0)
    second = decoder.scan(_frame("SN-0042-XYZ", Symbology.DATAMATRIX), now=10.1)
    assert [e.text for e in first + second] == ["96385074", "SN-0042-XYZ"]


def test_zbar_alone_cannot_read_datamatrix_but_the_cascade_can() -> None:
    frame = _frame("SN-0042-XYZ", Symbology.DATAMATRIX)
    assert CameraDecoder(DecoderConfig(stages=("zbar",))).decode(frame).results == []
    assert CameraDecoder().decode(frame).results[0].text == "SN-0042-XYZ"


def test_a_frame_without_a_code_runs_every_stage_and_reports_nothing() -> None:
    camera = SyntheticCamera(320, 240, paced=False)
    report = CameraDecoder(DecoderConfig(budget_ms=10_000)).decode(camera.frame())
    assert report.results == []
    assert report.stages_run == list(ALL_STAGES)


def test_a_spent_budget_stops_the_cascade_after_the_first_stage() -> None:
    camera = SyntheticCamera(320, 240, paced=False)
    report = CameraDecoder(DecoderConfig(budget_ms=0.0)).decode(camera.frame())
    assert report.stages_run == ["zxing"]


def test_stages_are_configurable_and_a_typo_is_an_error() -> None:
    frame = _frame("4006381333931", Symbology.EAN13)
    report = CameraDecoder(DecoderConfig(stages=("zbar",))).decode(frame)
    assert [(r.stage, r.reader) for r in report.results] == [("zbar", "zbar")]
    with pytest.raises(ValueError, match="zxingg"):
        DecoderConfig(stages=("zxingg",))


def test_a_tiny_tilted_code_is_read_by_a_later_stage_and_says_which() -> None:
    photos = photoset.generate(seed=11, variants=4, width_px=960, height_px=540,
                               symbologies=(Symbology.EAN13, Symbology.CODE128),
                               conditions=("rotated", "small"))
    later = set()
    for photo in photos:
        report = CameraDecoder(DecoderConfig(budget_ms=10_000)).decode(photo.image)
        hits = [r for r in report.results if photoset.is_match(photo, r.text)]
        if hits and hits[0].stage not in ("zxing", "zbar"):
            later.add(hits[0].stage)
    assert later, "no photo needed a preprocessing stage; the set got too easy"


def test_the_cascade_reads_every_photo_either_library_reads_alone() -> None:
    photos = list(photoset.generate(seed=5, variants=1, width_px=960, height_px=540,
                                    conditions=("clean", "blur", "rotated", "glare")))
    decoder = CameraDecoder(DecoderConfig(budget_ms=10_000))
    for photo in photos:
        grey = to_grey(photo.image)
        alone = any(photoset.is_match(photo, r.text) for r in read_zxing(grey) + read_zbar(grey))
        cascade = any(photoset.is_match(photo, r.text) for r in decoder.decode(photo.image).results)
        assert cascade or not alone, photo.name


def test_the_photo_set_is_the_same_for_the_same_seed() -> None:
    first = list(photoset.generate(seed=9, variants=1, width_px=320, height_px=240,
                                   symbologies=(Symbology.QR,), conditions=("noise", "curved")))
    again = list(photoset.generate(seed=9, variants=1, width_px=320, height_px=240,
                                   symbologies=(Symbology.QR,), conditions=("noise", "curved")))
    assert [p.text for p in first] == [p.text for p in again]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again, strict=True))
