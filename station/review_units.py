"""Supervisor decisions on one unit: validate the change, recompute its refund, re-total the parcel."""

from __future__ import annotations

from typing import Any

from station.db.models import Inspection, InspectionUnit
from station.policy import Decision
from station.returns.errors import DomainError
from station.returns.unit_outcomes import UnitOutcome, parcel_totals, refund_unit
from station.vocabulary import (
    MERCHANT_FAULT_REASONS,
    Disposition,
    Grade,
    Recommendation,
    ReturnReason,
    UnitKind,
)

#: What a supervisor may change on a unit, and what its review records before and after.
UNIT_FIELDS = ("grade", "disposition", "recommendation", "deduction_pct", "refund_minor")


def unit_snapshot(unit: InspectionUnit) -> dict[str, Any]:
    """The reviewable fields of a unit as they are now."""
    return {key: getattr(unit, key) for key in UNIT_FIELDS}


def unit_changes(
    unit: InspectionUnit, *, grade: str | None, disposition: str | None,
    recommendation: str | None, deduction_pct: int | str | None, release_hold_to: str | None,
) -> dict[str, Any]:
    """The validated changes a supervisor asked for (empty for a plain approval)."""
    changes: dict[str, Any] = {}
    try:
        if grade:
            changes["grade"] = Grade(grade).value
        if disposition:
            changes["disposition"] = Disposition(disposition).value
        if recommendation:
            changes["recommendation"] = Recommendation(recommendation).value
        if deduction_pct not in (None, ""):
            pct = int(str(deduction_pct))
            if not 0 <= pct <= 100:
                raise ValueError("deduction_pct must be 0-100")
            changes["deduction_pct"] = pct
    except ValueError as exc:
        raise DomainError("bad_override", f"override not understood: {exc}") from exc
    if release_hold_to:
        if unit.disposition != Disposition.HOLD.value:
            raise DomainError("unit_not_held", "this unit is not on hold", unit=unit.id)
        try:
            target = Disposition(release_hold_to)
        except ValueError as exc:
            raise DomainError("bad_release", f"unknown disposition {release_hold_to!r}") from exc
        if target is Disposition.HOLD:
            raise DomainError("bad_release", "releasing a hold needs a disposition other than hold")
        if changes.get("disposition", target.value) != target.value:
            raise DomainError("bad_release", "choose either a disposition or a hold release")
        changes["disposition"] = target.value
    if unit.kind == UnitKind.MISSING and ({"grade", "disposition"} & changes.keys()):
        raise DomainError("unit_missing", "a missing unit has no grade or disposition",
                          unit=unit.id)
    return changes


def apply_unit_changes(inspection: Inspection, unit: InspectionUnit,
                       changes: dict[str, Any]) -> None:
    """Set the changes on the unit and recompute its refund and restocking fee."""
    rma = inspection.rma
    merchant_fault = rma is not None and ReturnReason(rma.reason) in MERCHANT_FAULT_REASONS
    if merchant_fault and changes.get("deduction_pct", 0) > 0:
        raise DomainError("merchant_fault_deduction",
                          "no deduction is allowed when the reason is the merchant's fault")
    for key, value in changes.items():
        setattr(unit, key, value)
    if unit.recommendation != Recommendation.PARTIAL_REFUND.value:
        unit.deduction_pct = 0
    refund_unit(unit)  # the refund and the restocking fee for the new recommendation


def retotal(inspection: Inspection) -> dict[str, Any]:
    """Parcel grade (the worst unit's), disposition, recommendation and refund totals from its units.

    The units already carry the parcel's return-window and reason verdicts, so a neutral parcel
    proposal is passed: the units decide; a flagged parcel is never an automatic refund.
    """
    decision = inspection.decision or {}
    neutral = Decision(
        grade=Grade.A, disposition=Disposition.RESTOCK, recommendation=Recommendation.FULL_REFUND,
        deduction_pct=0, flag=bool(inspection.flags), flag_reasons=(), fired_rules=(),
        explanation=(), policy_version=inspection.policy_version or "", platform={},
    )
    totals = parcel_totals([UnitOutcome(u, None) for u in inspection.units], neutral)
    inspection.grade = totals["grade"]
    inspection.disposition = totals["disposition"]
    inspection.recommendation = totals["recommendation"]
    inspection.deduction_pct = totals["deduction_pct"]
    inspection.decision = {**decision, "grade": totals["grade"],
                           "disposition": totals["disposition"],
                           "recommendation": totals["recommendation"],
                           "deduction_pct": totals["deduction_pct"], "totals": totals}
    return totals
