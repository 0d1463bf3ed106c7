"""The PDF fallback: one page at the label's size, its text, and barcodes that decode after rasterizing."""

from __future__ import annotations

from dataclasses import replace

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from station.labels.layout import LAYOUTS, LayoutError
from station.labels.pdf import label_pdf
from tests.test_labels_render import TOTE, TOTE_PLAIN, UNIT, UNIT_NO_GTIN

POINTS = {"4x6": (288.0, 432.0), "4x2": (288.0, 144.0), "2x1": (144.0, 72.0)}


def read(data: bytes) -> tuple[tuple[float, float], str, Image.Image]:
    document = pdfium.PdfDocument(data)
    assert len(document) == 1
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=300 / 72).to_pil()
    return page.get_size(), text, image


def codes(image: Image.Image) -> dict[str, str]:
    return {r.text: r.symbology_identifier for r in zxingcpp.read_barcodes(image)}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_unit_label_pdf(layout: str) -> None:
    data = label_pdf(UNIT, layout)
    assert data.startswith(b"%PDF-")
    size, text, image = read(data)
    assert size == POINTS[layout]
    found = codes(image)
    assert found["B1-26120300042"] == "]C0"
    assert "B1-26120300042" in text
    if layout == "2x1":
        assert "GRADE B" in text and len(found) == 1
        return
    assert found["(01)09506000134352(21)SN/12345%A"] == "]C1"
    assert found["https://id.gs1.org/01/09506000134352/21/SN%2F12345%25A"] == "]Q1"
    for word in ("OPEN BOX", "TOTE RST-03", "2026-12-03", "SKU-12345-BLK", "Wireless headphones"):
        assert word in text


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tote_label_pdf(layout: str) -> None:
    size, text, image = read(label_pdf(TOTE, layout))
    assert size == POINTS[layout]
    assert codes(image) == {"(00)106141411234567897": "]C1"}
    assert "RESTOCK" in text and "60 UNITS" in text
    if layout != "2x1":
        assert "B1-26120300000" in text and " more" in text
    _, text, image = read(label_pdf(TOTE_PLAIN, layout))
    assert codes(image) == {"RST-03": "]C0"}


def test_unit_without_gtin_has_the_lpn_in_the_qr() -> None:
    _, _, image = read(label_pdf(UNIT_NO_GTIN, "4x2"))
    assert [r.format for r in zxingcpp.read_barcodes(image)].count(zxingcpp.BarcodeFormat.QRCode) == 1
    assert set(codes(image)) == {"B1-26120300042"}


def test_chinese_prints_in_the_pdf() -> None:
    _, text, _ = read(label_pdf(replace(UNIT, description="无线耳机 黑色"), "4x6"))
    assert "无线耳机" in text


def test_unknown_layout() -> None:
    with pytest.raises(LayoutError, match="unknown label layout"):
        label_pdf(UNIT, "A4")
