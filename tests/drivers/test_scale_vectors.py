"""Byte vectors from the manuals through the MT-SICS, 8213 and SCP-01 parsers, each with its source."""

from __future__ import annotations

import pytest

from drivers.scale import mt_sics, nci_scp01, toledo8213
from drivers.scale.reading import ScaleStatus
from tests.drivers.scale_vectors import Bad, W, check, counts

OK, OVER, UNDER, BUSY = ScaleStatus.OK, ScaleStatus.OVERLOAD, ScaleStatus.UNDERLOAD, ScaleStatus.BUSY
ACK, CMD_ERR = ScaleStatus.ACKNOWLEDGED, ScaleStatus.COMMAND_ERROR
ZERO_ERR, TARE_ERR, FAULT = ScaleStatus.ZERO_ERROR, ScaleStatus.TARE_ERROR, ScaleStatus.FAULT


# -- Mettler Toledo MT-SICS ---------------------------------------------------------------------
SICS = "METTLER TOLEDO MT-SICS Reference Manual 11780711B"
SICS_FORMAT = f"{SICS}, §3.2.1 Format of the response with weight value, p. 10"
SICS_ERRORS = f"{SICS}, §3.2.3 Error messages, p. 12"
SICS_S = f"{SICS}, §4.1 level 0, S / SI (pp. 13-22)"
SICS_Z = f"{SICS}, §4.1 level 0, Z / ZI (pp. 13-22)"
SICS_I4 = f"{SICS}, §4.1 level 0, I4 / @ (pp. 13-22)"
SICS_T = f"{SICS}, §4.2 level 1, T / TA / TAC / TI (pp. 23-29)"
AT_MANUAL = "Mettler Toledo AT balances operating instructions, MT-SICS chapter, S example, p. 87"

MT_SICS: list[tuple[bytes, W | Bad, str]] = [
    (b"S S     100.00 g\r\n", W(100_000, unit="g"), AT_MANUAL),
    (b"S D     129.07 g\r\n", W(129_070, stable=False), SICS_S),
    (b"S S    -12.50 g\r\n", W(-12_500), SICS_FORMAT),  # sign directly before the digits
    (b"S S     1.2345 kg\r\n", W(1_234_500, unit="kg"), SICS_FORMAT),
    (b"S S        250 mg\r\n", W(250, unit="mg"), SICS_FORMAT),  # no decimal point
    (b"S S     0.4409 lb\r\n", W(199_989, unit="lb"), SICS_FORMAT),
    (b"S S     7.0548 oz\r\n", W(200_000, unit="oz"), SICS_FORMAT),
    (b"S S     6.4301 ozt\r\n", W(199_998, unit="ozt"), SICS_FORMAT),
    (b"S S    3086.47 GN\r\n", W(200_000, unit="gr"), SICS_FORMAT),
    (b"S S    128.603 dwt\r\n", W(200_000, unit="dwt"), SICS_FORMAT),
    (b"S S      12.50 ct\r\n", W(2_500, unit="ct"), SICS_FORMAT),
    (b"S +\r\n", W(None, stable=False, status=OVER), SICS_S),  # balance in overload range
    (b"S -\r\n", W(None, stable=False, status=UNDER), SICS_S),  # balance in underload range
    (b"S I\r\n", W(None, stable=False, status=BUSY), SICS_S),  # not executable now
    (b"ES\r\n", W(None, stable=False, status=CMD_ERR), SICS_ERRORS),
    (b"ET\r\n", W(None, stable=False, status=CMD_ERR), SICS_ERRORS),
    (b"EL\r\n", W(None, stable=False, status=CMD_ERR), SICS_ERRORS),
    (b"Z A\r\n", W(None, status=ACK), SICS_Z),
    (b"Z I\r\n", W(None, stable=False, status=BUSY), SICS_Z),
    (b"Z +\r\n", W(None, stable=False, status=ZERO_ERR), SICS_Z),  # upper limit of zero range
    (b"Z -\r\n", W(None, stable=False, status=ZERO_ERR), SICS_Z),  # lower limit of zero range
    (b"ZI S\r\n", W(None, status=ACK), SICS_Z),  # re-zero under stable conditions
    (b"ZI D\r\n", W(None, stable=False, status=ACK), SICS_Z),  # ... under dynamic conditions
    (b"ZI +\r\n", W(None, stable=False, status=ZERO_ERR), SICS_Z),
    (b"T S      20.00 g\r\n", W(None, status=ACK, tare_mg=20_000), SICS_T),  # the TARE value
    (b"T I\r\n", W(None, stable=False, status=BUSY), SICS_T),
    (b"T +\r\n", W(None, stable=False, status=TARE_ERR), SICS_T),  # upper limit of taring range
    (b"T -\r\n", W(None, stable=False, status=TARE_ERR), SICS_T),
    (b"TA A      20.00 g\r\n", W(None, status=ACK, tare_mg=20_000), SICS_T),
    (b"TI D      20.03 g\r\n", W(None, stable=False, status=ACK, tare_mg=20_030), SICS_T),
    (b"TAC A\r\n", W(None, status=ACK), SICS_T),
    (b'I4 A "B021002593"\r\n', W(None, status=ACK), SICS_I4),
    # refused, with the reason
    (b"S S - 12.50 g\r\n", Bad("directly before"), SICS_FORMAT),
    (b"S S     100.00\r\n", Bad("weight value and a unit"), SICS_FORMAT),
    (b"S S     100,00 g\r\n", Bad("malformed"), SICS_FORMAT),
    (b"S S        .50 g\r\n", Bad("malformed"), SICS_FORMAT),  # the zero before the point
    (b"S S     100.00 g", Bad("CR LF"), SICS_FORMAT),
    (b"S S     100.00 g\r\r\n", Bad("stray CR"), SICS_FORMAT),
    (b"S S         12 PCS\r\n", Bad("unknown weight unit"), SICS_FORMAT),  # pieces, no weight
    (b"S X     100.00 g\r\n", Bad("unknown MT-SICS status"), SICS_S),
    (b"Q S     100.00 g\r\n", Bad("unknown MT-SICS reply"), SICS_S),
    (b"Z A     100.00 g\r\n", Bad("unexpected fields"), SICS_Z),
    (b"ZI D       0.02 g\r\n", Bad("unexpected fields"), SICS_Z),  # ZI carries no weight
    (b"ES 1\r\n", Bad("extra fields"), SICS_ERRORS),
    (b"S S \xb1100.00 g\r\n", Bad("non-ASCII"), SICS_FORMAT),
    (b"\r\n", Bad("empty"), SICS_FORMAT),
]


