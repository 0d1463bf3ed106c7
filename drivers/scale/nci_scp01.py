"""NCI / Avery Weigh-Tronix SCP-01 (3825 style): W/S/Z requests, LF ... CR ETX replies.

Sources: NCI General Serial Communications Protocol, Weigh-Tronix control document SCP-01
(8408-14788-01): replies ``<LF>xxxx.xxuu<CR><LF>hh...<CR><ETX>``, pound-ounce
``<LF>xxlb<SP>xx.xoz<CR><LF>hh...<CR><ETX>``, status ``<LF>hh...<CR><ETX>``, unknown command
``<LF>?<CR><ETX>``; "hh..." is two or more status bytes. Avery Weigh-Tronix 7821 user
instructions §6.3 "NCI Communications Protocol", p. 25 (the same framing). Status bits, one
table in the Ohaus Aviator 7000 service manual p. 49 and the Mettler Toledo DIVA service
manual p. 37 ("at least two status bytes; bit 6 of the second and every later byte says
another follows"):

* byte 1: b0 motion, b1 at zero, b2 RAM error, b3 EEPROM error, b4 b5 always 1, b6 always 0;
* byte 2: b0 under capacity, b1 over capacity, b2 ROM error, b3 faulty calibration,
  b4 b5 always 1, b6 another byte follows;
* byte 3: b0-b1 range (00 low, 11 high), b2 net weight, b3 initial zero error, b4 b5 always 1,
  b6 another byte follows; byte 4: b0 weight change, b1 zero detected, b2 metric, b6 follows;
* bit 7 of every byte is parity: the 7E1 line the profiles set strips it.

The weight field shows ``^`` over capacity, ``_`` under capacity and ``-`` for a zero-point
error instead of digits (Ohaus Courier 7000 instruction manual §6.3.4 "NCI-SCP01 Protocol").
Framing differs slightly between devices, so the LF before the weight and between weight and
status are optional and the weight may be padded with spaces; the status bytes are strict.
"""

from __future__ import annotations

import re
from decimal import Decimal

from drivers.scale.framing import Framing
from drivers.scale.reading import (
    ProtocolError,
    Reading,
    ScaleStatus,
    canonical_unit,
    decode_ascii,
    to_milligrams,
)

NAME = "nci_scp01"
FRAMING = Framing(terminator=b"\x03", max_len=40)
CONTINUOUS = False

COMMANDS: dict[str, bytes] = {"weigh": b"W\r", "status": b"S\r", "zero": b"Z\r"}

FIXED_ONES = 0x30  # bits 4 and 5: always 1 in every status byte
BYTE_FOLLOWS = 0x40  # bit 6: always 0 in byte 1, "another byte follows" in bytes 2, 3, ...
PARITY = 0x80
# Byte 1
MOTION = 0x01
AT_ZERO = 0x02
RAM_ERROR = 0x04
EEPROM_ERROR = 0x08
# Byte 2
UNDER_CAPACITY = 0x01
OVER_CAPACITY = 0x02
ROM_ERROR = 0x04
FAULTY_CALIBRATION = 0x08
MORE_BYTES = BYTE_FOLLOWS
# Byte 3
RANGE_MASK = 0x03
NET = 0x04
INITIAL_ZERO_ERROR = 0x08
# Byte 4
WEIGHT_CHANGE = 0x01
ZERO_DETECTED = 0x02
METRIC = 0x04

_REPLY = re.compile(r"\n?(?:(?P<weight>[^\r\n]*)\r\n?)?(?P<status>[^\r\n]+)\r\x03")
_WEIGHT = re.compile(r" *(?P<value>-? *(?:[0-9]+\.?[0-9]*|\.[0-9]+)) *(?P<unit>[A-Za-z]{1,3}) *")
_LB_OZ = re.compile(
    r" *(?P<sign>-?) *(?P<lb>[0-9]+) *lb +(?P<oz>[0-9]+(?:\.[0-9]+)?) *oz *", re.IGNORECASE
)
#: A weight field made of one of these characters (and spaces) replaces the digits.
_MARKERS = {
    "^": (ScaleStatus.OVERLOAD, "over capacity"),
    "_": (ScaleStatus.UNDERLOAD, "under capacity"),
    "-": (ScaleStatus.ZERO_ERROR, "zero-point error"),
}
_UNITS = {"lb", "kg", "oz", "g"}


def command(kind: str) -> bytes:
    """Bytes to send for ``kind`` (weigh, status, zero); SCP-01 has no tare here."""
    try:
        return COMMANDS[kind]
    except KeyError:
        raise ProtocolError(f"SCP-01 has no {kind!r} command") from None


