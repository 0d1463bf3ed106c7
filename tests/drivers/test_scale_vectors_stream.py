"""Byte vectors from the manuals through the streaming parsers (CAS, AND, Ohaus/regex, USB HID POS)."""

from __future__ import annotations

import pytest

from drivers.scale import cas, generic_stream, hid
from drivers.scale.reading import ScaleStatus
from tests.drivers.scale_vectors import Bad, W, check, counts

OK, OVER, UNDER = ScaleStatus.OK, ScaleStatus.OVERLOAD, ScaleStatus.UNDERLOAD


# -- CAS CI-600D --------------------------------------------------------------------------------
CAS22_FMT = "CAS CI-600D manual, §10-1 CAS 22Bytes Format, p. 74"
CAS10_FMT = "CAS CI-600D manual, §10-2 CAS 10Bytes, p. 74"
AND18_FMT = "CAS CI-600D manual, §10-3 AND 18bytes, p. 74"
CAS400 = "CAS CI-400 manual, Appendix 1 Data format, p. 104 (lamp byte bit 5 = 1 on that model)"

CAS22: list[tuple[bytes, W | Bad, str]] = [
    (b"ST,GS,1\xc4,000013.5 kg\r\n", W(13_500_000, unit="kg"), CAS22_FMT),  # the manual's 13.5 kg
    (b"US,GS,1\x84,000013.5 kg\r\n", W(13_500_000, stable=False), CAS22_FMT),
    (b"ST,GS,1\x84,000013.5 kg\r\n", W(13_500_000, stable=False), CAS22_FMT),  # lamp b6 clear
    (b"ST,NT,1\xc2,000010.0 kg\r\n", W(10_000_000, net=True), CAS22_FMT),  # net, lamp b1 tare
    (b"ST,NT,1\xc2,-00002.5 kg\r\n", W(-2_500_000, net=True), CAS22_FMT),
    (b"ST,GS,1\xc5,00000.00 kg\r\n", W(0), CAS22_FMT),  # lamp b0 zero point
    (b"ST,GS,1\xd4,0001.234 kg\r\n", W(1_234_000), CAS22_FMT),  # lamp b4 hold
    (b"ST,GS,1\xc4,00001234 kg\r\n", W(1_234_000_000), CAS22_FMT),  # no decimal point
    (b"ST,GS,1\xc4,0001.250  t\r\n", W(1_250_000_000, unit="t"), CAS22_FMT),  # unit t
    (b"OL,GS,1\x84,  ------ kg\r\n", W(None, stable=False, status=OVER), CAS22_FMT),
    (b"ST,GS,\x81\xc4,000013.5 kg\r\n", W(13_500_000), CAS22_FMT),  # a binary device id
    (b"ST,GS,1\xe4,000013.5 kg\r\n", W(13_500_000), CAS400),
    # refused, with the reason
    (b"ST,GS,1\x44,000013.5 kg\r\n", Bad("bit 7"), CAS22_FMT),  # lamp bit 7 is always 1
    (b"ST,GS,1\xc4,00013.5 kg\r\n", Bad("21 bytes"), CAS22_FMT),
    (b"ST,GS,1\xc4,0000013.5 kg\r\n", Bad("23 bytes"), CAS22_FMT),
    (b"ST,GS,1\xc4,000013.5 kg\n\r", Bad("CR LF"), CAS22_FMT),
    (b"XX,GS,1\xc4,000013.5 kg\r\n", Bad("not a CAS 22-byte line"), CAS22_FMT),
    (b"ST,XX,1\xc4,000013.5 kg\r\n", Bad("not a CAS 22-byte line"), CAS22_FMT),
    (b"ST;GS;1\xc4;000013.5 kg\r\n", Bad("not a CAS 22-byte line"), CAS22_FMT),
    (b"ST,GS,1\xc4,0000ab.5 kg\r\n", Bad("unreadable"), CAS22_FMT),
    (b"ST,GS,1\xc4,000013.5 st\r\n", Bad("unknown weight unit"), CAS22_FMT),
    (b"ST,GS,1\xc4,000\xb013.5 kg\r\n", Bad("non-ASCII"), CAS22_FMT),
]
CAS10: list[tuple[bytes, W | Bad, str]] = [
    (b"000013.5\r\n", W(13_500_000, stable=False, stable_known=False), CAS10_FMT),
    (b"0001.234\r\n", W(1_234_000, stable=False, stable_known=False), CAS10_FMT),
    (b"-001.234\r\n", W(-1_234_000, stable=False, stable_known=False), CAS10_FMT),
    (b"00000000\r\n", W(0, stable=False, stable_known=False), CAS10_FMT),
    (b"00001234\r\n", W(1_234_000_000, stable=False, stable_known=False), CAS10_FMT),
    (b"  13.500\r\n", W(13_500_000, stable=False, stable_known=False), CAS10_FMT),
    (b"0013.500\r\n", W(13_500_000, stable=False, stable_known=False), CAS10_FMT),
    (b"0000.001\r\n", W(1_000, stable=False, stable_known=False), CAS10_FMT),
    (b"9999.999\r\n", W(9_999_999_000, stable=False, stable_known=False), CAS10_FMT),
    (b"-0000.50\r\n", W(-500_000, stable=False, stable_known=False), CAS10_FMT),
    # refused, with the reason
    (b"001.234\r\n", Bad("9 bytes"), CAS10_FMT),
    (b"00001.234\r\n", Bad("11 bytes"), CAS10_FMT),
    (b"0001.234", Bad("CR LF"), CAS10_FMT),
    (b"0001.234\n\r", Bad("CR LF"), CAS10_FMT),
    (b"ABCDEFGH\r\n", Bad("unreadable"), CAS10_FMT),
    (b"0001,234\r\n", Bad("unreadable"), CAS10_FMT),
    (b"00\xff1.234\r\n", Bad("non-ASCII"), CAS10_FMT),
    (b"1.2.3.45\r\n", Bad("unreadable"), CAS10_FMT),
    (b"        \r\n", Bad("unreadable"), CAS10_FMT),
    (b"--001.23\r\n", Bad("unreadable"), CAS10_FMT),
]
AND18: list[tuple[bytes, W | Bad, str]] = [
    (b"ST,GS,0001.234kg\r\n", W(1_234_000, unit="kg"), AND18_FMT),
    (b"US,GS,0001.234kg\r\n", W(1_234_000, stable=False), AND18_FMT),
    (b"ST,NT,0000.500kg\r\n", W(500_000, net=True), AND18_FMT),
    (b"ST,GS,-001.234kg\r\n", W(-1_234_000), AND18_FMT),
    (b"US,GS,+001.234kg\r\n", W(1_234_000, stable=False), AND18_FMT),
    (b"ST,GS,00001234kg\r\n", W(1_234_000_000), AND18_FMT),  # no decimal point
    (b"ST,GS,   1.234kg\r\n", W(1_234_000), AND18_FMT),  # leading spaces
    (b"ST,GS,001.2500 t\r\n", W(1_250_000_000, unit="t"), AND18_FMT),  # unit t
    (b"OL,GS,9999999 kg\r\n", W(None, stable=False, status=OVER), AND18_FMT),
    (b"ST,GS,00000.00kg\r\n", W(0), AND18_FMT),
    # refused, with the reason
    (b"ST,GS,001.234kg\r\n", Bad("17 bytes"), AND18_FMT),
    (b"ST,GS,0001.234kg", Bad("CR LF"), AND18_FMT),
    (b"XX,GS,0001.234kg\r\n", Bad("not an AND 18-byte line"), AND18_FMT),
    (b"ST,XX,0001.234kg\r\n", Bad("not an AND 18-byte line"), AND18_FMT),
    (b"ST,GS,0001.234st\r\n", Bad("unknown weight unit"), AND18_FMT),
    (b"ST,GS,000a.234kg\r\n", Bad("unreadable"), AND18_FMT),
    (b"ST,GS,\xb0001.234kg\r\n", Bad("non-ASCII"), AND18_FMT),
    (b"ST GS 0001.234kg\r\n", Bad("not an AND 18-byte line"), AND18_FMT),
    (b"ST,GS,0001.234kg\n\r", Bad("CR LF"), AND18_FMT),
    (b"ST,GS,0001.2.4kg\r\n", Bad("unreadable"), AND18_FMT),
]


