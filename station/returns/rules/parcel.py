"""Parcel-level verification rules: weight within tolerance, return window, reason code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, DecimalException
from typing import TypeGuard

from station.returns.rules.types import ExpectedLine, Verdict, WeightTolerance
from station.vocabulary import ReturnReason

#: Statutory no-reason window (a no-reason return within the statutory window of 7 days).
NO_REASON_WINDOW_DAYS = 7
#: Default window for every other reason; configurable per call.
DEFAULT_WINDOW_DAYS = 30


def _finite(value: Decimal | None) -> TypeGuard[Decimal]:
    return value is not None and value.is_finite()


def expected_parcel_weight_g(
    lines: Sequence[ExpectedLine], packaging_allowance_g: Decimal = Decimal(0)
) -> Decimal | None:
    """Sum of unit weight × quantity plus packaging allowance; None if a unit weight is unknown."""
    total = packaging_allowance_g
    for line in lines:
        if not _finite(line.unit_weight_g):
            return None
        total += line.unit_weight_g * max(line.quantity, 0)
    return total


def line_allowance_g(line: ExpectedLine, default: WeightTolerance) -> Decimal:
    """Allowed deviation for one line: the looser of abs_g × quantity and pct of the line weight.

    The line's own tolerance (per SKU) replaces the default for that half of the pair.
    """
    quantity = max(line.quantity, 0)
    abs_g = line.weight_tolerance_g if line.weight_tolerance_g is not None else default.abs_g
    pct = line.weight_tolerance_pct if line.weight_tolerance_pct is not None else default.pct
    allowance = Decimal(0)
    if _finite(abs_g):
        allowance = max(allowance, abs(abs_g) * quantity)
    if _finite(pct) and _finite(line.unit_weight_g):
        allowance = max(allowance, abs(pct) / 100 * line.unit_weight_g * quantity)
    return allowance


def check_parcel_weight(
    lines: Sequence[ExpectedLine],
    measured_weight_g: Decimal | None,
    default_tolerance: WeightTolerance,
    packaging_allowance_g: Decimal = Decimal(0),
) -> Verdict:
    """Measured parcel weight within expected ± allowance (both boundaries inclusive).

    Fails safe: no measurement, an unusable measurement or an unknown expected weight fail.
    """
    rule = "parcel.weight"
    if measured_weight_g is None:
        return Verdict(rule, False, "not_weighed", "The parcel has not been weighed.", {})
    if not measured_weight_g.is_finite() or measured_weight_g < 0:
        return Verdict(
            rule, False, "invalid_measurement",
            f"The measured weight {measured_weight_g} g is not a usable weight.",
            {"measured_g": str(measured_weight_g)},
        )
    if not _finite(packaging_allowance_g):
        packaging_allowance_g = Decimal(0)
    try:
        return _weigh(lines, measured_weight_g, default_tolerance, packaging_allowance_g)
    except DecimalException:
        return Verdict(
            rule, False, "invalid_expected_weight",
            "The expected weights or tolerances of this return are out of range.",
            {"measured_g": str(measured_weight_g)},
        )


def _weigh(
    lines: Sequence[ExpectedLine],
    measured_weight_g: Decimal,
    default_tolerance: WeightTolerance,
    packaging_allowance_g: Decimal,
) -> Verdict:
    rule = "parcel.weight"
    expected_g = expected_parcel_weight_g(lines, packaging_allowance_g)
    if expected_g is None:
        return Verdict(
            rule, False, "expected_weight_unknown",
            "At least one expected item has no unit weight, so the parcel cannot be checked.",
            {"measured_g": float(measured_weight_g)},
        )
    allowance_g = sum((line_allowance_g(line, default_tolerance) for line in lines), Decimal(0))
    deviation_g = measured_weight_g - expected_g
    data: dict[str, str | int | float | None] = {
        "measured_g": float(measured_weight_g),
        "expected_g": float(expected_g),
        "tolerance_g": float(allowance_g),
        "deviation_g": float(deviation_g),
    }
    numbers = (
        f"measured {measured_weight_g} g, expected {expected_g} g ± {allowance_g} g "
        f"(off by {deviation_g:+} g)"
    )
    if abs(deviation_g) <= allowance_g:
        return Verdict(rule, True, "within_tolerance", f"Parcel weight OK: {numbers}.", data)
    code = "over_tolerance" if deviation_g > 0 else "under_tolerance"
    word = "heavy" if deviation_g > 0 else "light"
    return Verdict(rule, False, code, f"Parcel too {word}: {numbers}.", data)


def window_days_for(
    reason: ReturnReason | str | None,
    no_reason_window_days: int = NO_REASON_WINDOW_DAYS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> int:
    """Return window length for a reason: the no-reason window or the general one."""
    return no_reason_window_days if reason == ReturnReason.NO_REASON else window_days


def check_return_window(
    reason: ReturnReason | str | None,
    delivered_at: datetime | None,
    returned_at: datetime,
    no_reason_window_days: int = NO_REASON_WINDOW_DAYS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> Verdict:
    """``returned_at`` no later than ``delivered_at`` + window days (inclusive).

    ``returned_at`` is when the return was started (the caller decides which timestamp counts).
    Both must be timezone-aware. No delivery date fails safe: the verdict says unknown and fails.
    """
    rule = "return.window"
    days = window_days_for(reason, no_reason_window_days, window_days)
    if delivered_at is None:
        return Verdict(
            rule, False, "delivery_unknown",
            "The delivery date is unknown, so the return window cannot be checked.",
            {"window_days": days, "delivered_at": None, "window_end": None},
        )
    if delivered_at.utcoffset() is None or returned_at.utcoffset() is None:
        return Verdict(
            rule, False, "naive_timestamp",
            "A timestamp has no time zone, so the return window cannot be checked.",
            {"window_days": days},
        )
    try:
        window_end = delivered_at + timedelta(days=days)
    except OverflowError:
        return Verdict(
            rule, False, "invalid_window",
            f"A window of {days} days from {delivered_at.isoformat()} is out of range.",
            {"window_days": days},
        )
    late = returned_at - window_end
    data: dict[str, str | int | float | None] = {
        "window_days": days,
        "delivered_at": delivered_at.isoformat(),
        "returned_at": returned_at.isoformat(),
        "window_end": window_end.isoformat(),
        "days_late": max(0, late.days + (1 if late.seconds or late.microseconds else 0)),
    }
    if late <= timedelta(0):
        return Verdict(
            rule, True, "within_window",
            f"Returned within the {days}-day window ending {window_end.isoformat()}.", data,
        )
    return Verdict(
        rule, False, "outside_window",
        f"Returned {data['days_late']} day(s) after the {days}-day window ended "
        f"({window_end.isoformat()}).",
        data,
    )


def check_reason(reason: ReturnReason | str | None) -> Verdict:
    """The reason code is one of station.vocabulary.ReturnReason."""
    rule = "return.reason"
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        return Verdict(rule, False, "missing_reason", "The return has no reason code.", {})
    try:
        valid = ReturnReason(reason)
    except ValueError:
        allowed = ", ".join(r.value for r in ReturnReason)
        return Verdict(
            rule, False, "unknown_reason",
            f"Reason {reason!r} is not one of: {allowed}.", {"reason": str(reason)},
        )
    return Verdict(rule, True, "valid_reason", f"Reason {valid.value} is valid.",
                   {"reason": valid.value})
