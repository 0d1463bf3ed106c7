"""Bridges stored inspections to the pure rules and policy: inputs out of rows, decisions back in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from station.db.models import ExpectedItem, Inspection, InspectionUnit, Scan
from station.policy import Checklist, Decision, Policy, PolicyInput
from station.policy import evaluate as evaluate_policy
from station.returns.errors import DomainError
from station.returns.rules import expected_parcel_weight_g, line_allowance_g, verify_return
from station.returns.rules.types import ExpectedLine, ScannedItem, Verdict, WeightTolerance
from station.vocabulary import (
    MERCHANT_FAULT_REASONS,
    DefectKind,
    DefectSeverity,
    Disposition,
    FunctionTest,
    Grade,
    Recommendation,
    ReturnReason,
)

if TYPE_CHECKING:
    from station.returns.workflow import ReturnSettings


def _grams(mg: int | None) -> Decimal | None:
    return None if mg is None else Decimal(mg) / 1000


def expected_line(item: ExpectedItem) -> ExpectedLine:
    """One stored RMA line as a rule input."""
    return ExpectedLine(
        line_id=item.line_id,
        sku=item.sku,
        gtin=item.gtin,
        description=item.description,
        quantity=item.quantity,
        serials=tuple(item.expected_serials),
        unit_weight_g=_grams(item.unit_weight_mg),
        weight_tolerance_g=_grams(item.weight_tolerance_mg),
        weight_tolerance_pct=(
            None if item.weight_tolerance_pct is None else Decimal(str(item.weight_tolerance_pct))
        ),
        category=item.category,
        accessories=tuple(item.accessories),
    )


def expected_lines(inspection: Inspection) -> list[ExpectedLine]:
    """The RMA's lines (none for an unexpected parcel)."""
    return [expected_line(i) for i in inspection.rma.items] if inspection.rma else []


def expected_weight_mg(items: Sequence[ExpectedItem], settings: ReturnSettings) -> int | None:
    """The parcel weight the rules expect (lines + packaging allowance); None when one is unknown."""
    grams = expected_parcel_weight_g(
        [expected_line(i) for i in items], Decimal(str(settings.packaging_allowance_g))
    )
    return None if grams is None else int(grams * 1000)


def default_tolerance(settings: ReturnSettings) -> WeightTolerance:
    """The station's weight tolerance for lines without their own."""
    return WeightTolerance(abs_g=Decimal(str(settings.weight_tolerance_g)),
                           pct=Decimal(str(settings.weight_tolerance_pct)))


def weight_allowance_mg(inspection: Inspection, settings: ReturnSettings) -> int | None:
    """The ± band the parcel-weight rule allows around the expected weight (None when unknown)."""
    if inspection.expected_weight_mg is None:
        return None
    default = default_tolerance(settings)
    grams = sum((line_allowance_g(line, default) for line in expected_lines(inspection)), Decimal(0))
    return int(grams * 1000)


def scanned_items(scans: Sequence[Scan]) -> list[ScannedItem]:
    """The scans of an inspection as rule inputs."""
    return [ScannedItem(raw=s.raw, gtin=s.gtin, sku=s.sku, serial=s.serial) for s in scans]


def checklist_to_dict(checklist: Checklist) -> dict[str, Any]:
    """JSON form of the checklist, stored on the inspection."""
    return {
        "packaging_intact": checklist.packaging_intact,
        "original_packaging_opened": checklist.original_packaging_opened,
        "accessories_missing": list(checklist.accessories_missing),
        "defects": {k.value: v.value for k, v in checklist.defects.items()},
        "function_test": checklist.function_test.value,
        "signs_of_use": checklist.signs_of_use,
    }


def checklist_from_dict(data: dict[str, Any]) -> Checklist:
    """The stored checklist back as a policy input."""
    return Checklist(
        packaging_intact=bool(data.get("packaging_intact", True)),
        original_packaging_opened=bool(data.get("original_packaging_opened", False)),
        accessories_missing=tuple(data.get("accessories_missing", ())),
        defects={DefectKind(k): DefectSeverity(v) for k, v in data.get("defects", {}).items()},
        function_test=FunctionTest(data.get("function_test", FunctionTest.NOT_TESTED.value)),
        signs_of_use=bool(data.get("signs_of_use", False)),
    )


def checklist_answers(checklist: Checklist) -> dict[str, tuple[str, str | None]]:
    """One (answer, severity) per checklist question, for the checklist_answer rows."""
    answers: dict[str, tuple[str, str | None]] = {
        "packaging_intact": ("yes" if checklist.packaging_intact else "no", None),
        "original_packaging_opened": (
            "yes" if checklist.original_packaging_opened else "no", None
        ),
        "accessories_missing": (",".join(checklist.accessories_missing) or "none", None),
        "function_test": (checklist.function_test.value, None),
        "signs_of_use": ("yes" if checklist.signs_of_use else "no", None),
        "notes": ("see note", None),
    }
    for kind in DefectKind:
        severity = checklist.defects.get(kind, DefectSeverity.NONE)
        answers[f"defect.{kind.value}"] = (
            "no" if severity == DefectSeverity.NONE else "yes", severity.value
        )
    return answers


