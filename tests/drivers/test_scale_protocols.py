"""Raw bytes from the manuals through every protocol parser: weights, flags, errors, junk."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scale import cas, generic_stream, hid, mt_sics, nci_scp01, toledo8213
from drivers.scale.reading import ProtocolError, Reading, ScaleStatus

OK, OVER, UNDER, BUSY = ScaleStatus.OK, ScaleStatus.OVERLOAD, ScaleStatus.UNDERLOAD, ScaleStatus.BUSY
CMD_ERR, ACK = ScaleStatus.COMMAND_ERROR, ScaleStatus.ACKNOWLEDGED
ZERO_ERR, TARE_ERR = ScaleStatus.ZERO_ERROR, ScaleStatus.TARE_ERROR

# (frame, weight_mg, stable, status): MT-SICS Reference Manual 11780711B §3.2.1, §4.1, §4.2
MT_SICS = [
    (b"S S     100.00 g\r\n", 100_000, True, OK),  # MT-SICS chapter example (AT manual)
    (b"S D     129.07 g\r\n", 129_070, False, OK),
    (b"S S    -12.50 g\r\n", -12_500, True, OK),
    (b"S S       1.2345 kg\r\n", 1_234_500, True, OK),
    (b"S +\r\n", None, False, OVER),
    (b"S -\r\n", None, False, UNDER),
    (b"S I\r\n", None, False, BUSY),
    (b"Z A\r\n", None, True, ACK),
    (b"Z I\r\n", None, False, BUSY),
    (b"Z +\r\n", None, False, ZERO_ERR),  # upper limit of the zero setting range, not overload
    (b"Z -\r\n", None, False, ZERO_ERR),
    (b"T S      20.00 g\r\n", None, True, ACK),  # carries the tare, never a parcel weight
    (b"T -\r\n", None, False, TARE_ERR),  # lower limit of the taring range
    (b"TAC A\r\n", None, True, ACK),
    (b"TA A      20.00 g\r\n", None, True, ACK),
    (b"ZI D\r\n", None, False, ACK),  # re-zero done under dynamic conditions: no weight
    (b"ZI S\r\n", None, True, ACK),
    (b'I4 A "0123456789"\r\n', None, True, ACK),
    (b"ES\r\n", None, False, CMD_ERR),
    (b"ET\r\n", None, False, CMD_ERR),
    (b"EL\r\n", None, False, CMD_ERR),
]
MT_SICS_BAD = [
    b"\r\n",
    b"S\r\n",
    b"S S\r\n",  # no weight
    b"S S 100.00\r\n",  # unit missing: "100.00" is not a unit
    b"S S abc g\r\n",
    b"S X 1.00 g\r\n",
    b"Q S 1.00 g\r\n",
    b"S S 1.00 stone\r\n",
    b"S S \xff1.00 g\r\n",
    b"S S     10",  # truncated
    b"S S - 12.50 g\r\n",  # §3.2.1: the sign stands directly before the first digit
    b"ZI D       0.02 g\r\n",  # ZI replies carry no weight
]

# Status bytes have bits 5 and 6 always set (Mettler Toledo PS6L specifications, p. A-5).
TOLEDO = [
    (b"\x0201.234\r", 1_234, True, OK),  # in kg below (unit param)
    (b"\x02  1.500N\r", 1_500, True, OK),
    (b"\x02?\x61\r", None, False, OK),  # moving
    (b"\x02?\x62\r", None, True, OVER),
    (b"\x02?\x64\r", None, True, UNDER),
    (b"\x02?\x68\r", None, True, ScaleStatus.ZERO_ERROR),
    (b"\x02?\x60\r", None, True, ACK),
    (b"\x02?\x70\r", 0, True, OK),  # center of zero: the empty scale weighs 0
]
TOLEDO_BAD = [
    b"\x02abc\r",
    b"\x025\r",  # a one-digit field: line noise, not the fixed-width XXX.XX field
    b"\x02 1.5\r",
    b"\x02\r",
    b"01.234",
    b"\x0201.2\xb4\r",
    b"\x02?\x41\x41\r",
    b"\r",
    b"\x02\x01\r",  # status without the "?"
    b"\x02?\x41\r",  # status byte without bit 5
    b"\x02-01.234\r",  # no sign: below zero is the status byte's "under zero" bit
]

NCI = [
    (b"\n  1.23lb\r\n00\r\x03", 557_919, True, OK),
    (b"\n 12.345kg\r\n00\r\x03", 12_345_000, True, OK),
    (b"\n  1.23lb\r\n10\r\x03", 557_919, False, OK),  # motion bit
    (b"\n ^^^^^^^\r\n02\r\x03", None, True, OVER),
    (b"\n  0.00lb\r\n01\r\x03", None, True, UNDER),
    (b"\n  1.00lb\r\n08\r\x03", None, True, ScaleStatus.NEEDS_CALIBRATION),
    (b"\n  1.00lb\r\n40\r\x03", None, True, ScaleStatus.FAULT),  # RAM error
    # a third status byte is announced by bit 6 of byte 2 ("p" = 0x70)
    (b"\n  1.00lb\r\n0p0\r\x03", 453_592, True, OK),
    (b"\n  1.00lb\r\n0p8\r\x03", None, True, ScaleStatus.ZERO_ERROR),
    (b"\n  1.00lb\r\n0p4\r\x03", 453_592, True, OK),  # net flag only
    (b"\n  1.00lb\r\n0pp0\r\x03", 453_592, True, OK),  # four status bytes
    (b"\n01lb 02.5oz\r\n00\r\x03", 524_466, True, OK),  # pounds and ounces: 18.5 oz
    (b"\n00\r\x03", None, True, ACK),
    (b"\n10\r\x03", None, False, OK),
    (b"\n?\r\x03", None, False, CMD_ERR),
    (b"  1.23lb\r00\r\x03", 557_919, True, OK),  # tolerant: no LFs
]
NCI_BAD = [
    b"\n  1.23lb\r\n  \r\x03",
    b"\nxx.xxlb\r\n00\r\x03",
    b"\n  1.23lb\r\n00\r",
    b"\x03",
    b"\n\xff\r\x03",
    b"\n  1.00lb\r\n000\r\x03",  # a third byte that byte 2 did not announce
    b"\n  1.00lb\r\n0p\r\x03",  # byte 2 announces a third byte that never comes
    b"\n  1.00lb\r\n0\r\x03",  # one status byte
]

CAS22 = [
    # CAS CI-600D manual, p. 74 (CAS 22 byte): the lamp byte as indicators send it, bit 7 always 1
    (b"ST,GS,1\x84,0001.234 kg\r\n", 1_234_000, False, OK),  # ST but lamp not stable
    (b"ST,GS,1\xc4,0001.234 kg\r\n", 1_234_000, True, OK),
    (b"US,GS,1\x84,0001.234 kg\r\n", 1_234_000, False, OK),
    (b"ST,NT,1\xc6,-000.500 kg\r\n", -500_000, True, OK),
    (b"ST,GS,\x81\xc4,0013.500 kg\r\n", 13_500_000, True, OK),  # a binary device id too
    (b"OL,GS,1\x84,  ------ kg\r\n", None, False, OVER),
]
AND18 = [
    (b"ST,GS,0001.234kg\r\n", 1_234_000, True, OK),
    (b"US,GS,+001.234kg\r\n", 1_234_000, False, OK),
    (b"OL,GS,9999999 kg\r\n", None, False, OVER),
]
CAS_BAD = [
    b"ST,GS,1\x44,0001.234 kg\r\n",  # lamp byte without bit 7, which is always 1
    b"ST,GS,1\xc4,001.234 kg\r\n",  # 21 bytes
    b"ST,GS,1\xc4,0001.234 kg",
    b"XX,GS,1\x44,0001.234 kg\r\n",
    b"ST,GS,1\x44,abc kg\r\n",
    b"ST,GS,1\x44,1.0 stone\r\n",
    b"\r\n",
    b"ST,GS,\r\n",
]


def _check(reading: Reading, weight_mg: int | None, stable: bool, status: ScaleStatus) -> None:
    assert (reading.weight_mg, reading.stable, reading.status) == (weight_mg, stable, status)


@pytest.mark.parametrize(("frame", "weight_mg", "stable", "status"), MT_SICS)
def test_mt_sics_replies(frame: bytes, weight_mg: int | None, stable: bool, status: ScaleStatus) -> None:
    _check(mt_sics.parse(frame), weight_mg, stable, status)


@pytest.mark.parametrize("frame", MT_SICS_BAD)
def test_mt_sics_junk_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        mt_sics.parse(frame)


def test_mt_sics_tare_replies_carry_the_tare_and_no_weight() -> None:
    for frame in (b"T S      20.00 g\r\n", b"TA A      20.00 g\r\n"):
        reading = mt_sics.parse(frame)
        assert (reading.weight_mg, reading.tare_mg, reading.status) == (None, 20_000, ACK)


def test_mt_sics_zero_range_replies_say_which_limit() -> None:
    assert "upper limit of the zero setting range" in mt_sics.parse(b"Z +\r\n").detail
    assert "lower limit of the zero setting range" in mt_sics.parse(b"Z -\r\n").detail


def test_mt_sics_error_replies_say_which_error() -> None:
    assert "syntax" in mt_sics.parse(b"ES\r\n").detail
    assert "transmission" in mt_sics.parse(b"ET\r\n").detail
    assert "logical" in mt_sics.parse(b"EL\r\n").detail


def test_mt_sics_commands_end_in_cr_lf_and_unknown_kinds_are_refused() -> None:
    assert mt_sics.command("weigh") == b"SI\r\n"
    assert mt_sics.command("zero") == b"Z\r\n"
    assert mt_sics.command("tare") == b"T\r\n"
    assert mt_sics.command("clear_tare") == b"TAC\r\n"
    with pytest.raises(ProtocolError):
        mt_sics.command("print")


@pytest.mark.parametrize(("frame", "weight_mg", "stable", "status"), TOLEDO)
def test_toledo_8213_replies_in_kilograms(
    frame: bytes, weight_mg: int | None, stable: bool, status: ScaleStatus
) -> None:
    expected = None if weight_mg is None else weight_mg * 1000
    _check(toledo8213.parse(frame, unit="kg"), expected, stable, status)


def test_toledo_weight_is_read_in_the_profiles_unit() -> None:
    assert toledo8213.parse(b"\x0201.000\r", unit="lb").weight_mg == 453_592
    assert toledo8213.parse(b"\x02001234\r", unit="g").weight_mg == 1_234_000
    assert toledo8213.parse(b"\x0201.000N\r", unit="lb").net


@pytest.mark.parametrize("frame", TOLEDO_BAD)
def test_toledo_junk_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        toledo8213.parse(frame, unit="lb")


def test_toledo_requests_are_single_bytes() -> None:
    kinds = ("weigh", "zero", "tare", "clear_tare")
    assert [toledo8213.command(k) for k in kinds] == [b"W", b"Z", b"T", b"C"]
    with pytest.raises(ProtocolError):
        toledo8213.command("status")


@pytest.mark.parametrize(("frame", "weight_mg", "stable", "status"), NCI)
def test_nci_scp01_replies(frame: bytes, weight_mg: int | None, stable: bool, status: ScaleStatus) -> None:
    _check(nci_scp01.parse(frame), weight_mg, stable, status)


@pytest.mark.parametrize("frame", NCI_BAD)
def test_nci_junk_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        nci_scp01.parse(frame)


def test_nci_has_no_tare_command() -> None:
    assert nci_scp01.command("weigh") == b"W\r"
    assert nci_scp01.command("zero") == b"Z\r"
    with pytest.raises(ProtocolError):
        nci_scp01.command("tare")


@pytest.mark.parametrize(("frame", "weight_mg", "stable", "status"), CAS22)
def test_cas_22_byte_lines(frame: bytes, weight_mg: int | None, stable: bool, status: ScaleStatus) -> None:
    assert len(frame) == 22
    _check(cas.parse(frame, variant="cas22"), weight_mg, stable, status)


@pytest.mark.parametrize(("frame", "weight_mg", "stable", "status"), AND18)
def test_and_18_byte_lines(frame: bytes, weight_mg: int | None, stable: bool, status: ScaleStatus) -> None:
    assert len(frame) == 18
    _check(cas.parse(frame, variant="and18"), weight_mg, stable, status)


def test_cas_10_byte_lines_carry_no_stable_flag() -> None:
    reading = cas.parse(b"0001.234\r\n", variant="cas10", unit="kg")
    assert (reading.weight_mg, reading.stable_known) == (1_234_000, False)
    with pytest.raises(ProtocolError):
        cas.parse(b"001.234\r\n", variant="cas10", unit="kg")


@pytest.mark.parametrize("frame", CAS_BAD)
def test_cas_junk_is_a_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        cas.parse(frame, variant="cas22")


def test_cas_takes_no_requests() -> None:
    with pytest.raises(ProtocolError):
        cas.command("zero")


OHAUS = generic_stream.compile_pattern(generic_stream.DEFAULT_PATTERN)


@pytest.mark.parametrize(
    ("frame", "weight_mg", "stable"),
    [
        (b"     192.21 g\r\n", 192_210, True),
        (b"       0.01 g ?\r\n", 10, False),
        (b"     -12.00 g\r\n", -12_000, True),
        (b"       1.50 kg  N\r\n", 1_500_000, True),
    ],
)
def test_ohaus_style_lines_through_the_regex_stream(frame: bytes, weight_mg: int, stable: bool) -> None:
    _check(generic_stream.parse(frame, OHAUS), weight_mg, stable, OK)


def test_a_stream_pattern_without_flag_groups_leaves_stability_to_the_filter() -> None:
    adam = generic_stream.compile_pattern(r"\s*(?P<weight>[0-9.]+)kg\s*")
    reading = generic_stream.parse(b"   1.234kg\r\n", adam, unit="kg")
    assert (reading.weight_mg, reading.stable_known) == (1_234_000, False)


def test_a_stream_pattern_with_a_stable_group() -> None:
    pattern = generic_stream.compile_pattern(r"(?:(?P<stable>S)|U)\s+(?P<weight>[-0-9.]+)(?P<unit>g)")
    assert generic_stream.parse(b"S 12.5g\r\n", pattern).stable
    assert not generic_stream.parse(b"U 12.5g\r\n", pattern).stable


@pytest.mark.parametrize("frame", [b"hello\r\n", b"     192.21 stone\r\n", b"\xff192.21 g\r\n", b"\r\n"])
def test_stream_lines_that_do_not_fit_are_protocol_errors(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        generic_stream.parse(frame, OHAUS)


@pytest.mark.parametrize("pattern", [r"(?P<w>\d+)", r"(", r"(?P<weight>\d)(?P<stable>)(?P<unstable>)"])
def test_unusable_stream_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        generic_stream.compile_pattern(pattern)


def test_stream_commands_come_from_the_profile() -> None:
    assert generic_stream.command("weigh", {"weigh": b"P\r\n"}) == b"P\r\n"
    with pytest.raises(ProtocolError):
        generic_stream.command("zero", {"weigh": b"P\r\n"})


PARSERS = [
    mt_sics.parse,
    lambda f: toledo8213.parse(f, unit="lb"),
    nci_scp01.parse,
    lambda f: cas.parse(f, variant="cas22"),
    lambda f: cas.parse(f, variant="and18"),
    lambda f: cas.parse(f, variant="cas10"),
    lambda f: generic_stream.parse(f, OHAUS),
    lambda f: generic_stream.parse(f, re.compile(r"(?P<weight>.*)", re.DOTALL)),
    hid.parse,
]
ASCIIish = st.binary(max_size=40) | st.text(alphabet=" \r\n\x02\x03?+-.,0123456789SDIZATGUNOLkglb", max_size=30).map(
    str.encode
)


@pytest.mark.parametrize("parse", PARSERS)
@settings(max_examples=200, deadline=None)
@given(frame=ASCIIish)
def test_any_bytes_give_a_reading_or_a_protocol_error(parse, frame: bytes) -> None:  # type: ignore[no-untyped-def]
    try:
        reading = parse(frame)
    except ProtocolError:
        return
    assert isinstance(reading, Reading)
    assert reading.weight_mg is None or isinstance(reading.weight_mg, int)
