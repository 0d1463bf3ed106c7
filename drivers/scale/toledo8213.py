"""Toledo 8213/8217 style POS protocol: single-byte requests, STX-framed weight or status reply.

Sources: Brecknell 3700LP manual, RS-232 protocol tables, p. 11 ("Model 8213 Protocol": W/H/Z
requests, weight ``<STX>XXX.XX<CR>``, grams ``<STX>0XXXXX<CR>``, status ``<STX>?[STATUS]<CR>``)
and p. 10 note 3 ("a status byte is sent if the scale is in motion, under zero, over capacity
or at center-of-zero"); the status byte bits in the Mettler Toledo PS6L specifications,
Appendix A "Scale Status Byte Format", p. A-5 (bit 0 in motion, 1 over capacity, 2 under zero,
3 outside zero capture range, 4 center of zero, bits 5 and 6 always 1, bit 7 parity) and the
Brecknell 6700U service manual §7.6.3, table 7.5 (the same bits); the Odoo IoT serial scale
driver's Toledo8217 protocol record (T/C requests, 9600 7E1, an ``N`` after a net weight).
The reply carries no unit and no sign: the profile's ``unit`` says what the digits mean, and a
weight below zero is reported by the "under zero" status bit.
"""

from __future__ import annotations

import re

from drivers.scale.framing import Framing
from drivers.scale.reading import ProtocolError, Reading, ScaleStatus, decode_ascii, to_milligrams

NAME = "toledo8213"
FRAMING = Framing(terminator=b"\r", start=b"\x02", max_len=20)
CONTINUOUS = False

COMMANDS: dict[str, bytes] = {"weigh": b"W", "zero": b"Z", "tare": b"T", "clear_tare": b"C"}

# Status byte bits (Mettler Toledo PS6L specifications, p. A-5).
MOVING = 0x01
OVER_CAPACITY = 0x02
UNDER_ZERO = 0x04
NEGATIVE = UNDER_ZERO
OUTSIDE_ZERO_CAPTURE = 0x08
CENTRE_OF_ZERO = 0x10
FIXED_ONES = 0x60  # bits 5 and 6: always 1
PARITY = 0x80

# The weight field is fixed-width: XXX.XX, XXXX.XX, 0XXXXX (or spaces in front): six to eight
# characters. A shorter field is no reply a scale sends (line noise "<STX>5<CR>" is refused).
_WEIGHT = re.compile(r"\x02(?=[ 0-9.]{6,8}N?\r) *([0-9]+\.?[0-9]*|\.[0-9]+)(N?)\r")
_STATUS = re.compile(rb"\x02\?(.)\r", re.DOTALL)


def command(kind: str) -> bytes:
    """Single request byte for ``kind``; there is no terminator."""
    try:
        return COMMANDS[kind]
    except KeyError:
        raise ProtocolError(f"8213 protocol has no {kind!r} command") from None


def status_reading(status: int, unit: str = "lb") -> Reading:
    """Reading for a status-byte reply; at center of zero and stable that is a 0 weight."""
    status &= ~PARITY
    if status & FIXED_ONES != FIXED_ONES:
        raise ProtocolError(f"8213 status byte 0x{status:02x} lacks bits 5 and 6, always 1")
    stable = not status & MOVING
    if status & OVER_CAPACITY:
        return Reading(None, stable, "", ScaleStatus.OVERLOAD, detail="over capacity")
    if status & UNDER_ZERO:
        return Reading(None, stable, "", ScaleStatus.UNDERLOAD, detail="under zero")
    if status & OUTSIDE_ZERO_CAPTURE:
        return Reading(
            None, stable, "", ScaleStatus.ZERO_ERROR, detail="outside zero capture range"
        )
    if not stable:
        return Reading(None, False, "", ScaleStatus.OK, detail="in motion")
    if status & CENTRE_OF_ZERO:
        return Reading(0, True, unit, detail="center of zero")
    return Reading(None, True, "", ScaleStatus.ACKNOWLEDGED, detail=f"status 0x{status:02x}")


def parse(frame: bytes, unit: str = "lb") -> Reading:
    """One reply (STX ... CR) -> Reading; the digits are in ``unit`` (from the profile)."""
    status = _STATUS.fullmatch(frame)
    if status:
        return status_reading(status.group(1)[0], unit)
    text = decode_ascii(frame)
    match = _WEIGHT.fullmatch(text)
    if match:
        return Reading(to_milligrams(match.group(1), unit), True, unit, net=bool(match.group(2)))
    if text.startswith("\x02") and "-" in text:
        raise ProtocolError(f"8213 weight with a sign (below zero is a status byte): {frame!r}")
    raise ProtocolError(f"not an 8213 reply: {frame!r}")
