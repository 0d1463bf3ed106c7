"""Scanned codes in words an operator reads: GS1 fields decoded, control characters shown as <GS>."""

from __future__ import annotations

import calendar
import unicodedata
from datetime import date

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from drivers.scanner.aim import parse_aim
from drivers.scanner.interpret import interpret

__all__ = ["fields", "readable", "visible"]

#: What a GS1 application identifier means (GS1 General Specifications section 3); others show as (AI).
AI_NAMES: dict[str, str | LazyString] = {
    "00": _l("SSCC"),
    "01": "GTIN",
    "02": _l("Contained GTIN"),
    "10": _l("Lot"),
    "11": _l("Production date"),
    "13": _l("Packaging date"),
    "15": _l("Best before"),
    "16": _l("Sell by"),
    "17": _l("Expiry"),
    "20": _l("Variant"),
    "21": _l("Serial"),
    "30": _l("Count"),
    "37": _l("Count"),
    "400": _l("Order number"),
}
#: GS1 date fields: YYMMDD (GS1 General Specifications 7.12: DD 00 is the month's last day).
_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
#: Control characters as the names printed in barcode manuals.
_NAMED = {"\x00": "NUL", "\x04": "EOT", "\t": "TAB", "\n": "LF", "\r": "CR", "\x1b": "ESC",
          "\x1c": "FS", "\x1d": "GS", "\x1e": "RS", "\x1f": "US", "\x7f": "DEL", "\ufffd": "?"}
#: Not shown as they are: controls, format characters (bidi overrides), surrogates, unassigned.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Format characters that are part of emoji and scripts (zero-width joiner / non-joiner).
_KEPT = frozenset("\u200c\u200d")
#: Longest text shown for one code; the rest is cut off with "…".
MAX_SHOWN = 160
_SEPARATOR = " · "


def visible(text: str) -> str:
    """``text`` with every control or invisible character written out (``<GS>``, ``<U+202E>``)."""
    out: list[str] = []
    for char in text:
        if char in _NAMED:
            out.append(f"<{_NAMED[char]}>")
        elif char not in _KEPT and unicodedata.category(char) in _HIDDEN:
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return _cut("".join(out))


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _gs1_date(value: str, expiry: date | None) -> str:
    """YYMMDD as 2031-12-31 (day 00: the month's last day), the century by the GS1 sliding window."""
    if expiry is not None:
        return expiry.isoformat()
    if len(value) != 6 or not value.isdigit():
        return value
    year = date.today().year
    full = year - year % 100 + int(value[:2])
    if full - year >= 51:
        full -= 100
    elif full - year <= -50:
        full += 100
    month, day = int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        return value
    return f"{full}-{month:02d}-{day or calendar.monthrange(full, month)[1]:02d}"


def fields(raw: object) -> list[tuple[str, str]]:
    """(label, value) pairs a code means, labels in the UI language; plain data is ("", text)."""
    if raw is None:
        return []
    try:
        text = raw if isinstance(raw, str) else str(raw)
        try:
            event = interpret(text, "display")
        except Exception:  # ScanRejected: not a scan the bench would take, show it as it is
            return [("", visible(parse_aim(text)[1] or text))]
        if event.gs1_elements:
            pairs: list[tuple[str, str]] = []
            for ai, value in event.gs1_elements:
                shown = _gs1_date(value, event.expiry if ai == "17" else None) if ai in _DATE_AIS else value
                name = AI_NAMES.get(ai)
                pairs.append((str(name) if name is not None else f"({ai})", visible(shown)))
            return pairs
        if event.gtin is not None:
            return [("GTIN", event.gtin)]
        return [("", visible(event.text))]
    except Exception:  # never let a code break a page: the characters, made visible
        try:
            return [("", visible(str(raw)))]
        except Exception:
            return [("", "?")]


def readable(raw: object) -> str:
    """One line for a code: "GTIN 05012345678900 · Serial HP200-A1B2C3", or the data made visible."""
    return _cut(_SEPARATOR.join(f"{label} {value}" if label else value for label, value in fields(raw)))
