"""What a simulated scale puts on the wire: reply/stream frames per protocol, from its state.

Each frame is laid out as the protocol's manual shows it (the same manuals the parsers cite),
odd parts included: MT-SICS values right-aligned in 10 characters, SCP-01 status bytes with
their fixed bits and byte-follows bit, the 8213 status byte with bits 5 and 6 set, the CAS lamp
byte with bit 7 set. A simulator kinder than the device would hide parser defects.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.scale import cas, hid, nci_scp01, toledo8213
from drivers.scale.profile import ScaleProfile
from drivers.scale.reading import MG_PER_UNIT, ProtocolError

#: Decimals shown per unit (the simulated display resolution).
DECIMALS = {"mg": 0, "g": 1, "kg": 4, "lb": 4, "oz": 3, "ct": 1, "t": 6}
#: The pound-ounce display of SCP-01 scales (``01lb 02.5oz``).
LB_OZ = "lb-oz"
#: SCP-01 weight field width (Ohaus Courier 7000 manual §6.3.4: eight ``^`` over capacity).
NCI_FIELD = 8


@dataclass(frozen=True)
class ScaleState:
    """What the simulated display shows at one instant.

    ``weight_g`` is the displayed (net) weight: gross minus zero offset minus tare.
    ``zero_g`` is the zero offset set since power-on, ``zero_range_g`` how far from power-on
    zero the scale may be zeroed (None: no limit).
    """

    weight_g: float
    stable: bool
    overload: bool = False
    underload: bool = False
    tare_g: float = 0.0
    zero_g: float = 0.0
    zero_range_g: float | None = None

    @property
    def from_zero_g(self) -> float:
        """The load relative to the current zero (what a tare would take)."""
        return self.weight_g + self.tare_g

    def zero_limit(self) -> str:
        """``+``/``-`` when zeroing now would leave the zero setting range, else ``""``."""
        if self.overload:
            return "+"
        if self.underload:
            return "-"
        if self.zero_range_g is None:
            return ""
        new_zero = self.zero_g + self.from_zero_g
        if new_zero > self.zero_range_g:
            return "+"
        if new_zero < -self.zero_range_g:
            return "-"
        return ""


def display_unit(profile: ScaleProfile) -> str:
    """The unit the simulated scale prints."""
    if profile.unit:
        return profile.unit
    return profile.units[0] if profile.units else "g"


def in_unit(weight_g: float, unit: str) -> float:
    """Grams converted to ``unit`` (float is fine for a display)."""
    return weight_g * 1000 / float(MG_PER_UNIT[unit])


def _number(weight_g: float, unit: str) -> str:
    return f"{in_unit(weight_g, unit):.{DECIMALS.get(unit, 3)}f}"


def _shows_zero(weight_g: float, unit: str) -> bool:
    return float(_number(weight_g, unit)) == 0.0


# -- MT-SICS -----------------------------------------------------------------------------------
def mt_sics_value(weight_g: float, unit: str) -> str:
    """``WeightValue Unit``: the value right-aligned in 10 characters, sign before the digits."""
    return f"{_number(weight_g, unit):>10} {unit}"


def mt_sics_weight(state: ScaleState, unit: str, ident: str = "S") -> bytes:
    """``S S     100.00 g`` / ``S D ...``, or ``S +`` / ``S -`` out of range."""
    if state.overload:
        return f"{ident} +\r\n".encode()
    if state.underload:
        return f"{ident} -\r\n".encode()
    code = "S" if state.stable else "D"
    return f"{ident} {code} {mt_sics_value(state.weight_g, unit)}\r\n".encode()


# -- Toledo 8213 -------------------------------------------------------------------------------
def toledo_status(state: ScaleState, unit: str, extra: int = 0) -> int:
    """The 8213 status byte: bits 5 and 6 always set, then motion/over/under/center of zero."""
    status = toledo8213.FIXED_ONES | extra
    if not state.stable:
        status |= toledo8213.MOVING
    if state.overload:
        status |= toledo8213.OVER_CAPACITY
    elif state.underload or float(_number(state.weight_g, unit)) < 0:
        status |= toledo8213.UNDER_ZERO
    elif state.stable and state.tare_g == 0 and _shows_zero(state.weight_g, unit):
        status |= toledo8213.CENTRE_OF_ZERO
    return status


def toledo_status_reply(status: int) -> bytes:
    """``<STX>?<status>CR``."""
    return b"\x02?" + bytes([status]) + b"\r"


def toledo_weigh(state: ScaleState, unit: str) -> bytes:
    """Weight ``<STX>XXX.XX<CR>`` (grams ``<STX>0XXXXX<CR>``), or the status byte when the
    scale is in motion, under zero, over capacity or at center of zero."""
    status = toledo_status(state, unit)
    if status != toledo8213.FIXED_ONES:
        return toledo_status_reply(status)
    if unit == "g":
        text = f"{round(in_unit(state.weight_g, unit)):06d}"
    else:
        decimals = DECIMALS.get(unit, 3)
        text = f"{in_unit(state.weight_g, unit):0{4 + decimals}.{decimals}f}"
    return b"\x02" + text.encode() + b"\r"


# -- NCI SCP-01 --------------------------------------------------------------------------------
def nci_status_bytes(state: ScaleState, unit: str, count: int = 2) -> bytes:
    """``count`` (2 or more) status bytes; bits 4 and 5 set, bit 6 announces the next byte."""
    if count < 2:
        raise ValueError("SCP-01 sends at least two status bytes")
    display = "oz" if unit == LB_OZ else unit
    shown_zero = state.stable and not state.overload and _shows_zero(state.weight_g, display)
    first = nci_scp01.FIXED_ONES
    first |= 0 if state.stable else nci_scp01.MOTION
    first |= nci_scp01.AT_ZERO if shown_zero else 0
    second = nci_scp01.FIXED_ONES
    second |= nci_scp01.OVER_CAPACITY if state.overload else 0
    second |= nci_scp01.UNDER_CAPACITY if state.underload else 0
    third = nci_scp01.FIXED_ONES | (nci_scp01.NET if state.tare_g else 0)
    metric = unit in ("kg", "g")
    fourth = nci_scp01.FIXED_ONES | (nci_scp01.METRIC if metric else 0)
    fourth |= nci_scp01.ZERO_DETECTED if shown_zero else 0
    values = [first, second, third, fourth]
    values += [nci_scp01.FIXED_ONES] * max(0, count - len(values))
    values = values[:count]
    for index in range(1, count - 1):
        values[index] |= nci_scp01.BYTE_FOLLOWS
    return bytes(values)


def _nci_weight_field(state: ScaleState, unit: str) -> str:
    if state.overload or state.underload:
        marker = "^" if state.overload else "_"
        return marker * NCI_FIELD + ("lb" if unit == LB_OZ else f"{unit:<2}")
    if unit == LB_OZ:
        ounces = round(abs(in_unit(state.weight_g, "oz")), 1)
        pounds, ounces = divmod(ounces, 16)
        sign = "-" if state.weight_g < 0 and (pounds or ounces) else ""
        return f"{sign}{int(pounds):02d}lb {ounces:04.1f}oz"
    return f"{_number(state.weight_g, unit):>{NCI_FIELD}}{unit:<2}"


def nci_weigh(state: ScaleState, unit: str, status_bytes: int = 2) -> bytes:
    """``<LF>xxxx.xxuu<CR><LF>hh...<CR><ETX>`` (``^``/``_`` fill the field out of range)."""
    status = nci_status_bytes(state, unit, status_bytes)
    return b"\n" + _nci_weight_field(state, unit).encode() + b"\r\n" + status + b"\r\x03"


def nci_status(state: ScaleState, unit: str = "lb", status_bytes: int = 2) -> bytes:
    """``<LF>hh...<CR><ETX>`` status / zero reply."""
    return b"\n" + nci_status_bytes(state, unit, status_bytes) + b"\r\x03"


# -- CAS and AND continuous --------------------------------------------------------------------
def cas_line(state: ScaleState, unit: str, variant: str) -> bytes:
    """One streamed CAS line (22-byte, AND 18-byte or 10-byte)."""
    weight = f"{in_unit(state.weight_g, unit):08.{min(DECIMALS.get(unit, 3), 4)}f}"[:8]
    head = "OL" if state.overload else ("ST" if state.stable else "US")
    kind = "NT" if state.tare_g else "GS"
    if variant == "cas10":
        return weight.encode() + b"\r\n"
    if variant == "and18":
        return f"{head},{kind},{weight}{unit:>2}".encode() + b"\r\n"
    # CAS CI-600D manual, p. 74: lamp byte bit 7 always 1, b6 stable, b2 gross, b1 tare, b0 zero
    lamp = cas.LAMP_FIXED | (cas.LAMP_TARE if state.tare_g else 0x04)
    lamp |= cas.LAMP_STABLE if state.stable and not state.overload else 0
    lamp |= cas.LAMP_ZERO if _shows_zero(state.weight_g, unit) else 0
    return f"{head},{kind},1".encode() + bytes([lamp]) + f",{weight} {unit:>2}".encode() + b"\r\n"


def generic_line(state: ScaleState, unit: str, line_format: str) -> bytes:
    """A line from the profile's ``line_format`` (fields weight, unit, unstable)."""
    text = line_format.format(
        weight=in_unit(state.weight_g, unit), unit=unit, unstable="" if state.stable else "?"
    )
    return text.encode("ascii") + b"\r\n"


# -- USB HID POS -------------------------------------------------------------------------------
def hid_report(state: ScaleState, unit: str) -> bytes:
    """6-byte HID POS report; the exponent is chosen so the weight fits 16 bits."""
    codes = {name: code for code, name in hid.UNITS.items()}
    if unit not in codes:
        raise ProtocolError(f"HID simulation cannot show unit {unit}")
    if state.overload:
        return bytes([hid.REPORT_ID, hid.OVER_WEIGHT, codes[unit], 0, 0, 0])
    value = in_unit(abs(state.weight_g), unit)
    exponent = -DECIMALS.get(unit, 2)
    while round(value * 10**-exponent) > 0xFFFF:
        exponent += 1
    raw = round(value * 10**-exponent)
    if state.weight_g < 0 or state.underload:
        status = hid.UNDER_ZERO
    elif raw == 0 and state.stable:
        status = hid.STABLE_ZERO
    else:
        status = hid.STABLE if state.stable else hid.IN_MOTION
    return bytes([hid.REPORT_ID, status, codes[unit], exponent & 0xFF, raw & 0xFF, raw >> 8])
