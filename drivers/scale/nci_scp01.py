"""NCI / Avery Weigh-Tronix SCP-01 (3825 style): W/S/Z requests, LF ... CR ETX replies.

Sources: Avery Weigh-Tronix 7821 manual, p. 25 (SCP-01 commands, reply framing, status bytes),
Brecknell 3700LP manual (NCI section), and the serial-nci-scale project. Framing differs
slightly between devices, so whitespace and the LF between weight and status are optional here.
"""

from __future__ import annotations

import re

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
MORE_BYTES = 0x40
# Byte 3
NET = 0x04
INITIAL_ZERO_ERROR = 0x08

_REPLY = re.compile(
    r"\n?(?:(?P<weight>[^\r\n]*?)\r\n?)?(?P<status>[\x20-\x7f]{1,3})\r\x03", re.DOTALL
)
_WEIGHT = re.compile(r"\s*(?P<value>-?\s*[0-9]*\.?[0-9]+)\s*(?P<unit>[A-Za-z]{1,3})\s*")


def command(kind: str) -> bytes:
    """Bytes to send for ``kind`` (weigh, status, zero); SCP-01 has no tare here."""
    try:
        return COMMANDS[kind]
    except KeyError:
        raise ProtocolError(f"SCP-01 has no {kind!r} command") from None


def _status(status_bytes: bytes) -> tuple[ScaleStatus, bool, bool, str]:
    """(status, stable, net, detail) from the 2 or 3 status bytes (parity bit ignored)."""
    values = [b & 0x7F for b in status_bytes]
    if any(v & 0x30 != 0x30 for v in values):
        raise ProtocolError(f"status bytes {status_bytes!r} lack the fixed bits 4 and 5")
    first = values[0]
    second = values[1] if len(values) > 1 else 0
    third = values[2] if len(values) > 2 else 0
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
    return ScaleStatus.OK, stable, net, ""


def parse(frame: bytes) -> Reading:
    """One SCP-01 reply (weight+status, status only, or ``?`` unknown command) -> Reading."""
    text = decode_ascii(frame)
    if text.strip("\n\r\x03") == "?":
        return Reading(
            None, False, "", ScaleStatus.COMMAND_ERROR, detail="?: command not recognised"
        )
    match = _REPLY.fullmatch(text)
    if not match:
        raise ProtocolError(f"not an SCP-01 reply: {frame!r}")
    status, stable, net, detail = _status(match.group("status").encode("ascii"))
    weight_text = match.group("weight")
    if weight_text is None or not weight_text.strip():
        if status is ScaleStatus.OK and stable:
            status = ScaleStatus.ACKNOWLEDGED
        return Reading(None, stable, "", status, net=net, detail=detail or "status only")
    weight = _WEIGHT.fullmatch(weight_text)
    if weight is None or status is not ScaleStatus.OK:
        if status is ScaleStatus.OK:
            raise ProtocolError(f"SCP-01 weight field {weight_text!r} unreadable")
        return Reading(None, stable, "", status, net=net, detail=detail)
    unit = canonical_unit(weight.group("unit"))
    return Reading(to_milligrams(weight.group("value"), unit), stable, unit, status, net=net)
