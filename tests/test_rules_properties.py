"""Property tests of the verification rules: no crash on any input, exact boundaries, GTINs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from station.returns.rules import (
    ExpectedLine,
    ScannedItem,
    WeightTolerance,
    check_parcel_weight,
    check_reason,
    check_return_window,
    line_allowance_g,
    verify_return,
)
from station.returns.rules.gtin import GtinError, gtin_check_digit, normalise_gtin
from station.vocabulary import ReturnReason

SETTINGS = settings(max_examples=200, deadline=None)

grams = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False,
                    allow_infinity=False)
any_decimal = st.one_of(
    st.none(), st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("9E+999999"), Decimal("-1E-999999"), Decimal("1E+500000")]),
)
short_text = st.text(max_size=20)
aware = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.just(UTC))

lines = st.builds(
    ExpectedLine,
    line_id=short_text, sku=short_text, gtin=st.one_of(st.none(), short_text),
    description=short_text, quantity=st.integers(-2, 50),
    serials=st.lists(short_text, max_size=3).map(tuple),
    unit_weight_g=any_decimal, weight_tolerance_g=any_decimal, weight_tolerance_pct=any_decimal,
    category=short_text, accessories=st.lists(short_text, max_size=2).map(tuple),
)
scans = st.builds(
    ScannedItem, raw=short_text, gtin=st.one_of(st.none(), short_text),
    sku=st.one_of(st.none(), short_text), serial=st.one_of(st.none(), short_text),
)


@SETTINGS
@given(
    st.lists(lines, max_size=4), st.lists(scans, max_size=6),
    st.one_of(st.none(), short_text, st.sampled_from(list(ReturnReason))),
    any_decimal, st.one_of(st.none(), st.datetimes(), aware), aware,
    st.builds(WeightTolerance, abs_g=any_decimal, pct=any_decimal), any_decimal,
)
def test_verify_return_never_crashes_on_any_input(
    expected: list[ExpectedLine], scanned: list[ScannedItem], reason: str | None,
    measured: Decimal | None, delivered: datetime | None, returned: datetime,
    tolerance: WeightTolerance, packaging: Decimal | None,
) -> None:
    verdicts = verify_return(expected, scanned, reason, measured, delivered, returned, tolerance,
                             packaging if packaging is not None else Decimal(0))
    assert {v.rule for v in verdicts} >= {"return.reason", "return.window", "items.extra",
                                          "items.missing", "parcel.weight"}
    assert all(v.detail and v.code for v in verdicts)


@SETTINGS
@given(
    unit=grams, quantity=st.integers(1, 20), abs_g=st.one_of(st.none(), grams),
    pct=st.one_of(st.none(), st.decimals(0, 50, places=2)), packaging=grams,
)
def test_weight_boundaries_are_exactly_inclusive(
    unit: Decimal, quantity: int, abs_g: Decimal | None, pct: Decimal | None,
    packaging: Decimal,
) -> None:
    line = ExpectedLine("L", "SKU", None, "thing", quantity, unit_weight_g=unit)
    tolerance = WeightTolerance(abs_g, pct)
    expected = unit * quantity + packaging
    allowance = line_allowance_g(line, tolerance)
    step = Decimal("0.0001")
    for edge in (expected + allowance, expected - allowance):
        if edge >= 0:
            assert check_parcel_weight((line,), edge, tolerance, packaging).ok
    outside = check_parcel_weight((line,), expected + allowance + step, tolerance, packaging)
    assert outside.code == "over_tolerance"
    if expected - allowance - step >= 0:
        below = check_parcel_weight((line,), expected - allowance - step, tolerance, packaging)
        assert below.code == "under_tolerance"


@SETTINGS
@given(delivered=aware, days=st.integers(0, 400), reason=st.sampled_from(list(ReturnReason)))
def test_window_end_is_inclusive_to_the_microsecond(
    delivered: datetime, days: int, reason: ReturnReason
) -> None:
    end = delivered + timedelta(days=7 if reason == ReturnReason.NO_REASON else days)
    assert check_return_window(reason, delivered, end, window_days=days).ok
    late = check_return_window(reason, delivered, end + timedelta(microseconds=1),
                               window_days=days)
    assert late.code == "outside_window"


@SETTINGS
@given(body=st.text(alphabet="0123456789", min_size=7, max_size=13).filter(
    lambda s: len(s) + 1 in (8, 12, 13, 14)))
def test_any_gtin_with_its_check_digit_normalises_and_pads(body: str) -> None:
    code = body + str(gtin_check_digit(body))
    gtin14 = normalise_gtin(code)
    assert len(gtin14) == 14 and gtin14.endswith(code) and set(gtin14[: 14 - len(code)]) <= {"0"}
    assert normalise_gtin(gtin14) == gtin14  # idempotent
    wrong = body + str((int(code[-1]) + 1) % 10)
    try:
        normalise_gtin(wrong)
    except GtinError as exc:
        assert "check digit" in str(exc)
    else:
        raise AssertionError(f"{wrong} passed with a wrong check digit")


@SETTINGS
@given(st.text(max_size=30))
def test_any_text_is_a_gtin_or_a_clear_gtin_error(text: str) -> None:
    try:
        assert len(normalise_gtin(text)) == 14
    except GtinError as exc:
        assert str(exc)


@SETTINGS
@given(st.text(max_size=30))
def test_any_reason_text_gets_a_verdict(text: str) -> None:
    verdict = check_reason(text)
    assert verdict.ok == (text in {r.value for r in ReturnReason})
