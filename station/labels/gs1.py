"""GS1 helpers for labels: check digits, GTIN-14, SSCC-18, element strings and Digital Link URIs."""

from __future__ import annotations

from urllib.parse import quote

from biip.checksums import gs1_standard_check_digit

DEFAULT_DIGITAL_LINK_BASE = "https://id.gs1.org"

#: GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1): what a
#: serial number in AI (21) may hold.
_CSET82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")


class GS1Error(ValueError):
    """A GTIN, SSCC part or serial that is not valid GS1 data; the message says which."""


def check_digit(payload: str) -> int:
    """The GS1 standard (mod 10, weights 3-1 from the right) check digit of a digit string."""
    if not payload.isdigit() or not payload.isascii():
        raise GS1Error(f"{payload!r} is not a digit string")
    return int(gs1_standard_check_digit(payload))


def gtin14(gtin: str) -> str:
    """A GTIN-8/12/13/14 as 14 digits (zero-padded), its check digit verified."""
    if not (gtin.isascii() and gtin.isdigit()) or len(gtin) not in (8, 12, 13, 14):
        raise GS1Error(f"GTIN {gtin!r} must be 8, 12, 13 or 14 digits")
    if check_digit(gtin[:-1]) != int(gtin[-1]):
        raise GS1Error(f"GTIN {gtin!r} has a wrong check digit (expected {check_digit(gtin[:-1])})")
    return gtin.zfill(14)


def validate_serial(serial: str) -> str:
    """An AI (21) serial number: 1 to 20 characters of GS1 character set 82."""
    if not 1 <= len(serial) <= 20:
        raise GS1Error(f"serial {serial!r} must be 1 to 20 characters long")
    bad = sorted({c for c in serial if c not in _CSET82})
    if bad:
        raise GS1Error(f"serial {serial!r} has characters outside GS1 character set 82: {''.join(bad)!r}")
    return serial


def sscc(prefix: str, serial_ref: str | int, extension: int = 0) -> str:
    """SSCC-18: extension digit + GS1 company prefix + serial reference + check digit.

    ``prefix`` is the GS1 company prefix (6 to 12 digits); ``serial_ref`` fills the remaining
    16 - len(prefix) digits (an int is zero-padded; a string must have exactly that length).
    """
    if not (prefix.isascii() and prefix.isdigit()) or not 6 <= len(prefix) <= 12:
        raise GS1Error(f"GS1 company prefix {prefix!r} must be 6 to 12 digits")
    if not 0 <= extension <= 9:
        raise GS1Error(f"SSCC extension digit {extension} must be 0 to 9")
    width = 16 - len(prefix)
    if isinstance(serial_ref, int):
        if serial_ref < 0 or serial_ref >= 10 ** width:
            raise GS1Error(f"serial reference {serial_ref} does not fit in {width} digits")
        ref = str(serial_ref).zfill(width)
    else:
        ref = serial_ref
        if not (ref.isascii() and ref.isdigit()) or len(ref) != width:
            raise GS1Error(f"serial reference {ref!r} must be {width} digits after a {len(prefix)}-digit prefix")
    payload = f"{extension}{prefix}{ref}"
    return payload + str(check_digit(payload))


def validate_sscc(code: str) -> str:
    """An SSCC of 18 digits with a correct check digit."""
    if not (code.isascii() and code.isdigit()) or len(code) != 18:
        raise GS1Error(f"SSCC {code!r} must be 18 digits")
    if check_digit(code[:-1]) != int(code[-1]):
        raise GS1Error(f"SSCC {code!r} has a wrong check digit (expected {check_digit(code[:-1])})")
    return code


def element_string_hri(elements: list[tuple[str, str]]) -> str:
    """The human-readable interpretation of a GS1 element string: ``(01)...(21)...``."""
    return "".join(f"({ai}){value}" for ai, value in elements)


def digital_link_uri(gtin: str, serial: str, base_url: str = DEFAULT_DIGITAL_LINK_BASE) -> str:
    """``<base>/01/<gtin14>/21/<serial>``, the serial percent-encoded.

    GS1 Digital Link standard (URI syntax, section 4): AI values go in the path with every
    character outside the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~) percent-encoded, e.g.
    ``/`` as ``%2F``, ``%`` as ``%25``.
    """
    base = base_url.rstrip("/")
    if not base.startswith(("https://", "http://")) or any(c in base for c in " ^~?#"):
        raise GS1Error(f"Digital Link base URL {base_url!r} must be http(s) without spaces, ^, ~, ? or #")
    return f"{base}/01/{gtin14(gtin)}/21/{quote(validate_serial(serial), safe='')}"
