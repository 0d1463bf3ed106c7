"""Mettler Toledo MT-SICS level 0/1 (S, SI, SIR, Z, T, @): pure command bytes and reply parsing.

Source: Mettler Toledo AT balances operating instructions, chapter "MT-SICS interface commands"
(commands and replies ``S S``/``S D``/``S I``/``S +``/``S -``, ``Z A``, ``T S``, ``ES``/``ET``/
``EL``, every line ends CR LF); cross-checked with the open
implementations Atlantis-Software/mt-sics and MSLNZ Mass-Circular-Weighing. The weight field
width is UNCONFIRMED, so replies are split on whitespace, never by column.
"""

from __future__ import annotations

from drivers.scale.framing import Framing
from drivers.scale.reading import ProtocolError, Reading, ScaleStatus, decode_ascii, to_milligrams

NAME = "mt_sics"
FRAMING = Framing(terminator=b"\r\n", max_len=80)
CONTINUOUS = False

#: Command per request kind. ``SI`` answers at once (stable or dynamic); ``S`` waits for
#: stability, so it is the wrong thing for a poll loop. Clear tare is ``TAC`` (level 1).
COMMANDS: dict[str, bytes] = {
    "weigh": b"SI\r\n",
    "weigh_stable": b"S\r\n",
    "stream": b"SIR\r\n",
    "zero": b"Z\r\n",
    "tare": b"T\r\n",
    "clear_tare": b"TAC\r\n",
    "identify": b"@\r\n",
}

_ERRORS = {
    "ES": "syntax error: command not recognised",
    "ET": "transmission error",
    "EL": "logical error: command cannot be executed",
}
_WEIGHT_IDS = {"S", "SI", "SIR", "T", "TA", "ZI"}


def command(kind: str) -> bytes:
    """Bytes to send for ``kind`` (weigh, zero, tare, clear_tare, ...)."""
    try:
        return COMMANDS[kind]
    except KeyError:
        raise ProtocolError(f"MT-SICS has no {kind!r} command") from None


def _weight(fields: list[str], ident: str, stable: bool) -> Reading:
    if len(fields) < 3:
        raise ProtocolError(f"{ident} reply without weight: {' '.join(fields)!r}")
    value, unit = "".join(fields[2:-1]), fields[-1]
    if not value:
        raise ProtocolError(f"{ident} reply without unit: {' '.join(fields)!r}")
    return Reading(
        weight_mg=to_milligrams(value, unit),
        stable=stable,
        unit_seen=unit,
        net=ident in {"T", "TA"},
    )


def parse(frame: bytes) -> Reading:
    """One MT-SICS reply line -> Reading; ProtocolError for anything else."""
    fields = decode_ascii(frame).split()
    if not fields:
        raise ProtocolError("empty MT-SICS line")
    ident = fields[0]
    if ident in _ERRORS and len(fields) == 1:
        return Reading(
            None, False, "", ScaleStatus.COMMAND_ERROR, detail=f"{ident}: {_ERRORS[ident]}"
        )
    if len(fields) < 2:
        raise ProtocolError(f"MT-SICS reply {ident!r} without status")
    code = fields[1]
    if ident == "I4" and code == "A":
        return Reading(None, True, "", ScaleStatus.ACKNOWLEDGED, detail=" ".join(fields[2:]))
    if ident not in _WEIGHT_IDS | {"Z", "TAC"}:
        raise ProtocolError(f"unknown MT-SICS reply {ident!r}")
    if code == "I":
        return Reading(None, False, "", ScaleStatus.BUSY, detail=f"{ident} I: not executable now")
    if code == "+":
        return Reading(None, False, "", ScaleStatus.OVERLOAD, detail=f"{ident} +: over range")
    if code == "-":
        return Reading(None, False, "", ScaleStatus.UNDERLOAD, detail=f"{ident} -: under range")
    if code == "A":
        if ident in {"Z", "TAC"} and len(fields) == 2:
            return Reading(None, True, "", ScaleStatus.ACKNOWLEDGED, detail=f"{ident} A")
        if ident == "TA":
            return _weight(fields, ident, True)
        raise ProtocolError(f"unexpected MT-SICS reply {' '.join(fields)!r}")
    if ident in _WEIGHT_IDS and code in {"S", "D"}:
        return _weight(fields, ident, code == "S")
    raise ProtocolError(f"unknown MT-SICS status {code!r} in {' '.join(fields)!r}")
