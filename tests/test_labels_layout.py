"""Layout files: strict loading (unknown keys and fields name the file and key), units, packaging."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from station.labels.layout import LAYOUTS, LayoutError, get_layout, load_layout_file, parse_layout

BASE = """
[label]
unit = "mm"
width = 50.8
height = 25.4
dpi = [203, 300]

[unit.lpn]
x = 0
y = 1
w = 50.8
h = 12
module = 0.25

[unit.texts.grade]
text = "GRADE {grade}"
x = 1
y = 14
w = 40
h = 8

[tote.code]
x = 0
y = 1
w = 50.8
h = 12
module = 0.25
"""


def test_packaged_layouts_load_and_are_package_data() -> None:
    for name in LAYOUTS:
        layout = get_layout(name)
        assert layout.dpis == (203, 300)
        text = (resources.files("station.labels") / "layouts" / f"{name}.toml").read_text("utf-8")
        assert tomllib.loads(text)["label"]["unit"] in ("mm", "in")
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text("utf-8")
    assert '"labels/layouts/*.toml"' in pyproject


def test_mm_to_dots_for_both_resolutions() -> None:
    layout = parse_layout(BASE, "t.toml", "t")
    assert layout.size_dots(203) == (406, 203) and layout.size_dots(300) == (600, 300)
    assert (layout.dots(0.25, 203), layout.dots(0.25, 300)) == (2, 3)


def test_inches_are_converted_to_mm() -> None:
    text = BASE.replace('unit = "mm"', 'unit = "in"').replace("50.8", "2").replace("25.4", "1")
    text = text.replace("y = 1\n", "y = 0.04\n").replace("h = 12\n", "h = 0.45\n")
    text = text.replace("module = 0.25", "module = 0.01")
    text = text.replace("x = 1\ny = 14\nw = 40\nh = 8", "x = 0.04\ny = 0.55\nw = 1.5\nh = 0.3")
    layout = parse_layout(text, "in.toml", "in")
    assert layout.width_mm == pytest.approx(50.8) and layout.size_dots(203) == (406, 203)
    assert layout.unit.lpn.module == pytest.approx(0.254)


@pytest.mark.parametrize(("change", "message"), [
    (("module = 0.25", "module = 0.25\ncolour = 1"), "t.toml: unit.lpn.colour: unknown key"),
    (("[tote.code]", "[tote.barcode]\nx = 1\n[tote.code]"), "t.toml: tote.barcode: unknown key"),
    (('dpi = [203, 300]', 'dpi = [203, 600]'), "t.toml: label.dpi.1"),
    (('unit = "mm"', 'unit = "pt"'), "t.toml: label.unit"),
    (("GRADE {grade}", "GRADE {grade} {colour}"), "unit.texts.grade.text: unknown field.*colour"),
    (("GRADE {grade}", "GRADE {}"), "unit.texts.grade.text: unknown field"),
    (("w = 40", "w = 60"), r"t.toml: unit.texts.grade: reaches 61,22 outside the 50.8x25.4 label"),
    (("[unit.texts.grade]", "[unit.texts.rank]"), "every unit layout prints the grade"),
    (("h = 8", "h = -1"), "t.toml: unit.texts.grade.h"),
])
def test_errors_name_the_file_and_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(LayoutError, match=message):
        parse_layout(BASE.replace(*change, 1), "t.toml", "t")


def test_not_toml_and_files_on_disk(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match=r"t.toml: not valid TOML"):
        parse_layout("[label", "t.toml", "t")
    path = tmp_path / "3x2.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_layout_file(path).name == "3x2"
    path.write_text(BASE.replace("module = 0.25", "module = 0.25\nmodul = 1", 1), encoding="utf-8")
    with pytest.raises(LayoutError, match=rf"{path}: unit.lpn.modul: unknown key"):
        load_layout_file(path)
