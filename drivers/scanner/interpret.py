"""Turn the text one scanner read into a ScanEvent: AIM id, GS1 fields, GTIN, or plain text.

GS1 element strings (FNC1 sent as GS, 0x1D), their bracketed human-readable form
``(01)...(21)...`` and GS1 Digital Link URIs are parsed with the ``biip`` library (GS1 General
Specifications section 3 for the application identifiers, GS1 Digital Link standard 1.x).

Conventions (what the station can rely on):
- ``ScanEvent.gtin`` is always the 14-digit form (GTIN-8/12/13 left padded with zeros) and only
  set when its check digit is valid. It means "this is a valid GTIN", not "this is an item":
  a 12-digit tracking number can pass the mod-10 check, the station decides what it is.
- ``serial`` is AI 21, ``lot`` AI 10, ``expiry`` AI 17 as a ``date`` (day 00 -> last day of the
  month, as biip does); ``gs1_elements`` keeps every (AI, value) pair in scan order.
- A GS1 scan whose element string does not parse (bad date, bad check digit) stays plain text.
- ``ScanRejected`` is the only exception: empty text, more than MAX_SCAN_CHARS characters,
  or characters no barcode sends (control characters other than GS/RS/EOT/FS, U+FFFD).
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import date

from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message

from drivers.scanner.aim import AimId, Symbology, normalise_symbology, parse_aim
from drivers.scanner.events import ScanEvent
from drivers.scanner.gtin import (
    GTIN_LENGTHS,
    check_digit_ok,
    normalise_gtin,
    upce_to_upca,
)

__all__ = ["MAX_SCAN_CHARS", "ScanRejected", "check_digit_ok", "interpret"]

#: Longest text accepted as one scan (a full QR code holds at most 4296 alphanumerics).
MAX_SCAN_CHARS = 4096

#: Control characters that are data in GS1 / ISO 15434 barcodes (GS, RS, EOT, FS).
_DATA_CONTROLS = frozenset("\x1d\x1e\x04\x1c")
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
_SUFFIX_CHARS = "\r\n\t"
_GTIN_SYMBOLOGIES = frozenset(
    {Symbology.EAN13, Symbology.EAN8, Symbology.UPCA, Symbology.UPCE, Symbology.ITF14}
)
_GS1_SYMBOLOGIES = frozenset(
    {
        Symbology.GS1_128,
        Symbology.GS1_DATABAR,
        Symbology.GS1_DATAMATRIX,
        Symbology.GS1_QR,
        Symbology.GS1_DOTCODE,
    }
)
_HRI = re.compile(r"\(\d{2,4}\)")
_AI01_START = re.compile(r"0[12](\d{14})")


class ScanRejected(ValueError):
    """The text is not a scan at all (empty, too long, garbage); the message says why."""


def _reject_reason(text: str) -> str | None:
    for position, char in enumerate(text):
        if char in _DATA_CONTROLS:
            continue
        if char == "\ufffd":
            return f"undecodable bytes (U+FFFD) at position {position}"
        if unicodedata.category(char) in _BAD_CATEGORIES:
            return f"non-printable character U+{ord(char):04X} at position {position}"
    return None


def _looks_like_gs1(data: str) -> bool:
    """Heuristic for scanners with AIM ids switched off: GS present, HRI brackets, or AI 01."""
    if "\x1d" in data or _HRI.match(data):
        return True
    match = _AI01_START.match(data)
    return match is not None and check_digit_ok("gtin", match.group(1))


def _gs1_elements(data: str) -> list[GS1ElementString] | None:
    """The element strings of a GS1 message / HRI / Digital Link, or None if it is not one."""
    try:
        if data[:8].lower().startswith(("http://", "https://")):
            return list(GS1DigitalLinkURI.parse(data).element_strings)
        if data.startswith("("):
            return list(GS1Message.parse_hri(data).element_strings)
        return list(GS1Message.parse(data.lstrip("\x1d")).element_strings)
    except Exception:  # biip raises ParseError, but a scan must never crash a driver thread
        return None


def _plain_gtin(data: str, symbology: Symbology | str | None, aim: AimId | None) -> str | None:
    if not (data.isascii() and data.isdigit()):
        return None
    if symbology == Symbology.UPCE or (
        aim is not None and aim.aim_id == "]E0" and len(data) == 8
    ):
        expanded = upce_to_upca(data)
        if expanded is not None and check_digit_ok("gtin", expanded):
            return normalise_gtin(expanded)
        return None
    if symbology is not None and symbology not in _GTIN_SYMBOLOGIES:
        return None
    if symbology is None and len(data) == 14:
        return None  # 14 bare digits: too often a tracking or order number
    if len(data) in GTIN_LENGTHS and check_digit_ok("gtin", data):
        return normalise_gtin(data)
    return None


def interpret(
    raw: str, source: str, symbology: str | None = None, *, at: float | None = None
) -> ScanEvent:
    """One scan's text -> ScanEvent; raises only ScanRejected (see the module docstring).

    ``symbology`` is the decoder's name for it when known (camera: "EAN13", "QRCode"); an
    AIM prefix in ``raw`` wins over it. ``at`` is the time of the last character (default now).
    """
    if not isinstance(raw, str):
        raise ScanRejected(f"scan is {type(raw).__name__}, not text")
    if len(raw) > MAX_SCAN_CHARS:
        raise ScanRejected(f"scan of {len(raw)} characters exceeds {MAX_SCAN_CHARS}")
    text = raw.strip(_SUFFIX_CHARS)
    if not text:
        raise ScanRejected("empty scan")
    reason = _reject_reason(text)
    if reason is not None:
        raise ScanRejected(reason)

    aim, data = parse_aim(text)
    named: Symbology | str | None = (
        aim.symbology if aim is not None else normalise_symbology(symbology) or symbology
    )

    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    expiry: date | None = None
    pairs: tuple[tuple[str, str], ...] = ()
    is_link = data[:8].lower().startswith(("http://", "https://"))
    if aim is not None:
        try_gs1 = is_link or (aim.is_gs1 and aim.symbology not in _GTIN_SYMBOLOGIES)
    else:
        try_gs1 = is_link or named in _GS1_SYMBOLOGIES or _looks_like_gs1(data)
    elements = _gs1_elements(data) if try_gs1 and data else None
    if elements:
        pairs = tuple((element.ai.ai, element.value) for element in elements)
        for element in elements:
            ai = element.ai.ai
            if ai == "01" and gtin is None and check_digit_ok("gtin", element.value):
                gtin = normalise_gtin(element.value)
            elif ai == "21" and serial is None:
                serial = element.value
            elif ai == "10" and lot is None:
                lot = element.value
            elif ai == "17" and expiry is None:
                expiry = element.date
    elif aim is None or not aim.is_gs1 or aim.symbology in _GTIN_SYMBOLOGIES:
        gtin = _plain_gtin(data, named, aim)

    return ScanEvent(
        raw=text,
        source=source,
        symbology=str(named) if named is not None else None,
        aim_id=aim.aim_id if aim is not None else None,
        gtin=gtin,
        serial=serial,
        lot=lot,
        expiry=expiry,
        gs1_elements=pairs,
        at=time.time() if at is None else at,
    )