def evaluate(
    inspection: Inspection, policy: Policy, settings: ReturnSettings, now: datetime
) -> tuple[list[Verdict], PolicyInput, Decision]:
    """Every verification verdict, the parcel as a policy input, and the parcel's decision."""
    lines = expected_lines(inspection)
    scans = scanned_items(inspection.scans)
    rma = inspection.rma
    reason = ReturnReason(rma.reason) if rma else ReturnReason.OTHER
    verdicts: list[Verdict] = []
    if rma is not None:
        verdicts = verify_return(
            lines,
            scans,
            reason,
            _grams(inspection.measured_weight_mg),
            rma.delivered_at,
            inspection.received_at,
            default_tolerance(settings),
            packaging_allowance_g=Decimal(str(settings.packaging_allowance_g)),
            no_reason_window_days=settings.no_reason_window_days,
            window_days=settings.default_window_days,
        )
    parcel = policy_input(inspection, verdicts)
    return verdicts, parcel, evaluate_policy(policy, parcel)


def policy_input(inspection: Inspection, verdicts: list[Verdict]) -> PolicyInput:
    """The parcel as one policy input (its first line's category, all lines' price)."""
    rma = inspection.rma
    reason = ReturnReason(rma.reason) if rma else ReturnReason.OTHER
    items = rma.items if rma else []
    prices = [Decimal(i.price_minor) / 100 * i.quantity for i in items if i.price_minor is not None]
    days = (
        (inspection.received_at - rma.delivered_at).days
        if rma is not None and rma.delivered_at is not None else None
    )
    return PolicyInput(
        reason=reason,
        checklist=checklist_from_dict(inspection.checklist),
        category=items[0].category if items else "",
        price=sum(prices, Decimal(0)) if prices else None,
        unexpected_parcel=inspection.unexpected,
        failed_verdicts=tuple(v for v in verdicts if not v.ok),
        manual_weight=inspection.weight_source == "manual",
        operator_override=False,
        requested_resolution="exchange" if rma and rma.requested_resolution == "exchange"
        else "refund",
        days_since_delivery=days,
    )


def apply_decision(inspection: Inspection, decision: Decision, totals: dict[str, Any],
                   units: Sequence[InspectionUnit]) -> None:
    """Store the proposal: the parcel's rules and flags, its units' totals and their reasons."""
    standing = [f for f in inspection.flags if f in ("unexpected_parcel", "manual_weight")]
    unit_flags = {f for u in units for f in u.flags}
    inspection.flags = sorted({*standing, *decision.flag_reasons, *unit_flags})
    inspection.grade = totals["grade"]
    inspection.disposition = totals["disposition"]
    inspection.recommendation = totals["recommendation"]
    inspection.deduction_pct = totals["deduction_pct"]
    inspection.policy_version = decision.policy_version
    explanation = list(decision.explanation)
    fired = list(decision.fired_rules)
    for unit in units:
        for rule, text in zip(unit.decision.get("fired_rules", []),
                              unit.decision.get("explanation", []), strict=False):
            if rule not in fired:
                fired.append(rule)
                explanation.append(text)
    inspection.decision = {**decision.to_dict(), "grade": totals["grade"],
                           "disposition": totals["disposition"],
                           "recommendation": totals["recommendation"],
                           "deduction_pct": totals["deduction_pct"],
                           "flag": bool(inspection.flags),
                           "flag_reasons": list(inspection.flags),
                           "fired_rules": fired, "explanation": explanation,
                           "totals": totals}


def apply_override(inspection: Inspection, override: dict[str, Any], policy: Policy) -> None:
    """Replace grade / disposition / recommendation by a person's choice; a reason is required."""
    reason = str(override.get("reason", "")).strip()
    if not reason:
        raise DomainError("reason_required", "an override needs a reason")
    changes: dict[str, Any] = {}
    try:
        if override.get("grade"):
            changes["grade"] = Grade(override["grade"]).value
        if override.get("disposition"):
            changes["disposition"] = Disposition(override["disposition"]).value
        if override.get("recommendation"):
            changes["recommendation"] = Recommendation(override["recommendation"]).value
        if override.get("deduction_pct") not in (None, ""):
            pct = int(override["deduction_pct"])
            if not 0 <= pct <= 100:
                raise ValueError("deduction_pct must be 0-100")
            changes["deduction_pct"] = pct
    except ValueError as exc:
        raise DomainError("bad_override", f"override not understood: {exc}") from exc
    if not changes:
        raise DomainError("bad_override", "an override must change grade, disposition or refund")
    rma = inspection.rma
    merchant_fault = rma is not None and ReturnReason(rma.reason) in MERCHANT_FAULT_REASONS
    if merchant_fault and changes.get("deduction_pct", 0) > 0:
        raise DomainError(
            "merchant_fault_deduction",
            "no deduction is allowed when the reason is the merchant's fault",
        )
    before = {k: getattr(inspection, k) for k in changes}
    for key, value in changes.items():
        setattr(inspection, key, value)
    if "recommendation" in changes and changes["recommendation"] != "partial_refund":
        inspection.deduction_pct = changes.get("deduction_pct", 0)
    inspection.override = {"before": before, "after": changes, "reason": reason[:2000],
                           "policy_version": policy.version}

