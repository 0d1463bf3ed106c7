"""ZPL helpers: Code 128 field data with invocation codes, read back bar by bar; QR, box, ^GF commands."""

from __future__ import annotations

import pytest
import zxingcpp
from barcode.charsets import code128 as charset
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from drivers.printer import zpl

START = {">:": 104, ">;": 105}
SWITCH = {">5": 99, ">6": 100, ">8": 102}


def symbol_values(field_data: str) -> list[int]:
    """The Code 128 symbol values a printer makes of ^BC mode N field data (P1012728, ^BC)."""
    values = [START[field_data[:2]]]
    subset = "C" if values[0] == 105 else "B"
    i = 2
    while i < len(field_data):
        if field_data[i] == ">":
            code = field_data[i:i + 2]
            values.append(SWITCH[code])
            subset = {99: "C", 100: "B"}.get(SWITCH[code], subset)
            i += 2
        elif subset == "C":
            values.append(int(field_data[i:i + 2]))
            i += 2
        else:
            values.append(ord(field_data[i]) - 32)
            i += 1
    check = (values[0] + sum(n * v for n, v in enumerate(values[1:], start=1))) % 103
    return [*values, check]


def draw(field_data: str, module: int = 3) -> tuple[Image.Image, int]:
    bits = "".join(charset.CODES[v] for v in symbol_values(field_data)) + charset.STOP + "11"
    quiet = "0" * 10
    row = bytes(0 if b == "1" else 255 for b in quiet + bits + quiet for _ in range(module))
    image = Image.frombytes("L", (len(row), 1), row).resize((len(row), 80))
    return image, len(bits)


@pytest.mark.parametrize(("data", "field_data", "modules"), [
    ("B1-26120300042", ">:B1-2>56120300042", 145),
    ("RST-03", ">:RST-03", 101),
    ("12", ">;12", 46),
    ("123456", ">;123456", 68),
    ("AB123456", ">:AB>5123456", 101),
    ("A123B", ">:A123B", 90),
])
def test_code128_subsets_and_width(data: str, field_data: str, modules: int) -> None:
    code = zpl.code128(data)
    assert (code.field_data, code.modules) == (field_data, modules)
    image, width = draw(code.field_data)
    assert width == code.modules
    (result,) = zxingcpp.read_barcodes(image)
    assert (result.text, result.symbology_identifier) == (data, "]C0")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="AZaz019-./ ", min_size=1, max_size=24))
def test_any_code128_data_reads_back_and_is_never_longer_than_subset_b(data: str) -> None:
    code = zpl.code128(data)
    image, width = draw(code.field_data, module=2)
    assert width == code.modules <= (len(data) + 2) * 11 + 13
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [data]


def test_gs1_128_reads_back_with_symbology_identifier() -> None:
    code = zpl.gs1_128([("01", "09506000134352"), ("21", "SN12345")])
    assert code.field_data == ">;>8010950600013435221>6SN1>52345"  # odd run: one digit in B
    (result,) = zxingcpp.read_barcodes(draw(code.field_data)[0])
    assert result.symbology_identifier == "]C1"
    assert result.text == "(01)09506000134352(21)SN12345"


def test_gs1_128_separates_variable_length_elements() -> None:
    code = zpl.gs1_128([("10", "AB12"), ("01", "09506000134352")])
    assert code.field_data.startswith(">;>810>6AB12>8")  # FNC1 after the variable-length (10)
    (result,) = zxingcpp.read_barcodes(draw(code.field_data)[0])
    assert result.text == "(10)AB12(01)09506000134352"


@pytest.mark.parametrize("bad", ["", "A>B", "A^B", "A~B", "é", "\t"])
def test_code128_refuses_what_zpl_cannot_carry(bad: str) -> None:
    with pytest.raises(zpl.ZplError):
        zpl.code128(bad)


def test_other_commands() -> None:
    assert zpl.start_format(812, 1218) == "^XA^CI28^PW812^LL1218^LH0,0"
    assert zpl.barcode_128(5, 6, zpl.code128("AB"), height=50, module=2) == "^FO5,6^BY2^BCN,50,N,N,N,N^FD>:AB^FS"
    assert zpl.qr_code(1, 2, "https://x/01", magnification=4) == "^FO1,2^BQN,2,4,Q,7^FDQA,https://x/01^FS"
    assert zpl.box(0, 0, 10, 20, 2) == "^FO0,0^GB10,20,2^FS"
    assert zpl.graphic_field(3, 4, b"\xff\x00", 1) == "^FO3,4^GFA,2,2,1,FF00^FS"
    for call in (lambda: zpl.field_origin(-1, 0), lambda: zpl.qr_code(0, 0, "a^b", magnification=2),
                 lambda: zpl.qr_code(0, 0, "a", magnification=11), lambda: zpl.graphic_field(0, 0, b"abc", 2),
                 lambda: zpl.barcode_128(0, 0, zpl.code128("A"), height=5, module=11)):
        with pytest.raises(zpl.ZplError):
            call()
