"""GS1 mod-10 check digits for EAN-13, EAN-8, UPC-A, UPC-E, ITF-14 and GTINs (pure functions).

Algorithm: GS1 General Specifications section 7.9.1 ("Standard check digit calculation for GS1
data structures"): weights 3 and 1 alternating from the rightmost data digit. UPC-E is checked
through its UPC-A expansion (GS1 General Specifications 5.2.2.4.2, UPC-E zero suppression).
"""

from __future__ import annotations

from drivers.scanner.aim import Symbology, normalise_symbology

#: Lengths a GTIN may have on a label; normalised GTINs in ScanEvent are always 14 digits.
GTIN_LENGTHS = frozenset({8, 12, 13, 14})

_LENGTHS: dict[Symbology, frozenset[int]] = {
    Symbology.EAN13: frozenset({13, 12}),  # ]E0 also carries UPC-A as 12 or 13 digits
    Symbology.EAN8: frozenset({8}),
    Symbology.UPCA: frozenset({12}),
    Symbology.ITF14: frozenset({14}),
}


def gs1_check_digit(payload: str) -> int:
    """The check digit for ``payload`` (all digits, without the check digit)."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def _mod10_ok(text: str) -> bool:
    return text.isascii() and text.isdigit() and gs1_check_digit(text[:-1]) == int(text[-1])


def upce_to_upca(text: str) -> str | None:
    """Expand an 8-digit UPC-E (number system 0/1, six digits, check) to 12-digit UPC-A."""
    if len(text) != 8 or not (text.isascii() and text.isdigit()) or text[0] not in "01":
        return None
    ns, d, check = text[0], text[1:7], text[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def check_digit_ok(symbology: str | None, text: str) -> bool:
    """True when ``text`` is a well-formed code of ``symbology`` with a valid GS1 check digit.

    ``symbology`` may be any name ``normalise_symbology`` knows ("EAN13", "upca", "ITF14"), or
    None / "gtin" for "any GTIN length" (8, 12, 13 or 14 digits). Wrong length or non-digits
    give False. A symbology that has no GS1 check digit (QR, Code 128 ...) raises ValueError,
    because "ok" would be a lie there.
    """
    if symbology is None or symbology.lower() == "gtin":
        return len(text) in GTIN_LENGTHS and _mod10_ok(text)
    canonical = normalise_symbology(symbology)
    if canonical == Symbology.UPCE:
        expanded = upce_to_upca(text)
        return expanded is not None and _mod10_ok(expanded)
    if canonical is None or canonical not in _LENGTHS:
        raise ValueError(f"symbology {symbology!r} has no GS1 mod-10 check digit")
    return len(text) in _LENGTHS[canonical] and _mod10_ok(text)


def normalise_gtin(text: str) -> str:
    """A GTIN-8/12/13/14 as the 14-digit form (left zero padded), the form ScanEvent.gtin uses."""
    return text.zfill(14)