@pytest.mark.parametrize(("frame", "want", "source"), MT_SICS, ids=[repr(v[0]) for v in MT_SICS])
def test_mt_sics_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(mt_sics.parse, frame, want)


def test_mt_sics_has_at_least_ten_vectors_of_each_kind() -> None:
    readings, refusals = counts(MT_SICS)
    assert readings >= 10 and refusals >= 10


# -- Toledo 8213 --------------------------------------------------------------------------------
BRECKNELL = "Brecknell 3700LP manual, RS-232 protocol tables, Model 8213 Protocol, p. 11"
BRECKNELL_NOTE = "Brecknell 3700LP manual, protocol notes 1-3, p. 10"
PS6L = "Mettler Toledo PS6L specifications, Appendix A, Scale Status Byte Format, p. A-5"
BRECKNELL_6700U = "Brecknell 6700U service manual, §7.6.3 Parameter 8213-SCP03, table 7.5"
ODOO = "Odoo IoT serial scale driver, Toledo8217 protocol record (measure regex, N suffix)"

TOLEDO: list[tuple[bytes, str, W | Bad, str]] = [
    (b"\x02002.50\r", "lb", W(1_133_981, unit="lb"), BRECKNELL),  # <STX>XXX.XX<CR>
    (b"\x0201.234\r", "kg", W(1_234_000, unit="kg"), BRECKNELL),
    (b"\x02010.00\r", "oz", W(283_495, unit="oz"), BRECKNELL),
    (b"\x02001234\r", "g", W(1_234_000, unit="g"), BRECKNELL),  # grams <STX>0XXXXX<CR>
    (b"\x02000125\r", "g", W(125_000), BRECKNELL),  # no decimal point
    (b"\x020002.50\r", "lb", W(1_133_981), BRECKNELL),  # H: <STX>XXXX.XX<CR>
    (b"\x02  1.500N\r", "kg", W(1_500_000, net=True), ODOO),  # leading spaces, net suffix
    (b"\x02?a\r", "lb", W(None, stable=False), PS6L),  # 0x61: in motion
    (b"\x02?b\r", "lb", W(None, status=OVER), PS6L),  # 0x62: over capacity
    (b"\x02?d\r", "lb", W(None, status=UNDER), PS6L),  # 0x64: under zero (negative weight)
    (b"\x02?e\r", "lb", W(None, stable=False, status=UNDER), PS6L),  # moving and under zero
    (b"\x02?h\r", "lb", W(None, status=ZERO_ERR), PS6L),  # 0x68: outside zero capture range
    (b"\x02?p\r", "lb", W(0, unit="lb"), BRECKNELL_NOTE),  # 0x70: center of zero, stable
    (b"\x02?q\r", "lb", W(None, stable=False), BRECKNELL_6700U),  # center of zero, moving
    (b"\x02?`\r", "lb", W(None, status=ACK), BRECKNELL_6700U),  # 0x60: nothing to report
    (b"\x02?\xe1\r", "lb", W(None, stable=False), PS6L),  # bit 7 is parity
    # refused, with the reason
    (b"\x02?A\r", "lb", Bad("bits 5 and 6"), PS6L),  # 0x41: bit 5 missing
    (b"\x02?\x01\r", "lb", Bad("bits 5 and 6"), BRECKNELL_6700U),
    (b"\x02a\r", "lb", Bad("not an 8213 reply"), BRECKNELL),  # status without "?"
    (b"\x02-002.50\r", "lb", Bad("sign"), BRECKNELL_NOTE),  # below zero is a status bit
    (b"\x0201.2x4\r", "kg", Bad("not an 8213 reply"), BRECKNELL),
    (b"\x02\r", "lb", Bad("not an 8213 reply"), BRECKNELL),
    (b"002.50\r", "lb", Bad("not an 8213 reply"), BRECKNELL),  # no STX
    (b"\x02002.50", "lb", Bad("not an 8213 reply"), BRECKNELL),  # no CR
    (b"\x02?aa\r", "lb", Bad("not an 8213 reply"), PS6L),
    (b"\x0201.2\xb4\r", "kg", Bad("non-ASCII"), BRECKNELL),
]


