"""Policy evaluator: PolicyInput -> Decision by walking the policy's rules in order (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from station.policy.inputs import Checklist, Decision, PolicyInput, severity_rank
from station.policy.model import GradeCriteria, Policy, RestockingFeeRule, Sop, When
from station.vocabulary import (
    MERCHANT_FAULT_REASONS,
    DefectSeverity,
    Disposition,
    Grade,
    Recommendation,
    UnitState,
)

#: Rule id recorded when the code-level guarantee (no deduction on merchant fault) steps in.
MERCHANT_FAULT_GUARD_ID = "guard.merchant_fault_no_deduction"
#: Rule id recorded when an undeclared (wrong or extra) item is held and escalated.
UNDECLARED_GUARD_ID = "guard.undeclared_hold"
#: Rule id recorded when a restocking-fee rule matched a merchant-fault reason and was refused.
MERCHANT_FAULT_FEE_GUARD_ID = "guard.merchant_fault_no_restocking_fee"
#: Recommendations a restocking fee may be charged on (never exchange, deny or escalate).
FEE_RECOMMENDATIONS = frozenset({Recommendation.FULL_REFUND, Recommendation.PARTIAL_REFUND})
#: Shopify value for an expected item that never arrived (reported by the workflow per line).
SHOPIFY_MISSING = "MISSING"


@dataclass(frozen=True)
class _Facts:
    """What conditions are tested against; disposition and flagged fill in as stages run."""

    item: PolicyInput
    grade: Grade
    within_vendor_terms: bool
    essential_missing: bool
    flagged: bool = False
    disposition: Disposition | None = None


def is_used(checklist: Checklist) -> bool:
    """Opened, showing signs of use, or carrying any defect."""
    return (
        checklist.original_packaging_opened
        or checklist.signs_of_use
        or checklist.worst_defect() != DefectSeverity.NONE
    )


def within_vendor_terms(policy: Policy, item: PolicyInput) -> bool:
    """Does the vendor take this item back under the policy's vendor terms?"""
    terms = policy.vendor_terms
    if item.reason not in terms.reasons:
        return False
    if terms.categories and item.category not in terms.categories:
        return False
    if terms.max_days_since_delivery is not None and (
        item.days_since_delivery is None or item.days_since_delivery > terms.max_days_since_delivery
    ):
        return False
    return terms.min_price is None or (item.price is not None and item.price >= terms.min_price)


def _holds(when: When, facts: _Facts) -> bool:
    item, checklist = facts.item, facts.item.checklist
    failed = item.failed()
    checks: list[bool] = []
    if when.reason is not None:
        checks.append(item.reason in when.reason)
    if when.merchant_fault is not None:
        checks.append((item.reason in MERCHANT_FAULT_REASONS) == when.merchant_fault)
    if when.grade is not None:
        checks.append(facts.grade in when.grade)
    if when.disposition is not None:
        checks.append(facts.disposition in when.disposition)
    if when.category is not None:
        checks.append(item.category in when.category)
    if when.min_price is not None:
        checks.append(item.price is not None and item.price >= when.min_price)
    if when.max_price is not None:
        checks.append(item.price is not None and item.price <= when.max_price)
    if when.within_vendor_terms is not None:
        checks.append(facts.within_vendor_terms == when.within_vendor_terms)
    if when.requested_resolution is not None:
        checks.append(item.requested_resolution in when.requested_resolution)
    if when.failed_rule is not None:
        checks.append(any(v.rule in when.failed_rule for v in failed))
    if when.failed_code is not None:
        checks.append(any(v.code in when.failed_code for v in failed))
    if when.unexpected_parcel is not None:
        checks.append(item.unexpected_parcel == when.unexpected_parcel)
    if when.manual_weight is not None:
        checks.append(item.manual_weight == when.manual_weight)
    if when.operator_override is not None:
        checks.append(item.operator_override == when.operator_override)
    if when.flagged is not None:
        checks.append(facts.flagged == when.flagged)
    if when.used is not None:
        checks.append(is_used(checklist) == when.used)
    if when.incomplete is not None:
        checks.append(bool(checklist.accessories_missing) == when.incomplete)
    if when.function_test is not None:
        checks.append(checklist.function_test in when.function_test)
    if when.worst_defect is not None:
        checks.append(checklist.worst_defect() in when.worst_defect)
    if when.undeclared is not None:
        checks.append(item.undeclared == when.undeclared)
    if when.unit_state is not None:
        checks.append(item.unit_state in when.unit_state)
    return all(checks)


