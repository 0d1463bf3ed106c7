"""CAS continuous output (22-byte and 10-byte) and the AND 18-byte variant: line parsing.

Source: CAS CI-600D indicator manual, p. 74 (data formats "CAS 22 byte": ``ST|US|OL`` ``,``
``GS|NT`` ``,`` id, lamp byte ``,`` 8 weight characters, space, unit, CR LF; lamp byte b6 stable,
b4 hold, b3 printer, b2 gross, b1 tare, b0 zero; "AND 18 byte": ``ST,GS,`` + 8 + unit + CR LF;
a 10-byte weight-only format). The indicator streams;
there are no requests, so ``command`` supports nothing.
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

LAMP_STABLE = 0x40

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
    if not frame.endswith(b"\r\n"):
        raise ProtocolError(f"CAS line not terminated by CR LF: {frame!r}")
    if variant == "cas22":
        full = _CAS22.fullmatch(frame[:-2])
        if not full:
            raise ProtocolError(f"not a CAS 22-byte line: {frame!r}")
        return _body(
            decode_ascii(full.group("body")),
            full.group("state").decode("ascii"),
            full.group("kind").decode("ascii"),
            unit,
            full.group("lamp")[0],
        )
    text = decode_ascii(frame[:-2])
    if variant == "cas10":
        if len(text) != 8:
            raise ProtocolError(f"CAS 10-byte line has {len(text) + 2} bytes: {frame!r}")
        match = _WEIGHT.fullmatch(text)
        if not match:
            raise ProtocolError(f"CAS weight field {text!r} unreadable")
        unit_seen = canonical_unit(match.group("unit") or unit)
        return Reading(
            to_milligrams(match.group("value"), unit_seen), False, unit_seen, stable_known=False
        )
    if variant == "and18":
        short = _AND18.fullmatch(text)
        if not short:
            raise ProtocolError(f"not an AND 18-byte line: {frame!r}")
        return _body(short.group("body"), short.group("state"), short.group("kind"), unit, None)
    raise ProtocolError(f"unknown CAS variant {variant!r}")
