"""Mettler Toledo MT-SICS level 0/1 (S, SI, SIR, Z, ZI, T, TA, TAC, TI, @): commands and replies.

Source: METTLER TOLEDO Standard Interface Command Set, MT-SICS Reference Manual 11780711B:
§3.2.1 "Format of the response with weight value" (p. 10: ``ID Status WeightValue Unit`` with
the value right-aligned in 10 characters, the sign directly before the first digit, every line
ending CR LF), §3.2.3 "Error messages" (p. 12: ``ES``/``ET``/``EL``), §4.1 level 0 commands
(pp. 13-22: S, SI, SIR, Z, ZI, @, I4) and §4.2 level 1 commands (pp. 23-29: T, TA, TAC, TI);
the same replies in the Mettler Toledo AT balances operating instructions, chapter "MT-SICS
interface commands". What each reply means:

* ``S S``/``S D`` stable/dynamic weight; ``S I`` not executable now (busy, or no stability
  within the timeout); ``S +``/``S -`` balance in overload/underload range.
* ``Z A`` zero set; ``ZI S``/``ZI D`` re-zero done under stable/dynamic conditions (no weight);
  ``Z +``/``Z -`` (and ``ZI +``/``ZI -``) upper/lower limit of the zero setting range exceeded.
* ``T S <tare>``, ``TI S|D <tare>`` and ``TA A <tare>`` acknowledge a tare and carry the TARE,
  never a net weight; ``T +``/``T -`` upper/lower limit of the taring range exceeded.

Fields are split on spaces (a right-aligned value is preceded by padding), never by column.
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
    "ES": "syntax error: the balance has not recognised the command",
    "ET": "transmission error: faulty command (parity error or interface break)",
    "EL": "logical error: the balance cannot execute the command",
}
_BUSY = "not executable now (another command is running, or no stability within the timeout)"
_ZERO_RANGE = {
    "+": "upper limit of the zero setting range exceeded",
    "-": "lower limit of the zero setting range exceeded",
}
_TARE_RANGE = {
    "+": "upper limit of the taring range exceeded",
    "-": "lower limit of the taring range exceeded",
}


def _plain_replies() -> dict[tuple[str, str], tuple[ScaleStatus, bool, str]]:
    """(reply id, status) -> (status, stable, detail) for the replies that carry no value."""
    replies: dict[tuple[str, str], tuple[ScaleStatus, bool, str]] = {
        ("S", "+"): (ScaleStatus.OVERLOAD, False, "balance in overload range"),
        ("S", "-"): (ScaleStatus.UNDERLOAD, False, "balance in underload range"),
        ("Z", "A"): (ScaleStatus.ACKNOWLEDGED, True, "zero setting performed"),
        ("ZI", "S"): (ScaleStatus.ACKNOWLEDGED, True, "re-zero performed under stable conditions"),
        ("ZI", "D"): (ScaleStatus.ACKNOWLEDGED, False, "re-zero performed under dynamic conditions"),
        ("TAC", "A"): (ScaleStatus.ACKNOWLEDGED, True, "tare cleared"),
        ("TA", "L"): (ScaleStatus.COMMAND_ERROR, False, "tare value not accepted (wrong parameter)"),
        ("TI", "L"): (ScaleStatus.COMMAND_ERROR, False, "tare immediately not allowed here"),
    }
    for ident in ("S", "Z", "ZI", "T", "TI", "TA", "TAC", "I4"):
        replies[(ident, "I")] = (ScaleStatus.BUSY, False, _BUSY)
    for sign in "+-":
        for ident in ("Z", "ZI"):
            replies[(ident, sign)] = (ScaleStatus.ZERO_ERROR, False, _ZERO_RANGE[sign])
        for ident in ("T", "TI"):
            replies[(ident, sign)] = (ScaleStatus.TARE_ERROR, False, _TARE_RANGE[sign])
    return replies


_PLAIN = _plain_replies()
#: (reply id, status) -> stable, for replies carrying a weight value and unit.
_WEIGHT = {("S", "S"): True, ("S", "D"): False}
#: (reply id, status) -> stable, for replies carrying the tare value and unit.
_TARE = {("T", "S"): True, ("TI", "S"): True, ("TI", "D"): False, ("TA", "A"): True}
#: §3.2.1: sign directly before the first digit, a digit before the decimal point.
_VALUE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def command(kind: str) -> bytes:
    """Bytes to send for ``kind`` (weigh, zero, tare, clear_tare, ...)."""
    try:
        return COMMANDS[kind]
    except KeyError:
        raise ProtocolError(f"MT-SICS has no {kind!r} command") from None


def _value(line: str, args: list[str]) -> tuple[int, str]:
    """(milligrams, unit) from the ``WeightValue Unit`` fields of ``line``."""
    if len(args) == 3 and args[0] in ("+", "-"):
        raise ProtocolError(f"MT-SICS sign apart from its digits in {line!r} (§3.2.1: directly before)")
    if len(args) != 2:
        raise ProtocolError(f"MT-SICS reply {line!r} needs exactly a weight value and a unit")
    value, unit_text = args
    if not _VALUE.fullmatch(value):
        raise ProtocolError(f"MT-SICS weight value {value!r} malformed in {line!r}")
    unit = canonical_unit(unit_text)
    return to_milligrams(value, unit), unit


def parse(frame: bytes) -> Reading:
    """One MT-SICS reply line -> Reading; ProtocolError (saying why) for anything else."""
    text = decode_ascii(frame)
    if not text.endswith("\r\n"):
        raise ProtocolError(f"MT-SICS line not terminated by CR LF: {frame!r}")
    line = text[:-2]
    if "\r" in line or "\n" in line:
        raise ProtocolError(f"MT-SICS line with a stray CR or LF: {frame!r}")
    fields = line.split()
    if not fields:
        raise ProtocolError("empty MT-SICS line")
    ident, rest = fields[0], fields[1:]
    if ident in _ERRORS:
        if rest:
            raise ProtocolError(f"MT-SICS error reply {line!r} with extra fields")
        detail = f"{ident}: {_ERRORS[ident]}"
        return Reading(None, False, "", ScaleStatus.COMMAND_ERROR, detail=detail)
    if not rest:
        raise ProtocolError(f"MT-SICS reply {ident!r} without status")
    key = (ident, rest[0])
    args = rest[1:]
    if ident == "I4" and rest[0] == "A":
        if not args:
            raise ProtocolError(f"MT-SICS reply {line!r} without the serial number")
        return Reading(None, True, "", ScaleStatus.ACKNOWLEDGED, detail=" ".join(args))
    if key in _PLAIN:
        if args:
            raise ProtocolError(f"MT-SICS reply {line!r} carries unexpected fields")
        status, stable, detail = _PLAIN[key]
        return Reading(None, stable, "", status, detail=f"{ident} {rest[0]}: {detail}")
    if key in _WEIGHT:
        weight_mg, unit = _value(line, args)
        return Reading(weight_mg, _WEIGHT[key], unit)
    if key in _TARE:
        tare_mg, unit = _value(line, args)
        return Reading(
            None,
            _TARE[key],
            unit,
            ScaleStatus.ACKNOWLEDGED,
            detail=f"{ident} {rest[0]}: tare {args[0]} {args[1]}",
            tare_mg=tare_mg,
        )
    known = {i for i, _ in _PLAIN} | {"ES", "ET", "EL"}
    if ident not in known:
        raise ProtocolError(f"unknown MT-SICS reply {ident!r} in {line!r}")
    raise ProtocolError(f"unknown MT-SICS status {rest[0]!r} in {line!r}")