@pytest.mark.parametrize(("frame", "unit", "want", "source"), TOLEDO, ids=[repr(v[0]) for v in TOLEDO])
def test_toledo_8213_vectors(frame: bytes, unit: str, want: W | Bad, source: str) -> None:
    assert source
    check(lambda f: toledo8213.parse(f, unit=unit), frame, want)


def test_toledo_has_at_least_ten_vectors_of_each_kind() -> None:
    assert sum(isinstance(w, W) for _, _, w, _ in TOLEDO) >= 10
    assert sum(isinstance(w, Bad) for _, _, w, _ in TOLEDO) >= 10


# -- NCI / Avery Weigh-Tronix SCP-01 -----------------------------------------------------------
SCP01 = "NCI General Serial Communications Protocol, Weigh-Tronix SCP-01 8408-14788-01, W and S"
AWT7821 = "Avery Weigh-Tronix 7821 user instructions, §6.3 NCI Communications Protocol, p. 25"
NCI_3700LP = "Brecknell 3700LP manual, RS-232 protocol tables, NCI Protocol, p. 11 (notes p. 10)"
AVIATOR = "Ohaus Aviator 7000 service manual, NCI status bit definitions, p. 49"
DIVA = "Mettler Toledo DIVA service manual, Scale Status Command S, p. 37"
COURIER = "Ohaus Courier 7000 instruction manual, §6.3.4 NCI-SCP01 Protocol"

