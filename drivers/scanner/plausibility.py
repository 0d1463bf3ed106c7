"""Is an interpreted scan a plausible barcode read, or line noise / a misread to throw away?

A serial line that picks up noise, a wedge scanner whose cable flickers, or a camera that reads
half a bar pattern all produce "scans". A code from a device is only accepted when:

- its data (without the AIM identifier) has at least ``min_chars`` characters (per scanner
  profile; a return label, GTIN-8 or serial number is never shorter than 4);
- it holds at least one letter or digit (a bare GS, dashes or spaces are no barcode);
- an EAN/UPC/ITF-14 read carries a valid GS1 mod-10 check digit (GS1 General Specifications
  section 7.9.1); with an add-on (AIM ``]E3``) the main code is checked;
- a GS1 symbology (AIM ``]C1`` GS1-128, ``]e0`` DataBar, ``]d2`` GS1 DataMatrix, ``]Q3`` GS1 QR,
  ``]J1`` GS1 DotCode; GS1 General Specifications figure 5.1.2-2) holds an element string
  that parses: the symbology promises GS1 data, so data that is not is a misread;
- the separators GS, RS, EOT, FS appear only in GS1 data or an ISO/IEC 15434 message
  (``[)>`` RS ...); anywhere else they are line noise;
- characters beyond ASCII come only from a 2D symbology that can carry them (QR, DataMatrix,
  PDF417, Aztec, MaxiCode, DotCode); return labels, GTINs, serials and 1D codes are ASCII;
- when the symbology is not known (AIM ids off), a code shorter than ``_SHORT`` is written
  like a bin, tote or SKU label (capital letters, digits and ``- . / _``), and
  a code is at least 3/4 letters and digits (1/2 from 16 characters on). Random line
  noise then almost never passes as a scan (measured: 2 in 50 MB of random bytes).
"""

from __future__ import annotations

from drivers.scanner.aim import Symbology
from drivers.scanner.events import ScanEvent
from drivers.scanner.gtin import check_digit_ok, upce_to_upca

#: Default shortest accepted scan; scanner profiles can lower or raise it.
DEFAULT_MIN_CHARS = 4

_CHECKED_LENGTHS: dict[str, frozenset[int]] = {
    Symbology.EAN13: frozenset({12, 13}),
    Symbology.EAN8: frozenset({8}),
    Symbology.UPCA: frozenset({12, 13}),
    Symbology.UPCE: frozenset({8}),
    Symbology.ITF14: frozenset({14}),
}
_GS1_ONLY = frozenset(
    {
        Symbology.GS1_128,
        Symbology.GS1_DATABAR,
        Symbology.GS1_DATAMATRIX,
        Symbology.GS1_QR,
        Symbology.GS1_DOTCODE,
    }
)
_ADDON_LENGTHS = (2, 5)
_WIDE = frozenset(
    {
        Symbology.QR,
        Symbology.GS1_QR,
        Symbology.DATAMATRIX,
        Symbology.GS1_DATAMATRIX,
        Symbology.PDF417,
        Symbology.MICROPDF417,
        Symbology.AZTEC,
        Symbology.MAXICODE,
        Symbology.DOTCODE,
        Symbology.GS1_DOTCODE,
    }
)
_SEPARATORS = frozenset("\x1d\x1e\x04\x1c")
_ISO15434_HEADER = "[)>\x1e"
_SHORT = 8
_MEDIUM = 16
_SHORT_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./_")


def _check_digit_reason(symbology: str, data: str, aim_id: str | None) -> str | None:
    if not (data.isascii() and data.isdigit()):
        return f"{symbology} read holds characters other than digits"
    if aim_id == "]E3":  # EAN/UPC with add-on: the main symbol carries the check digit
        for addon in _ADDON_LENGTHS:
            main = data[:-addon]
            if len(main) in (12, 13) and check_digit_ok("gtin", main):
                return None
        return f"{symbology} read with add-on has a wrong check digit"
    if symbology in (Symbology.UPCE, Symbology.EAN13) and len(data) == 8:
        # ]E0 carries UPC-E as 8 digits; some scanners also send EAN-8 under ]E0
        expanded = upce_to_upca(data)
        ok = (expanded is not None and check_digit_ok("gtin", expanded)) or (
            symbology == Symbology.EAN13 and check_digit_ok("gtin", data)
        )
    elif symbology == Symbology.UPCE and len(data) in (12, 13):
        ok = check_digit_ok("gtin", data)  # scanners often send UPC-E expanded to UPC-A
    else:
        ok = len(data) in _CHECKED_LENGTHS[symbology] and check_digit_ok("gtin", data)
    if ok:
        return None
    return f"{symbology} read of {len(data)} digits has a wrong length or check digit"


def implausible(event: ScanEvent, min_chars: int = DEFAULT_MIN_CHARS) -> str | None:
    """Why ``event`` is not a believable read (None when it is); never raises."""
    data = event.text
    if len(data) < min_chars:
        return f"scan of {len(data)} characters is shorter than {min_chars}"
    if not any(char.isalnum() for char in data):
        return "scan holds no letter or digit"
    symbology = event.symbology
    if symbology in _CHECKED_LENGTHS:
        return _check_digit_reason(symbology, data, event.aim_id)
    if symbology in _GS1_ONLY and not event.gs1_elements:
        return f"{symbology} read does not hold a valid GS1 element string"
    return _content_reason(event, data, symbology)


def _content_reason(event: ScanEvent, data: str, symbology: str | None) -> str | None:
    if (
        any(char in _SEPARATORS for char in data)
        and not event.gs1_elements
        and not data.startswith(_ISO15434_HEADER)
    ):
        return "separator characters (GS/RS/EOT/FS) outside GS1 or ISO/IEC 15434 data"
    if not data.isascii() and symbology not in _WIDE:
        return "characters beyond ASCII outside a 2D code (line noise?)"
    if symbology is None:
        if len(data) < _SHORT and not all(char in _SHORT_ALPHABET for char in data):
            return (
                f"a code of {len(data)} characters is only accepted in capitals, digits"
                " and - . / _ (line noise?)"
            )
        letters_digits = sum(1 for char in data if char.isalnum())
        share = 4 if len(data) < _MEDIUM else 2  # at least 3/4 or 1/2 letters and digits
        if letters_digits * share < len(data) * (share - 1):
            return "code is mostly punctuation (line noise?)"
    return None
