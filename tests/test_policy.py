"""Default policy decisions: grades, dispositions, refunds, flags and platform values."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest

from station.policy import (
    MERCHANT_FAULT_GUARD_ID,
    Checklist,
    PolicyInput,
    default_policy,
    evaluate,
    platform_for_missing_item,
)
from station.returns.rules.types import Verdict
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

POLICY = default_policy()
R = ReturnReason
Sev = DefectSeverity

NEW = Checklist()
OPENED = Checklist(original_packaging_opened=True, function_test=FunctionTest.PASSED)
SCRATCHED = Checklist(original_packaging_opened=True, signs_of_use=True,
                      defects={DefectKind.SCRATCHES: Sev.MINOR})
STAINED = Checklist(original_packaging_opened=True, signs_of_use=True,
                    defects={DefectKind.STAINS: Sev.MODERATE})
NO_MANUAL = Checklist(accessories_missing=("manual",))
CRACKED = Checklist(signs_of_use=True, defects={DefectKind.BREAKAGE: Sev.MODERATE})
DEAD = Checklist(original_packaging_opened=True, function_test=FunctionTest.FAILED)
NO_CHARGER = Checklist(original_packaging_opened=True, accessories_missing=("charger",))
TORN_BOX = Checklist(packaging_intact=False)


def decide(reason: ReturnReason, checklist: Checklist, **kwargs: object) -> dict[str, object]:
    item = PolicyInput(reason=reason, checklist=checklist, **kwargs)  # type: ignore[arg-type]
    return evaluate(POLICY, item).to_dict()


@pytest.mark.parametrize(
    ("checklist", "category", "grade"),
    [
        (NEW, "apparel", "A"),
        (OPENED, "apparel", "B"),
        (TORN_BOX, "apparel", "B"),
        (SCRATCHED, "apparel", "B"),
        (STAINED, "apparel", "C"),
        (NO_MANUAL, "electronics", "C"),
        (CRACKED, "apparel", "D"),
        (DEAD, "apparel", "D"),
        (NO_CHARGER, "electronics", "D"),  # essential accessory
        (NO_CHARGER, "apparel", "C"),  # a charger is not essential to apparel
        (Checklist(defects={DefectKind.FADING: Sev.SEVERE}), "apparel", "D"),
    ],
)
def test_checklist_earns_its_grade(checklist: Checklist, category: str, grade: str) -> None:
    decision = decide(R.SIZE_MISMATCH, checklist, category=category)
    assert decision["grade"] == grade
    assert decision["fired_rules"][0] == f"grade.{grade}"  # type: ignore[index]


@pytest.mark.parametrize(
    ("checklist", "reason", "price", "days", "disposition"),
    [
        (NEW, R.NO_REASON, None, None, Disposition.RESTOCK),
        (OPENED, R.NO_REASON, None, None, Disposition.OPEN_BOX),
        (STAINED, R.OTHER, Decimal("80"), None, Disposition.REFURBISH),
        (STAINED, R.OTHER, Decimal("20"), None, Disposition.LIQUIDATE),
        (STAINED, R.OTHER, None, None, Disposition.LIQUIDATE),
        (DEAD, R.QUALITY_DEFECT, Decimal("30"), 40, Disposition.RETURN_TO_VENDOR),
        (DEAD, R.QUALITY_DEFECT, Decimal("30"), 400, Disposition.SCRAP),  # past vendor terms
        (DEAD, R.QUALITY_DEFECT, Decimal("5"), 40, Disposition.SCRAP),  # too cheap for RTV
        (DEAD, R.QUALITY_DEFECT, Decimal("30"), None, Disposition.SCRAP),  # terms unknown
        (DEAD, R.DAMAGED_IN_TRANSIT, Decimal("30"), 40, Disposition.SCRAP),
    ],
)
def test_disposition_follows_grade_reason_and_vendor_terms(
    checklist: Checklist, reason: ReturnReason, price: Decimal | None, days: int | None,
    disposition: Disposition,
) -> None:
    decision = decide(reason, checklist, price=price, days_since_delivery=days)
    assert decision["disposition"] == disposition.value


@pytest.mark.parametrize("reason", sorted(MERCHANT_FAULT_REASONS))
@pytest.mark.parametrize("checklist", [NEW, OPENED, STAINED, NO_MANUAL, CRACKED, DEAD])
def test_merchant_fault_never_gets_a_deduction(reason: ReturnReason, checklist: Checklist) -> None:
    decision = decide(reason, checklist, category="electronics")
    assert (decision["recommendation"], decision["deduction_pct"]) == ("full_refund", 0)
    exchange = decide(reason, checklist, requested_resolution="exchange")
    assert (exchange["recommendation"], exchange["deduction_pct"]) == ("exchange", 0)


@pytest.mark.parametrize(
    ("reason", "checklist", "recommendation", "deduction"),
    [
        (R.NO_REASON, NEW, "full_refund", 0),
        (R.NO_REASON, OPENED, "partial_refund", 10),  # grade B
        (R.SIZE_MISMATCH, STAINED, "partial_refund", 25),  # grade C
        (R.OTHER, NO_MANUAL, "partial_refund", 30),  # grade C 25 + one accessory 5
        (R.NO_REASON, CRACKED, "partial_refund", 50),  # grade D
        (R.OTHER, Checklist(signs_of_use=True, function_test=FunctionTest.FAILED,
                            accessories_missing=("a", "b", "c")), "partial_refund", 60),  # cap
        (R.SIZE_MISMATCH, TORN_BOX, "full_refund", 0),  # damaged box, item unused
    ],
)
def test_customer_reasons_may_deduct_for_used_or_incomplete_items(
    reason: ReturnReason, checklist: Checklist, recommendation: str, deduction: int
) -> None:
    decision = decide(reason, checklist)
    assert (decision["recommendation"], decision["deduction_pct"]) == (recommendation, deduction)
    assert decision["flag"] is False


def test_a_partial_refund_explains_its_deduction() -> None:
    decision = decide(R.OTHER, NO_MANUAL)
    assert decision["fired_rules"] == ["grade.C", "disposition.c_liquidate",
                                       "refund.partial_incomplete"]
    assert decision["explanation"][-1] == (  # type: ignore[index]
        "Partial refund: accessories missing (manual), 30% deducted.")


def test_exchange_requested_for_a_resellable_size_mismatch() -> None:
    assert decide(R.SIZE_MISMATCH, OPENED, requested_resolution="exchange")[
        "recommendation"] == "exchange"
    assert decide(R.SIZE_MISMATCH, STAINED, requested_resolution="exchange")[
        "recommendation"] == "partial_refund"


def _failed(rule: str, code: str) -> Verdict:
    return Verdict(rule, False, code, f"{rule} failed", {})


@pytest.mark.parametrize(
    ("kwargs", "recommendation", "flag_reason"),
    [
        ({"failed_verdicts": (_failed("item.match", "gtin_mismatch"),)}, "escalate",
         "verification_failed"),
        ({"failed_verdicts": (_failed("item.quantity", "quantity_short"),)}, "escalate",
         "verification_failed"),
        ({"failed_verdicts": (_failed("item.serial", "serial_duplicate"),)}, "escalate",
         "verification_failed"),
        ({"failed_verdicts": (_failed("parcel.weight", "over_tolerance"),)}, "escalate",
         "verification_failed"),
        ({"failed_verdicts": (_failed("items.extra", "extra_items"),)}, "escalate",
         "verification_failed"),
        ({"failed_verdicts": (_failed("items.missing", "items_missing"),)}, "escalate",
         "verification_failed"),
        ({"failed_verdicts": (_failed("return.window", "delivery_unknown"),)}, "escalate",
         "window_unknown"),
        ({"failed_verdicts": (_failed("return.window", "outside_window"),)}, "deny",
         "outside_window"),
        ({"unexpected_parcel": True}, "escalate", "unexpected_parcel"),
        ({"manual_weight": True}, "escalate", "manual_weight"),
        ({"operator_override": True}, "full_refund", "operator_override"),
    ],
)
@pytest.mark.parametrize("reason", [R.NO_REASON, R.QUALITY_DEFECT])
def test_failed_checks_flag_and_escalate_or_deny(
    kwargs: dict[str, object], recommendation: str, flag_reason: str, reason: ReturnReason
) -> None:
    decision = decide(reason, NEW, **kwargs)
    assert decision["recommendation"] == recommendation
    assert decision["flag"] is True and flag_reason in decision["flag_reasons"]  # type: ignore[operator]
    assert decision["deduction_pct"] == 0


def test_passing_verdicts_do_not_count_as_failures() -> None:
    passing = Verdict("parcel.weight", True, "within_tolerance", "ok", {})
    assert decide(R.NO_REASON, NEW, failed_verdicts=(passing,))["flag"] is False


def test_a_claimed_defect_that_is_not_there_is_flagged_but_still_refunded_in_full() -> None:
    decision = decide(R.QUALITY_DEFECT, OPENED)
    assert decision["flag_reasons"] == ["claimed_defect_not_found"]
    assert (decision["recommendation"], decision["deduction_pct"]) == ("full_refund", 0)


@pytest.mark.parametrize("reason", list(ReturnReason))
@pytest.mark.parametrize(
    ("checklist", "grade"), [(NEW, Grade.A), (OPENED, Grade.B), (STAINED, Grade.C),
                             (DEAD, Grade.D)],
)
def test_every_reason_and_grade_gets_a_complete_serialisable_decision(
    reason: ReturnReason, checklist: Checklist, grade: Grade
) -> None:
    decision = evaluate(POLICY, PolicyInput(reason=reason, checklist=checklist))
    assert decision.grade == grade
    if reason in MERCHANT_FAULT_REASONS:
        assert decision.recommendation == Recommendation.FULL_REFUND
    assert decision.deduction_pct == 0 or decision.recommendation == Recommendation.PARTIAL_REFUND
    assert len(decision.explanation) == len(decision.fired_rules)
    assert all(sentence.endswith(".") and "{" not in sentence
               for sentence in decision.explanation)
    assert decision.policy_version == "2026.12-4"
    assert set(decision.platform) == {"shopify_disposition", "loop_condition",
                                      "amazon_condition", "ctia_grade", "loop_outcome"}
    assert json.loads(json.dumps(decision.to_dict())) == decision.to_dict()


@pytest.mark.parametrize(
    ("reason", "checklist", "shopify", "loop", "amazon", "ctia", "outcome"),
    [
        (R.NO_REASON, NEW, "RESTOCKED", "grade_a", "SELLABLE", "A", "back_to_stock"),
        (R.NO_REASON, OPENED, "PROCESSING_REQUIRED", "grade_b", "SELLABLE", "B", "back_to_stock"),
        (R.NO_REASON, SCRATCHED, "PROCESSING_REQUIRED", "grade_b", "SELLABLE", "B",
         "back_to_stock"),
        (R.OTHER, STAINED, "NOT_RESTOCKED", "grade_c", "CUSTOMER_DAMAGED", "C", "resale_hold"),
        (R.DAMAGED_IN_TRANSIT, CRACKED, "NOT_RESTOCKED", "grade_d", "CARRIER_DAMAGED", "C",
         "recycle"),
        (R.QUALITY_DEFECT, DEAD, "NOT_RESTOCKED", "grade_d", "DEFECTIVE", "B", "recycle"),
        (R.NO_REASON, DEAD, "NOT_RESTOCKED", "grade_d", "DEFECTIVE", "B", "recycle"),
        (R.SIZE_MISMATCH, Checklist(defects={DefectKind.BREAKAGE: Sev.SEVERE}),
         "NOT_RESTOCKED", "grade_d", "CUSTOMER_DAMAGED", "D", "recycle"),
    ],
)
def test_platform_values_follow_the_mapping_tables(
    reason: ReturnReason, checklist: Checklist, shopify: str, loop: str, amazon: str, ctia: str,
    outcome: str,
) -> None:
    assert decide(reason, checklist)["platform"] == {
        "shopify_disposition": shopify, "loop_condition": loop, "amazon_condition": amazon,
        "ctia_grade": ctia, "loop_outcome": outcome,
    }


def test_a_missing_item_is_missing_on_shopify_and_loop() -> None:
    assert platform_for_missing_item() == {"shopify_disposition": "MISSING",
                                           "loop_outcome": "missing"}


def test_code_guard_keeps_merchant_fault_free_even_if_a_policy_slipped_past_the_loader() -> None:
    rogue_rule = POLICY.refund_rules[-1].model_copy(
        update={"recommendation": Recommendation.PARTIAL_REFUND})
    rogue = POLICY.model_copy(update={"refund_rules": (rogue_rule,)})
    decision = evaluate(rogue, PolicyInput(reason=R.NOT_AS_DESCRIBED, checklist=STAINED))
    assert (decision.recommendation, decision.deduction_pct) == (Recommendation.FULL_REFUND, 0)
    assert decision.fired_rules[-1] == MERCHANT_FAULT_GUARD_ID
    customer = evaluate(rogue, dataclasses.replace(
        PolicyInput(reason=R.NOT_AS_DESCRIBED, checklist=STAINED), reason=R.NO_REASON))
    assert (customer.recommendation, customer.deduction_pct) == (
        Recommendation.PARTIAL_REFUND, 25)
