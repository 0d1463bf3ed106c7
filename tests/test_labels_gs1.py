"""GS1 helpers checked against biip: check digits, SSCC-18, GS1-128 element strings, Digital Link URIs."""

from __future__ import annotations

import pytest
from biip import ParseConfig, parse
from biip.checksums import gs1_standard_check_digit
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer import zpl
from station.labels import gs1
from station.labels.render import gs1_elements, tote_code, unit_qr_data
from tests.test_labels_render import TOTE, UNIT, UNIT_NO_GTIN


@given(st.text(alphabet="0123456789", min_size=1, max_size=17))
def test_check_digit_is_biips(payload: str) -> None:
    assert gs1.check_digit(payload) == int(gs1_standard_check_digit(payload))


def test_known_check_digits() -> None:
    assert gs1.check_digit("0950600013435") == 2
    assert gs1.check_digit("10614141123456789") == 7
    assert gs1.gtin14("9506000134352") == "09506000134352"
    with pytest.raises(gs1.GS1Error, match="wrong check digit"):
        gs1.gtin14("9506000134353")


def test_sscc_from_prefix_serial_reference_and_extension() -> None:
    code = gs1.sscc("0614141", 123456789, extension=1)
    assert code == "106141411234567897"
    parsed = parse(f"00{code}").sscc
    assert parsed is not None
    assert (parsed.value, parsed.extension_digit, parsed.check_digit) == (code, 1, 7)
    assert gs1.sscc("0614141", "123456789", 1) == code
    assert gs1.validate_sscc(code) == code


@given(st.integers(6, 12), st.integers(0, 9), st.data())
def test_sscc_always_valid_for_biip(prefix_len: int, extension: int, data: st.DataObject) -> None:
    prefix = data.draw(st.text(alphabet="0123456789", min_size=prefix_len, max_size=prefix_len))
    ref = data.draw(st.integers(0, 10 ** (16 - prefix_len) - 1))
    code = gs1.sscc(prefix, ref, extension)
    result = parse(code, config=ParseConfig(rcn_region=None))
    assert result.sscc is not None and result.sscc.value == code
    assert result.sscc.extension_digit == extension


@pytest.mark.parametrize(("args", "message"), [
    (("12345", 1), "6 to 12 digits"),
    (("0614141", 10**9), "does not fit"),
    (("0614141", "12345"), "must be 9 digits"),
    (("0614141", 1, 10), "extension digit"),
])
def test_sscc_refuses_bad_parts(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(gs1.GS1Error, match=message):
        gs1.sscc(*args)  # type: ignore[arg-type]


def test_unit_gs1_128_element_string_reads_back_in_biip() -> None:
    pairs = gs1_elements(UNIT)
    assert pairs == [("01", "09506000134352"), ("21", "SN/12345%A")]
    code = zpl.gs1_128(pairs)
    # the field data without invocation codes is the element string biip reads behind ]C1
    element_string = code.field_data.replace(">;", "").replace(">8", "").replace(">6", "")
    result = parse("]C1" + element_string)
    assert result.gs1_message is not None
    found = {e.ai.ai: e.value for e in result.gs1_message.element_strings}
    assert found == {"01": "09506000134352", "21": "SN/12345%A"}
    assert result.gs1_message.as_hri() == gs1.element_string_hri(pairs) == "(01)09506000134352(21)SN/12345%A"
    assert gs1_elements(UNIT_NO_GTIN) is None


def test_tote_sscc_element_string_reads_back_in_biip() -> None:
    code, hri = tote_code(TOTE)
    assert code.field_data == ">;>800106141411234567897" and hri == "(00)106141411234567897"
    result = parse("]C1" + code.field_data[4:])
    assert result.gs1_message is not None and result.gs1_message.element_strings[0].sscc is not None
    assert result.gs1_message.element_strings[0].sscc.value == "106141411234567897"


def test_digital_link_uri_reads_back_in_biip() -> None:
    uri = gs1.digital_link_uri("9506000134352", "SN/12345%A")
    assert uri == "https://id.gs1.org/01/09506000134352/21/SN%2F12345%25A"
    result = parse(uri)
    assert result.gs1_digital_link_uri is not None
    found = {e.ai.ai: e.value for e in result.gs1_digital_link_uri.element_strings}
    assert found == {"01": "09506000134352", "21": "SN/12345%A"}


@pytest.mark.parametrize("serial", ["ABC123", "a-b.c_d", "!\"%&'()*+,/:;<=>?", "12345678901234567890"])
def test_digital_link_percent_encodes_every_reserved_character(serial: str) -> None:
    uri = gs1.digital_link_uri("09506000134352", serial, base_url="https://example.com/dl/")
    path = uri.removeprefix("https://example.com/dl/01/09506000134352/21/")
    assert all(c.isalnum() or c in "-._~%" for c in path)
    result = parse(uri)
    assert result.gs1_digital_link_uri is not None
    assert result.gs1_digital_link_uri.element_strings[-1].value == serial


def test_qr_content_is_digital_link_or_lpn() -> None:
    assert unit_qr_data(UNIT, "https://id.example.com") == (
        "https://id.example.com/01/09506000134352/21/SN%2F12345%25A")
    assert unit_qr_data(UNIT_NO_GTIN) == "B1-26120300042"


def test_bad_serials_and_base_urls_are_refused() -> None:
    for serial in ("", "x" * 21, "naïve", "a b"):
        with pytest.raises(gs1.GS1Error, match="serial"):
            gs1.digital_link_uri("09506000134352", serial)
    with pytest.raises(gs1.GS1Error, match="base URL"):
        gs1.digital_link_uri("09506000134352", "A1", base_url="ftp://x")