@pytest.mark.parametrize(("frame", "want", "source"), CAS22, ids=[repr(v[0]) for v in CAS22])
def test_cas_22_byte_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(lambda f: cas.parse(f, variant="cas22"), frame, want)


@pytest.mark.parametrize(("frame", "want", "source"), CAS10, ids=[repr(v[0]) for v in CAS10])
def test_cas_10_byte_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(lambda f: cas.parse(f, variant="cas10", unit="kg"), frame, want)


@pytest.mark.parametrize(("frame", "want", "source"), AND18, ids=[repr(v[0]) for v in AND18])
def test_and_18_byte_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(lambda f: cas.parse(f, variant="and18"), frame, want)


# -- Ohaus print output through the regex stream, and an Adam-style P reply ---------------------
OHAUS = "Ohaus Explorer instruction manual, interface output format and examples, p. EN-156"
ADAM = "Odoo IoT serial scale driver, Adam protocol record (P request, reply \\s*([0-9.]+)kg)"
OHAUS_RE = generic_stream.compile_pattern(generic_stream.DEFAULT_PATTERN)
ADAM_RE = generic_stream.compile_pattern(r"\s*(?P<weight>[0-9]*\.?[0-9]+)\s*(?P<unit>kg)\s*")

STREAM: list[tuple[bytes, W | Bad, str]] = [
    (b"    192.21 g\r\n", W(192_210, unit="g"), OHAUS),
    (b"      0.01 g ?\r\n", W(10, stable=False), OHAUS),  # "?" when unstable
    (b"    176.30 g ? 00:00:15\r\n", W(176_300, stable=False), OHAUS),  # interval print
    (b"    207.80 g   TOTAL\r\n", W(207_800), OHAUS),  # accumulate legend
    (b"    -12.00 g\r\n", W(-12_000), OHAUS),
    (b"      1234 g\r\n", W(1_234_000), OHAUS),  # no decimal point
    (b"    1.5000 kg\r\n", W(1_500_000, unit="kg"), OHAUS),
    (b"    0.4409 lb\r\n", W(199_989, unit="lb"), OHAUS),
    (b"    7.0548 oz\r\n", W(200_000, unit="oz"), OHAUS),
    (b"    6.4301 ozt\r\n", W(199_998, unit="ozt"), OHAUS),
    (b"   128.603 dwt\r\n", W(200_000, unit="dwt"), OHAUS),
    (b"   3086.47 GN\r\n", W(200_000, unit="gr"), OHAUS),
    (b"   1000.00 ct\r\n", W(200_000, unit="ct"), OHAUS),
    (b"    250000 mg\r\n", W(250_000, unit="mg"), OHAUS),
    # refused, with the reason
    (b"hello\r\n", Bad("does not match"), OHAUS),
    (b"    192.21\r\n", Bad("does not match"), OHAUS),  # no unit
    (b"    192.21 stone\r\n", Bad("unknown weight unit"), OHAUS),
    (b"    192.21 PCS\r\n", Bad("unknown weight unit"), OHAUS),  # pieces are no weight
    (b"\xff192.21 g\r\n", Bad("non-ASCII"), OHAUS),
    (b"\r\n", Bad("does not match"), OHAUS),
    (b"    19.2.1 g\r\n", Bad("does not match"), OHAUS),
    (b"    ------ g\r\n", Bad("does not match"), OHAUS),
    (b"    192.21 g\xb0\r\n", Bad("non-ASCII"), OHAUS),
    (b"? 192.21 g\r\n", Bad("does not match"), OHAUS),
]
ADAM_VECTORS: list[tuple[bytes, W | Bad, str]] = [
    (b"   1.234kg\r\n", W(1_234_000, stable=False, stable_known=False), ADAM),
    (b"1.234kg\r\n", W(1_234_000, stable=False, stable_known=False), ADAM),
    (b"  12kg\r\n", W(12_000_000, stable=False, stable_known=False), ADAM),
    (b"   1.234lb\r\n", Bad("does not match"), ADAM),
    (b"  -1.234kg\r\n", Bad("does not match"), ADAM),
]


