"""Per-unit outcomes: each unit graded by its own SKU and category, refunds per unit, parcel totals.

A unit's checklist is its own when the operator answered one for it, else the parcel's (one
checklist for every unit). A sealed unit skips the condition questions: it is graded as
intact, unopened and unused. A missing unit gets no grade: its share of the refund is denied.
An undeclared unit is held for a supervisor (the policy's ``undeclared`` rules). The parcel's
return-window and reason verdicts are given to each unit; its weight verdict stays its own.
A unit's restocking fee (the policy's ``restocking_fees``) is kept in ``unit.decision``
(``restocking_fee_minor``) and already subtracted from its ``refund_minor``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from station.db.models import InspectionUnit
from station.policy import Checklist, Decision, Policy, PolicyInput
from station.policy import evaluate as evaluate_policy
from station.policy.evaluator import platform_for_missing_item
from station.policy.inputs import fee_minor
from station.returns.errors import DomainError
from station.returns.rules.types import Verdict
from station.vocabulary import (
    FunctionTest,
    Recommendation,
    ReturnReason,
    UnitKind,
    UnitState,
)

#: Parcel verdicts that decide every unit's refund too. The weight (and a typed weight) stay
#: the parcel's: they flag it for a supervisor and stop an automatic refund, but a unit's own
#: outcome is its condition, the return window and the reason.
PARCEL_RULES_FOR_UNITS = frozenset({"return.window", "return.reason"})
_GRADE_ORDER = ("A", "B", "C", "D")


@dataclass(frozen=True)
class UnitOutcome:
    """What the policy proposed for one unit (decision None for a missing unit)."""

    unit: InspectionUnit
    decision: Decision | None


_FEE_RECOMMENDATIONS = (Recommendation.FULL_REFUND.value, Recommendation.PARTIAL_REFUND.value)


def unit_refund(price_minor: int | None, recommendation: str | None, deduction: int,
                restocking_fee_minor: int = 0) -> int | None:
    """The refund (minor units) one unit earns; None while a supervisor must decide.

    price x (100 - deduction) %, rounded half up, less the restocking fee on a full or partial
    refund (never below 0); an exchange is the price, a denial 0.
    """
    if recommendation == Recommendation.DENY:
        return 0
    if price_minor is None:
        return None
    if recommendation == Recommendation.EXCHANGE:
        return price_minor
    if recommendation == Recommendation.FULL_REFUND:
        refund = price_minor
    elif recommendation == Recommendation.PARTIAL_REFUND:
        refund = (price_minor * (100 - deduction) + 50) // 100
    else:
        return None
    return max(0, refund - max(0, restocking_fee_minor))


def restocking_fee(unit: InspectionUnit) -> int:
    """The restocking fee (minor units) the unit pays under its decision's fee terms.

    0 unless an expected unit with a price gets a full or partial refund and a fee rule applied;
    never more than the refund before the fee, so the refund never turns negative.
    """
    decision = unit.decision or {}
    if (unit.kind != UnitKind.EXPECTED or unit.price_minor is None
            or not decision.get("restocking_fee_rule")
            or unit.recommendation not in _FEE_RECOMMENDATIONS):
        return 0
    cap = decision.get("restocking_fee_max_minor")
    due = fee_minor(unit.price_minor, int(decision.get("restocking_fee_pct") or 0),
                    int(decision.get("restocking_fee_fixed_minor") or 0),
                    None if cap is None else int(cap))
    before = unit_refund(unit.price_minor, unit.recommendation, unit.deduction_pct) or 0
    return max(0, min(due, before))


def refund_unit(unit: InspectionUnit) -> None:
    """Set the unit's refund and keep the restocking fee it pays on ``unit.decision``."""
    fee = restocking_fee(unit)
    unit.refund_minor = unit_refund(unit.price_minor, unit.recommendation, unit.deduction_pct,
                                    fee)
    unit.decision = {**(unit.decision or {}), "restocking_fee_minor": fee}


def unit_checklist(unit: InspectionUnit, parcel_checklist: Checklist) -> Checklist:
    """The checklist the unit is graded on."""
    from station.returns.grading import checklist_from_dict

    if unit.state == UnitState.SEALED:
        return Checklist(packaging_intact=True, original_packaging_opened=False,
                         function_test=FunctionTest.NOT_APPLICABLE)
    return checklist_from_dict(unit.checklist) if unit.checklist else parcel_checklist


