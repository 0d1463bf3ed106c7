"""Small ZPL II building helpers: format frame, text with ^FH escaping, Code 128 / GS1-128, QR, box, ^GF.

Every command cited here is from the Zebra Programming Guide (ZPL II, Zebra P1012728), chapter
"ZPL Commands", in the command's own section; the sections run alphabetically by command and
the section title is quoted so it can be found in any revision (page numbers shift between
revisions: in P1012728-009, ^FB "Field Block" is on p. 185). Coordinates are dots from the
label home (^LH0,0), x right, y down.

Code 128 field data is written in ^BC mode N (no mode) with explicit invocation codes, so what
the printer encodes is exactly what :func:`code128` counted: ``>:`` Start Code B, ``>;`` Start
Code C, ``>5`` Code C, ``>6`` Code B, ``>8`` FNC1 (P1012728, ^BC "Code 128 Bar Code (Subsets
A, B, and C)", table "Code 128 Invocation Characters"). Digits in runs go in subset C, two per
symbol character, which is what keeps an LPN short enough for a 2x1" label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: A stand-in token for the FNC1 function character in Code 128 data.
FNC1 = "\x1d"

#: Code 128 characters written literally in subset B. ``>`` is the invocation prefix and ``^``
#: ``~`` are the ZPL command prefixes (P1012728, ^BC, "Code 128 Subset B is programmed directly
#: as ASCII text, except for ... ^ > ~"), so field data with them is refused here.
_CODE128_REFUSED = frozenset("^~>")

Justify = Literal["L", "C", "R"]


class ZplError(ValueError):
    """Data that these helpers cannot write as ZPL (unsupported characters, sizes out of range)."""


def start_format(width: int, length: int) -> str:
    """``^XA`` then ``^CI28`` (UTF-8), ``^PW`` print width and ``^LL`` label length, in dots.

    P1012728: ^XA "Start Format"; ^CI "Change International Font/Encoding" (a = 28: Unicode
    UTF-8, so ^FH hex bytes are UTF-8 bytes); ^PW "Print Width"; ^LL "Label Length";
    ^LH "Label Home".
    """
    if width < 2 or length < 1:
        raise ZplError(f"label size {width}x{length} dots is too small")
    return f"^XA^CI28^PW{width}^LL{length}^LH0,0"


def end_format() -> str:
    """``^XZ`` (P1012728, ^XZ "End Format")."""
    return "^XZ"


def field_origin(x: int, y: int) -> str:
    """``^FOx,y`` (P1012728, ^FO "Field Origin": upper-left corner of the field, 0 to 32000)."""
    if not (0 <= x <= 32000 and 0 <= y <= 32000):
        raise ZplError(f"field origin {x},{y} is outside 0..32000")
    return f"^FO{x},{y}"


def hex_escape(text: str, indicator: str = "_") -> str:
    """Field data for a field after ``^FH``: the indicator itself, ``^``, ``~``, control and
    non-ASCII characters become ``_XX`` (their UTF-8 bytes under ^CI28).

    P1012728, ^FH "Field Hexadecimal Indicator": the indicator precedes each two-digit hex
    value in the ^FD data; the default indicator is ``_``.
    """
    out: list[str] = []
    for char in text:
        if char in (indicator, "^", "~") or not " " <= char <= "~":
            out.extend(f"{indicator}{byte:02X}" for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return "".join(out)


def text_field(x: int, y: int, text: str, height: int, *, width: int | None = None,
               block_width: int | None = None, justify: Justify = "L") -> str:
    """One line of text in the printer's scalable font 0, hex-escaped.

    ``^A0N,h,w`` (P1012728, ^A "Scalable/Bitmapped Font", font 0, orientation N, height and
    width in dots); ``^FBw,1,0,j`` (^FB "Field Block": one line of width w, justification
    L/C/R) so the line is held inside its box (the font width is kept at or under the block
    width: P1012728-009 p. 185, "If the value is less than font width or not specified, text
    does not print"; a longer text would overwrite the last line); ``^FH_`` before
    ``^FD`` (see :func:`hex_escape`).
    """
    if height < 10:
        raise ZplError(f"font height {height} dots is below font 0's minimum of 10")
    char_width = width if width is not None else height
    if block_width is not None:
        # ^FB: "If the value is less than the font width ... text does not print"
        char_width = min(char_width, block_width)
    block = f"^FB{block_width},1,0,{justify},0" if block_width is not None else ""
    return (f"{field_origin(x, y)}^A0N,{height},{char_width}{block}"
            f"^FH_^FD{hex_escape(text)}^FS")


@dataclass(frozen=True)
class Code128:
    """Code 128 field data with invocation codes and the symbol's size in modules."""

    field_data: str
    symbols: int  # symbol characters including start and check character, without stop

    @property
    def modules(self) -> int:
        """Width without quiet zones: 11 modules per symbol character, 13 for the stop."""
        return self.symbols * 11 + 13


def _digit_run(tokens: list[str], start: int) -> int:
    end = start
    while end < len(tokens) and tokens[end].isdigit():
        end += 1
    return end - start


def code128(data: str | list[str]) -> Code128:
    """Encode ``data`` (printable ASCII; :data:`FNC1` tokens allowed) for ^BC mode N.

    Subset B for text, subset C for digit runs (4 or more at the start or end, 6 or more in
    the middle; an odd run puts its first digit in B). Refuses ``^ ~ >`` and non-printable
    characters (see :data:`_CODE128_REFUSED`).
    """
    tokens = list(data)
    if not tokens:
        raise ZplError("Code 128 data is empty")
    for token in tokens:
        if token != FNC1 and (not (" " <= token <= "~") or token in _CODE128_REFUSED):
            raise ZplError(f"Code 128 data {''.join(tokens)!r} has a character ZPL cannot encode: {token!r}")
    out: list[str] = []
    symbols = 0
    mode: str | None = None
    i = 0
    n = len(tokens)
    while i < n:
        token = tokens[i]
        run = _digit_run(tokens, i)
        if mode == "C":
            if run >= 2:
                out.append(token + tokens[i + 1])
                symbols += 1
                i += 2
                continue
            if token == FNC1:
                out.append(">8")
                symbols += 1
                i += 1
                continue
            out.append(">6")
            symbols += 1
            mode = "B"
            continue
        at_edge = mode is None or i + run == n
        if (run >= 4 and (at_edge or run >= 6)) or (mode is None and run == n == 2) or (
                mode is None and token == FNC1 and _digit_run(tokens, i + 1) >= 2):
            if run % 2 == 1:
                if mode is None:
                    out.append(">:")
                    symbols += 1
                    mode = "B"
                out.append(token)
                symbols += 1
                i += 1
            out.append(">;" if mode is None else ">5")
            symbols += 1
            mode = "C"
            if token == FNC1:
                out.append(">8")
                symbols += 1
                i += 1
            continue
        if mode is None:
            out.append(">:")
            symbols += 1
            mode = "B"
        out.append(">8" if token == FNC1 else token)
        symbols += 1
        i += 1
    return Code128("".join(out), symbols + 1)


def gs1_128(elements: list[tuple[str, str]], *, fixed_length_ais: frozenset[str] | None = None) -> Code128:
    """GS1-128: FNC1 first, then each AI and value; an FNC1 separates a variable-length value
    from a following element (the last element needs none).

    P1012728, ^BC: FNC1 is written ``>8``; starting with ``>;>8`` is the GS1-128 (UCC/EAN-128)
    form. ``fixed_length_ais`` are the AIs needing no separator (default: 00, 01, 02 and others
    of the GS1 General Specifications' predefined-length table that start 00-04 or 11-20).
    """
    fixed = fixed_length_ais if fixed_length_ais is not None else frozenset(
        {"00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"})
    tokens: list[str] = [FNC1]
    for index, (ai, value) in enumerate(elements):
        tokens.extend(ai + value)
        if index < len(elements) - 1 and ai[:2] not in fixed:
            tokens.append(FNC1)
    return code128(tokens)


def barcode_128(x: int, y: int, code: Code128, *, height: int, module: int) -> str:
    """``^BYw`` module width, then ``^BCN,h,N,N,N,N`` and the field data.

    P1012728: ^BY "Bar Code Field Default" (w = module width in dots, 1 to 10); ^BC "Code 128
    Bar Code (Subsets A, B, and C)" with orientation N, height h, no interpretation line (the
    human-readable line is a text field of its own so its size is known), no line above, no UCC
    check digit, mode N (invocation codes in the data, see the module docstring).
    """
    if not 1 <= module <= 10:
        raise ZplError(f"module width {module} dots is outside ^BY's 1..10")
    return f"{field_origin(x, y)}^BY{module}^BCN,{height},N,N,N,N^FD{code.field_data}^FS"


def qr_code(x: int, y: int, data: str, *, magnification: int, error_correction: str = "Q") -> str:
    """``^BQN,2,m,e,7`` and ``^FD`` with the ``QA,`` prefix.

    P1012728, ^BQ "QR Code Bar Code": model 2, magnification 1-10, error correction; "QR
    Switches (formatted into the ^FD field data)": the first character of the data is the error
    correction level (H, Q, M, L) and the second the input mode, ``A`` automatic, then a comma.
    """
    if not 1 <= magnification <= 10:
        raise ZplError(f"QR magnification {magnification} is outside ^BQ's 1..10")
    if error_correction not in ("H", "Q", "M", "L"):
        raise ZplError(f"QR error correction {error_correction!r} is not H, Q, M or L")
    if any(char in "^~" or not " " <= char <= "~" for char in data):
        raise ZplError(f"QR data {data!r} must be printable ASCII without ^ or ~")
    return (f"{field_origin(x, y)}^BQN,2,{magnification},{error_correction},7"
            f"^FD{error_correction}A,{data}^FS")


def box(x: int, y: int, width: int, height: int, thickness: int = 1) -> str:
    """``^GBw,h,t`` (P1012728, ^GB "Graphic Box")."""
    return f"{field_origin(x, y)}^GB{width},{height},{thickness}^FS"


def graphic_field(x: int, y: int, rows: bytes, bytes_per_row: int) -> str:
    """``^GFA,b,c,d,data``: a 1-bit image, MSB first, 1 = black, rows of ``bytes_per_row``.

    P1012728, ^GF "Graphic Field": a = A (ASCII hex), b = binary byte count, c = graphic
    field count (equal to b for A), d = bytes per row, then the hex data.
    """
    if bytes_per_row < 1 or len(rows) % bytes_per_row:
        raise ZplError(f"{len(rows)} image bytes are not whole rows of {bytes_per_row}")
    total = len(rows)
    return f"{field_origin(x, y)}^GFA,{total},{total},{bytes_per_row},{rows.hex().upper()}^FS"
