"""CAS continuous output (22-byte and 10-byte) and the AND 18-byte variant: line parsing.

Source: CAS CI-600D indicator manual, chapter 10 "Serial Data Information", p. 74: §10-1 "CAS
22Bytes Format" (``ST|US|OL`` ``,`` ``GS|NT`` ``,`` device id, lamp condition byte ``,`` 8 data
bytes such as ``000013.5``, one empty byte, unit ``kg``/``t``, CR LF; lamp byte bit 7 always 1,
b6 stable, b5 0, b4 hold, b3 printer, b2 gross, b1 tare, b0 zero point), §10-2 "CAS 10Bytes"
(8 data bytes, CR LF) and §10-3 "AND 18bytes" (``ST,GS,`` + 8 data + unit + CR LF). Every
format has a fixed length, which is checked. The indicator streams; there are no requests, so
``command`` supports nothing.
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

NAME = "cas"
FRAMING = Framing(terminator=b"\r\n", max_len=40)
CONTINUOUS = True
VARIANTS = ("cas22", "and18", "cas10")

LAMP_FIXED = 0x80  # bit 7: always 1
LAMP_STABLE = 0x40
LAMP_TARE = 0x02
LAMP_ZERO = 0x01
LENGTHS = {"cas22": 22, "and18": 18, "cas10": 10}

_HEADER = {"ST": ScaleStatus.OK, "US": ScaleStatus.OK, "OL": ScaleStatus.OVERLOAD}
_WEIGHT = re.compile(r"\s*(?P<value>[+-]?\s*[0-9]*\.?[0-9]+)\s*(?P<unit>[A-Za-z]{0,3})\s*")
#: Matched on the raw bytes: the device id and the lamp byte are binary, and real indicators
#: send the lamp byte with its high bit set (0xC4 = b7 + b6 stable + b2 gross); only the header
#: and the weight field are ASCII text.
_CAS22 = re.compile(
    rb"(?P<state>ST|US|OL),(?P<kind>GS|NT),(?P<id>.)(?P<lamp>.),(?P<body>.{1,12})", re.DOTALL
)
_AND18 = re.compile(r"(?P<state>ST|US|OL),(?P<kind>GS|NT),(?P<body>.{1,12})", re.DOTALL)


def command(kind: str) -> bytes:
    """The stream takes no requests: always ProtocolError."""
    raise ProtocolError(f"CAS continuous output has no {kind!r} command")


def _body(body: str, state: str, kind: str, unit_default: str, lamp: int | None) -> Reading:
    status = _HEADER[state]
    stable = state == "ST" if lamp is None else state == "ST" and bool(lamp & LAMP_STABLE)
    if status is ScaleStatus.OVERLOAD:
        return Reading(None, False, "", status, net=kind == "NT", detail="OL: overload")
    match = _WEIGHT.fullmatch(body)
    if not match:
        raise ProtocolError(f"CAS weight field {body!r} unreadable")
    unit = canonical_unit(match.group("unit") or unit_default)
    return Reading(to_milligrams(match.group("value"), unit), stable, unit, net=kind == "NT")


def parse(frame: bytes, variant: str = "cas22", unit: str = "kg") -> Reading:
    """One streamed line -> Reading. ``unit`` is used when the line carries none (cas10)."""
    if variant not in LENGTHS:
        raise ProtocolError(f"unknown CAS variant {variant!r}")
    if not frame.endswith(b"\r\n"):
        raise ProtocolError(f"CAS line not terminated by CR LF: {frame!r}")
    if len(frame) != LENGTHS[variant]:
        raise ProtocolError(
            f"{variant} line has {len(frame)} bytes, expected {LENGTHS[variant]}: {frame!r}"
        )
    if variant == "cas22":
        full = _CAS22.fullmatch(frame[:-2])
        if not full:
            raise ProtocolError(f"not a CAS 22-byte line: {frame!r}")
        lamp = full.group("lamp")[0]
        if not lamp & LAMP_FIXED:
            raise ProtocolError(f"CAS lamp byte 0x{lamp:02x} lacks bit 7, always 1: {frame!r}")
        return _body(
            decode_ascii(full.group("body")),
            full.group("state").decode("ascii"),
            full.group("kind").decode("ascii"),
            unit,
            lamp,
        )
    text = decode_ascii(frame[:-2])
    if variant == "cas10":
        match = _WEIGHT.fullmatch(text)
        if not match:
            raise ProtocolError(f"CAS weight field {text!r} unreadable")
        unit_seen = canonical_unit(match.group("unit") or unit)
        return Reading(
            to_milligrams(match.group("value"), unit_seen), False, unit_seen, stable_known=False
        )
    short = _AND18.fullmatch(text)
    if not short:
        raise ProtocolError(f"not an AND 18-byte line: {frame!r}")
    return _body(short.group("body"), short.group("state"), short.group("kind"), unit, None)