def decide_unit(unit: InspectionUnit, base: PolicyInput, policy: Policy,
                verdicts: list[Verdict]) -> UnitOutcome:
    """The policy's proposal for one unit, stored on it (with the policy version that decided it)."""
    unit.policy_version = policy.version
    if unit.kind == UnitKind.MISSING:
        unit.grade, unit.disposition = None, None
        unit.recommendation, unit.deduction_pct = Recommendation.DENY.value, 0
        unit.refund_minor = 0 if unit.price_minor is not None else None
        unit.flags = ["missing"]
        unit.decision = {"recommendation": "deny", "platform": platform_for_missing_item(),
                         "explanation": ["The unit was not in the parcel: its share is denied."],
                         "fired_rules": ["unit.missing"], "flag_reasons": ["missing"],
                         "restocking_fee_minor": 0}
        return UnitOutcome(unit, None)
    checklist = unit_checklist(unit, base.checklist)
    state = UnitState(unit.state) if unit.state else None
    if (base.reason == ReturnReason.QUALITY_DEFECT and unit.kind == UnitKind.EXPECTED
            and state is not UnitState.SEALED
            and checklist.function_test == FunctionTest.NOT_TESTED):
        raise DomainError("function_test_required",
                          "a quality-defect return needs its function test before grading",
                          unit=unit.id)
    item = PolicyInput(
        reason=base.reason, checklist=checklist, category=unit.category,
        price=None if unit.price_minor is None else Decimal(unit.price_minor) / 100,
        unexpected_parcel=base.unexpected_parcel,
        failed_verdicts=tuple(v for v in verdicts if not v.ok and v.rule in PARCEL_RULES_FOR_UNITS),
        requested_resolution=base.requested_resolution,
        days_since_delivery=base.days_since_delivery,
        undeclared=unit.kind == UnitKind.UNDECLARED, unit_state=state,
    )
    decision = evaluate_policy(policy, item, policy.sop_for(unit.sku, unit.category))
    unit.grade = decision.grade.value
    unit.disposition = decision.disposition.value
    unit.recommendation = decision.recommendation.value
    unit.deduction_pct = decision.deduction_pct
    unit.flags = list(decision.flag_reasons)
    unit.decision = decision.to_dict()
    refund_unit(unit)
    return UnitOutcome(unit, decision)


def unit_fee(unit: InspectionUnit) -> int:
    """The restocking fee stored on the unit's decision (0 for rows from before fees)."""
    return int((unit.decision or {}).get("restocking_fee_minor") or 0)


def _worst(grades: list[str]) -> str | None:
    return max(grades, key=_GRADE_ORDER.index) if grades else None


def parcel_totals(outcomes: list[UnitOutcome], parcel: Decision) -> dict[str, Any]:
    """Grade, disposition, recommendation, refund and auto-refund of the parcel from its units."""
    units = [o.unit for o in outcomes]
    present = [u for u in units if u.kind != UnitKind.MISSING]
    recommendations = {u.recommendation for u in units}
    if parcel.recommendation in (Recommendation.ESCALATE, Recommendation.DENY):
        recommendation = parcel.recommendation.value
    elif Recommendation.ESCALATE.value in recommendations:
        recommendation = Recommendation.ESCALATE.value
    elif len(recommendations) == 1:
        recommendation = next(iter(recommendations)) or parcel.recommendation.value
    elif recommendations <= {Recommendation.DENY.value}:
        recommendation = Recommendation.DENY.value
    else:
        recommendation = Recommendation.PARTIAL_REFUND.value
    dispositions = {u.disposition for u in present}
    priced = [u for u in units if u.price_minor is not None]
    refunds = [u.refund_minor for u in units]
    total_price = sum(u.price_minor or 0 for u in priced)
    refund_total = None if any(r is None for r in refunds) else sum(r or 0 for r in refunds)
    deduction = max((u.deduction_pct for u in present), default=0)
    if refund_total is not None and total_price and len(priced) == len(units):
        deduction = round(100 - refund_total * 100 / total_price)
    clean = bool(units) and all(
        u.kind == UnitKind.EXPECTED and u.recommendation == Recommendation.FULL_REFUND.value
        and not u.flags for u in units) and not parcel.flag
    return {
        "grade": _worst([u.grade for u in present if u.grade]),
        "disposition": next(iter(dispositions)) if len(dispositions) == 1 else "mixed",
        "recommendation": recommendation,
        "deduction_pct": max(0, min(100, deduction)),
        "refund_total_minor": refund_total,
        "restocking_fee_total_minor": sum(unit_fee(u) for u in units),
        "price_total_minor": total_price if priced else None,
        "auto_refund": clean,
        "units": len(units),
        "missing": sum(1 for u in units if u.kind == UnitKind.MISSING),
        "undeclared": sum(1 for u in units if u.kind == UnitKind.UNDECLARED),
    }


def unit_data(unit: InspectionUnit, photos: list[dict[str, Any]],
              tote_code: str | None = None) -> dict[str, Any]:
    """One unit as the API and the webhooks show it."""
    decision = unit.decision or {}
    return {
        "unit_id": unit.id,
        "position": unit.position,
        "kind": unit.kind,
        "line_id": unit.line_id,
        "unit_index": unit.unit_index,
        "sku": unit.sku,
        "gtin": unit.gtin,
        "serial": unit.serial,
        "lot": unit.lot,
        "category": unit.category or None,
        "state": unit.state,
        "grade": unit.grade,
        "disposition": unit.disposition,
        "recommendation": unit.recommendation,
        "deduction_pct": unit.deduction_pct,
        "price_minor": unit.price_minor,
        "refund_minor": unit.refund_minor,
        "restocking_fee_minor": unit_fee(unit),
        "flags": list(unit.flags),
        "platform": decision.get("platform", {}),
        "fired_rules": decision.get("fired_rules", []),
        "review": unit.review or None,
        "policy_version": unit.policy_version,
        "photos": photos,
        "lpn": unit.lpn,
        "destination": unit.destination,
        "tote": tote_code,
        "sorted_at": unit.sorted_at.isoformat() if unit.sorted_at else None,
    }

