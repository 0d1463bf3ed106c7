"""Every layout x dpi rendered by the printer simulator's ZPL renderer and read back with zxing-cpp."""

from __future__ import annotations

from dataclasses import replace

import pytest
import zxingcpp

from station.labels.render import tote_label_zpl, unit_label_zpl
from tests.test_labels_render import CASES, TOTE, TOTE_PLAIN, UNIT, UNIT_LONG_SERIAL, UNIT_NO_GTIN

zpl_render = pytest.importorskip("drivers.sim.zpl_render")
zpl_parse = pytest.importorskip("drivers.sim.zpl_parse")

DIGITAL_LINK = "https://id.gs1.org/01/09506000134352/21/SN%2F12345%25A"


def decoded(data: bytes, dpi: int) -> dict[str, str]:
    problems = zpl_parse.check_zpl(data, dpi)
    assert problems == []
    (image,) = zpl_render.render_zpl(data, dpi)
    return {r.text: r.symbology_identifier for r in zxingcpp.read_barcodes(image)}


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_unit_label_reads_back(layout: str, dpi: int) -> None:
    found = decoded(unit_label_zpl(UNIT, layout, dpi), dpi)
    assert found.pop("B1-26120300042") == "]C0"
    if layout == "2x1":
        assert found == {}
        return
    assert found == {"(01)09506000134352(21)SN/12345%A": "]C1", DIGITAL_LINK: "]Q1"}


@pytest.mark.parametrize(("layout", "dpi"), [c for c in CASES if c[0] != "2x1"])
def test_unit_label_variants_read_back(layout: str, dpi: int) -> None:
    found = decoded(unit_label_zpl(UNIT_LONG_SERIAL, layout, dpi), dpi)
    assert found["(01)09506000134352(21)ABCDEFGHIJKLMNOPQRST"] == "]C1"
    assert found["https://id.gs1.org/01/09506000134352/21/ABCDEFGHIJKLMNOPQRST"] == "]Q1"
    # without GTIN and serial the QR holds the LPN too: the same text from two symbologies
    results = zxingcpp.read_barcodes(zpl_render.render_zpl(unit_label_zpl(UNIT_NO_GTIN, layout, dpi), dpi)[0])
    assert sorted((r.text, r.symbology_identifier) for r in results) == [
        ("B1-26120300042", "]C0"), ("B1-26120300042", "]Q1")]


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_tote_label_reads_back(layout: str, dpi: int) -> None:
    assert decoded(tote_label_zpl(TOTE, layout, dpi), dpi) == {"(00)106141411234567897": "]C1"}
    assert decoded(tote_label_zpl(TOTE_PLAIN, layout, dpi), dpi) == {"RST-03": "]C0"}


@pytest.mark.parametrize(("layout", "dpi"), [("4x6", 203), ("4x2", 300)])
def test_chinese_description_passes_the_checker(layout: str, dpi: int) -> None:
    data = unit_label_zpl(replace(UNIT, description="无线耳机 黑色 Wireless"), layout, dpi)
    assert decoded(data, dpi)["B1-26120300042"] == "]C0"
