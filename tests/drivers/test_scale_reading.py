"""Weights normalise to integer milligrams exactly, whatever unit the scale prints."""

from __future__ import annotations

from decimal import Decimal

import pytest

from drivers.scale.reading import ProtocolError, Reading, canonical_unit, to_milligrams


@pytest.mark.parametrize(
    ("value", "unit", "mg"),
    [
        ("100.00", "g", 100_000),
        ("1.2345", "kg", 1_234_500),
        ("1", "lb", 453_592),
        ("1", "oz", 28_350),
        ("5", "ct", 1_000),
        ("250", "mg", 250),
        ("-0.5", "g", -500),
        ("0.0005", "g", 0),  # half-even: 0.5 mg rounds to 0
        ("0.0015", "g", 2),
        ("2", "LB", 907_185),
        ("1", "lbs", 453_592),
    ],
)
def test_a_printed_weight_becomes_whole_milligrams(value: str, unit: str, mg: int) -> None:
    assert to_milligrams(value, unit) == mg


def test_a_pound_is_exactly_the_international_pound() -> None:
    assert to_milligrams(Decimal("100"), "lb") == 45_359_237


@pytest.mark.parametrize("unit", ["stone", "", "kgg", "taels"])
def test_an_unknown_unit_is_a_protocol_error(unit: str) -> None:
    with pytest.raises(ProtocolError, match="unknown weight unit"):
        to_milligrams("1", unit)


@pytest.mark.parametrize("value", ["1.2.3", "abc", "", "NaN", "Infinity", "1e400"])
def test_a_weight_that_is_not_a_number_is_a_protocol_error(value: str) -> None:
    with pytest.raises(ProtocolError):
        to_milligrams(value, "g")


def test_canonical_units_are_lower_case() -> None:
    assert canonical_unit(" KG ") == "kg"
    assert canonical_unit("cd") == "ct"


def test_a_reading_gives_grams_exactly() -> None:
    assert Reading(1_234_567, True, "g").weight_g == Decimal("1234.567")
    assert Reading(None, False, "").weight_g is None
