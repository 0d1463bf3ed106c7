"""AIM symbology identifiers and symbology names, as the scanners and camera decoders send them."""

from __future__ import annotations

import pytest

from drivers.scanner.aim import Symbology, normalise_symbology, parse_aim


@pytest.mark.parametrize(
    ("scan", "aim_id", "symbology", "is_gs1", "data"),
    [
        ("]C10109501101020917", "]C1", Symbology.GS1_128, True, "0109501101020917"),
        ("]C0RMA-000123", "]C0", Symbology.CODE128, False, "RMA-000123"),
        ("]E04006381333931", "]E0", Symbology.EAN13, True, "4006381333931"),
        ("]E496385074", "]E4", Symbology.EAN8, True, "96385074"),
        ("]e00109501101020917", "]e0", Symbology.GS1_DATABAR, True, "0109501101020917"),
        ("]d1SERIAL-77", "]d1", Symbology.DATAMATRIX, False, "SERIAL-77"),
        ("]d20109501101020917", "]d2", Symbology.GS1_DATAMATRIX, True, "0109501101020917"),
        ("]Q1https://example.com/x", "]Q1", Symbology.QR, False, "https://example.com/x"),
        ("]Q30109501101020917", "]Q3", Symbology.GS1_QR, True, "0109501101020917"),
        ("]A0ABC-123", "]A0", Symbology.CODE39, False, "ABC-123"),
        ("]I110012345678902", "]I1", Symbology.ITF14, True, "10012345678902"),
        ("]L2PDF", "]L2", Symbology.PDF417, False, "PDF"),
        ("]z0AZTEC", "]z0", Symbology.AZTEC, False, "AZTEC"),
        ("]X0other", "]X0", Symbology.OTHER, False, "other"),
        ("]Y2ABdata", "]Y2AB", Symbology.OTHER, False, "data"),
    ],
)
def test_an_aim_prefix_is_split_off_and_named(
    scan: str, aim_id: str, symbology: Symbology, is_gs1: bool, data: str
) -> None:
    aim, rest = parse_aim(scan)
    assert aim is not None
    assert (aim.aim_id, aim.symbology, aim.is_gs1, rest) == (aim_id, symbology, is_gs1, data)


@pytest.mark.parametrize(
    "scan", ["RMA-1", "", "]", "]C", "]!1data", "]W1data", "]Y9AB", "[C1 not aim", " ]C1x"]
)
def test_text_without_a_valid_aim_prefix_is_all_data(scan: str) -> None:
    assert parse_aim(scan) == (None, scan)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("EAN13", Symbology.EAN13),
        ("EAN-13", Symbology.EAN13),
        ("UPCA", Symbology.UPCA),
        ("UPC-E", Symbology.UPCE),
        ("QRCode", Symbology.QR),
        ("QRCODE", Symbology.QR),
        ("CODE128", Symbology.CODE128),
        ("I25", Symbology.ITF),
        ("DataBarExpanded", Symbology.GS1_DATABAR),
        ("BarcodeFormat.DataMatrix", Symbology.DATAMATRIX),
        ("ZBarSymbol.EAN8", Symbology.EAN8),
        ("gs1-128", Symbology.GS1_128),
        ("Telepen", None),
        ("", None),
        (None, None),
    ],
)
def test_decoder_symbology_names_map_to_ours(name: str | None, expected: Symbology | None) -> None:
    assert normalise_symbology(name) == expected