NCI: list[tuple[bytes, W | Bad, str]] = [
    (b"\n  1.23lb\r\n00\r\x03", W(557_919, unit="lb"), AWT7821),
    (b"\n  0.56kg\r\n00\r\x03", W(560_000, unit="kg"), NCI_3700LP),
    (b"\n 19.68oz\r\n00\r\x03", W(557_919, unit="oz"), NCI_3700LP),
    (b"\n 1234g \r\n00\r\x03", W(1_234_000, unit="g"), NCI_3700LP),  # grams: _XXXXg_
    (b"\n01lb 02.5oz\r\n00\r\x03", W(524_466, unit="lb-oz"), SCP01),  # 18.5 oz
    (b"\n-01lb 02.5oz\r\n00\r\x03", W(-524_466, unit="lb-oz"), SCP01),
    (b"\n -0.50lb\r\n00\r\x03", W(-226_796), SCP01),  # x: display characters incl. minus
    (b"\n  1.23lb\r\n10\r\x03", W(557_919, stable=False), AVIATOR),  # byte 1 b0: motion
    (b"\n  0.00lb\r\n20\r\x03", W(0), AVIATOR),  # byte 1 b1: at zero
    (b"\n^^^^^^^^lb\r\n02\r\x03", W(None, status=OVER), COURIER),  # byte 2 b1: over capacity
    (b"\n________lb\r\n01\r\x03", W(None, status=UNDER), COURIER),  # byte 2 b0: under capacity
    (b"\n--------lb\r\n00\r\x03", W(None, status=ZERO_ERR), COURIER),  # zero-point error
    (b"\n  1.00lb\r\n40\r\x03", W(None, status=FAULT), AVIATOR),  # byte 1 b2: RAM error
    (b"\n  1.00lb\r\n80\r\x03", W(None, status=FAULT), AVIATOR),  # byte 1 b3: EEPROM error
    (b"\n  1.00lb\r\n04\r\x03", W(None, status=FAULT), AVIATOR),  # byte 2 b2: ROM error
    (b"\n  1.00lb\r\n08\r\x03", W(None, status=ScaleStatus.NEEDS_CALIBRATION), AVIATOR),
    (b"\n  1.00lb\r\n0p4\r\x03", W(453_592, net=True), DIVA),  # byte 3 b2: net weight
    (b"\n  1.00lb\r\n0p3\r\x03", W(453_592), DIVA),  # byte 3 b0-1: high range
    (b"\n  1.00lb\r\n0p8\r\x03", W(None, status=ZERO_ERR), DIVA),  # byte 3 b3: initial zero
    (b"\n  1.00kg\r\n0pt4\r\x03", W(1_000_000, net=True), AVIATOR),  # 4 bytes: metric, net
    (b"\n  1.00kg\r\n0ppp0\r\x03", W(1_000_000), DIVA),  # 5 bytes: later bytes may be added
    (b"\n00\r\x03", W(None, status=ACK), AWT7821),  # S / Z reply: status only
    (b"\n10\r\x03", W(None, stable=False), AWT7821),  # status only, in motion
    (b"\n0p0\r\x03", W(None, status=ACK), DIVA),  # status only, three bytes
    (b"\n?\r\x03", W(None, stable=False, status=CMD_ERR), AWT7821),  # unrecognised command
    # refused, with the reason
    (b"\n  1.00lb\r\n000\r\x03", Bad("not announced"), DIVA),  # byte 2 b6 clear, 3rd byte
    (b"\n  1.00lb\r\n0p\r\x03", Bad("never came"), DIVA),  # byte 2 b6 set, no 3rd byte
    (b"\n  1.00lb\r\n0pp\r\x03", Bad("never came"), DIVA),
    (b"\n  1.00lb\r\n0\r\x03", Bad("at least two"), SCP01),
    (b"\n  1.00lb\r\np0\r\x03", Bad("bit 6, always 0"), AVIATOR),
    (b"\n  1.00lb\r\n\x00\x00\r\x03", Bad("bits 4 and 5"), AVIATOR),
    (b"\n  1.23lb\r\n  \r\x03", Bad("bits 4 and 5"), AVIATOR),
    (b"\n01lb 16.0oz\r\n00\r\x03", Bad("16 oz or more"), SCP01),
    (b"\n  1.23ct\r\n00\r\x03", Bad("none of lb kg oz g"), AWT7821),
    (b"\n  1.23st\r\n00\r\x03", Bad("unknown weight unit"), AWT7821),
    (b"\nxx.xxlb\r\n00\r\x03", Bad("unreadable"), AWT7821),
    (b"\n  1.23lb\r\n00\r", Bad("not an SCP-01 reply"), AWT7821),  # no ETX
    (b"\x03", Bad("not an SCP-01 reply"), AWT7821),
    (b"\n\xff\r\x03", Bad("non-ASCII"), AWT7821),
]


@pytest.mark.parametrize(("frame", "want", "source"), NCI, ids=[repr(v[0]) for v in NCI])
def test_nci_scp01_vectors(frame: bytes, want: W | Bad, source: str) -> None:
    assert source
    check(nci_scp01.parse, frame, want)


def test_nci_has_at_least_ten_vectors_of_each_kind() -> None:
    readings, refusals = counts(NCI)
    assert readings >= 10 and refusals >= 10
