"""What a scale said: the Reading value, its status enum, ProtocolError and unit normalisation."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import StrEnum


class ProtocolError(ValueError):
    """Bytes from a scale that do not form a frame the protocol knows; the message says why."""


class ScaleStatus(StrEnum):
    """Condition the scale reports together with (or instead of) a weight."""

    OK = "ok"
    OVERLOAD = "overload"
    UNDERLOAD = "underload"
    ZERO_ERROR = "zero_error"  # zero not set: outside the zero setting / capture range
    TARE_ERROR = "tare_error"  # tare not taken: outside the taring range
    BUSY = "busy"
    FAULT = "fault"
    NEEDS_CALIBRATION = "needs_calibration"
    NEEDS_REZERO = "needs_rezero"
    COMMAND_ERROR = "command_error"
    ACKNOWLEDGED = "acknowledged"  # a command reply, never a parcel weight (``Z A``, ``T S``)


@dataclass(frozen=True)
class Reading:
    """One parsed frame: weight in integer milligrams (None when the frame carries none).

    ``tare_mg`` is the tare a scale reports when it acknowledges a tare command (MT-SICS
    ``T S``, ``TA A``, ``TI S``): such a reading has status ACKNOWLEDGED and no ``weight_mg``,
    so nothing takes a tare for the parcel's weight. ``unit_seen`` is the canonical unit the
    frame printed (``lb-oz`` for a pound-ounce display).
    """

    weight_mg: int | None
    stable: bool
    unit_seen: str
    status: ScaleStatus = ScaleStatus.OK
    stable_known: bool = True  # False: the frame has no stable flag; the stability filter decides
    net: bool = False
    detail: str = ""
    tare_mg: int | None = None

    @property
    def weight_g(self) -> Decimal | None:
        """Weight in grams (exact), or None."""
        return None if self.weight_mg is None else Decimal(self.weight_mg) / 1000


#: Milligrams per unit. Avoirdupois pound and ounce are exact by definition (international yard
#: and pound agreement, 1959); metric carat is 200 mg; troy ounce / pennyweight / grain from the
#: same definition. ``ton`` is the short (avoirdupois) ton as in the USB HID POS usage tables.
MG_PER_UNIT: dict[str, Decimal] = {
    "mg": Decimal(1),
    "g": Decimal(1000),
    "kg": Decimal(1_000_000),
    "t": Decimal(1_000_000_000),
    "lb": Decimal("453592.37"),
    "oz": Decimal("28349.523125"),
    "ct": Decimal(200),
    "ozt": Decimal("31103.4768"),
    "dwt": Decimal("1555.17384"),
    "gr": Decimal("64.79891"),
    "ton": Decimal("907184740"),
}

_ALIASES: dict[str, str] = {
    "lbs": "lb",
    "gram": "g",
    "grams": "g",
    "gm": "g",
    "kgs": "kg",
    "cd": "ct",
    "tonnes": "t",
    "tons": "ton",
    "grain": "gr",
    "gn": "gr",  # grain as Mettler Toledo and Ohaus balances print it
}


def canonical_unit(unit: str) -> str:
    """The canonical spelling of ``unit`` (``LB`` -> ``lb``); ProtocolError if unknown."""
    key = unit.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in MG_PER_UNIT:
        raise ProtocolError(f"unknown weight unit {unit!r}")
    return key


def to_milligrams(value: Decimal | str, unit: str) -> int:
    """``value`` in ``unit`` as whole milligrams (half-even rounding), exact decimal arithmetic."""
    if isinstance(value, str):
        text = value.replace(" ", "")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise ProtocolError(f"weight {text!r} is not a number") from exc
    if not value.is_finite():
        raise ProtocolError(f"weight {value!r} is not finite")
    if abs(value) > Decimal(10) ** 12:
        raise ProtocolError(f"weight {value} out of any scale's range")
    mg = value * MG_PER_UNIT[canonical_unit(unit)]
    return int(mg.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def decode_ascii(frame: bytes) -> str:
    """The frame as ASCII text; ProtocolError on any byte above 0x7F (wrong baud / noise)."""
    try:
        return frame.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"non-ASCII byte 0x{frame[exc.start]:02x} in frame {frame!r}") from exc
