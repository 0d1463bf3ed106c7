"""The simulated Zebra print head: ZPL II to images read back with zxing-cpp, and the ZPL checker.

ZPL marked "guide" is the example of "ZPL II Programming Guide" (Zebra P1012728) for the command
named; the rest is written from the parameter tables of the same guide.
"""

from __future__ import annotations

import base64
import io
import zlib

import pytest
import zxingcpp
from PIL import Image

from drivers.sim.zpl_parse import check_zpl
from drivers.sim.zpl_render import label_quantities, render_labels, render_png, render_zpl

DPIS = [203, 300]

# Guide, ^BC Code 128 Bar Code, example (P1012728-009 p. 94).
GUIDE_BC = b"^XA^FO100,100^BY3^BCN,100,Y,N,N^FD123456^FS^XZ"
# Guide, ^BC "Code 128 Subset B" Figures A and B: no start character and the >: start code.
GUIDE_BC_B = b"^XA^FO100,75^BCN,100,Y,N,N^FDCODE128^FS^XZ"
GUIDE_BC_B_START = b"^XA^FO100,75^BCN,100,Y,N,N^FD>:CODE128^FS^XZ"
# Guide, ^BC UCC/EAN example for firmware older than X.10 (UCC check digit on, FNC1 via >8).
GUIDE_BC_UCC = (
    b"^XA^FO25,25^BCN,150,N,N,Y^FD>;>80012345123451234512^FS"
    b"^FO100,190^A0N,50,40^FD(00) 1 2345123 451234512 0^FS^XZ"
)
# Guide, ^BQ QR Code Bar Code, Example 1 (P1012728-008 p. 127): manual input, alphanumeric.
GUIDE_BQ = b"^XA^FO100,100^BQN,2,10^FDMM,AAC-42^FS^XZ"
# Guide, ^FB Field Block example (P1012728-009 p. 186).
GUIDE_FB = b"^XA^CF0,30,30^FO25,50^FB250,4,,^FDFD command that IS\\& preceded by an FB \\&command.^FS^XZ"
GUIDE_FB_NONE = b"^XA^CF0,30,30^FO25,50^FDFD command that IS NOT preceded by an FB command.^FS^XZ"

GS1_DL = "https://id.gs1.org/01/09506000134352/21/ABC123"


def _one(zpl: bytes, dpi: int = 203) -> Image.Image:
    images = render_zpl(zpl, dpi)
    assert len(images) == 1
    return images[0]


def _read(image: Image.Image) -> list[zxingcpp.Barcode]:
    return list(zxingcpp.read_barcodes(image.convert("L")))


def _black(image: Image.Image) -> list[tuple[int, int]]:
    gray = image.convert("L")
    px = gray.load()
    assert px is not None
    return [(x, y) for y in range(gray.height) for x in range(gray.width) if px[x, y] < 128]


