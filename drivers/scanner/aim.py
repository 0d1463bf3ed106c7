"""AIM symbology identifiers (``]C1``, ``]E0``, ``]d2`` ...): split the prefix off a scan, name it.

Sources: ISO/IEC 15424 code characters as listed in the GS1 General Specifications, figure
5.1.2-2 ("Symbology identifiers for GS1 data carriers"), and the biip library's
``biip.symbology`` table. Only the GS1 identifiers (]C1 ]e0 ]d2 ]Q3 ]J1, plus ]E0/]E4 and ]I1
which carry a GTIN) mean the data is a GS1 element string or GTIN; everything else is plain data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Symbology(StrEnum):
    """Canonical symbology names used in ScanEvent.symbology, whichever source produced the scan."""

    EAN13 = "ean13"  # also UPC-A and UPC-E: ]E0 does not tell them apart
    EAN8 = "ean8"
    UPCA = "upca"
    UPCE = "upce"
    EAN_ADDON = "ean-addon"
    CODE128 = "code128"
    GS1_128 = "gs1-128"
    CODE39 = "code39"
    CODE93 = "code93"
    CODE11 = "code11"
    CODABAR = "codabar"
    ITF = "itf"
    ITF14 = "itf14"
    GS1_DATABAR = "gs1-databar"
    DATAMATRIX = "datamatrix"
    GS1_DATAMATRIX = "gs1-datamatrix"
    QR = "qr"
    GS1_QR = "gs1-qr"
    PDF417 = "pdf417"
    MICROPDF417 = "micropdf417"
    AZTEC = "aztec"
    MAXICODE = "maxicode"
    DOTCODE = "dotcode"
    GS1_DOTCODE = "gs1-dotcode"
    OTHER = "other"


@dataclass(frozen=True)
class AimId:
    """One parsed AIM identifier: the prefix as sent, the symbology it names, GS1 data or not."""

    aim_id: str
    symbology: Symbology
    is_gs1: bool


# (code character, modifier) -> symbology, GS1. A modifier of None is the default for that code.
_EXACT: dict[str, tuple[Symbology, bool]] = {
    "C1": (Symbology.GS1_128, True),
    "E0": (Symbology.EAN13, True),
    "E1": (Symbology.EAN_ADDON, False),
    "E2": (Symbology.EAN_ADDON, False),
    "E3": (Symbology.EAN13, True),
    "E4": (Symbology.EAN8, True),
    "I1": (Symbology.ITF14, True),
    "e0": (Symbology.GS1_DATABAR, True),
    "e1": (Symbology.GS1_DATABAR, True),
    "e2": (Symbology.GS1_DATABAR, True),
    "d2": (Symbology.GS1_DATAMATRIX, True),
    "Q3": (Symbology.GS1_QR, True),
    "J1": (Symbology.GS1_DOTCODE, True),
}
_BY_CODE: dict[str, Symbology] = {
    "A": Symbology.CODE39,
    "C": Symbology.CODE128,
    "E": Symbology.EAN13,
    "F": Symbology.CODABAR,
    "G": Symbology.CODE93,
    "H": Symbology.CODE11,
    "I": Symbology.ITF,
    "J": Symbology.DOTCODE,
    "L": Symbology.PDF417,
    "Q": Symbology.QR,
    "U": Symbology.MAXICODE,
    "d": Symbology.DATAMATRIX,
    "e": Symbology.GS1_DATABAR,
    "z": Symbology.AZTEC,
}
#: Code characters ISO/IEC 15424 defines that we do not name individually (Telepen, MSI, ...).
_OTHER_CODES = frozenset("BDKMNOPRSTXZcopsY")
_PREFIX = re.compile(r"\]([A-Za-z])([0-9A-Za-z])")


def parse_aim(text: str) -> tuple[AimId | None, str]:
    """Split a leading AIM identifier off ``text``: ``(AimId, data)`` or ``(None, text)``.

    A ``]`` that is not followed by a known code character and a modifier is data, not an
    identifier (a SKU may well start with ``]``), so this never raises.
    """
    match = _PREFIX.match(text)
    if match is None:
        return None, text
    code, modifier = match.group(1), match.group(2)
    length = 3
    if code == "Y" and modifier.isdigit():  # system expansion: the digit counts extra modifiers
        length = 3 + int(modifier)
        if len(text) < length:
            return None, text
    aim_text = text[:length]
    exact = _EXACT.get(code + modifier)
    if exact is not None:
        symbology, is_gs1 = exact
    elif code in _BY_CODE:
        symbology, is_gs1 = _BY_CODE[code], False
    elif code in _OTHER_CODES:
        symbology, is_gs1 = Symbology.OTHER, False
    else:
        return None, text
    return AimId(aim_id=aim_text, symbology=symbology, is_gs1=is_gs1), text[length:]


_ALIASES: dict[str, Symbology] = {
    # zxing-cpp BarcodeFormat names and pyzbar ZBarSymbol names, lower-cased without punctuation
    "ean13": Symbology.EAN13,
    "ean8": Symbology.EAN8,
    "upca": Symbology.UPCA,
    "upce": Symbology.UPCE,
    "isbn10": Symbology.EAN13,
    "isbn13": Symbology.EAN13,
    "code128": Symbology.CODE128,
    "gs1128": Symbology.GS1_128,
    "ean128": Symbology.GS1_128,
    "code39": Symbology.CODE39,
    "code93": Symbology.CODE93,
    "code11": Symbology.CODE11,
    "codabar": Symbology.CODABAR,
    "itf": Symbology.ITF,
    "i25": Symbology.ITF,
    "itf14": Symbology.ITF14,
    "databar": Symbology.GS1_DATABAR,
    "databarexpanded": Symbology.GS1_DATABAR,
    "databarlimited": Symbology.GS1_DATABAR,
    "gs1databar": Symbology.GS1_DATABAR,
    "rss14": Symbology.GS1_DATABAR,
    "rssexpanded": Symbology.GS1_DATABAR,
    "datamatrix": Symbology.DATAMATRIX,
    "gs1datamatrix": Symbology.GS1_DATAMATRIX,
    "qrcode": Symbology.QR,
    "qr": Symbology.QR,
    "microqrcode": Symbology.QR,
    "gs1qr": Symbology.GS1_QR,
    "gs1qrcode": Symbology.GS1_QR,
    "pdf417": Symbology.PDF417,
    "micropdf417": Symbology.MICROPDF417,
    "aztec": Symbology.AZTEC,
    "maxicode": Symbology.MAXICODE,
    "dotcode": Symbology.DOTCODE,
}


def normalise_symbology(name: str | None) -> Symbology | None:
    """Map a library's symbology name ("EAN13", "QRCode", "CODE128", "gs1-128") to ours.

    Unknown names give None (the caller keeps its own name); this never raises.
    """
    if not name:
        return None
    key = "".join(ch for ch in name.lower() if ch.isalnum())
    if key.startswith("zbarsymbol"):
        key = key[len("zbarsymbol") :]
    if key.startswith("barcodeformat"):
        key = key[len("barcodeformat") :]
    return _ALIASES.get(key)