def _earns(criteria: GradeCriteria, checklist: Checklist, essential_missing: bool) -> bool:
    """Does the checklist meet every criterion of one grade?"""
    if criteria.require_packaging_intact and not checklist.packaging_intact:
        return False
    if checklist.original_packaging_opened and not criteria.allow_opened:
        return False
    if checklist.signs_of_use and not criteria.allow_signs_of_use:
        return False
    if severity_rank(checklist.worst_defect()) > severity_rank(criteria.max_defect_severity):
        return False
    for kind, limit in criteria.max_severity_by_kind.items():
        seen = checklist.defects.get(kind, DefectSeverity.NONE)
        if severity_rank(seen) > severity_rank(limit):
            return False
    if len(checklist.accessories_missing) > criteria.max_missing_accessories:
        return False
    if essential_missing and not criteria.allow_missing_essential:
        return False
    return checklist.function_test in criteria.function_test


def grade_item(policy: Policy, item: PolicyInput) -> tuple[Grade, str]:
    """(grade, explain template): the first of A, B, C whose criteria hold, else D."""
    essential = set(policy.essential_accessories.get(item.category, ()))
    essential_missing = bool(essential & set(item.checklist.accessories_missing))
    grades = policy.grades
    for grade, criteria in ((Grade.A, grades.A), (Grade.B, grades.B), (Grade.C, grades.C)):
        if _earns(criteria, item.checklist, essential_missing):
            return grade, criteria.explain
    return Grade.D, grades.D.explain


def _deduction_pct(policy: Policy, item: PolicyInput, grade: Grade) -> int:
    rates = policy.deductions
    by_grade = {Grade.A: rates.grade_pct.A, Grade.B: rates.grade_pct.B,
                Grade.C: rates.grade_pct.C, Grade.D: rates.grade_pct.D}[grade]
    accessories = rates.per_missing_accessory_pct * len(item.checklist.accessories_missing)
    return min(by_grade + accessories, rates.max_pct)


def _first(rules: Sequence[tuple[When, str]], facts: _Facts) -> str:
    return next(value for when, value in rules if _holds(when, facts))


def _restocking_fee_rule(policy: Policy, item: PolicyInput, facts: _Facts,
                        recommendation: Recommendation) -> tuple[RestockingFeeRule | None, bool]:
    """(the first fee rule that holds or None, whether the merchant-fault guard refused one).

    Code-level guarantees: no fee unless the refund is full or partial, never for an undeclared
    or a missing unit, never on a merchant-fault reason (the loader refuses such rules too).
    """
    if (recommendation not in FEE_RECOMMENDATIONS or item.undeclared
            or item.unit_state is UnitState.MISSING):
        return None, False
    rule = next((r for r in policy.restocking_fees if _holds(r.when, facts)), None)
    if rule is not None and item.reason in MERCHANT_FAULT_REASONS:
        return None, True
    return rule, False


