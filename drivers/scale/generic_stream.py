"""Regex-configured ASCII scale output: the profile's pattern names groups weight/unit/stable.

For scales without a dedicated module, e.g. Ohaus continuous print (Ohaus Explorer instruction
manual, interface output format, p. EN-156: weight 10 characters right-justified, space, unit
of up to 5 characters, space, ``?`` when unstable, space, legend such as ``TOTAL`` or an
interval time, CR LF) or Adam-style ``P`` polling (as in the Odoo IoT Adam record). Groups:
``weight`` (required), ``unit`` (else the profile's unit), ``stable`` (matched = stable) or
``unstable`` (matched = unstable); with neither the frame has no stable flag.
"""

from __future__ import annotations

import re

from drivers.scale.framing import Framing
from drivers.scale.reading import (
    ProtocolError,
    Reading,
    canonical_unit,
    decode_ascii,
    to_milligrams,
)

NAME = "generic_stream"
FRAMING = Framing(terminator=b"\r\n", max_len=80)
CONTINUOUS = True

#: Ohaus-like default: ``     192.21 g``, ``       0.01 g ?``.
DEFAULT_PATTERN = r"\s*(?P<weight>[+-]?\s*\d*\.?\d+)\s*(?P<unit>[A-Za-z]+)\s*(?P<unstable>\?)?.*"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a profile pattern; ValueError (naming the problem) if unusable."""
    try:
        compiled = re.compile(pattern, re.DOTALL)
    except re.error as exc:
        raise ValueError(f"pattern does not compile: {exc}") from exc
    if "weight" not in compiled.groupindex:
        raise ValueError("pattern needs a named group 'weight'")
    if "stable" in compiled.groupindex and "unstable" in compiled.groupindex:
        raise ValueError("pattern may name 'stable' or 'unstable', not both")
    return compiled


def command(kind: str, commands: dict[str, bytes] | None = None) -> bytes:
    """Profile-supplied request bytes for ``kind``; ProtocolError when the profile has none."""
    if commands and kind in commands:
        return commands[kind]
    raise ProtocolError(f"this stream profile has no {kind!r} command")


def parse(frame: bytes, pattern: re.Pattern[str] | None = None, unit: str = "g") -> Reading:
    """One line (terminator stripped here) -> Reading via ``pattern``."""
    compiled = pattern or re.compile(DEFAULT_PATTERN, re.DOTALL)
    text = decode_ascii(frame).rstrip("\r\n")
    match = compiled.fullmatch(text)
    if not match:
        raise ProtocolError(f"line does not match the profile pattern: {frame!r}")
    weight = match.group("weight")
    if not weight:
        raise ProtocolError(f"empty weight in {frame!r}")
    groups = compiled.groupindex
    unit_text = match.group("unit") if "unit" in groups else None
    unit_seen = canonical_unit(unit_text or unit)
    if "stable" in groups:
        stable, known = match.group("stable") is not None, True
    elif "unstable" in groups:
        stable, known = match.group("unstable") is None, True
    else:
        stable, known = False, False
    return Reading(to_milligrams(weight, unit_seen), stable, unit_seen, stable_known=known)
