"""The simulated Zebra printer's format interpreter: label commands to fields with every default resolved.

Source: "ZPL II Programming Guide" (Zebra P1012728-009). Defaults are the guide's: ^BY w=2, r=3.0,
h=10 at power-up (^BY Bar Code Field Default); ^CF font A, 9 dots high, 5 wide (^CF Change Alphanumeric
Default Font); ^BC h = the ^BY height, interpretation line Y, above N, UCC check digit N, mode N
(pp. 93-94); ^BQ model 2, magnification 1/2/3/6 on 150/200/300/600 dpi printers (p. 126 in
P1012728-008); ^FB width 0 (text does not print), 1 line, spacing 0, L, indent 0 (pp. 185-186); ^GB
thickness 1, width and height at least the thickness, colour B, rounding 0 (^GB Graphic Box); ^FH
indicator _ (^FH Field Hexadecimal Indicator); ^FO/^FT x, y = 0 (^FO Field Origin, ^FT Field
Typeset); ^PQ 1 (^PQ Print Quantity); ^PW, ^LL, ^LH and ^CI stay in force for the following formats.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import segno

from drivers.sim.zpl_code128 import Code128, encode, modules
from drivers.sim.zpl_graphics import Graphic, QrData, decode_graphic, parse_qr_data
from drivers.sim.zpl_parse import KNOWN, Command, Stream, number_problems, split_labels, to_int

_BITMAP_RATIO = {"A": 5 / 9, "B": 7 / 11, "D": 10 / 18, "E": 15 / 28, "F": 13 / 26, "G": 40 / 60, "H": 13 / 21}
_QR_MAGNIFICATION = {150: 1, 200: 2, 203: 2, 300: 3, 600: 6}
_IGNORED = frozenset({"MM", "MN", "MD", "PR", "PO", "JU", "LS", "LT", "FX", "MT", "MU", "MF", "JM", "JZ", "PM"})
_CONTENT = frozenset({"FD", "FV", "SN", "SF", "GB", "GC", "GD", "GE", "GF", "GS", "XG", "IM", "FN"})


@dataclass
class Font:
    """A font as the field will use it: ZPL font name, orientation N/R/I/B, cell height and width in dots."""

    name: str = "A"
    orientation: str = "N"
    height: int = 9
    width: int = 5


@dataclass
class Field:
    """One field from its origin to ^FS: where, how, and what it prints."""

    offset: int
    kind: str = "text"  # text, code128, qr, box, graphic, unsupported
    x: int = 0
    y: int = 0
    typeset: bool = False  # ^FT: x, y is the baseline / bottom left instead of the top left
    justify: int = 0  # ^FO/^FT third parameter: 0 left, 1 right
    font: Font = field(default_factory=Font)
    orientation: str = "N"
    block: tuple[int, int, int, str, int] | None = None  # ^FB width, lines, spacing, justification, indent
    reverse: bool = False
    data: bytes = b""
    text: str = ""
    bars: tuple[int, float, int] = (2, 3.0, 10)  # ^BY module, ratio, height
    bar_height: int = 10
    interpretation: bool = True
    above: bool = False
    code128: Code128 | None = None
    qr: QrData | None = None
    magnification: int = 2
    box: tuple[int, int, int, str, int] = (1, 1, 1, "B", 0)
    graphic: Graphic | None = None


@dataclass
class LabelFormat:
    """One label: size in dots, print quantity, fields, problems, commands the simulator does not print."""

    offset: int
    closed: bool
    width: int
    length: int
    quantity: int = 1
    fields: list[Field] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_simulated: list[str] = field(default_factory=list)


@dataclass
class _Settings:
    """What outlives one format on a printer: ^PW, ^LL, ^LH, ^CI."""

    width: int
    length: int
    home: tuple[int, int] = (0, 0)
    charset: int = 0


@dataclass
class _State:
    """Per-format state: ^BY, ^CF, ^FW, ^LR and the field being built."""

    bars: tuple[int, float, int] = (2, 3.0, 10)
    default_font: Font = field(default_factory=Font)
    orientation: str = "N"
    reverse_all: bool = False
    current: Field | None = None
    has_data: bool = False
    has_content: bool = False
    hex_indicator: str | None = None
    barcode: Command | None = None
    font_set: bool = False  # ^A given in this field; otherwise the ^CF default in force at ^FS


def interpret(stream: Stream | bytes, dpi: int = 203) -> list[LabelFormat]:
    """Every label of ``stream`` (bytes or an already split Stream) with its fields and problems."""
    if isinstance(stream, bytes):
        stream = split_labels(stream)
    settings = _Settings(width=round(4 * dpi), length=round(6 * dpi))
    labels = []
    for label in stream.labels:
        out = LabelFormat(label.offset, label.closed, settings.width, settings.length)
        state = _State()
        for cmd in label.commands:
            out.problems.extend(number_problems(cmd))
            _apply(cmd, state, settings, out, dpi)
        if state.current is not None and (state.has_content or state.barcode is not None):
            out.problems.append(f"byte {state.current.offset}: field without ^FS before ^XZ")
            _finish(state, settings, out, dpi)
        out.width, out.length = settings.width, settings.length
        for f in out.fields:
            if f.kind != "unsupported" and (f.x >= out.width or f.y >= out.length or f.x < 0 or f.y < 0):
                out.problems.append(
                    f"byte {f.offset}: field origin {f.x},{f.y} is outside the label ({out.width} x {out.length} dots)"
                )
        for f in out.fields:
            _check_extent(f, out)
        labels.append(out)
    return labels


def _check_extent(f: Field, out: LabelFormat) -> None:
    """A bar code, box or graphic that does not fit prints cut off at the label edge (see ^BC: "Field
    data (^FD) is limited to the width (or length, if rotated) of the label")."""
    if f.kind == "code128" and f.code128 is not None:
        size = (len(modules(f.code128.values)) * f.bars[0], f.bar_height)
        if f.orientation in ("R", "B"):
            size = (size[1], size[0])
    elif f.kind == "qr" and f.qr is not None and f.qr.payload:
        try:
            qr = segno.make_qr(f.qr.payload, error=f.qr.ecc.lower(), mode=f.qr.mode, boost_error=False)
            side = int(qr.symbol_size(border=0)[0])
        except (segno.DataOverflowError, ValueError):
            out.problems.append(f"byte {f.offset}: ^BQ data does not fit in a QR Code at level {f.qr.ecc}")
            return
        size = (side * f.magnification, side * f.magnification)
    elif f.kind == "box":
        size = f.box[:2]
    elif f.kind == "graphic" and f.graphic is not None:
        size = (f.graphic.bytes_per_row * 8, f.graphic.rows)
    else:
        return
    left, top = (f.x, f.y - size[1]) if f.typeset else (f.x, f.y)
    if f.justify == 1:
        left -= size[0]
    if left < 0 or top < 0 or left + size[0] > out.width or top + size[1] > out.length:
        out.problems.append(
            f"byte {f.offset}: {f.kind} field {size[0]} x {size[1]} dots at {left},{top} runs past the label edge "
            f"({out.width} x {out.length} dots) and prints cut off"
        )


def _field(state: _State, cmd: Command) -> Field:
    if state.current is None:
        state.current = Field(offset=cmd.offset, font=Font(**vars(state.default_font)), orientation=state.orientation)
        state.current.font.orientation = state.orientation
    return state.current


def _apply(cmd: Command, state: _State, settings: _Settings, out: LabelFormat, dpi: int) -> None:
    name, p = cmd.name, cmd.param
    if name in ("FO", "FT"):
        if state.has_content or state.barcode is not None:
            out.problems.append(f"byte {cmd.offset}: {cmd} inside a field that has no ^FS yet (the field moves)")
        f = _field(state, cmd)
        f.x = to_int(p(0), 0) + settings.home[0]
        f.y = to_int(p(1), 0) + settings.home[1]
        f.typeset, f.justify = name == "FT", to_int(p(2), 0)
        if name == "FT" and (p(0) == "" or p(1) == ""):
            out.not_simulated.append(f"byte {cmd.offset}: ^FT without x or y (after the last field) uses 0")
    elif name in ("FD", "FV", "SN"):
        f = _field(state, cmd)
        if state.has_data:
            out.problems.append(f"byte {cmd.offset}: second {cmd} in one field (no ^FS after the first)")
        f.data = cmd.raw
        state.has_data = state.has_content = True
        if len(cmd.raw) > 3072:
            out.problems.append(f"byte {cmd.offset}: {cmd} data is {len(cmd.raw)} bytes, over the 3072 ^FD allows")
    elif name == "FS":
        if state.current is None or not (state.has_content or state.barcode is not None):
            out.problems.append(f"byte {cmd.offset}: ^FS without a field (no ^FD, graphic or bar code before it)")
            state.current, state.hex_indicator, state.barcode, state.font_set = None, None, None, False
            return
        _finish(state, settings, out, dpi)
    elif name == "A":
        f = _field(state, cmd)
        font_name = chr(cmd.raw[0]) if cmd.raw else state.default_font.name
        orient = p(0)[1:2].upper() or state.orientation
        height = to_int(p(1), state.default_font.height)
        ratio = 1.0 if font_name == "0" else _BITMAP_RATIO.get(font_name, 0.6)
        f.font = Font(font_name, orient, height, to_int(p(2), round(height * ratio)))
        state.font_set = True
        if orient not in "NRIB" or not font_name.isalnum():
            out.problems.append(f"byte {cmd.offset}: ^A font {font_name!r} orientation {orient!r} is not valid")
    elif name == "A@":
        height = to_int(p(1), state.default_font.height)
        orient = p(0)[:1].upper() or state.orientation
        _field(state, cmd).font = Font("0", orient, height, to_int(p(2), height))
        state.font_set = True
    elif name == "CF":
        font_name = p(0, state.default_font.name)[:1]
        height = to_int(p(1), 9)
        ratio = 1.0 if font_name == "0" else _BITMAP_RATIO.get(font_name, 0.6)
        state.default_font = Font(font_name, state.orientation, height, to_int(p(2), round(height * ratio)))
    elif name == "FW":
        state.orientation = p(0, "N").upper()[:1]
    elif name == "FH":
        _field(state, cmd)
        if state.has_data:
            out.problems.append(f"byte {cmd.offset}: ^FH after the field's ^FD has no effect (it must come first)")
        else:
            state.hex_indicator = p(0, "_")[:1]
    elif name == "FB":
        _field(state, cmd).block = (
            to_int(p(0), 0),
            max(1, to_int(p(1), 1)),
            to_int(p(2), 0),
            p(3, "L").upper()[:1],
            to_int(p(4), 0),
        )
    elif name == "FR":
        _field(state, cmd).reverse = True
    elif name == "GB":
        f = _field(state, cmd)
        t = max(1, to_int(p(2), 1))
        w, h = max(t, to_int(p(0), t)), max(t, to_int(p(1), t))
        f.kind, f.box = "box", (w, h, t, p(3, "B").upper()[:1], min(8, max(0, to_int(p(4), 0))))
        state.has_content = True
    elif name == "GF":
        f = _field(state, cmd)
        params = cmd.raw.split(cmd.delimiter.encode("latin-1"), 4)
        heads = [x.decode("latin-1").strip() for x in params[:4]]
        f.kind, f.graphic = "graphic", decode_graphic(heads, params[4] if len(params) > 4 else b"")
        if f.graphic is None:
            out.problems.append(f"byte {cmd.offset}: ^GF without byte count, field count or bytes per row: ignored")
        else:
            out.problems.extend(f"byte {cmd.offset}: {problem}" for problem in f.graphic.problems)
        state.has_content = True
    elif name == "BY":
        module, ratio, height = state.bars
        ratio_text = p(1)
        state.bars = (
            min(10, max(1, to_int(p(0), module))),
            float(ratio_text) if _float(ratio_text) else ratio,
            max(1, to_int(p(2), height)),
        )
    elif name[:1] == "B" and len(name) == 2:
        f = _field(state, cmd)
        f.kind = {"BC": "code128", "BQ": "qr"}.get(name, "unsupported")
        state.barcode = cmd
        if f.kind == "unsupported":
            out.not_simulated.append(f"byte {cmd.offset}: {cmd} bar code is not drawn by the simulator")
    elif name == "PW":
        settings.width = max(2, to_int(p(0), settings.width))
    elif name == "LL":
        settings.length = max(1, to_int(p(0), settings.length))
    elif name == "LH":
        settings.home = (to_int(p(0), 0), to_int(p(1), 0))
    elif name == "CI":
        settings.charset = to_int(p(0), 0)
    elif name == "PQ":
        out.quantity = max(1, to_int(p(0), 1))
    elif name == "LR":
        state.reverse_all = p(0, "N").upper().startswith("Y")
    elif name not in KNOWN:
        out.problems.append(f"byte {cmd.offset}: unknown command {cmd}")
    elif name not in _IGNORED and name not in ("CC", "CT", "CD"):
        out.not_simulated.append(f"byte {cmd.offset}: {cmd} is accepted but not simulated")
    if name in _CONTENT and name not in ("FD", "FV", "SN", "GB", "GF"):
        state.has_content = True


def _float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def expand_hex(data: bytes, indicator: str, problems: list[str], offset: int) -> bytes:
    """^FH: the indicator followed by two hexadecimal digits is that byte; anything else is malformed."""
    mark = indicator.encode("latin-1")
    out = bytearray()
    i = 0
    while i < len(data):
        if data[i : i + 1] == mark:
            pair = data[i + 1 : i + 3]
            if len(pair) == 2 and all(c in b"0123456789ABCDEFabcdef" for c in pair):
                out.append(int(pair, 16))
                i += 3
                continue
            problems.append(f"byte {offset}: ^FH escape {data[i : i + 3]!r} is not {indicator} + two hex digits")
        out.append(data[i])
        i += 1
    return bytes(out)


def decode_text(data: bytes, charset: int, problems: list[str], offset: int) -> str:
    """The characters the printer sees: UTF-8 under ^CI28, code page 850 (ASCII below 128) otherwise."""
    if charset == 28:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"byte {offset}: field data is not valid UTF-8 under ^CI28 ({exc.reason})")
            return data.decode("utf-8", errors="replace")
    if any(b >= 0x80 for b in data):
        problems.append(f"byte {offset}: non-ASCII bytes in field data without ^CI28 (printed as ^CI{charset})")
    return data.decode("cp850")


