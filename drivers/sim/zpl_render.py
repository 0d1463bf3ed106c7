"""The simulated Zebra printer's print head: ZPL II labels to 1-bit images (white paper, black dots).

Source: "ZPL II Programming Guide" (Zebra P1012728-009). ^FO sets the top left corner of a field;
^FT sets the baseline of text (of the last possible line in a ^FB block), the bottom of a bar code's
bars even when the interpretation line is below it, and the bottom left of boxes and graphics (^FO
Field Origin, ^FT Field Typeset). Orientations N, R (90 degrees clockwise), I (180) and B (270) turn
the field about its origin. ^FR and ^LR print a field in reverse: its dots flip what is already on
the label (^FR Field Reverse Print). ^GB draws the border of thickness t inside its w x h box, colour
W erases (^GB Graphic Box). Code 128 bars are ^BY w dots per module with no quiet zone; QR modules are
magnification dots (^BQ). Text uses a scalable TrueType face whose cell (ascent + descent) is the font
height in dots and whose advance is stretched by width / height: it stands in for every Zebra font.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import segno
from PIL import Image, ImageChops, ImageDraw, ImageFont

from drivers.sim.zpl_code128 import modules
from drivers.sim.zpl_fields import Field, Font, LabelFormat, interpret
from drivers.sim.zpl_text import block_lines

_FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf")
_ROTATIONS = {"R": Image.Transpose.ROTATE_270, "I": Image.Transpose.ROTATE_180, "B": Image.Transpose.ROTATE_90}

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass
class RenderedLabel:
    """One printed label: its image, how many copies ^PQ asked for, problems and what was not drawn."""

    image: Image.Image
    quantity: int = 1
    problems: list[str] = field(default_factory=list)
    not_simulated: list[str] = field(default_factory=list)


@lru_cache(maxsize=64)
def _font(cell: int) -> tuple[FontType, int]:
    """A font whose ascent + descent is ``cell`` dots, and its ascent."""
    for name in _FONT_FILES:
        if Path(name).exists() or "/" not in name:
            try:
                probe = ImageFont.truetype(name, 1000)
            except OSError:
                continue
            ascent, descent = probe.getmetrics()
            size = max(1, round(cell * 1000 / (ascent + descent)))
            font = ImageFont.truetype(name, size)
            return font, font.getmetrics()[0]
    default = ImageFont.load_default(max(1, cell))
    return default, round(cell * 0.8)


def text_width(text: str, font: Font) -> int:
    """Printed width of ``text`` in dots in ``font`` (advance stretched by width / height)."""
    face, _ = _font(max(1, font.height))
    return math.ceil(face.getlength(text) * font.width / max(1, font.height))


def _text_image(lines: list[tuple[int, int, str]], font: Font, width: int, pitch: int, count: int) -> Image.Image:
    """Text pieces (row, x offset, text) drawn unrotated into a '1' mask ``width`` wide, ``count`` lines high."""
    height = max(1, font.height)
    face, ascent = _font(height)
    stretch = font.width / height
    wide = max(1, math.ceil(width / stretch) + 2)
    canvas = Image.new("L", (wide, max(1, pitch * (count - 1) + height)), 0)
    draw = ImageDraw.Draw(canvas)
    for row, dx, text in lines:
        draw.text((dx / stretch, row * pitch + ascent), text, fill=255, font=face, anchor="ls")
    canvas = canvas.resize((max(1, round(wide * stretch)), canvas.height))
    return canvas.crop((0, 0, max(1, width), canvas.height)).point(lambda v: 255 if v >= 128 else 0).convert("1")


def _text_field(f: Field) -> tuple[Image.Image, tuple[int, int]] | None:
    """The text mask and the ^FT anchor point in it (left end of the last line's baseline)."""
    font, block = f.font, f.block
    _, ascent = _font(max(1, font.height))
    if block is None:
        text = f.text
        return _text_image([(0, 0, text)], font, max(1, text_width(text, font)), font.height, 1), (0, ascent)
    width, count, spacing, justify, indent = block
    if width < font.width:
        return None
    pitch = font.height + spacing
    lines = block_lines(f.text, width, indent, justify, count, lambda s: text_width(s, font))
    return _text_image(lines, font, width, pitch, count), (0, pitch * (count - 1) + ascent)


def _code128_field(f: Field) -> tuple[Image.Image, tuple[int, int]] | None:
    assert f.code128 is not None
    if not f.code128.text:
        return None
    module = f.bars[0]
    bars = modules(f.code128.values)
    width, height = len(bars) * module, f.bar_height
    text_h = f.font.height if f.interpretation else 0
    gap = max(1, text_h // 4) if text_h else 0
    image = Image.new("1", (width, height + text_h + gap), 0)
    top = text_h + gap if f.above else 0
    draw = ImageDraw.Draw(image)
    for n, bar in enumerate(bars):
        if bar:
            draw.rectangle((n * module, top, (n + 1) * module - 1, top + height - 1), fill=255)
    if text_h:
        label = f.code128.text
        line = _text_image([(0, 0, label)], f.font, max(1, text_width(label, f.font)), text_h, 1)
        y = 0 if f.above else height + gap
        image.paste(line, ((width - line.width) // 2, y))
    return image, (0, top + height)


def _qr_field(f: Field) -> tuple[Image.Image, tuple[int, int]] | None:
    assert f.qr is not None
    if not f.qr.payload:
        return None
    payload: str | bytes = f.qr.payload
    if all(b < 0x80 for b in f.qr.payload):
        payload = f.qr.payload.decode("ascii")
    qr = segno.make_qr(payload, error=f.qr.ecc.lower(), mode=f.qr.mode, boost_error=False)
    rows = [list(row) for row in qr.matrix_iter(border=0)]
    scale = f.magnification
    image = Image.new("1", (len(rows[0]) * scale, len(rows) * scale), 0)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                draw.rectangle((x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1), fill=255)
    return image, (0, image.height)


def _box_field(f: Field) -> tuple[Image.Image, tuple[int, int]]:
    w, h, t, _colour, rounding = f.box
    image = Image.new("1", (w, h), 0)
    draw = ImageDraw.Draw(image)
    radius = rounding * min(w, h) // 16
    if radius:
        draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=255)
        if w > 2 * t and h > 2 * t:
            inner = max(0, radius - t)
            draw.rounded_rectangle((t, t, w - 1 - t, h - 1 - t), radius=inner, fill=0)
    else:
        draw.rectangle((0, 0, w - 1, h - 1), fill=255)
        if w > 2 * t and h > 2 * t:
            draw.rectangle((t, t, w - 1 - t, h - 1 - t), fill=0)
    return image, (0, h)


def _graphic_field(f: Field) -> tuple[Image.Image, tuple[int, int]] | None:
    g = f.graphic
    if g is None or g.rows == 0:
        return None
    image = Image.frombytes("1", (g.bytes_per_row * 8, g.rows), g.bitmap)
    return image, (0, g.rows)


def _rotate(image: Image.Image, anchor: tuple[int, int], orientation: str) -> tuple[Image.Image, tuple[int, int]]:
    w, h = image.size
    ax, ay = anchor
    if orientation not in _ROTATIONS:
        return image, anchor
    turned = image.transpose(_ROTATIONS[orientation])
    if orientation == "R":
        return turned, (h - ay, ax)
    if orientation == "I":
        return turned, (w - ax, h - ay)
    return turned, (ay, w - ax)


def _draw_field(canvas: Image.Image, f: Field) -> Image.Image:
    drawn: tuple[Image.Image, tuple[int, int]] | None
    orientation = f.font.orientation
    if f.kind == "text":
        drawn = _text_field(f)
    elif f.kind == "code128":
        drawn, orientation = _code128_field(f), f.orientation
    elif f.kind == "qr":
        drawn, orientation = _qr_field(f), "N"
    elif f.kind == "box":
        drawn, orientation = _box_field(f), "N"
    elif f.kind == "graphic":
        drawn, orientation = _graphic_field(f), "N"
    else:
        drawn = None
    if drawn is None:
        return canvas
    mask, anchor = _rotate(*drawn, orientation)
    x, y = (f.x - anchor[0], f.y - anchor[1]) if f.typeset else (f.x, f.y)
    if f.justify == 1:
        x -= mask.width
    layer = Image.new("1", canvas.size, 0)
    layer.paste(mask, (x, y))
    if f.reverse:
        return ImageChops.logical_xor(canvas, layer)
    if f.kind == "box" and f.box[3] == "W":
        return ImageChops.logical_xor(canvas, ImageChops.logical_and(canvas, layer))
    return ImageChops.logical_or(canvas, layer)


def render_label(label: LabelFormat) -> RenderedLabel:
    """Print one interpreted label: a mode '1' image, ^PW x ^LL dots, white paper, black dots."""
    ink = Image.new("1", (label.width, label.length), 0)
    for f in label.fields:
        ink = _draw_field(ink, f)
    paper = ImageChops.logical_xor(ink, Image.new("1", ink.size, 255))
    return RenderedLabel(paper, label.quantity, list(label.problems), list(label.not_simulated))


def render_labels(data: bytes, dpi: int = 203) -> list[RenderedLabel]:
    """Every complete label (^XA..^XZ) in ``data`` as the printer prints it; formats without ^XZ are not."""
    return [render_label(label) for label in interpret(data, dpi) if label.closed]


def render_zpl(data: bytes, dpi: int = 203) -> list[Image.Image]:
    """One 1-bit image per printed label, ^PW dots wide (4 inch default), ^LL dots long (6 inch default)."""
    return [label.image for label in render_labels(data, dpi)]


def render_png(data: bytes, dpi: int = 203) -> list[bytes]:
    """The labels of ``render_zpl`` as PNG files (with the dpi recorded in the file)."""
    out = []
    for image in render_zpl(data, dpi):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", dpi=(dpi, dpi))
        out.append(buffer.getvalue())
    return out


def label_quantities(data: bytes, dpi: int = 203) -> list[int]:
    """How many copies of each printed label ^PQ asks for (the image is rendered once)."""
    return [label.quantity for label in render_labels(data, dpi)]