def status_bytes(raw: bytes) -> list[int]:
    """The announced status bytes (parity masked); ProtocolError if any is missing or extra."""
    values = [b & ~PARITY for b in raw]
    if len(values) < 2:
        raise ProtocolError(f"SCP-01 status {raw!r}: at least two status bytes are sent")
    for index, value in enumerate(values, 1):
        if value & FIXED_ONES != FIXED_ONES:
            raise ProtocolError(
                f"SCP-01 status byte {index} (0x{value:02x}) lacks bits 4 and 5, always 1"
            )
    if values[0] & BYTE_FOLLOWS:
        raise ProtocolError(f"SCP-01 status byte 1 (0x{values[0]:02x}) has bit 6, always 0")
    for index in range(1, len(values)):
        announced = bool(values[index] & BYTE_FOLLOWS)
        last = index == len(values) - 1
        if announced and last:
            raise ProtocolError(
                f"SCP-01 status byte {index + 1} announces another byte that never came: {raw!r}"
            )
        if not announced and not last:
            raise ProtocolError(
                f"SCP-01 status byte {index + 2} was not announced by byte {index + 1}: {raw!r}"
            )
    return values


def _status(values: list[int]) -> tuple[ScaleStatus, bool, bool, str]:
    """(status, stable, net, detail) from the status bytes."""
    first, second = values[0], values[1]
    third = values[2] if len(values) > 2 else FIXED_ONES
    stable = not first & MOTION
    net = bool(third & NET)
    if first & (RAM_ERROR | EEPROM_ERROR) or second & ROM_ERROR:
        return ScaleStatus.FAULT, stable, net, "scale memory error (RAM/EEPROM/ROM)"
    if second & FAULTY_CALIBRATION:
        return ScaleStatus.NEEDS_CALIBRATION, stable, net, "faulty calibration"
    if second & OVER_CAPACITY:
        return ScaleStatus.OVERLOAD, stable, net, "over capacity"
    if second & UNDER_CAPACITY:
        return ScaleStatus.UNDERLOAD, stable, net, "under capacity"
    if third & INITIAL_ZERO_ERROR:
        return ScaleStatus.ZERO_ERROR, stable, net, "initial zero error"
    return ScaleStatus.OK, stable, net, "at zero" if first & AT_ZERO else ""


def _weight(text: str) -> tuple[int, str]:
    """(milligrams, unit) of a weight field; ProtocolError if it is no weight."""
    lb_oz = _LB_OZ.fullmatch(text)
    if lb_oz:
        ounces = Decimal(lb_oz.group("oz"))
        if ounces >= 16:
            raise ProtocolError(f"SCP-01 pound-ounce weight {text!r} has 16 oz or more")
        total = Decimal(lb_oz.group("lb")) * 16 + ounces  # 1 lb = 16 oz exactly
        if lb_oz.group("sign"):
            total = -total
        return to_milligrams(total, "oz"), "lb-oz"
    weight = _WEIGHT.fullmatch(text)
    if weight is None:
        raise ProtocolError(f"SCP-01 weight field {text!r} unreadable")
    unit = canonical_unit(weight.group("unit"))
    if unit not in _UNITS:
        raise ProtocolError(f"SCP-01 weight unit {weight.group('unit')!r} is none of lb kg oz g")
    return to_milligrams(weight.group("value"), unit), unit


def _marker(text: str) -> tuple[ScaleStatus, str] | None:
    """The condition a weight field of ``^``, ``_`` or ``-`` characters shows, else None."""
    digits = text.strip(" ").rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    digits = digits.replace(" ", "")
    if digits and len(set(digits)) == 1 and digits[0] in _MARKERS:
        return _MARKERS[digits[0]]
    return None


def parse(frame: bytes) -> Reading:
    """One SCP-01 reply (weight+status, status only, or ``?`` unknown command) -> Reading."""
    text = decode_ascii(frame)
    if text in ("\n?\r\x03", "?\r\x03"):
        return Reading(
            None, False, "", ScaleStatus.COMMAND_ERROR, detail="?: command not recognised"
        )
    match = _REPLY.fullmatch(text)
    if not match:
        raise ProtocolError(f"not an SCP-01 reply: {frame!r}")
    status, stable, net, detail = _status(status_bytes(match.group("status").encode("ascii")))
    weight_text = match.group("weight")
    if weight_text is None:
        if status is ScaleStatus.OK and stable:
            status = ScaleStatus.ACKNOWLEDGED
        return Reading(None, stable, "", status, net=net, detail=detail or "status only")
    marker = _marker(weight_text)
    if marker is not None:
        marked, what = marker
        if status is ScaleStatus.OK:
            status, detail = marked, what
        return Reading(None, stable, "", status, net=net, detail=detail)
    if status is not ScaleStatus.OK:
        return Reading(None, stable, "", status, net=net, detail=detail)
    weight_mg, unit = _weight(weight_text)
    return Reading(weight_mg, stable, unit, status, net=net, detail=detail)
