"""GTIN normalisation with reasons: GTIN-8/12/13/14 to 14 digits (check digit math from drivers.scanner.gtin)."""

from __future__ import annotations

from drivers.scanner.gtin import GTIN_LENGTHS
from drivers.scanner.gtin import gs1_check_digit as gtin_check_digit

__all__ = ["GTIN_LENGTHS", "GtinError", "gtin_check_digit", "normalise_gtin", "try_normalise_gtin"]


class GtinError(ValueError):
    """A code that is not a valid GTIN; the message says why."""


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