def _finish(state: _State, settings: _Settings, out: LabelFormat, dpi: int) -> None:
    f = state.current
    assert f is not None
    problems = out.problems
    if not state.font_set:
        f.font = Font(**vars(state.default_font))
        f.font.orientation = state.orientation
    data = f.data
    if state.hex_indicator is not None:
        data = expand_hex(data, state.hex_indicator, problems, f.offset)
    f.data = data
    f.text = decode_text(data, settings.charset, problems, f.offset)
    f.reverse = f.reverse or state.reverse_all
    f.bars = state.bars
    bc = state.barcode
    if f.kind == "code128" and bc is not None:
        f.orientation = bc.param(0, state.orientation).upper()[:1]
        f.bar_height = max(1, to_int(bc.param(1), state.bars[2]))
        f.interpretation = bc.param(2, "Y").upper().startswith("Y")
        f.above = bc.param(3, "N").upper().startswith("Y")
        ucc = bc.param(4, "N").upper().startswith("Y")
        for index, allowed in ((0, "NRIB"), (2, "YN"), (3, "YN"), (4, "YN"), (5, "NUAD")):
            value = bc.param(index).strip().upper()
            if value and (len(value) != 1 or value not in allowed):
                problems.append(f"byte {bc.offset}: ^BC parameter {index + 1} {value!r} is not one of {allowed}")
        if any(ord(ch) > 127 for ch in f.text):
            problems.append(f"byte {f.offset}: ^BC data holds non-ASCII characters Code 128 cannot encode")
        f.code128 = encode(f.text, bc.param(5, "N").upper()[:1], ucc)
        problems.extend(f"byte {f.offset}: {problem}" for problem in f.code128.problems)
        if not f.code128.text:
            problems.append(f"byte {f.offset}: ^BC field encodes no data")
    elif f.kind == "qr" and bc is not None:
        f.qr = parse_qr_data(data)
        problems.extend(f"byte {f.offset}: {problem}" for problem in f.qr.problems)
        magnification = to_int(bc.param(2), _QR_MAGNIFICATION.get(dpi, max(1, round(dpi / 100))))
        if not 1 <= magnification <= 10:
            problems.append(f"byte {f.offset}: ^BQ magnification {magnification} is outside 1 to 10")
        f.magnification = min(10, max(1, magnification))
        if bc.param(1, "2") != "2":
            problems.append(f"byte {f.offset}: ^BQ model {bc.param(1)} is not simulated (model 2 is drawn)")
    elif f.kind == "text" and f.block is not None and f.block[0] < f.font.width:
        problems.append(f"byte {f.offset}: ^FB width {f.block[0]} is less than the font width: the text does not print")
    out.fields.append(f)
    state.current, state.has_data, state.has_content = None, False, False
    state.hex_indicator, state.barcode, state.font_set = None, None, False
