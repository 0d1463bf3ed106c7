"""Unit and tote label data -> one ZPL II format (^XA..^XZ) laid out from a layout file."""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from drivers.printer import zpl
from station.labels import gs1
from station.labels.layout import (
    BarcodeElement,
    Layout,
    LayoutError,
    ManifestElement,
    QrElement,
    TextElement,
    get_layout,
)

QUIET_MODULES = 10
QR_QUIET_MODULES = 4
ELLIPSIS = "..."
#: Printed in place of characters font 0 cannot draw when no CJK font is installed.
MISSING_MARK = "?"
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


@dataclass(frozen=True)
class UnitLabel:
    """What a returned unit's license-plate label shows."""

    lpn: str
    rma_id: str
    station_code: str
    printed_on: date
    grade: str | None
    disposition: str
    destination: str
    sku: str | None
    description: str
    gtin: str | None
    serial: str | None


@dataclass(frozen=True)
class ToteLabel:
    """What a closed tote's label shows; ``sscc`` (18 digits) replaces the tote code's barcode."""

    tote_code: str
    sscc: str | None
    destination: str
    station_code: str
    closed_on: date
    lpns: list[str]


@dataclass(frozen=True)
class Placed:
    """One drawn element and the area it takes, in dots (x1, y1 exclusive)."""

    kind: str  # "text", "image", "code128", "qr"
    name: str
    x0: int
    y0: int
    x1: int
    y1: int
    content: str = ""
    module: int = 0  # narrow bar / QR module in dots
    modules: int = 0  # symbol width in modules, without quiet zones
    quiet: tuple[int, int] = (0, 0)  # 1D codes: the quiet zones' outer x edges


@dataclass
class Plan:
    """A label's ZPL and what was placed where (for tests and previews)."""

    width: int
    height: int
    dpi: int
    commands: list[str] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)

    @property
    def zpl(self) -> bytes:
        body = "\n".join([zpl.start_format(self.width, self.height), *self.commands, zpl.end_format()])
        return (body + "\n").encode("utf-8")


# --- text ---------------------------------------------------------------------------------

def font0_drawable(char: str) -> bool:
    """Characters sent as text to font 0 under ^CI28: printable ASCII and Latin-1."""
    return " " <= char <= "~" or "\u00a0" <= char <= "\u00ff"


#: Advance widths per character as a fraction of the font height, taken from DejaVu Sans Bold
#: (what the printer simulator draws font 0 with) and rounded up. Font 0 itself (CG Triumvirate
#: Bold Condensed) is narrower, so text that fits by these numbers fits on the printer too.
_ADVANCE = {char: ratio / 100 for ratio, chars in (
    (27, "'"), (30, " ijl"), (32, "/IJ\\|"), (33, ",."), (35, ":;"), (36, "-"), (38, "f"),
    (40, "!()[]"), (42, "t"), (43, "_`r"), (45, '"*'), (50, "?z"), (51, "c"), (52, "s"), (55, "L"),
    (56, "vxy"), (58, "ak"), (59, "EFTeo"), (60, "$0123456789"), (62, "Sbdghnpqu{}"), (63, "CPYZ"),
    (66, "B"), (67, "AKRVX"), (70, "U"), (71, "G"), (72, "#+<=>DHN^~"), (73, "OQ"), (75, "&"),
    (80, "w"), (86, "@M"), (87, "%"), (90, "m"), (95, "W"),
) for char in chars}
_ADVANCE_OTHER = 0.95  # Latin-1 letters and signs: no wider than the widest ASCII glyph


def font0_width(text: str, height: int) -> int:
    """A conservative width in dots of ``text`` in font 0 at ``^A0N,height,height`` (see _ADVANCE)."""
    return int(sum(_ADVANCE.get(char, _ADVANCE_OTHER) for char in text) * height + 0.999)


@cache
def cjk_font_path() -> str | None:
    """A font able to draw Chinese, for lines font 0 cannot print; None when none installed."""
    for candidate in _CJK_FONTS:
        if Path(candidate).is_file():
            return candidate
    for folder in ("/usr/share/fonts", "/usr/local/share/fonts"):
        for path in sorted(Path(folder).rglob("*CJK*")) if Path(folder).is_dir() else []:
            if path.suffix.lower() in (".ttc", ".otf", ".ttf"):
                return str(path)
    return None


