"""The same label layouts as a one-page PDF (reportlab), for any office printer when the Zebra fails."""

from __future__ import annotations

import io

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from station.labels import gs1
from station.labels.layout import BarcodeElement, Layout, QrElement, TextElement, get_layout
from station.labels.render import (
    QR_QUIET_MODULES,
    QUIET_MODULES,
    ToteLabel,
    UnitLabel,
    clean_text,
    fill_template,
    gs1_elements,
    manifest_cells,
    tote_fields,
    unit_fields,
    unit_qr_data,
    wrap_text,
)

LATIN_FONT = "Helvetica-Bold"
#: A CID font every PDF reader has (Adobe's Chinese set), so Chinese needs no embedded font.
CJK_FONT = "STSong-Light"
_FNC1 = "\xf1"  # reportlab's FNC1 in Code128 data


def _font_for(text: str) -> str:
    if all(ord(c) < 256 for c in text):
        return LATIN_FONT
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


class _Page:
    """Draws layout elements (millimetres, y down) on a reportlab canvas (points, y up)."""

    def __init__(self, canvas: Canvas, layout: Layout) -> None:
        self.canvas = canvas
        self.layout = layout

    def _y(self, y_mm: float, h_mm: float) -> float:
        return (self.layout.height_mm - y_mm - h_mm) * mm

    def text(self, element: TextElement, value: str) -> None:
        value = clean_text(value)
        font = _font_for(value)
        step_mm = element.h / element.lines

        def measure(text: str, centipoints: int) -> int:
            return int(pdfmetrics.stringWidth(text, font, centipoints / 100) * 100 + 0.999)

        # wrap_text / truncate_text work in whole units: hundredths of a point here
        width = int(element.w * mm * 100)
        size = int(min(element.size or step_mm, step_mm) * mm * 100)
        if element.lines == 1 and element.shrink:
            smallest = size * 0.6
            while size > smallest and measure(value, size) > width:
                size -= 10
        font_pt = size / 100
        self.canvas.setFont(font, font_pt)
        for row, line in enumerate(wrap_text(value, width, size, element.lines, measure)):
            baseline = (self.layout.height_mm - element.y - row * step_mm) * mm - font_pt * 0.8
            left = element.x * mm
            if element.justify == "C":
                self.canvas.drawCentredString(left + element.w * mm / 2, baseline, line)
            elif element.justify == "R":
                self.canvas.drawRightString(left + element.w * mm, baseline, line)
            else:
                self.canvas.drawString(left, baseline, line)

    def barcode(self, element: BarcodeElement, value: str, hri: str) -> None:
        gap = 0.6 if element.hr_size else 0
        bar_h = element.h - element.hr_size - gap
        module = element.module
        code = Code128(value, barWidth=module * mm, barHeight=bar_h * mm, humanReadable=False, quiet=False)
        while code.width + 2 * QUIET_MODULES * module * mm > element.w * mm and module > 0.1:
            module *= 0.9
            code = Code128(value, barWidth=module * mm, barHeight=bar_h * mm, humanReadable=False, quiet=False)
        left = element.x * mm + (element.w * mm - code.width) / 2
        code.drawOn(self.canvas, left, self._y(element.y, bar_h))
        if element.hr_size:
            self.text(TextElement(x=element.x, y=element.y + bar_h + gap, w=element.w, h=element.hr_size,
                                  text="", justify="C"), hri)

    def qr(self, element: QrElement, data: str) -> None:
        widget = QrCodeWidget(data, barLevel="Q", barBorder=QR_QUIET_MODULES)
        x0, y0, x1, y1 = widget.getBounds()
        side = element.size * mm
        drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, self.canvas, element.x * mm, self._y(element.y, element.size))


def _unit(page: _Page, label: UnitLabel) -> None:
    spec = page.layout.unit
    page.barcode(spec.lpn, label.lpn, label.lpn)
    pairs = gs1_elements(label)
    if spec.gs1 is not None and pairs is not None:
        data = _FNC1 + "".join(ai + value for ai, value in pairs)
        page.barcode(spec.gs1, data, gs1.element_string_hri(pairs))
    if spec.qr is not None:
        page.qr(spec.qr, unit_qr_data(label))
    fields = unit_fields(label)
    for element in spec.texts.values():
        value = fill_template(element.text, fields)
        if value is not None:
            page.text(element, value)


def _tote(page: _Page, label: ToteLabel) -> None:
    spec = page.layout.tote
    if label.sscc:
        code = gs1.validate_sscc(label.sscc)
        page.barcode(spec.code, f"{_FNC1}00{code}", gs1.element_string_hri([("00", code)]))
    else:
        page.barcode(spec.code, label.tote_code, label.tote_code)
    fields = tote_fields(label)
    for element in spec.texts.values():
        value = fill_template(element.text, fields)
        if value is not None:
            page.text(element, value)
    if spec.manifest is not None:
        for cell, entry in manifest_cells(spec.manifest, label.lpns):
            page.text(cell, entry)


def label_pdf(label: UnitLabel | ToteLabel, layout: str = "4x6") -> bytes:
    """A one-page PDF of the label at its real size (e.g. 4x6 in), barcodes drawn by reportlab."""
    spec = get_layout(layout)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(spec.width_mm * mm, spec.height_mm * mm), invariant=True)
    kind = "Unit" if isinstance(label, UnitLabel) else "Tote"
    canvas.setTitle(f"{kind} label {label.lpn if isinstance(label, UnitLabel) else label.tote_code}")
    page = _Page(canvas, spec)
    if isinstance(label, UnitLabel):
        _unit(page, label)
    else:
        _tote(page, label)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
