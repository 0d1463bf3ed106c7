"""Toledo 8213/8217 style POS protocol: single-byte requests, STX-framed weight or status reply.

Sources: Brecknell 3700LP manual, "8213 protocol" section (W/Z/T/C requests, 9600 7E1, weight
``<STX>digits<CR>``, status byte bits), and the Odoo IoT serial scale driver's Toledo8217
protocol record (reply regex ``\\x02\\s*([0-9.]+)N?\\r``, status ``\\x02?<status>\\r``).
Whether the status reply carries a literal ``?`` before the
status byte differs between sources, so both forms are accepted. The reply carries no unit: the
profile's ``unit`` says what the digits mean.
"""

from __future__ import annotations

import re

from drivers.scale.framing import Framing
from drivers.scale.reading import ProtocolError, Reading, ScaleStatus, decode_ascii, to_milligrams

NAME = "toledo8213"
FRAMING = Framing(terminator=b"\r", start=b"\x02", max_len=20)
CONTINUOUS = False

COMMANDS: dict[str, bytes] = {"weigh": b"W", "zero": b"Z", "tare": b"T", "clear_tare": b"C"}

# Status byte bits (Brecknell 3700LP manual, 8213 section).
MOVING = 0x01
OVER_CAPACITY = 0x02
NEGATIVE = 0x04
OUTSIDE_ZERO_CAPTURE = 0x08
CENTRE_OF_ZERO = 0x10
NET_WEIGHT = 0x20

_WEIGHT = re.compile(r"\x02?\s*(-?\s*[0-9]*\.?[0-9]+)\s*(N?)\r")
_STATUS = re.compile(r"(?:\x02\??|\?)([^\r])\r", re.DOTALL)


def command(kind: str) -> bytes:
    """Single request byte for ``kind``; there is no terminator."""
    try:
        return COMMANDS[kind]
    except KeyError:
        raise ProtocolError(f"8213 protocol has no {kind!r} command") from None


def status_reading(status: int) -> Reading:
    """Reading for a status-byte reply (no weight)."""
    stable = not status & MOVING
    net = bool(status & NET_WEIGHT)
    if status & OVER_CAPACITY:
        return Reading(None, stable, "", ScaleStatus.OVERLOAD, net=net, detail="over capacity")
    if status & NEGATIVE:
        return Reading(None, stable, "", ScaleStatus.UNDERLOAD, net=net, detail="negative weight")
    if status & OUTSIDE_ZERO_CAPTURE:
        return Reading(
            None, stable, "", ScaleStatus.ZERO_ERROR, net=net, detail="outside zero capture range"
        )
    if not stable:
        return Reading(None, False, "", ScaleStatus.OK, net=net, detail="in motion")
    return Reading(
        None, True, "", ScaleStatus.ACKNOWLEDGED, net=net, detail=f"status 0x{status:02x}"
    )


def parse(frame: bytes, unit: str = "lb") -> Reading:
    """One reply (STX ... CR) -> Reading; the digits are in ``unit`` (from the profile)."""
    text = decode_ascii(frame)
    match = _WEIGHT.fullmatch(text)
    if match:
        value = match.group(1)
        return Reading(to_milligrams(value, unit), True, unit, net=bool(match.group(2)))
    match = _STATUS.fullmatch(text)
    if match:
        return status_reading(ord(match.group(1)))
    raise ProtocolError(f"not an 8213 reply: {frame!r}")
