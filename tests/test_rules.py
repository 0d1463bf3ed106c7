"""Verification rules at the bench: matching scans, quantities, serials, weight, window, reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from station.returns.rules import (
    ExpectedLine,
    ScannedItem,
    WeightTolerance,
    check_extra_items,
    check_missing_items,
    check_parcel_weight,
    check_quantity,
    check_reason,
    check_return_window,
    check_serial,
    expected_parcel_weight_g,
    match_item,
    verify_return,
)
from station.returns.rules.gtin import GtinError, normalise_gtin
from station.vocabulary import ReturnReason

KETTLE = ExpectedLine(
    line_id="L1", sku="KET-200", gtin="4006381333931", description="Kettle 1.7 l", quantity=1,
    serials=("SN-0001",), unit_weight_g=Decimal("1200"), weight_tolerance_g=None,
    weight_tolerance_pct=None, category="appliances", accessories=("base",),
)
SOCKS = ExpectedLine(
    line_id="L2", sku="sock-blk-42", gtin="96385074", description="Socks black 42", quantity=3,
    serials=(), unit_weight_g=Decimal("50"), weight_tolerance_g=Decimal("5"),
    weight_tolerance_pct=None, category="apparel", accessories=(),
)
UPC_MUG = ExpectedLine(
    line_id="L3", sku="MUG", gtin="036000291452", description="Mug", quantity=1,
)
LINES = (KETTLE, SOCKS, UPC_MUG)
DEFAULT_TOL = WeightTolerance(abs_g=Decimal("20"), pct=None)
DELIVERED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "gtin14"),
    [
        ("96385074", "00000096385074"),  # GTIN-8
        ("036000291452", "00036000291452"),  # GTIN-12 (UPC-A)
        ("4006381333931", "04006381333931"),  # GTIN-13 (EAN-13)
        ("10012345678902", "10012345678902"),  # GTIN-14
        ("  4006381333931\n", "04006381333931"),  # scanner suffix whitespace
    ],
)
def test_gtins_of_every_length_normalise_to_14_digits(code: str, gtin14: str) -> None:
    assert normalise_gtin(code) == gtin14


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("4006381333932", "check digit 2, expected 1"),
        ("400638133393", "check digit"),  # a GTIN-13 missing its last digit
        ("1234567", "7 digits"),
        ("40063813339X1", "other than digits"),
        ("", "empty"),
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "other than digits"),  # Arabic-Indic digits are not GTIN digits
    ],
)
def test_bad_gtins_are_rejected_with_the_reason(code: str, why: str) -> None:
    with pytest.raises(GtinError, match=why):
        normalise_gtin(code)


@pytest.mark.parametrize(
    ("scan", "ok", "code", "line_id"),
    [
        (ScannedItem(raw="4006381333931", gtin="4006381333931"), True, "gtin_match", "L1"),
        (ScannedItem(raw="]C1010400638133393121SN-0001", gtin="04006381333931",
                     serial="SN-0001"), True, "gtin_match", "L1"),  # GS1 element string
        (ScannedItem(raw="36000291452", gtin="00036000291452"), True, "gtin_match", "L3"),
        (ScannedItem(raw="96385074"), True, "gtin_match", "L2"),  # raw code tried as GTIN
        (ScannedItem(raw="SOCK-BLK-42", sku="SOCK-BLK-42"), True, "sku_match", "L2"),
        (ScannedItem(raw="ket-200"), True, "sku_match", "L1"),  # raw code tried as SKU
        (ScannedItem(raw="5901234123457", gtin="5901234123457"), False, "gtin_mismatch", None),
        (ScannedItem(raw="4006381333932", gtin="4006381333932"), False, "invalid_gtin", None),
        (ScannedItem(raw="HAT-01", sku="HAT-01"), False, "sku_mismatch", None),
        (ScannedItem(raw="  "), False, "no_identifier", None),
    ],
)
def test_a_scan_matches_its_line_or_says_why_not(
    scan: ScannedItem, ok: bool, code: str, line_id: str | None
) -> None:
    verdict = match_item(scan, LINES)
    assert (verdict.rule, verdict.ok, verdict.code) == ("item.match", ok, code)
    assert verdict.data.get("line_id") == line_id


@pytest.mark.parametrize(
    ("found", "ok", "code"),
    [(3, True, "quantity_ok"), (2, False, "quantity_short"), (4, False, "quantity_over"),
     (0, False, "quantity_short")],
)
def test_quantity_found_must_equal_quantity_expected(found: int, ok: bool, code: str) -> None:
    verdict = check_quantity(SOCKS, found)
    assert (verdict.rule, verdict.ok, verdict.code) == ("item.quantity", ok, code)
    assert f"found {found} of 3" in verdict.detail


@pytest.mark.parametrize(
    ("line", "serial", "seen", "ok", "code"),
    [
        (KETTLE, "SN-0001", (), True, "serial_ok"),
        (KETTLE, " sn-0001 ", (), True, "serial_ok"),  # case and whitespace do not matter
        (KETTLE, "SN-9999", (), False, "serial_not_expected"),
        (KETTLE, None, (), False, "serial_missing"),
        (KETTLE, "SN-0001", ("sn-0001",), False, "serial_duplicate"),
        (SOCKS, None, (), True, "not_tracked"),
    ],
)
def test_serials_must_be_shipped_ones_and_scanned_once(
    line: ExpectedLine, serial: str | None, seen: tuple[str, ...], ok: bool, code: str
) -> None:
    verdict = check_serial(line, serial, seen)
    assert (verdict.rule, verdict.ok, verdict.code) == ("item.serial", ok, code)


def test_expected_parcel_weight_sums_lines_and_packaging() -> None:
    assert expected_parcel_weight_g((KETTLE, SOCKS), Decimal("150")) == Decimal("1500")
    assert expected_parcel_weight_g((KETTLE, UPC_MUG)) is None  # the mug has no unit weight


# Kettle 1200 g with default ±20 g, socks 3 × 50 g with their own ±5 g each (15 g), box 150 g:
# expected 1500 g, allowance 35 g, so 1465 g and 1535 g are exactly on the (inclusive) edges.
@pytest.mark.parametrize(
    ("measured", "ok", "code"),
    [
        ("1500", True, "within_tolerance"),
        ("1535", True, "within_tolerance"),
        ("1465", True, "within_tolerance"),
        ("1535.01", False, "over_tolerance"),
        ("1464.99", False, "under_tolerance"),
        ("NaN", False, "invalid_measurement"),
        ("-1", False, "invalid_measurement"),
    ],
)
def test_parcel_weight_is_checked_with_inclusive_tolerance(
    measured: str, ok: bool, code: str
) -> None:
    verdict = check_parcel_weight((KETTLE, SOCKS), Decimal(measured), DEFAULT_TOL, Decimal("150"))
    assert (verdict.rule, verdict.ok, verdict.code) == ("parcel.weight", ok, code)


def test_percent_tolerance_uses_the_looser_of_grams_and_percent() -> None:
    # 5 % of 1200 g = 60 g beats the 20 g default: 1260 g passes, 1261 g does not.
    tolerance = WeightTolerance(abs_g=Decimal("20"), pct=Decimal("5"))
    assert check_parcel_weight((KETTLE,), Decimal("1260"), tolerance).ok
    verdict = check_parcel_weight((KETTLE,), Decimal("1261"), tolerance)
    assert verdict.code == "over_tolerance"
    assert verdict.data["tolerance_g"] == 60.0
    assert "measured 1261 g, expected 1200 g" in verdict.detail


@pytest.mark.parametrize(
    ("lines", "measured", "code"),
    [((KETTLE,), None, "not_weighed"), ((KETTLE, UPC_MUG), Decimal("1500"),
                                        "expected_weight_unknown")],
)
def test_an_unweighable_parcel_fails_safe(
    lines: tuple[ExpectedLine, ...], measured: Decimal | None, code: str
) -> None:
    verdict = check_parcel_weight(lines, measured, DEFAULT_TOL)
    assert (verdict.ok, verdict.code) == (False, code)


def test_absurd_catalogue_weights_give_a_verdict_not_an_overflow() -> None:
    huge = ExpectedLine("L9", "X", None, "crate", 50, unit_weight_g=Decimal("9E+999999"))
    verdict = check_parcel_weight((huge,), Decimal("1000"), DEFAULT_TOL)
    assert (verdict.ok, verdict.code) == (False, "invalid_expected_weight")


@pytest.mark.parametrize(
    ("reason", "returned_after", "ok", "code"),
    [
        (ReturnReason.NO_REASON, timedelta(days=7), True, "within_window"),  # last instant
        (ReturnReason.NO_REASON, timedelta(days=7, seconds=1), False, "outside_window"),
        (ReturnReason.SIZE_MISMATCH, timedelta(days=8), True, "within_window"),
        (ReturnReason.QUALITY_DEFECT, timedelta(days=30), True, "within_window"),
        (ReturnReason.QUALITY_DEFECT, timedelta(days=31), False, "outside_window"),
        (ReturnReason.OTHER, timedelta(days=-1), True, "within_window"),
    ],
)
def test_return_window_counts_from_delivery(
    reason: ReturnReason, returned_after: timedelta, ok: bool, code: str
) -> None:
    verdict = check_return_window(reason, DELIVERED, DELIVERED + returned_after)
    assert (verdict.rule, verdict.ok, verdict.code) == ("return.window", ok, code)


def test_window_compares_instants_across_time_zones() -> None:
    tokyo = timezone(timedelta(hours=9))
    returned = (DELIVERED + timedelta(days=7)).astimezone(tokyo)
    assert check_return_window(ReturnReason.NO_REASON, DELIVERED, returned).ok


def test_late_return_says_how_late() -> None:
    verdict = check_return_window(ReturnReason.NO_REASON, DELIVERED,
                                  DELIVERED + timedelta(days=9, hours=1))
    assert verdict.data["days_late"] == 3
    assert "3 day(s) after the 7-day window" in verdict.detail


def test_configured_window_replaces_the_default() -> None:
    verdict = check_return_window(ReturnReason.OTHER, DELIVERED, DELIVERED + timedelta(days=40),
                                  window_days=45)
    assert verdict.ok and verdict.data["window_days"] == 45


@pytest.mark.parametrize(
    ("delivered", "returned", "code"),
    [(None, DELIVERED, "delivery_unknown"),
     (datetime(2026, 11, 1), DELIVERED, "naive_timestamp"),
     (DELIVERED, datetime(2026, 11, 2), "naive_timestamp")],
)
def test_unknown_or_naive_dates_fail_safe(
    delivered: datetime | None, returned: datetime, code: str
) -> None:
    verdict = check_return_window(ReturnReason.NO_REASON, delivered, returned)
    assert (verdict.ok, verdict.code) == (False, code)


@pytest.mark.parametrize("reason", list(ReturnReason))
def test_every_vocabulary_reason_is_valid(reason: ReturnReason) -> None:
    assert check_reason(reason.value).code == "valid_reason"
    assert check_reason(reason).ok


@pytest.mark.parametrize(
    ("reason", "code"), [("changed_mind", "unknown_reason"), ("", "missing_reason"),
                         (None, "missing_reason"), ("QUALITY_DEFECT", "unknown_reason")],
)
def test_unknown_or_missing_reasons_fail(reason: str | None, code: str) -> None:
    verdict = check_reason(reason)
    assert (verdict.rule, verdict.ok, verdict.code) == ("return.reason", False, code)


def test_extra_and_missing_items_are_reported_by_code_and_line() -> None:
    extra = check_extra_items([ScannedItem(raw="HAT-01", sku="HAT-01")])
    assert (extra.ok, extra.code, extra.data["count"]) == (False, "extra_items", 1)
    assert check_extra_items([]).ok
    missing = check_missing_items(LINES, {"L1": 1, "L2": 0})
    assert (missing.ok, missing.code, missing.data["line_ids"]) == (False, "items_missing",
                                                                    "L2, L3")
    assert check_missing_items(LINES, {"L1": 1, "L2": 3, "L3": 1}).ok


def _run(scans: list[ScannedItem], measured: str = "1500") -> dict[str, list[str]]:
    verdicts = verify_return(
        (KETTLE, SOCKS), scans, ReturnReason.NO_REASON, Decimal(measured), DELIVERED,
        DELIVERED + timedelta(days=2), DEFAULT_TOL, packaging_allowance_g=Decimal("150"),
    )
    failed: dict[str, list[str]] = {}
    for verdict in verdicts:
        if not verdict.ok:
            failed.setdefault(verdict.rule, []).append(verdict.code)
    return failed


SOCK = ScannedItem(raw="96385074", gtin="96385074")
KETTLE_SCAN = ScannedItem(raw="4006381333931", gtin="4006381333931", serial="SN-0001")


def test_a_complete_correct_parcel_passes_every_rule() -> None:
    assert _run([KETTLE_SCAN, SOCK, SOCK, SOCK]) == {}


def test_verify_return_runs_every_rule_in_order() -> None:
    verdicts = verify_return((KETTLE, SOCKS), [KETTLE_SCAN, SOCK, SOCK, SOCK],
                             ReturnReason.NO_REASON, Decimal("1500"), DELIVERED, DELIVERED,
                             DEFAULT_TOL, Decimal("150"))
    assert [v.rule for v in verdicts] == [
        "return.reason", "return.window", "item.match", "item.match", "item.match", "item.match",
        "item.quantity", "item.serial", "item.quantity", "items.extra", "items.missing",
        "parcel.weight",
    ]
    assert all(isinstance(v.to_dict()["data"], dict) for v in verdicts)


def test_a_wrong_gtin_in_the_parcel_fails_match_extra_and_missing() -> None:
    wrong = ScannedItem(raw="5901234123457", gtin="5901234123457")
    assert _run([wrong, SOCK, SOCK, SOCK]) == {
        "item.match": ["gtin_mismatch"], "items.extra": ["extra_items"],
        "items.missing": ["items_missing"],
    }


def test_the_same_serial_scanned_twice_is_a_duplicate_and_over_quantity() -> None:
    assert _run([KETTLE_SCAN, KETTLE_SCAN, SOCK, SOCK, SOCK], measured="2700") == {
        "item.quantity": ["quantity_over"], "item.serial": ["serial_duplicate"],
        "parcel.weight": ["over_tolerance"],
    }


def test_a_short_parcel_fails_quantity_and_weight() -> None:
    assert _run([KETTLE_SCAN, SOCK], measured="1400") == {
        "item.quantity": ["quantity_short"], "parcel.weight": ["under_tolerance"],
    }
