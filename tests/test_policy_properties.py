"""Property tests of the default policy: every input gets a decision that keeps the guarantees."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from station.policy import Checklist, PolicyInput, default_policy, evaluate
from station.returns.rules.types import Verdict
from station.vocabulary import (
    MERCHANT_FAULT_REASONS,
    DefectKind,
    DefectSeverity,
    FunctionTest,
    Recommendation,
    ReturnReason,
)

POLICY = default_policy()

checklists = st.builds(
    Checklist,
    packaging_intact=st.booleans(), original_packaging_opened=st.booleans(),
    accessories_missing=st.lists(st.sampled_from(["charger", "manual", "cable", "case"]),
                                 max_size=4, unique=True).map(tuple),
    defects=st.dictionaries(st.sampled_from(list(DefectKind)), st.sampled_from(
        list(DefectSeverity))),
    function_test=st.sampled_from(list(FunctionTest)), signs_of_use=st.booleans(),
)
verdicts = st.builds(
    Verdict,
    rule=st.sampled_from(["item.match", "item.quantity", "item.serial", "parcel.weight",
                          "return.window", "return.reason", "items.extra", "items.missing"]),
    ok=st.booleans(),
    code=st.sampled_from(["gtin_mismatch", "outside_window", "delivery_unknown",
                          "over_tolerance", "extra_items"]),
    detail=st.just("detail"),
)
inputs = st.builds(
    PolicyInput,
    reason=st.sampled_from(list(ReturnReason)), checklist=checklists,
    category=st.sampled_from(["", "electronics", "apparel", "phones"]),
    price=st.one_of(st.none(), st.decimals(0, 5000, places=2)),
    unexpected_parcel=st.booleans(), failed_verdicts=st.lists(verdicts, max_size=3).map(tuple),
    manual_weight=st.booleans(), operator_override=st.booleans(),
    requested_resolution=st.sampled_from(["refund", "exchange"]),
    days_since_delivery=st.one_of(st.none(), st.integers(0, 1000)),
)


@settings(max_examples=200, deadline=None)
@given(inputs)
def test_every_input_gets_a_decision_that_keeps_the_guarantees(item: PolicyInput) -> None:
    decision = evaluate(POLICY, item)
    if item.reason in MERCHANT_FAULT_REASONS:
        assert decision.deduction_pct == 0
        assert decision.recommendation != Recommendation.PARTIAL_REFUND
    if decision.recommendation == Recommendation.PARTIAL_REFUND:
        assert 0 < decision.deduction_pct <= 60
    else:
        assert decision.deduction_pct == 0
    failed_check = any(not v.ok and v.rule != "return.window" for v in item.failed_verdicts)
    if failed_check or item.unexpected_parcel or item.manual_weight:
        assert decision.flag and decision.recommendation == Recommendation.ESCALATE
    assert decision.flag == bool(decision.flag_reasons)
    assert len(decision.explanation) == len(decision.fired_rules)
    assert json.loads(json.dumps(decision.to_dict()))["grade"] == decision.grade.value