@cache
def _pil_font(height: int) -> ImageFont.FreeTypeFont:
    """The CJK font sized so that its ascent + descent is ``height`` dots."""
    path = cjk_font_path()
    assert path is not None
    ascent, descent = ImageFont.truetype(path, size=1000).getmetrics()
    return ImageFont.truetype(path, size=max(1, height * 1000 // (ascent + descent)))


def _pil_width(text: str, height: int) -> int:
    return int(_pil_font(height).getlength(text) + 0.999)


def clean_text(text: str) -> str:
    """NFKC-normalised, control and format characters dropped, runs of white space made one space."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join("".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c.isspace()).split())


def _mixed_width(text: str, height: int) -> int:
    """Width of a line as :meth:`_Canvas._line` will draw it: font 0 text or a CJK image."""
    return font0_width(text, height) if all(font0_drawable(c) for c in text) else _pil_width(text, height)


def transliterate(text: str) -> str:
    """Characters font 0 cannot draw lose their accents (ł stays, ź -> z); what is left is MISSING_MARK."""
    out = []
    for char in text:
        if font0_drawable(char):
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(font0_drawable(c) for c in base) else MISSING_MARK)
    return "".join(out)


def truncate_text(text: str, width: int, height: int, measure: Callable[[str, int], int]) -> str:
    if measure(text, height) <= width:
        return text
    cut = len(text)
    while cut > 0 and measure(text[:cut].rstrip() + ELLIPSIS, height) > width:
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS if cut else ""


def wrap_text(text: str, width: int, height: int, lines: int, measure: Callable[[str, int], int]) -> list[str]:
    """Greedy word wrap into at most ``lines`` lines; the last one truncated with an ellipsis."""
    words = text.split()
    out: list[str] = []
    current = ""
    for index, word in enumerate(words):
        trial = f"{current} {word}".strip()
        if measure(trial, height) <= width:
            current = trial
            continue
        if len(out) == lines - 1:  # the last line: the rest goes on it, truncated below
            current = " ".join([current, *words[index:]]).strip()
            break
        if current:
            out.append(current)
        current = word
    if current:
        out.append(current)
    out = out[:lines]
    return [truncate_text(line, width, height, measure) for line in out]


class _Canvas:
    """Collects ZPL commands and placements for one label at one resolution."""

    def __init__(self, layout: Layout, dpi: int) -> None:
        self.layout = layout
        self.dpi = dpi
        width, height = layout.size_dots(dpi)
        self.plan = Plan(width=width, height=height, dpi=dpi)

    def d(self, mm: float) -> int:
        return self.layout.dots(mm, self.dpi)

    def _line(self, name: str, x: int, y: int, w: int, h: int, text: str, justify: zpl.Justify) -> None:
        if not text:
            return
        if all(font0_drawable(c) for c in text):
            self.plan.commands.append(zpl.text_field(x, y, text, h, block_width=w, justify=justify))
            self.plan.placed.append(Placed("text", name, x, y, x + w, y + h, text))
            return
        width = w // 8 * 8  # whole bytes per row, no padding bits
        image = Image.new("L", (width, h), 255)
        font = _pil_font(h)
        used = _pil_width(text, h)
        left = {"L": 0, "C": (width - used) // 2, "R": width - used}[justify]
        ImageDraw.Draw(image).text((max(0, left), font.getmetrics()[0]), text, font=font, fill=0, anchor="ls")
        rows = image.point(lambda v: 255 if v < 128 else 0).convert("1").tobytes()  # ^GF: 1 = black
        self.plan.commands.append(zpl.graphic_field(x, y, rows, width // 8))
        self.plan.placed.append(Placed("image", name, x, y, x + width, y + h, text))

    def text(self, name: str, element: TextElement, value: str) -> None:
        x, y, w, h = self.d(element.x), self.d(element.y), self.d(element.w), self.d(element.h)
        value = clean_text(value)
        measure: Callable[[str, int], int] = font0_width
        if not all(font0_drawable(c) for c in value):
            if cjk_font_path() is None:
                value = transliterate(value)
            else:
                measure = _mixed_width
        size = min(self.d(element.size) if element.size else h // element.lines, h // element.lines)
        if element.lines == 1 and element.shrink:
            smallest = max(10, int(size * 0.6))
            while size > smallest and measure(value, size) > w:
                size -= 1
        size = max(size, 10)
        step = h // element.lines
        for row, line in enumerate(wrap_text(value, w, size, element.lines, measure)):
            self._line(name, x, y + row * step, w, size, line, element.justify)

    def barcode(self, name: str, element: BarcodeElement, code: zpl.Code128, hri: str) -> None:
        x, y, w, h = self.d(element.x), self.d(element.y), self.d(element.w), self.d(element.h)
        hr = self.d(element.hr_size) if element.hr_size else 0
        gap = self.d(0.6) if hr else 0
        module = max(1, self.d(element.module))
        while module > 1 and (code.modules + 2 * QUIET_MODULES) * module > w:
            module -= 1
        if (code.modules + 2 * QUIET_MODULES) * module > w:
            raise LayoutError(f"{self.layout.source}: {name}: {code.modules} modules plus quiet zones "
                              f"do not fit in {w} dots at {self.dpi} dpi")
        width = code.modules * module
        left = x + (w - width) // 2
        bar_height = h - hr - gap
        self.plan.commands.append(zpl.barcode_128(left, y, code, height=bar_height, module=module))
        quiet = (left - QUIET_MODULES * module, left + width + QUIET_MODULES * module)
        self.plan.placed.append(Placed("code128", name, left, y, left + width, y + bar_height, hri,
                                       module=module, modules=code.modules, quiet=quiet))
        if hr:
            hri_text = truncate_text(hri, w, hr, font0_width)
            self._line(f"{name}.hri", x, y + bar_height + gap, w, hr, hri_text, "C")

    def qr(self, name: str, element: QrElement, data: str) -> None:
        x, y, size = self.d(element.x), self.d(element.y), self.d(element.size)
        modules = int(segno.make_qr(data, error="q", boost_error=False).symbol_size(border=0)[0])
        magnification = min(10, size // (modules + 2 * QR_QUIET_MODULES))
        if magnification < 1:
            raise LayoutError(f"{self.layout.source}: {name}: a {modules}-module QR does not fit in {size} dots")
        left, top = x + QR_QUIET_MODULES * magnification, y + QR_QUIET_MODULES * magnification
        self.plan.commands.append(zpl.qr_code(left, top, data, magnification=magnification))
        self.plan.placed.append(Placed("qr", name, left, top, left + modules * magnification,
                                       top + modules * magnification, data, module=magnification,
                                       modules=modules))

    def manifest(self, element: ManifestElement, lpns: list[str]) -> None:
        for cell, entry in manifest_cells(element, lpns):
            self.text("manifest", cell, entry)


def manifest_cells(element: ManifestElement, lpns: list[str]) -> list[tuple[TextElement, str]]:
    """The manifest's text cells, filled down each column; the last is "+N more" on overflow."""
    rows = max(1, int(element.h // element.line_height + 1e-6))
    capacity = rows * element.columns
    shown = list(lpns)
    if len(shown) > capacity:
        rest = len(shown) - (capacity - 1)
        shown = [*shown[: capacity - 1], f"+{rest} more"]
    column_w = element.w / element.columns
    size = element.size or element.line_height * 0.8
    cells = []
    for index, entry in enumerate(shown):
        column, row = divmod(index, rows)
        cell = TextElement(x=element.x + column * column_w, y=element.y + row * element.line_height,
                           w=column_w - 1, h=element.line_height, text="", size=size)
        cells.append((cell, entry))
    return cells


def fill_template(template: str, fields: dict[str, str | None]) -> str | None:
    """The template with the fields filled in; None when a field it uses has no value."""
    used = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    if any(fields.get(f) is None for f in used):
        return None
    return template.format(**{f: fields[f] for f in used})


def _layout(name: str, dpi: int) -> Layout:
    return get_layout(name, dpi)


def unit_fields(label: UnitLabel) -> dict[str, str | None]:
    """The template fields of a unit label."""
    return {
        "lpn": label.lpn, "rma_id": label.rma_id, "station_code": label.station_code,
        "printed_on": label.printed_on.isoformat(), "grade": label.grade or "-",
        "disposition": label.disposition, "destination": label.destination, "sku": label.sku,
        "description": label.description, "gtin": label.gtin, "serial": label.serial,
    }


def tote_fields(label: ToteLabel) -> dict[str, str | None]:
    """The template fields of a tote label."""
    return {
        "tote_code": label.tote_code, "sscc": label.sscc, "destination": label.destination,
        "station_code": label.station_code, "closed_on": label.closed_on.isoformat(),
        "count": str(len(label.lpns)),
    }


def gs1_elements(label: UnitLabel) -> list[tuple[str, str]] | None:
    """(01) GTIN-14 and (21) serial when both are known and valid GS1 data, else None.

    A GTIN with a wrong check digit or a serial outside GS1 character set 82 leaves the GS1
    codes off the label (the license plate still prints; the LPN is what the warehouse scans).
    """
    if not label.gtin or not label.serial:
        return None
    try:
        return [("01", gs1.gtin14(label.gtin)), ("21", gs1.validate_serial(label.serial))]
    except gs1.GS1Error:
        return None


def unit_qr_data(label: UnitLabel, base_url: str = gs1.DEFAULT_DIGITAL_LINK_BASE) -> str:
    """The unit QR's content: the GS1 Digital Link URI when GTIN and serial are known, else the LPN."""
    pairs = gs1_elements(label)
    if pairs is None:
        return label.lpn
    return gs1.digital_link_uri(pairs[0][1], pairs[1][1], base_url)


def unit_label_plan(label: UnitLabel, layout: str = "4x6", dpi: int = 203,
                    base_url: str = gs1.DEFAULT_DIGITAL_LINK_BASE) -> Plan:
    """Lay out a unit label: the ZPL and every placed element."""
    spec = _layout(layout, dpi)
    canvas = _Canvas(spec, dpi)
    elements = spec.unit
    canvas.barcode("lpn", elements.lpn, zpl.code128(label.lpn), label.lpn)
    pairs = gs1_elements(label)
    if elements.gs1 is not None and pairs is not None and ">" not in pairs[1][1]:
        # ">" (in GS1 character set 82) is ^BC's invocation prefix: such a serial is left to the QR
        canvas.barcode("gs1", elements.gs1, zpl.gs1_128(pairs), gs1.element_string_hri(pairs))
    if elements.qr is not None:
        canvas.qr("qr", elements.qr, unit_qr_data(label, base_url))
    fields = unit_fields(label)
    for name, element in elements.texts.items():
        value = fill_template(element.text, fields)
        if value is not None:
            canvas.text(name, element, value)
    return canvas.plan


def tote_code(label: ToteLabel) -> tuple[zpl.Code128, str]:
    """The tote's barcode: GS1-128 (00) SSCC when known, else Code 128 of the tote code; and its HRI."""
    if label.sscc:
        code = gs1.validate_sscc(label.sscc)
        return zpl.gs1_128([("00", code)]), gs1.element_string_hri([("00", code)])
    return zpl.code128(label.tote_code), label.tote_code


def tote_label_plan(label: ToteLabel, layout: str = "4x6", dpi: int = 203) -> Plan:
    """Lay out a tote label: the ZPL and every placed element."""
    spec = _layout(layout, dpi)
    canvas = _Canvas(spec, dpi)
    code, hri = tote_code(label)
    canvas.barcode("code", spec.tote.code, code, hri)
    fields = tote_fields(label)
    for name, element in spec.tote.texts.items():
        value = fill_template(element.text, fields)
        if value is not None:
            canvas.text(name, element, value)
    if spec.tote.manifest is not None:
        canvas.manifest(spec.tote.manifest, label.lpns)
    return canvas.plan


def unit_label_zpl(label: UnitLabel, layout: str = "4x6", dpi: int = 203) -> bytes:
    """One ZPL format (^XA..^XZ, ^CI28, ^PW, ^LL) for a unit's license-plate label."""
    return unit_label_plan(label, layout, dpi).zpl


def tote_label_zpl(label: ToteLabel, layout: str = "4x6", dpi: int = 203) -> bytes:
    """One ZPL format (^XA..^XZ, ^CI28, ^PW, ^LL) for a closed tote's label."""
    return tote_label_plan(label, layout, dpi).zpl
