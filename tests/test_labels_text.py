"""Label text: ^FH escaping, ^CI28 UTF-8, truncation inside the box, Chinese as a ^GF image or marked."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from PIL import Image

from drivers.printer import zpl
from station.labels.layout import get_layout
from station.labels.render import (
    ELLIPSIS,
    MISSING_MARK,
    cjk_font_path,
    font0_width,
    transliterate,
    unit_label_plan,
    unit_label_zpl,
    wrap_text,
)
from tests.test_labels_render import CASES, UNIT


def test_hex_escape_of_prefixes_indicator_and_non_ascii() -> None:
    assert zpl.hex_escape("50% ^XZ ~JA a_b") == "50% _5EXZ _7EJA a_5Fb"
    assert zpl.hex_escape("Café") == "Caf_C3_A9"  # UTF-8 bytes under ^CI28
    assert zpl.hex_escape("\n") == "_0A"


def test_text_field_commands() -> None:
    assert zpl.text_field(10, 20, "A^B", 30, block_width=200, justify="C") == (
        "^FO10,20^A0N,30,30^FB200,1,0,C,0^FH_^FDA_5EB^FS")
    with pytest.raises(zpl.ZplError, match="minimum of 10"):
        zpl.text_field(0, 0, "x", 9)


def test_a_caret_in_data_cannot_end_the_format() -> None:
    label = replace(UNIT, description="bad ^XZ^XA~JR data", sku="A^B")
    text = unit_label_zpl(label, "4x2").decode("ascii")
    assert text.count("^XA") == 1 and text.count("^XZ") == 1 and "~" not in text
    assert "bad _5EXZ_5EXA_7EJR data" in text


@pytest.mark.parametrize(("layout", "dpi"), [c for c in CASES if c[0] != "2x1"])
def test_long_description_is_truncated_to_its_lines(layout: str, dpi: int) -> None:
    words = "Refurbished wireless noise-cancelling over-ear headphones with case, cable and adapter " * 8
    plan = unit_label_plan(replace(UNIT, description=words), layout, dpi)
    element = get_layout(layout).unit.texts["description"]
    lines = [p for p in plan.placed if p.name == "description"]
    assert 1 < len(lines) <= element.lines
    assert lines[-1].content.endswith(ELLIPSIS)
    assert not any(line.content.endswith(ELLIPSIS) for line in lines[:-1])
    box_w = get_layout(layout).dots(element.w, dpi)
    for line in lines:
        assert font0_width(line.content, line.y1 - line.y0) <= box_w
        assert line.x1 - line.x0 == box_w  # ^FB holds each line inside its box


def test_one_unbroken_word_is_cut_too() -> None:
    assert wrap_text("x" * 200, 300, 20, 2, font0_width) == [
        line for line in wrap_text("x" * 200, 300, 20, 2, font0_width) if font0_width(line, 20) <= 300]
    assert wrap_text("x" * 200, 300, 20, 2, font0_width)[-1].endswith(ELLIPSIS)
    assert wrap_text("", 300, 20, 2, font0_width) == []


def test_large_words_shrink_before_they_are_cut() -> None:
    plan = unit_label_plan(replace(UNIT, disposition="LIQUIDATE"), "4x6", 203)
    line = next(p for p in plan.placed if p.name == "disposition")
    assert line.content == "LIQUIDATE"
    assert line.y1 - line.y0 < get_layout("4x6").dots(13, 203)


def test_latin1_goes_as_text() -> None:
    text = unit_label_zpl(replace(UNIT, description="Café crème, Größe XL"), "4x6").decode("ascii")
    assert "^FDCaf_C3_A9 cr_C3_A8me, Gr_C3_B6_C3_9Fe" in text and "^GF" not in text


def _gf_images(text: str) -> list[Image.Image]:
    images = []
    for total, per_row, data in re.findall(r"\^GFA,(\d+),\d+,(\d+),([0-9A-F]+)\^FS", text):
        raw = bytes.fromhex(data)
        assert len(raw) == int(total)
        width, height = int(per_row) * 8, int(total) // int(per_row)
        images.append(Image.frombytes("1", (width, height), bytes(255 - b for b in raw)))
    return images


def test_chinese_is_drawn_as_a_graphic_field_or_marked() -> None:
    label = replace(UNIT, description="无线耳机 黑色")
    plan = unit_label_plan(label, "4x6", 203)
    text = plan.zpl.decode("ascii")
    lines = [p for p in plan.placed if p.name == "description"]
    if cjk_font_path() is None:
        assert "^GF" not in text and lines[0].content == f"{MISSING_MARK * 4} {MISSING_MARK * 2}"
        return
    assert [p.kind for p in lines] == ["image"] and "_E6" not in text
    (image,) = _gf_images(text)
    black = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert black is not None  # something was drawn
    assert lines[0].x1 <= plan.width


def test_mixed_lines_keep_latin_text_as_text() -> None:
    words = "Wireless noise-cancelling over-ear headphones with a case 无线耳机"
    plan = unit_label_plan(replace(UNIT, description=words), "4x2", 300)
    lines = [p for p in plan.placed if p.name == "description"]
    assert len(lines) >= 2
    for line in lines:
        latin = all(ord(c) < 256 for c in line.content)
        assert line.kind == ("text" if latin or cjk_font_path() is None else "image"), line


def test_transliteration_without_a_cjk_font() -> None:
    assert transliterate("Łódź 无线 ñ") == "?ódz ?? ñ"
    assert transliterate("Ωmega") == "?mega"


def test_control_characters_are_dropped() -> None:
    text = unit_label_zpl(replace(UNIT, description="line\x00one\x07\r\ntwo\u200b"), "4x6").decode("ascii")
    assert "^FDlineone two^FS" in text