def evaluate(policy: Policy, item: PolicyInput, sop: Sop | None = None) -> Decision:
    """Grade, flag, dispose, recommend and map to platforms, in that order, from the policy.

    A unit's ``sop`` may replace the disposition: its default one when the unit is clean (grade
    A, no flag), its backup one when a check failed; never for an undeclared item (held).
    """
    essential = set(policy.essential_accessories.get(item.category, ()))
    grade, grade_explain = grade_item(policy, item)
    facts = _Facts(item, grade, within_vendor_terms(policy, item),
                   bool(essential & set(item.checklist.accessories_missing)))
    fired: list[tuple[str, str]] = [(f"grade.{grade.value}", grade_explain)]

    flag_reasons: list[str] = []
    for flag_rule in policy.flag_rules:
        if _holds(flag_rule.when, facts):
            fired.append((flag_rule.id, flag_rule.explain))
            if flag_rule.flag_reason not in flag_reasons:
                flag_reasons.append(flag_rule.flag_reason)
    facts = _Facts(item, grade, facts.within_vendor_terms, facts.essential_missing,
                   flagged=bool(flag_reasons))

    disposition_rule = next(r for r in policy.disposition_rules if _holds(r.when, facts))
    fired.append((disposition_rule.id, disposition_rule.explain))
    disposition = disposition_rule.disposition
    if item.undeclared:
        # Code-level guarantee: an item not on the return is held until a supervisor decides.
        disposition = Disposition.HOLD
        fired.append((UNDECLARED_GUARD_ID, "An item that is not on the return is held in "
                      "quarantine until a supervisor decides; it is never restocked without one."))
        if "undeclared_item" not in flag_reasons:
            flag_reasons.append("undeclared_item")
    elif sop is not None:
        clean = grade is Grade.A and not flag_reasons
        chosen = sop.default_disposition if clean else sop.backup_disposition
        if chosen is not None and chosen != disposition:
            disposition = chosen
            fired.append(("sop.default_disposition" if clean else "sop.backup_disposition",
                          "The product's procedure sends this item to {disposition}."))
    facts = _Facts(item, grade, facts.within_vendor_terms, facts.essential_missing,
                   flagged=facts.flagged, disposition=disposition)

    refund_rule = next(r for r in policy.refund_rules if _holds(r.when, facts))
    fired.append((refund_rule.id, refund_rule.explain))
    recommendation = refund_rule.recommendation
    deduction = 0
    if item.undeclared:
        recommendation = Recommendation.ESCALATE
        fired.append((UNDECLARED_GUARD_ID, "A supervisor decides the refund for an item that "
                      "is not on the return."))
    elif recommendation == Recommendation.PARTIAL_REFUND:
        deduction = _deduction_pct(policy, item, grade)
        if item.reason in MERCHANT_FAULT_REASONS:
            # Code-level guarantee; the loader already rejects such policies.
            recommendation, deduction = Recommendation.FULL_REFUND, 0
            fired.append((MERCHANT_FAULT_GUARD_ID, "Reason {reason} is the merchant's fault, so "
                          "no deduction is made and the refund is full."))
        elif deduction == 0:
            recommendation = Recommendation.FULL_REFUND
            fired.append(("refund.no_deduction_due", "No deduction is due for grade {grade} "
                          "with nothing missing, so the refund is full."))

    fee_rule, fee_refused = _restocking_fee_rule(policy, item, facts, recommendation)
    if fee_rule is not None:
        fired.append((fee_rule.id, fee_rule.explain))
    elif fee_refused:
        fired.append((MERCHANT_FAULT_FEE_GUARD_ID, "Reason {reason} is the merchant's fault, so "
                      "no restocking fee is charged."))

    platform_rules = policy.platform
    platform = {
        "shopify_disposition": _first([(r.when, r.value) for r in
                                       platform_rules.shopify_disposition], facts),
        "loop_condition": _first([(r.when, r.value) for r in platform_rules.loop_condition],
                                 facts),
        "amazon_condition": _first([(r.when, r.value) for r in platform_rules.amazon_condition],
                                   facts),
        "ctia_grade": _first([(r.when, r.value) for r in platform_rules.ctia_grade], facts),
        "loop_outcome": _first([(r.when, r.value) for r in platform_rules.loop_outcome], facts),
    }
    failed = item.failed()
    fields = {
        "grade": grade.value,
        "reason": item.reason.value,
        "disposition": disposition.value,
        "recommendation": recommendation.value,
        "deduction_pct": str(deduction),
        "category": item.category or "uncategorised",
        "failed": ", ".join(f"{v.rule} ({v.code})" for v in failed) or "none",
        "missing_accessories": ", ".join(item.checklist.accessories_missing) or "none",
        "flag_reasons": ", ".join(flag_reasons) or "none",
        "worst_defect": item.checklist.worst_defect().value,
        "function_test": item.checklist.function_test.value,
        "restocking_fee_pct": str(fee_rule.pct or 0) if fee_rule else "0",
        "restocking_fee_fixed": f"{(fee_rule.fixed_minor or 0) / 100:.2f}" if fee_rule
        else "0.00",
    }
    return Decision(
        grade=grade,
        disposition=disposition,
        recommendation=recommendation,
        deduction_pct=deduction,
        flag=bool(flag_reasons),
        flag_reasons=tuple(flag_reasons),
        fired_rules=tuple(rule_id for rule_id, _ in fired),
        explanation=tuple(template.format_map(fields) for _, template in fired),
        policy_version=policy.version,
        platform=platform,
        restocking_fee_rule=fee_rule.id if fee_rule else None,
        restocking_fee_pct=(fee_rule.pct or 0) if fee_rule else 0,
        restocking_fee_fixed_minor=(fee_rule.fixed_minor or 0) if fee_rule else 0,
        restocking_fee_max_minor=fee_rule.max_minor if fee_rule else None,
    )


def platform_for_missing_item() -> dict[str, str]:
    """Platform values for an expected item that never arrived (items.missing)."""
    return {"shopify_disposition": SHOPIFY_MISSING, "loop_outcome": "missing"}
