"""What a simulated scale puts on the wire: reply/stream frames per protocol, from its state."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.scale import hid, nci_scp01, toledo8213
from drivers.scale.profile import ScaleProfile
from drivers.scale.reading import MG_PER_UNIT, ProtocolError

#: Decimals shown per unit (the simulated display resolution).
DECIMALS = {"mg": 0, "g": 1, "kg": 4, "lb": 4, "oz": 3, "ct": 1}


@dataclass(frozen=True)
class ScaleState:
    """What the simulated display shows at one instant."""

    weight_g: float
    stable: bool
    overload: bool = False


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


def mt_sics_weight(state: ScaleState, unit: str, ident: str = "S") -> bytes:
    """``S S     100.00 g`` style line (``S +`` on overload)."""
    if state.overload:
        return f"{ident} +\r\n".encode()
    code = "S" if state.stable else "D"
    return f"{ident} {code} {_number(state.weight_g, unit):>10} {unit}\r\n".encode()


def toledo_weigh(state: ScaleState, unit: str) -> bytes:
    """Weight reply when stable, else the status reply (motion / over capacity / negative)."""
    if state.overload:
        return b"\x02?" + bytes([0x40 | toledo8213.OVER_CAPACITY]) + b"\r"
    if not state.stable:
        return b"\x02?" + bytes([0x40 | toledo8213.MOVING]) + b"\r"
    if state.weight_g < 0:
        return b"\x02?" + bytes([0x40 | toledo8213.NEGATIVE]) + b"\r"
    text = _number(state.weight_g, unit)
    return b"\x02" + text.rjust(8, "0").encode() + b"\r"


def nci_weigh(state: ScaleState, unit: str) -> bytes:
    """``<LF>xxxx.xxuu<CR><LF>hh<CR><ETX>``."""
    first = 0x30 | (0 if state.stable else nci_scp01.MOTION)
    second = 0x30 | (nci_scp01.OVER_CAPACITY if state.overload else 0)
    status = bytes([first, second])
    weight = "^^^^^^^" if state.overload else _number(state.weight_g, unit)
    return b"\n" + f"{weight:>8}{unit:<2}".encode() + b"\r\n" + status + b"\r\x03"


def nci_status(state: ScaleState) -> bytes:
    """``<LF>hh<CR><ETX>`` status / zero reply."""
    first = 0x30 | (0 if state.stable else nci_scp01.MOTION)
    return b"\n" + bytes([first, 0x30]) + b"\r\x03"


def cas_line(state: ScaleState, unit: str, variant: str) -> bytes:
    """One streamed CAS line (22-byte, AND 18-byte or 10-byte)."""
    weight = f"{in_unit(state.weight_g, unit):08.{min(DECIMALS.get(unit, 3), 4)}f}"[:8]
    head = "OL" if state.overload else ("ST" if state.stable else "US")
    if variant == "cas10":
        return weight.encode() + b"\r\n"
    if variant == "and18":
        return f"{head},GS,{weight}{unit:>2}".encode() + b"\r\n"
    # CAS CI-600D manual, p. 74: lamp byte b6 stable, b2 gross; real indicators set b7 as well
    # (so the byte is not ASCII), and the simulator sends it the same way.
    lamp = 0x80 | 0x04 | (0x40 if state.stable and not state.overload else 0)
    return f"{head},GS,1".encode() + bytes([lamp]) + f",{weight} {unit:>2}".encode() + b"\r\n"


def generic_line(state: ScaleState, unit: str, line_format: str) -> bytes:
    """A line from the profile's ``line_format`` (fields weight, unit, unstable)."""
    text = line_format.format(
        weight=in_unit(state.weight_g, unit), unit=unit, unstable="" if state.stable else "?"
    )
    return text.encode("ascii") + b"\r\n"


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
    if state.weight_g < 0:
        status = hid.UNDER_ZERO
    elif raw == 0 and state.stable:
        status = hid.STABLE_ZERO
    else:
        status = hid.STABLE if state.stable else hid.IN_MOTION
    return bytes([hid.REPORT_ID, status, codes[unit], exponent & 0xFF, raw & 0xFF, raw >> 8])
