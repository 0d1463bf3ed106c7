"""GTIN normalisation: GTIN-8/12/13/14 to 14 digits with leading zeros, check digit validated."""

from __future__ import annotations

#: Lengths of the GTIN family (GS1 General Specifications, GTIN data structures).
GTIN_LENGTHS = frozenset({8, 12, 13, 14})


class GtinError(ValueError):
    """A code that is not a valid GTIN; the message says why."""


def gtin_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (all digits but the last, any length).

    Weights 3 and 1 alternate from the rightmost body digit
    (GS1 General Specifications, standard check digit calculation).
    """
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        total += digit * 3 if position % 2 == 0 else digit
    return (10 - total % 10) % 10


def normalise_gtin(code: str) -> str:
    """Return ``code`` as a 14-digit GTIN; raise GtinError when it is not a valid GTIN.

    Surrounding whitespace is ignored; anything else that is not an ASCII digit is an error.
    """
    digits = code.strip()
    if not digits:
        raise GtinError("empty GTIN")
    if not (digits.isascii() and digits.isdigit()):
        raise GtinError(f"GTIN {code!r} has characters other than digits")
    if len(digits) not in GTIN_LENGTHS:
        raise GtinError(f"GTIN {code!r} has {len(digits)} digits; expected 8, 12, 13 or 14")
    expected = gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise GtinError(f"GTIN {code!r} has check digit {digits[-1]}, expected {expected}")
    return digits.zfill(14)


def try_normalise_gtin(code: str | None) -> str | None:
    """14-digit GTIN for ``code``, or None when it is missing or not a valid GTIN."""
    if code is None:
        return None
    try:
        return normalise_gtin(code)
    except GtinError:
        return None