@pytest.mark.parametrize(("frame", "want", "source"), STREAM, ids=[repr(v[0]) for v in STREAM])
def test_ohaus_print_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(lambda f: generic_stream.parse(f, OHAUS_RE), frame, want)


@pytest.mark.parametrize(("frame", "want", "source"), ADAM_VECTORS, ids=[repr(v[0]) for v in ADAM_VECTORS])
def test_adam_reply_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(lambda f: generic_stream.parse(f, ADAM_RE, unit="kg"), frame, want)


# -- USB HID POS scale data report --------------------------------------------------------------
HID_POS = "USB HID Point of Sale Usage Tables v1.02, §4 Weighing Devices (0x8D), from p. 22"
HID_STATUS = f"{HID_POS}: Scale Status usages 0x71-0x78 (report values 1-8)"
HID_UNITS = f"{HID_POS}: Weight Unit usages 0x51-0x5C (report values 1-12), Data Scaling 0x41"
USBSCALE = "usbscale project (scales.h, usbscale.c): report 3 = status, unit, exponent, LSB, MSB"

HID: list[tuple[bytes, W | Bad, str]] = [
    (bytes([3, 4, 2, 0, 0xD2, 0x04]), W(1_234_000, unit="g"), USBSCALE),  # 1234 g stable
    (bytes([3, 4, 2, 0xFF, 0x39, 0x30]), W(1_234_500), HID_UNITS),  # 12345 x 10^-1 g
    (bytes([3, 3, 11, 0xFF, 0x64, 0x00]), W(283_495, stable=False, unit="oz"), HID_STATUS),
    (bytes([3, 4, 12, 0xFE, 0xF4, 0x01]), W(2_267_962, unit="lb"), HID_UNITS),  # 5.00 lb
    (bytes([3, 4, 3, 0xFD, 0xD2, 0x04]), W(1_234_000, unit="kg"), HID_UNITS),  # 1.234 kg
    (bytes([3, 4, 1, 0, 0xE8, 0x03]), W(1_000, unit="mg"), HID_UNITS),
    (bytes([3, 4, 4, 0, 0x0A, 0x00]), W(2_000, unit="ct"), HID_UNITS),
    (bytes([3, 4, 6, 0, 0x64, 0x00]), W(6_480, unit="gr"), HID_UNITS),
    (bytes([3, 4, 7, 0, 0x0A, 0x00]), W(15_552, unit="dwt"), HID_UNITS),
    (bytes([3, 4, 8, 0xFD, 0x01, 0x00]), W(1_000_000, unit="t"), HID_UNITS),  # metric ton
    (bytes([3, 4, 9, 0xFD, 0x01, 0x00]), W(907_185, unit="ton"), HID_UNITS),  # avoir ton
    (bytes([3, 4, 10, 0xFF, 0x0A, 0x00]), W(31_103, unit="ozt"), HID_UNITS),
    (bytes([3, 2, 2, 0, 0, 0]), W(0), HID_STATUS),  # stable at center of zero
    (bytes([3, 5, 2, 0, 0x0A, 0x00]), W(-10_000, status=UNDER), HID_STATUS),  # under zero
    (bytes([3, 6, 2, 0, 0, 0]), W(None, stable=False, status=OVER), HID_STATUS),
    (bytes([3, 1, 2, 0, 0, 0]), W(None, stable=False, status=ScaleStatus.FAULT), HID_STATUS),
    (bytes([3, 7, 2, 0, 0, 0]), W(None, stable=False, status=ScaleStatus.NEEDS_CALIBRATION), HID_STATUS),
    (bytes([3, 8, 2, 0, 0, 0]), W(None, stable=False, status=ScaleStatus.NEEDS_REZERO), HID_STATUS),
    # refused, with the reason
    (bytes([2, 4, 2, 0, 0, 0]), Bad("not a scale data report"), USBSCALE),
    (bytes([3, 9, 2, 0, 0, 0]), Bad("status 9 unknown"), HID_STATUS),
    (bytes([3, 0, 2, 0, 0, 0]), Bad("status 0 unknown"), HID_STATUS),
    (bytes([3, 4, 5, 0, 1, 0]), Bad("unit code 5"), HID_UNITS),  # taels: no single definition
    (bytes([3, 4, 0, 0, 1, 0]), Bad("unit code 0"), HID_UNITS),
    (bytes([3, 4, 13, 0, 1, 0]), Bad("unit code 13"), HID_UNITS),
    (bytes([3, 4, 2, 0x20, 1, 0]), Bad("exponent 32"), HID_UNITS),
    (bytes([3, 4, 2, 0]), Bad("4 bytes"), USBSCALE),
    (bytes([3, 4, 2, 0, 0, 0, 0]), Bad("7 bytes"), USBSCALE),
    (b"", Bad("0 bytes"), USBSCALE),
]


@pytest.mark.parametrize(("report", "want", "source"), HID, ids=[v[0].hex() for v in HID])
def test_hid_pos_report_vectors(report: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(hid.parse, report, want)


@pytest.mark.parametrize("table", [CAS22, CAS10, AND18, STREAM, HID], ids=["cas22", "cas10", "and18", "ohaus", "hid"])
def test_every_stream_format_has_at_least_ten_vectors_of_each_kind(table: list[tuple[bytes, W | Bad, str]]) -> None:
    readings, refusals = counts(table)
    assert readings >= 10 and refusals >= 10
