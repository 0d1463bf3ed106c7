"""Unit and tote labels as ZPL: one format per label, sizes, every element inside, quiet zones, modules."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from itertools import combinations, product

import pytest

from station.labels.layout import LAYOUTS, LayoutError, get_layout
from station.labels.render import (
    Placed,
    Plan,
    ToteLabel,
    UnitLabel,
    tote_label_plan,
    tote_label_zpl,
    unit_label_plan,
    unit_label_zpl,
)

UNIT = UnitLabel(
    lpn="B1-26120300042", rma_id="RMA-2026-000123", station_code="B1", printed_on=date(2026, 12, 3),
    grade="B", disposition="OPEN BOX", destination="TOTE RST-03", sku="SKU-12345-BLK",
    description="Wireless headphones, black, over-ear, with case and cable", gtin="09506000134352",
    serial="SN/12345%A")
#: The widest GS1-128 a unit can need: a 20-letter serial (no digits for subset C).
UNIT_LONG_SERIAL = replace(UNIT, serial="ABCDEFGHIJKLMNOPQRST", description="x" * 400)
UNIT_NO_GTIN = replace(UNIT, gtin=None, serial=None, sku=None, grade=None)
TOTE = ToteLabel(tote_code="RST-03", sscc="106141411234567897", destination="RESTOCK",
                 station_code="B1", closed_on=date(2026, 12, 3),
                 lpns=[f"B1-261203{n:05d}" for n in range(60)])
TOTE_PLAIN = replace(TOTE, sscc=None, lpns=["B1-26120300001", "B1-26120300002"])
CASES = list(product(LAYOUTS, (203, 300)))


def all_plans(layout: str, dpi: int) -> list[Plan]:
    return [unit_label_plan(u, layout, dpi) for u in (UNIT, UNIT_LONG_SERIAL, UNIT_NO_GTIN)] + [
        tote_label_plan(t, layout, dpi) for t in (TOTE, TOTE_PLAIN, replace(TOTE_PLAIN, lpns=[]))]


def test_the_three_sizes_are_there() -> None:
    assert set(LAYOUTS) == {"4x6", "4x2", "2x1"}
    sizes = {name: (get_layout(name).width_mm, get_layout(name).height_mm) for name in LAYOUTS}
    assert sizes == {"4x6": (101.6, 152.4), "4x2": (101.6, 50.8), "2x1": (50.8, 25.4)}


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_one_format_with_utf8_and_the_label_size(layout: str, dpi: int) -> None:
    width_in, height_in = (float(n) for n in layout.split("x"))
    for plan in all_plans(layout, dpi):
        text = plan.zpl.decode("ascii")  # everything else is ^FH-escaped
        assert text.count("^XA") == 1 and text.count("^XZ") == 1
        assert text.startswith("^XA^CI28") and text.rstrip().endswith("^XZ")
        assert re.search(r"\^PW(\d+)", text).group(1) == str(round(width_in * dpi))  # type: ignore[union-attr]
        assert re.search(r"\^LL(\d+)", text).group(1) == str(round(height_in * dpi))  # type: ignore[union-attr]
        for x, y in re.findall(r"\^FO(\d+),(\d+)", text):
            assert 0 <= int(x) < plan.width and 0 <= int(y) < plan.height


def _inside(item: Placed, plan: Plan) -> bool:
    return 0 <= item.x0 < item.x1 <= plan.width and 0 <= item.y0 < item.y1 <= plan.height


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_every_element_inside_the_label_and_quiet_zones_clear(layout: str, dpi: int) -> None:
    for plan in all_plans(layout, dpi):
        for item in plan.placed:
            assert _inside(item, plan), (layout, dpi, item)
        for code in (p for p in plan.placed if p.kind == "code128"):
            left, right = code.quiet
            assert code.x0 - left == right - code.x1 == 10 * code.module
            assert left >= 0 and right <= plan.width, (layout, dpi, code.name)
            zone = (left, code.y0, right, code.y1)
            for other in plan.placed:
                if other is not code:
                    assert not _overlap(zone, (other.x0, other.y0, other.x1, other.y1)), (code.name, other)
        for qr in (p for p in plan.placed if p.kind == "qr"):
            pad = 4 * qr.module  # the QR quiet zone
            zone = (qr.x0 - pad, qr.y0 - pad, qr.x1 + pad, qr.y1 + pad)
            assert zone[0] >= 0 and zone[1] >= 0 and zone[2] <= plan.width and zone[3] <= plan.height
            for other in plan.placed:
                if other is not qr:
                    assert not _overlap(zone, (other.x0, other.y0, other.x1, other.y1)), (layout, dpi, other)
        for a, b in combinations(plan.placed, 2):
            assert not _overlap((a.x0, a.y0, a.x1, a.y1), (b.x0, b.y0, b.x1, b.y1)), (layout, dpi, a, b)


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_lpn_code_is_big_enough_for_a_handheld_scanner(layout: str, dpi: int) -> None:
    lpn = next(p for p in unit_label_plan(UNIT, layout, dpi).placed if p.name == "lpn")
    assert lpn.module >= (2 if dpi == 203 else 3)
    assert lpn.modules == 145  # start B, "B1-2", Code C, 5 digit pairs, check, stop (13)
    assert lpn.x1 - lpn.x0 == 145 * lpn.module


def test_lpn_on_2x1_at_203_dpi() -> None:
    plan = unit_label_plan(UNIT, "2x1", 203)
    lpn = next(p for p in plan.placed if p.name == "lpn")
    assert (lpn.module, lpn.modules, lpn.x1 - lpn.x0) == (2, 145, 290)
    assert lpn.quiet[1] - lpn.quiet[0] == 330 <= plan.width == 406
    assert b"^FD>:B1-2>56120300042^FS" in plan.zpl


@pytest.mark.parametrize(("layout", "dpi"), CASES)
def test_unit_elements_per_size(layout: str, dpi: int) -> None:
    names = {p.name for p in unit_label_plan(UNIT, layout, dpi).placed}
    if layout == "2x1":
        assert names == {"lpn", "lpn.hri", "grade"}
    else:
        assert {"lpn", "gs1", "qr", "grade", "disposition", "destination", "rma", "date", "station", "sku",
                "description"} <= names
    without = {p.name for p in unit_label_plan(UNIT_NO_GTIN, layout, dpi).placed}
    assert "gs1" not in without and "sku" not in without


def test_gs1_128_field_data_and_human_readable_line() -> None:
    text = unit_label_zpl(UNIT, "4x2", 203).decode()
    assert "^BCN,{h},N,N,N,N^FD>;>8010950600013435221>6SN/12345%A^FS" in re.sub(r"BCN,\d+", "BCN,{h}", text)
    assert "^FD(01)09506000134352(21)SN/12345%A^FS" in text
    qr = re.search(r"\^BQN,2,(\d+),Q,7\^FDQA,([^^]*)\^FS", text)
    assert qr is not None and qr.group(2) == "https://id.gs1.org/01/09506000134352/21/SN%2F12345%25A"
    lpn_only = unit_label_zpl(UNIT_NO_GTIN, "4x2", 203).decode()
    assert "^FDQA,B1-26120300042^FS" in lpn_only and ">8" not in lpn_only


def test_grade_disposition_and_destination_print_large() -> None:
    plan = unit_label_plan(UNIT, "4x6", 203)
    heights = {p.name: p.y1 - p.y0 for p in plan.placed if p.kind == "text"}
    assert heights["grade"] > heights["disposition"] > heights["rma"]
    assert heights["destination"] > heights["description"]
    assert b"^FDOPEN BOX^FS" in plan.zpl and b"^FDTOTE RST-03^FS" in plan.zpl


def test_tote_with_sscc_manifest_and_more() -> None:
    plan = tote_label_plan(TOTE, "4x6", 203)
    text = plan.zpl.decode()
    assert "^FD>;>800106141411234567897^FS" in text and "^FD(00)106141411234567897^FS" in text
    listed = [p.content for p in plan.placed if p.name == "manifest"]
    assert listed[-1].startswith("+") and listed[-1].endswith(" more")
    assert len(listed) - 1 + int(listed[-1].split()[0][1:]) == 60
    assert listed[:-1] == TOTE.lpns[: len(listed) - 1]
    assert "^FDRST-03: 60 UNITS^FS" in text and "RESTOCK" in text


def test_tote_without_sscc_codes_the_tote_code() -> None:
    text = tote_label_zpl(TOTE_PLAIN, "4x2", 300).decode()
    assert "^FD>:RST-03^FS" in text and ">8" not in text
    assert [line for line in text.splitlines() if "B1-2612030000" in line]
    listed = [p.content for p in tote_label_plan(TOTE_PLAIN, "4x2", 300).placed if p.name == "manifest"]
    assert listed == TOTE_PLAIN.lpns


def test_unknown_layout_or_dpi_is_refused() -> None:
    with pytest.raises(LayoutError, match=r"unknown label layout '3x3'.*2x1, 4x2, 4x6"):
        unit_label_zpl(UNIT, "3x3")
    with pytest.raises(LayoutError, match="serves 203, 300 dpi, not 600"):
        tote_label_zpl(TOTE, "4x6", 600)


def test_bad_data_is_refused_not_printed() -> None:
    for bad in (replace(UNIT, gtin="09506000134353"), replace(UNIT, serial="has space"), replace(UNIT, gtin="12")):
        plan = unit_label_plan(bad, "4x2")  # the plate prints; GS1 codes are left off, the QR holds the LPN
        assert "gs1" not in {p.name for p in plan.placed} and b"^FDQA,B1-26120300042^FS" in plan.zpl
    serial_gt = unit_label_plan(replace(UNIT, serial="A>B"), "4x2")  # ">" is ^BC's invocation prefix
    assert "gs1" not in {p.name for p in serial_gt.placed} and b"/21/A%3EB^FS" in serial_gt.zpl
    with pytest.raises(ValueError, match="character ZPL cannot encode"):
        unit_label_zpl(replace(UNIT, lpn="B1^XZ"))
    with pytest.raises(ValueError, match="SSCC"):
        tote_label_zpl(replace(TOTE, sscc="106141411234567890"))
    with pytest.raises(LayoutError, match="do not fit"):
        unit_label_zpl(replace(UNIT, lpn="B1-" + "X" * 40), "2x1")