def _bbox(image: Image.Image) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the black dots, right and bottom exclusive."""
    box = Image.eval(image.convert("L"), lambda v: 255 - v).getbbox()
    assert box is not None, "nothing printed"
    return box


def _mod10(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


# --- Code 128 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", DPIS)
def test_guide_code128_example_decodes(dpi: int) -> None:
    (code,) = _read(_one(GUIDE_BC, dpi))
    assert code.format == zxingcpp.BarcodeFormat.Code128
    assert code.text == "123456"
    assert code.symbology_identifier == "]C0"


@pytest.mark.parametrize("dpi", DPIS)
def test_subset_b_with_and_without_start_code_print_the_same_bars(dpi: int) -> None:
    plain, started = _one(GUIDE_BC_B, dpi), _one(GUIDE_BC_B_START, dpi)
    assert plain.tobytes() == started.tobytes()
    assert [c.text for c in _read(plain)] == ["CODE128"]


@pytest.mark.parametrize("dpi", DPIS)
def test_explicit_subset_c(dpi: int) -> None:
    image = _one(b"^XA^FO50,50^BY2^BCN,80,N,N,N^FD>;382436^FS^XZ", dpi)
    (code,) = _read(image)
    assert code.text == "382436"
    # start C + 3 pairs + check = 5 symbols of 11 modules, stop 13 modules; 2 dots a module
    left, _top, right, _bottom = _bbox(image)
    assert (left, right - left) == (50, (5 * 11 + 13) * 2)


@pytest.mark.parametrize("dpi", DPIS)
def test_gs1_128_in_mode_d(dpi: int) -> None:
    image = _one(b"^XA^FO50,50^BY2^BCN,120,Y,N,N,D^FD(01)09506000134352(21)ABC123^FS^XZ", dpi)
    (code,) = _read(image)
    assert code.symbology_identifier == "]C1"
    assert code.text == "(01)09506000134352(21)ABC123"


@pytest.mark.parametrize("dpi", DPIS)
def test_gs1_128_in_mode_n_with_fnc1(dpi: int) -> None:
    image = _one(b"^XA^FO50,50^BY2^BCN,120,Y,N,N^FD>;>80109506000134352>621ABC123^FS^XZ", dpi)
    (code,) = _read(image)
    assert code.symbology_identifier == "]C1"
    assert code.text == "(01)09506000134352(21)ABC123"


def test_mode_d_adds_the_missing_check_digit() -> None:
    (code,) = _read(_one(b"^XA^FO50,50^BY2^BCN,100,N,N,N,D^FD(01)0950600013435^FS^XZ"))
    assert code.text == "(01)0950600013435" + _mod10("0950600013435")


def test_guide_ucc_example_appends_the_mod10_digit() -> None:
    codes = _read(_one(GUIDE_BC_UCC))
    assert [c.symbology_identifier for c in codes] == ["]C1"]
    assert codes[0].text == "(00)12345123451234512" + _mod10("0012345123451234512")


def test_mode_u_pads_to_19_digits_and_adds_the_check_digit() -> None:
    (code,) = _read(_one(b"^XA^FO50,50^BY2^BCN,100,N,N,N,U^FD0012345123451234512^FS^XZ"))
    assert code.symbology_identifier == "]C1"
    assert code.text == "(00)12345123451234512" + _mod10("0012345123451234512")


def test_mode_a_packs_digit_runs_in_subset_c() -> None:
    automatic = _one(b"^XA^FO50,50^BY2^BCN,100,N,N,N,A^FDAB12345678^FS^XZ")
    (code,) = _read(automatic)
    assert code.text == "AB12345678"
    left, _top, right, _bottom = _bbox(automatic)
    # start B, A, B, CODE C, 4 pairs, check: 9 symbols of 11 modules and the 13-module stop
    assert right - left == (9 * 11 + 13) * 2


def test_fnc1_without_start_at_the_front_is_not_gs1() -> None:
    (code,) = _read(_one(b"^XA^FO50,50^BY2^BCN,100,N^FDAB>8CD^FS^XZ"))
    assert code.symbology_identifier != "]C1"


def test_bar_height_defaults_to_the_by_height() -> None:
    image = _one(b"^XA^FO50,60^BY2^BCN,,N^FD1234^FS^XZ")
    _left, top, _right, bottom = _bbox(image)
    assert (top, bottom - top) == (60, 10)  # ^BY h is 10 dots at power-up


def test_ft_puts_the_bottom_of_the_bars_on_y() -> None:
    image = _one(b"^XA^FT40,300^BY2^BCN,100,Y,N,N^FD1234^FS^XZ")
    px = image.load()
    assert px is not None
    column = [y for y in range(image.height) if px[40, y] == 0]
    assert (min(column), max(column)) == (200, 299)


def test_interpretation_line_above_moves_the_bars_down() -> None:
    below = _one(b"^XA^FO40,100^BY2^CF0,20^BCN,50,Y,N^FD1234^FS^XZ")
    above = _one(b"^XA^FO40,100^BY2^CF0,20^BCN,50,Y,Y^FD1234^FS^XZ")
    for image, first_bar in ((below, 100), (above, 125)):
        px = image.load()
        assert px is not None
        assert min(y for y in range(image.height) if px[40, y] == 0) == first_bar
        assert _read(image)[0].text == "1234"


def test_hex_escape_prints_a_tilde_in_code128() -> None:
    (code,) = _read(_one(b"^XA^FO50,50^BY2^BCN,100,N^FH^FDAB_7EC^FS^XZ"))
    assert code.text == "AB~C"


@pytest.mark.parametrize("orientation", ["R", "I", "B"])
def test_rotated_code128_still_reads(orientation: str) -> None:
    image = _one(b"^XA^FO100,100^BY2^BC" + orientation.encode() + b",100,N^FDROT123^FS^XZ")
    (code,) = _read(image)
    assert code.text == "ROT123"
    left, top, right, bottom = _bbox(image)
    assert (left, top) == (100, 100)
    assert (right - left > bottom - top) == (orientation == "I")


# --- QR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("ecc", ["H", "Q", "M", "L"])
def test_qr_with_the_prefix_holds_a_gs1_digital_link(dpi: int, ecc: str) -> None:
    image = _one(f"^XA^FO50,50^BQN,2,5^FD{ecc}A,{GS1_DL}^FS^XZ".encode(), dpi)
    (code,) = _read(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == GS1_DL
    assert code.ec_level == ecc


def test_guide_qr_example_manual_alphanumeric() -> None:
    (code,) = _read(_one(GUIDE_BQ))
    assert (code.text, code.ec_level) == ("AC-42", "M")


@pytest.mark.parametrize(("dpi", "module"), [(203, 2), (300, 3)])
def test_qr_magnification_defaults_per_dpi(dpi: int, module: int) -> None:
    image = _one(b"^XA^FO60,60^BQN,2^FDLA,HELLO^FS^XZ", dpi)
    left, top, right, _bottom = _bbox(image)
    assert (left, top) == (60, 60)
    assert right - left == 21 * module  # version 1: 21 modules, no quiet zone added
    assert [c.text for c in _read(image)] == ["HELLO"]


def test_qr_manual_byte_mode_carries_utf8() -> None:
    data = "你好".encode()
    zpl = b"^XA^CI28^FO50,50^BQN,2,5^FDQM,B" + f"{len(data):04d}".encode() + data + b"^FS^XZ"
    assert check_zpl(zpl) == []
    (code,) = _read(_one(zpl))
    assert code.text == "你好"


def test_qr_without_prefix_loses_its_first_three_characters() -> None:
    (code,) = _read(_one(f"^XA^FO50,50^BQN,2,5^FD{GS1_DL}^FS^XZ".encode()))
    assert code.text == GS1_DL[3:]


# --- text, boxes, reverse, graphics -------------------------------------------------------------


@pytest.mark.parametrize("dpi", DPIS)
def test_fo_places_the_text_cell_at_its_top_left(dpi: int) -> None:
    image = _one(b"^XA^FO200,300^A0N,50,50^FDHELLO^FS^XZ", dpi)
    left, top, right, bottom = _bbox(image)
    assert 200 <= left <= 206
    assert 300 <= top <= 315 and bottom <= 350
    assert 100 < right - left < 250


def test_ft_puts_the_text_baseline_on_y() -> None:
    left, _top, _right, bottom = _bbox(_one(b"^XA^FT200,300^A0N,50,50^FDHELLO^FS^XZ"))
    assert 200 <= left <= 206
    assert 298 <= bottom <= 301


def test_width_parameter_stretches_text() -> None:
    narrow = _bbox(_one(b"^XA^FO10,10^A0N,50,25^FDHELLO^FS^XZ"))
    wide = _bbox(_one(b"^XA^FO10,10^A0N,50,100^FDHELLO^FS^XZ"))
    assert 3.5 < (wide[2] - wide[0]) / (narrow[2] - narrow[0]) < 4.5
    assert narrow[3] - narrow[1] == wide[3] - wide[1]


def test_rotated_text_runs_down() -> None:
    left, top, right, bottom = _bbox(_one(b"^XA^FO100,100^A0R,40,40^FDHELLO^FS^XZ"))
    assert bottom - top > 3 * (right - left)
    assert left >= 100 and top >= 100 and right <= 140


def test_font_by_name_takes_its_size() -> None:
    left, top, right, bottom = _bbox(_one(b"^XA^FO10,10^A@N,50,50,E:TT0003M_.FNT^FDHELLO^FS^XZ"))
    assert 20 < bottom - top <= 50 and right - left > 100


def test_cf_sets_the_default_font() -> None:
    small = _bbox(_one(b"^XA^FO10,10^FDHELLO^FS^XZ"))  # font A, 9 dots
    large = _bbox(_one(b"^XA^CF0,60^FO10,10^FDHELLO^FS^XZ"))
    assert small[3] - small[1] <= 9 < large[3] - large[1] <= 60


def test_guide_field_block_wraps_into_its_width() -> None:
    left, top, right, bottom = _bbox(_one(GUIDE_FB))
    assert left >= 25 and right <= 25 + 250
    assert bottom - top > 90  # more than three lines of 30 dots
    assert bottom <= 50 + 4 * 30
    unblocked = _bbox(_one(GUIDE_FB_NONE))
    assert unblocked[2] - unblocked[0] > 400 and unblocked[3] - unblocked[1] <= 30


def test_ft_with_a_field_block_is_the_baseline_of_the_last_possible_line() -> None:
    _left, top, _right, bottom = _bbox(_one(b"^XA^FT50,400^A0N,30,30^FB600,3,10^FDONE LINE^FS^XZ"))
    assert 400 - 2 * 40 - 30 <= top < 400 - 2 * 40  # printed on the first of three 40-dot lines
    assert bottom <= 400 - 2 * 40


def test_field_block_right_and_centre_justification() -> None:
    right = _bbox(_one(b"^XA^FO100,100^A0N,30,30^FB400,1,0,R^FDAB^FS^XZ"))
    centre = _bbox(_one(b"^XA^FO100,100^A0N,30,30^FB400,1,0,C^FDAB^FS^XZ"))
    assert 490 <= right[2] <= 500
    assert abs((centre[0] + centre[2]) / 2 - 300) <= 3


def test_field_block_without_width_prints_nothing() -> None:
    image = _one(b"^XA^FO100,100^A0N,30,30^FB,2^FDNOTHING^FS^XZ")
    assert _black(image) == []


def test_graphic_box_border() -> None:
    image = _one(b"^XA^FO50,60^GB200,100,10^FS^XZ")
    assert _bbox(image) == (50, 60, 250, 160)
    px = image.load()
    assert px is not None
    assert px[50, 60] == 0 and px[59, 100] == 0 and px[60, 100] == 255 and px[150, 110] == 255


def test_right_justified_origin() -> None:
    assert _bbox(_one(b"^XA^FO300,100,1^GB50,20,20^FS^XZ"))[:3] == (250, 100, 300)


def test_graphic_box_defaults_to_a_dot() -> None:
    assert _bbox(_one(b"^XA^FO10,10^GB^FS^XZ")) == (10, 10, 11, 11)


def test_rounded_box_loses_its_corners() -> None:
    image = _one(b"^XA^FO50,50^GB200,100,100,B,8^FS^XZ")
    px = image.load()
    assert px is not None
    assert px[50, 50] == 255 and px[150, 100] == 0 and px[150, 50] == 0
    assert _bbox(image) == (50, 50, 250, 150)


def test_white_box_erases() -> None:
    image = _one(b"^XA^FO10,10^GB100,100,100^FS^FO30,30^GB20,20,20,W^FS^XZ")
    px = image.load()
    assert px is not None
    assert px[40, 40] == 255 and px[20, 20] == 0


def test_field_reverse_prints_white_on_black() -> None:
    zpl = b"^XA^FO100,100^GB400,100,100^FS^FO120,120^A0N,60,60^FR^FDABC^FS^FO120,300^A0N,60,60^FR^FDABC^FS^XZ"
    image = _one(zpl)
    px = image.load()
    assert px is not None
    inside = [(x, y) for y in range(120, 180) for x in range(120, 300) if px[x, y] == 255]
    outside = [p for p in _black(image) if p[1] >= 200]
    assert len(inside) > 500 and len(outside) > 500  # white dots in the box, black on the paper


def test_label_reverse_flips_every_field() -> None:
    image = _one(b"^XA^LRY^FO100,100^GB400,100,100^FS^FO100,100^GB200,100,100^FS^XZ")
    px = image.load()
    assert px is not None
    assert px[150, 150] == 255 and px[350, 150] == 0


def test_graphic_field_ascii_hex_plain_compressed_and_z64() -> None:
    rows = bytes([0xFF, 0x00, 0x81, 0x81, 0x00, 0xFF])  # 2 bytes a row, 3 rows
    plain = b"^XA^FO10,20^GFA,6,6,2," + rows.hex().upper().encode() + b"^FS^XZ"
    compressed = b"^XA^FO10,20^GFA,6,6,2,FF,8181\n00!^FS^XZ"  # "," pads the row with 0, "!" with 1
    z64 = base64.b64encode(zlib.compress(rows)).decode()
    zipped = f"^XA^FO10,20^GFA,6,6,2,:Z64:{z64}:0000^FS^XZ".encode()
    first = _one(plain)
    assert _bbox(first) == (10, 20, 26, 23)
    px = first.load()
    assert px is not None
    assert [px[x, 20] for x in (10, 17, 18)] == [0, 0, 255] and px[10, 21] == 0 and px[11, 21] == 255
    assert _one(compressed).tobytes() == first.tobytes() == _one(zipped).tobytes()


def test_graphic_field_binary() -> None:
    zpl = b"^XA^FO5,5^GFB,2,2,1,\xff^^FS^XZ"  # 0x5E (a caret) is image data here
    image = _one(zpl)
    assert _bbox(image) == (5, 5, 13, 7)
    assert check_zpl(zpl) == []


# --- label size, quantity, encodings, prefixes ----------------------------------------------------


@pytest.mark.parametrize(("dpi", "size"), [(203, (812, 1218)), (300, (1200, 1800))])
def test_default_label_size_is_four_by_six_inches(dpi: int, size: tuple[int, int]) -> None:
    image = _one(b"^XA^FO10,10^FDX^FS^XZ", dpi)
    assert image.size == size and image.mode == "1"


def test_pw_and_ll_set_the_size_and_png_round_trips() -> None:
    zpl = b"^XA^PW400^LL300^FO10,10^GB50,50,50^FS^XZ"
    (png,) = render_png(zpl)
    image = Image.open(io.BytesIO(png))
    assert image.size == (400, 300)
    assert _bbox(image) == (10, 10, 60, 60)


def test_label_home_offsets_fields() -> None:
    assert _bbox(_one(b"^XA^LH30,40^FO10,10^GB5,5,5^FS^XZ"))[:2] == (40, 50)


def test_quantity_and_multiple_labels() -> None:
    zpl = b"~HS^XA^FO10,10^FDONE^FS^PQ3^XZ\r\n~HS^XA^FO10,10^FDTWO^FS^XZ"
    assert label_quantities(zpl) == [3, 1]
    assert len(render_zpl(zpl)) == 2


def test_label_without_xz_is_not_printed() -> None:
    assert render_labels(b"^XA^FO10,10^FDONE^FS^XZ^XA^FO10,10^FDTWO^FS") != []
    assert len(render_zpl(b"^XA^FO10,10^FDONE^FS^XZ^XA^FO10,10^FDTWO^FS")) == 1


def test_utf8_text_under_ci28() -> None:
    zpl = "^XA^CI28^FO10,10^A0N,40,40^FDGrüße 你好^FS^XZ".encode()
    assert check_zpl(zpl) == []
    assert len(_black(_one(zpl))) > 200


def test_changed_prefixes_and_delimiter() -> None:
    zpl = b"^XA^CC+\n+FO50,50+BY2+BCN,100,N+FD>:A^B+FS\n+CD;+FO50;200+BQN;2;4+FDQA,X,Y+FS+XZ"
    image = _one(zpl)
    texts = sorted(c.text for c in _read(image))
    assert texts == ["A^B", "X,Y"]
    assert check_zpl(zpl) == []


# --- the checker ----------------------------------------------------------------------------------


WELL_FORMED = [GUIDE_BC, GUIDE_BC_B, GUIDE_BC_B_START, GUIDE_BC_UCC, GUIDE_BQ, GUIDE_FB, GUIDE_FB_NONE]


@pytest.mark.parametrize("zpl", WELL_FORMED)
def test_guide_examples_are_well_formed(zpl: bytes) -> None:
    assert check_zpl(zpl) == []
    assert check_zpl(zpl, dpi=300) == []


def test_tilde_prefix_change_between_formats() -> None:
    zpl = b"~CC!!XA!FO10,10!FDX!FS!XZ~HS"
    assert check_zpl(zpl) == []
    assert len(render_zpl(zpl)) == 1


def test_well_formed_label_with_host_commands_between_formats() -> None:
    zpl = (
        b"~HS\r\n^XA^MMT^MNY^MD10^PR4^POI^LRN^PW812^LL1218^LH0,0^CI28\r\n"
        b"^FO50,50^A0N,30,30^FB700,2,5,J,10^FH^FDUnit _41BC^FS\r\n"
        b"^FO50,150^BY2,3,80^BCN,,Y,N,N,D^FD(01)09506000134352(21)ABC123^FS\r\n"
        b"^FO50,350^BQN,2,4^FDMA,https://id.gs1.org/01/09506000134352^FS^FO40,40^GB700,500,3,B,2^FS"
        b"^PQ2,0,1,Y^XZ\r\n~HS"
    )
    assert check_zpl(zpl) == []


PROBLEMS = [
    (b"hello^XA^FO10,10^FDX^FS^XZ", "outside ^XA..^XZ"),
    (b"^XA^FO10,10^FDX^FS^XZ^FO10,10", "outside ^XA..^XZ"),
    (b"^XA^FO10,10^FDX^FS", "no ^XZ"),
    (b"^XA^FO10,10^FDX^XZ", "without ^FS"),
    (b"^XA^FO10,10^FDX^FO20,20^FDY^FS^XZ", "no ^FS"),
    (b"^XA^FO10,10^FS^XZ", "^FS without a field"),
    (b"^XA^FO10,10^FDX^FS^FS^XZ", "^FS without a field"),
    (b"^XA^QQ1^FO10,10^FDX^FS^XZ", "unknown command ^QQ"),
    (b"^XA^FO1O,10^FDX^FS^XZ", "not a number"),
    (b"^XA^FO10,10^A0N,3x^FDX^FS^XZ", "not a number"),
    (b"^XA^PW400^FO500,10^FDX^FS^XZ", "outside the label"),
    (b"^XA^LL300^FO10,300^FDX^FS^XZ", "outside the label"),
    (b"^XA^FO10,10^BCN,100^FD>;12345^FS^XZ", "unpaired digit"),
    (b"^XA^FO10,10^BCN,100^FD>;1A34^FS^XZ", "invalid"),
    (b"^XA^FO10,10^BCN,100^FDAB>XCD^FS^XZ", "not a Code 128 invocation code"),
    (b"^XA^FO10,10^BCN,100^FDAB>;12^FS^XZ", "only valid at the start"),
    (b"^XA^FO10,10^BCN,100^FD>;>412^FS^XZ", "not defined in subset C"),
    (b"^XA^FO10,10^BCN,100^FD>9abc^FS^XZ", "cannot be encoded"),
    (b"^XA^FO10,10^BCN,100,Y,N,N,D^FD(01)09506000134353^FS^XZ", "check digit"),
    (b"^XA^FO10,10^BQN,2,5^FDhttps://example.com^FS^XZ", "prefix"),
    (b"^XA^FO10,10^BQN,2,5^FDXA,abc^FS^XZ", "prefix"),
    (b"^XA^FO10,10^BQN,2,11^FDQA,abc^FS^XZ", "magnification"),
    ("^XA^CI28^FO10,10^BQN,2,4^FDQA,你好^FS^XZ".encode(), "automatic input cannot set"),
    (b"^XA^FO10,10^BQN,2,4^FDQM,B0005abc^FS^XZ", "byte count"),
    (b"^XA^FO10,10^FH^FDA_4^FS^XZ", "^FH escape"),
    (b"^XA^FO10,10^FH^FDA_ZZ^FS^XZ", "^FH escape"),
    (b"^XA^FO10,10^FH\\^FDA\\4G^FS^XZ", "^FH escape"),
    ("^XA^FO10,10^FDGrüße^FS^XZ".encode(), "without ^CI28"),
    (b"^XA^FO10,10^FH^FD_C3_A9^FS^XZ", "without ^CI28"),
    (b"^XA^CI28^FO10,10^FDA\xff\xfeB^FS^XZ", "not valid UTF-8"),
    (b"^XA^CI28^FO10,10^FH^FD_C3^FS^XZ", "not valid UTF-8"),
    (b"^XA^FO10,10^A0N,30,30^FB,3^FDX^FS^XZ", "does not print"),
    (b"^XA^FO10,10^GFA,4,4,2,FFFF^FS^XZ", "bytes of image data"),
    (b"^XA^FO10,10^XA^FDX^FS^XZ", "before the ^XZ"),
    (b"^XA^FO10,10^FDX^FS^XZ^XZ", "^XZ without ^XA"),
    (b"^XA^FO10,10^FDX^FS junk^XZ", "not part of any field"),
    (b"^XA^FO10,10^FDX^FH^FS^XZ", "^FH after"),
    (b"^XA^FO10,10^FD" + b"x" * 3073 + b"^FS^XZ", "over the 3072"),
    (b"^XA^FO10,10^BCN,100,Y,N,N,X^FD123^FS^XZ", "is not one of NUAD"),
    (b"^XA^FO10,10^BCQ,100^FD123^FS^XZ", "is not one of NRIB"),
    (b"^XA^FO10,10^A0X,30^FDX^FS^XZ", "is not valid"),
    (b"^XA^FO10,10^GB5,5,5^FO20,20^FS^XZ", "has no ^FS yet"),
    (b"^XA^PW300^FO100,10^BY3^BCN,50^FD12345678^FS^XZ", "runs past the label edge"),
    (b"^XA^LL200^FO10,150^GB100,100,2^FS^XZ", "runs past the label edge"),
    (b"^XA^PW200^FO100,10^BQN,2,10^FDQA,https://id.gs1.org/01/09506000134352^FS^XZ", "runs past the label edge"),
]


@pytest.mark.parametrize(("zpl", "expected"), PROBLEMS, ids=[p[1] + f" #{n}" for n, p in enumerate(PROBLEMS)])
def test_check_zpl_finds_the_problem(zpl: bytes, expected: str) -> None:
    problems = check_zpl(zpl)
    assert any(expected in problem for problem in problems), problems


def test_problems_are_also_reported_with_the_render() -> None:
    (label,) = render_labels(b"^XA^FO10,10^BCN,100^FD>;123^FS^XZ")
    assert any("unpaired digit" in p for p in label.problems)


def test_printer_drops_the_unpaired_digit() -> None:
    (code,) = _read(_one(b"^XA^FO50,50^BY2^BCN,100,N^FD>;12345^FS^XZ"))
    assert code.text == "1234"
