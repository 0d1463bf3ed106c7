"""interpret(): what the station gets from one scan's text (GS1, GTIN, plain labels, rejects)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner.events import ScanEvent
from drivers.scanner.interpret import MAX_SCAN_CHARS, ScanRejected, check_digit_ok, interpret

GS = "\x1d"


@pytest.mark.parametrize(
    ("raw", "gtin", "serial", "lot", "expiry"),
    [
        # GS1-128 with FNC1 as GS between variable-length fields
        (
            f"]C101095011010209171719050810ABCD1234{GS}2110",
            "09501101020917",
            "10",
            "ABCD1234",
            date(2019, 5, 8),
        ),
        # GS1 DataMatrix, leading FNC1 transmitted as GS too
        (f"]d2{GS}0109501101020917{GS}10LOT7", "09501101020917", None, "LOT7", None),
        # GS1 QR with serial last (no separator needed at the end)
        ("]Q3010950600013435221SN-0042", "09506000134352", "SN-0042", None, None),
        # GS1 DataBar Expanded
        ("]e0010950110102091717251231", "09501101020917", None, None, date(2025, 12, 31)),
        # human-readable bracketed form, as typed from a label or returned by some decoders
        (
            "(01)09506000134352(21)123(17)251231(10)AB",
            "09506000134352",
            "123",
            "AB",
            date(2025, 12, 31),
        ),
        # no AIM id (scanner set to send none) but GS present
        (f"0109501101020917{GS}21SER9", "09501101020917", "SER9", None, None),
        # GS1 Digital Link in a plain QR code, and without any AIM id
        (
            "]Q1https://id.gs1.org/01/09506000134352/10/ABC/21/123?17=251231",
            "09506000134352",
            "123",
            "ABC",
            date(2025, 12, 31),
        ),
        ("https://example.com/01/09506000134352/21/XYZ", "09506000134352", "XYZ", None, None),
    ],
)
def test_gs1_scans_yield_gtin_serial_lot_and_expiry(
    raw: str, gtin: str, serial: str | None, lot: str | None, expiry: date | None
) -> None:
    event = interpret(raw, "bench-1")
    assert (event.gtin, event.serial, event.lot, event.expiry) == (gtin, serial, lot, expiry)
    assert event.gs1_elements[0][0] == "01"
    assert event.source == "bench-1"


@pytest.mark.parametrize(
    ("raw", "symbology", "gtin", "named"),
    [
        ("4006381333931", None, "04006381333931", None),  # EAN-13, no symbology known
        ("]E04006381333931", None, "04006381333931", "ean13"),
        ("]E00036000291452", None, "00036000291452", "ean13"),  # UPC-A sent as 13 digits
        ("036000291452", None, "00036000291452", None),  # UPC-A, 12 digits
        ("]E496385074", None, "00000096385074", "ean8"),
        ("96385074", "EAN8", "00000096385074", "ean8"),
        ("]E001234565", None, "00012345000065", "ean13"),  # UPC-E, expanded to UPC-A
        ("01234565", "UPCE", "00012345000065", "upce"),
        ("]I110012345678902", None, "10012345678902", "itf14"),
        ("4006381333931", "EAN13", "04006381333931", "ean13"),
    ],
)
def test_retail_barcodes_with_valid_check_digits_are_gtins(
    raw: str, symbology: str | None, gtin: str, named: str | None
) -> None:
    event = interpret(raw, "cam", symbology)
    assert event.gtin == gtin
    assert event.symbology == named


@pytest.mark.parametrize(
    ("raw", "symbology"),
    [
        ("4006381333932", None),  # EAN-13 with a wrong check digit
        ("]E04006381333932", None),
        ("036000291453", None),
        ("96385075", "EAN8"),
        ("10012345678902", None),  # 14 bare digits: may be an order number, not claimed
        ("4006381333931", "Code128"),  # digits in a Code 128 are not an EAN
        ("]C04006381333931", None),
        ("RMA-2024-000123", None),  # RMA label
        ("1Z999AA10123456784", None),  # UPS tracking number
        ("SKU:TSHIRT-M-BLUE", "QRCode"),
        ("]C101095011010209171799139910A", None),  # GS1 with an impossible date stays text
    ],
)
def test_everything_else_stays_raw_text_without_gtin(raw: str, symbology: str | None) -> None:
    event = interpret(raw, "wedge-1", symbology)
    assert event.gtin is None
    assert event.raw == raw


def test_a_gs1_gtin_with_a_bad_check_digit_is_not_reported_but_the_serial_is() -> None:
    event = interpret(f"]C10109501101020918{GS}21X", "s")
    assert (event.gtin, event.serial) == (None, "X")


def test_the_raw_text_keeps_the_aim_prefix_and_text_drops_it() -> None:
    event = interpret("]C0RMA-77\r\n", "s")
    assert (event.raw, event.aim_id, event.text, event.symbology) == (
        "]C0RMA-77",
        "]C0",
        "RMA-77",
        "code128",
    )


def test_the_scan_time_can_be_given_by_the_source() -> None:
    assert interpret("RMA-1", "s", at=1234.5).at == 1234.5


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("\r\n", "empty"),
        ("\t", "empty"),
        ("x" * (MAX_SCAN_CHARS + 1), "exceeds"),
        ("\x00\x00\x00", "U+0000"),
        ("RMA\x07-1", "U+0007 at position 3"),
        ("ab\ufffdcd", "undecodable"),
        ("\ud800", "U+D800"),
    ],
)
def test_things_that_are_not_scans_are_rejected_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(ScanRejected, match=re.escape(reason)):
        interpret(raw, "s")


def test_a_scan_of_exactly_the_maximum_length_is_accepted() -> None:
    assert len(interpret("7" * MAX_SCAN_CHARS, "s").raw) == MAX_SCAN_CHARS


def test_a_huge_input_is_rejected_quickly_without_other_errors() -> None:
    with pytest.raises(ScanRejected):
        interpret("\x00" * 10_000_000, "s")


@pytest.mark.parametrize(
    ("symbology", "text", "ok"),
    [
        ("EAN13", "4006381333931", True),
        ("EAN13", "4006381333932", False),
        ("ean13", "400638133393", False),  # 12 digits is not EAN-13 ... unless valid UPC-A
        ("EAN13", "036000291452", True),
        ("EAN-8", "96385074", True),
        ("EAN8", "96385075", False),
        ("UPCA", "036000291452", True),
        ("UPC-A", "036000291453", False),
        ("UPCE", "01234565", True),
        ("UPCE", "01234566", False),
        ("UPCE", "21234565", False),  # number system 2 does not exist for UPC-E
        ("ITF14", "10012345678902", True),
        ("gtin", "09501101020917", True),
        (None, "96385074", True),
        (None, "9638507", False),
        ("EAN13", "40063813339x1", False),
        ("EAN13", "", False),
        ("EAN13", "٤٠٠٦٣٨١٣٣٣٩٣١", False),  # Arabic-Indic digits are not barcode digits
    ],
)
def test_check_digits_of_ean_upc_and_gtin(symbology: str | None, text: str, ok: bool) -> None:
    assert check_digit_ok(symbology, text) is ok


@pytest.mark.parametrize("symbology", ["QRCode", "Code128", "made-up"])
def test_check_digit_of_a_symbology_without_one_is_an_error(symbology: str) -> None:
    with pytest.raises(ValueError, match="no GS1 mod-10 check digit"):
        check_digit_ok(symbology, "4006381333931")


_PREFIXES = ["", "]C1", "]C0", "]E0", "]E4", "]e0", "]d2", "]Q3", "]Q1", "]I1", "(01)", "]Y9"]
_SCANLIKE = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(_PREFIXES),
    st.text(alphabet="0123456789()ABCxyz-/:." + GS, max_size=60),
)


@settings(max_examples=200, deadline=None)
@given(
    raw=st.one_of(st.text(max_size=200), _SCANLIKE),
    symbology=st.one_of(st.none(), st.sampled_from(["EAN13", "UPCE", "QRCode", "x"]), st.text()),
)
def test_any_text_gives_an_event_or_scan_rejected_and_nothing_else(
    raw: str, symbology: str | None
) -> None:
    try:
        event = interpret(raw, "fuzz", symbology)
    except ScanRejected as exc:
        assert str(exc)
        return
    assert isinstance(event, ScanEvent)
    assert event.raw
    if event.gtin is not None:
        assert len(event.gtin) == 14 and check_digit_ok("gtin", event.gtin)
