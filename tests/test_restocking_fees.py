"""Restocking fees per unit: who pays, how much (minor units, half up, capped), never below 0."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from station.context import StationContext
from station.db.models import OutboxEvent
from station.policy import Checklist, Policy, PolicyError, PolicyInput, evaluate, parse_policy
from station.policy.evaluator import MERCHANT_FAULT_FEE_GUARD_ID
from station.policy.loader import default_policy
from station.returns.rules.types import Verdict
from station.vocabulary import FunctionTest, Recommendation, ReturnReason, UnitState
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.bench import api_key_header, migrated
from tests.test_units import line, to_photos, units_of
from web.api.schemas import InspectionData

SPEAKER = "04006381333931"
LAMP = "96385074"
FEE_RULE = "restocking.opened_electronics"
OPENED = Checklist(original_packaging_opened=True, function_test=FunctionTest.PASSED)
CLEAN = Checklist(function_test=FunctionTest.PASSED)
#: Rules appended to the shipped policy (after its electronics rule, so first match still holds).
EXTRA_RULES = """
[[restocking_fees]]
id = "restocking.toys_capped"
when = { merchant_fault = false, category = ["toys"], unit_state = ["opened"] }
pct = 10
fixed_minor = 500
max_minor = 1200
explain = "Restocking fee: {restocking_fee_pct}% plus {restocking_fee_fixed}, at most 12.00."

[[restocking_fees]]
id = "restocking.gadgets_flat"
when = { merchant_fault = false, category = ["gadgets"] }
fixed_minor = 10000
explain = "Restocking fee: a flat {restocking_fee_fixed}."
"""


def shipped_text() -> str:
    return resources.files("station.policy").joinpath("default_policy.toml").read_text("utf-8")


@pytest.fixture
def fee_ctx(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    """The station on the shipped policy plus two more fee rules (toys capped, gadgets flat)."""
    policy = tmp_path / "policy.toml"
    policy.write_text(shipped_text() + EXTRA_RULES, encoding="utf-8")
    context = migrated(make_settings(tmp_path, database_url, policy={"path": str(policy)}))
    yield context
    context.close()


def grade_units(ctx: StationContext, iid: str, answers: list[tuple[str, Checklist | None]]) -> None:
    """Give each unit its state (and its checklist unless sealed), then grade."""
    for unit, (state, checklist) in zip(units_of(ctx, iid), answers, strict=False):
        ctx.inspections.record_unit_state(iid, unit.id, state, "op")
        if checklist is not None:
            ctx.inspections.record_checklist(iid, checklist, "op", unit_id=unit.id)
    ctx.inspections.grade(iid, "op")


def test_an_opened_electronics_unit_returned_for_no_reason_pays_15_percent(
        ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-F1", items=[line("1", SPEAKER, "89.99", category="electronics")])
    iid = to_photos(ctx, "RMA-F1", [SPEAKER], 300)
    grade_units(ctx, iid, [("opened", OPENED)])
    (unit,) = units_of(ctx, iid)
    assert (unit.grade, unit.recommendation, unit.deduction_pct) == ("B", "partial_refund", 10)
    # 89.99 x 90 % = 80.991 -> 80.99; fee 15 % of 89.99 = 13.4985 -> 13.50; 80.99 - 13.50
    assert unit.decision["restocking_fee_minor"] == 1350
    assert unit.refund_minor == 8099 - 1350 == 6749
    assert unit.decision["restocking_fee_rule"] == FEE_RULE
    assert unit.decision["restocking_fee_pct"] == 15
    assert FEE_RULE in unit.decision["fired_rules"]
    assert ("Restocking fee: an opened electronics item returned for no_reason pays 15% of its "
            "price.") in unit.decision["explanation"]
    totals = ctx.inspections.get(iid).decision["totals"]
    assert (totals["restocking_fee_total_minor"], totals["refund_total_minor"]) == (1350, 6749)


def test_a_quality_defect_return_pays_no_fee(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-F2", reason="quality_defect",
             items=[line("1", SPEAKER, "89.99", category="electronics")])
    iid = to_photos(ctx, "RMA-F2", [SPEAKER], 300)
    grade_units(ctx, iid, [("opened", OPENED)])
    (unit,) = units_of(ctx, iid)
    assert (unit.recommendation, unit.refund_minor) == ("full_refund", 8999)
    assert unit.decision["restocking_fee_minor"] == 0
    assert unit.decision["restocking_fee_rule"] is None
    assert FEE_RULE not in unit.decision["fired_rules"]
    assert ctx.inspections.get(iid).decision["totals"]["restocking_fee_total_minor"] == 0


def test_sealed_and_missing_units_pay_none_and_the_parcel_total_sums_the_fees(
        ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-F3", items=[line("1", SPEAKER, "89.99", category="electronics",
                                        quantity=3)])
    iid = to_photos(ctx, "RMA-F3", [SPEAKER, SPEAKER], 600)
    sealed, opened, missing = units_of(ctx, iid)
    assert missing.kind == "missing"
    grade_units(ctx, iid, [("sealed", None), ("opened", CLEAN)])
    sealed, opened, missing = units_of(ctx, iid)
    assert (sealed.recommendation, sealed.refund_minor) == ("full_refund", 8999)
    assert sealed.decision["restocking_fee_minor"] == 0
    # a clean opened unit keeps a full refund, less the fee
    assert (opened.recommendation, opened.decision["restocking_fee_minor"]) == (
        "full_refund", 1350)
    assert opened.refund_minor == 8999 - 1350
    assert (missing.recommendation, missing.refund_minor) == ("deny", 0)
    assert missing.decision["restocking_fee_minor"] == 0
    totals = ctx.inspections.get(iid).decision["totals"]
    assert totals["restocking_fee_total_minor"] == 1350
    assert totals["refund_total_minor"] == 8999 + 7649


def test_pct_plus_fixed_is_capped_and_a_fee_never_makes_a_refund_negative(
        fee_ctx: StationContext) -> None:
    seed_rma(fee_ctx, "RMA-F4", items=[line("1", SPEAKER, "40.00", category="toys"),
                                       line("2", LAMP, "120.00", category="toys"),
                                       line("3", "05012345678900", "50.00", category="gadgets")])
    iid = to_photos(fee_ctx, "RMA-F4", [SPEAKER, LAMP, "05012345678900"], 900)
    grade_units(fee_ctx, iid, [("opened", CLEAN), ("opened", CLEAN), ("opened", OPENED)])
    small, large, gadget = units_of(fee_ctx, iid)
    assert small.decision["restocking_fee_rule"] == "restocking.toys_capped"
    assert (small.decision["restocking_fee_minor"], small.refund_minor) == (900, 3100)
    assert (large.decision["restocking_fee_minor"], large.refund_minor) == (1200, 10800)
    assert "Restocking fee: 10% plus 5.00, at most 12.00." in small.decision["explanation"]
    # 50.00 less 10 % is 45.00; the flat 100.00 fee takes all of it and no more
    assert gadget.recommendation == "partial_refund"
    assert (gadget.decision["restocking_fee_minor"], gadget.refund_minor) == (4500, 0)
    totals = fee_ctx.inspections.get(iid).decision["totals"]
    assert totals["restocking_fee_total_minor"] == 900 + 1200 + 4500
    assert totals["refund_total_minor"] == 3100 + 10800


def test_the_rest_and_webhook_unit_payloads_carry_the_fee(ctx: StationContext) -> None:
    from web.app import create_app

    seed_rma(ctx, "RMA-F5", items=[line("1", SPEAKER, "89.99", category="electronics",
                                        quantity=2)])
    iid = to_photos(ctx, "RMA-F5", [SPEAKER, SPEAKER], 600)
    grade_units(ctx, iid, [("sealed", None), ("opened", OPENED)])
    ctx.inspections.complete(iid, "op")
    client = create_app(ctx.settings, ctx, devices=None).test_client()
    body = client.get(f"/api/v1/inspections/{iid}", headers=api_key_header(ctx)).get_json()
    assert [u["restocking_fee_minor"] for u in body["units"]] == [0, 1350]
    assert [u["refund_minor"] for u in body["units"]] == [8999, 6749]
    assert body["totals"]["restocking_fee_total_minor"] == 1350
    with ctx.db.reader() as session:
        events = session.execute(select(OutboxEvent)).scalars().all()
        completed = [e.payload for e in events if e.event_type in ("inspection.completed",
                                                                   "inspection.flagged")]
    assert completed and completed[-1]["schema_version"] == "2"
    data = completed[-1]["data"]
    assert [u["restocking_fee_minor"] for u in data["units"]] == [0, 1350]
    assert data["totals"]["restocking_fee_total_minor"] == 1350
    InspectionData.model_validate(data)  # the published schema holds the new fields


def test_stored_rows_from_before_fees_still_validate() -> None:
    unit: dict[str, Any] = {
        "unit_id": "u1", "position": 1, "kind": "expected", "line_id": "1", "unit_index": 1,
        "sku": None, "gtin": None, "serial": None, "lot": None, "category": None,
        "state": "sealed", "grade": "A", "disposition": "restock",
        "recommendation": "full_refund", "deduction_pct": 0, "price_minor": 100,
        "refund_minor": 100, "flags": [], "platform": {}, "fired_rules": [], "review": None,
        "photos": []}
    from web.api.schemas import Totals, UnitOut

    assert UnitOut.model_validate(unit).restocking_fee_minor == 0
    totals = Totals.model_validate({"units": 1, "missing": 0, "undeclared": 0,
                                    "refund_total_minor": 100, "price_total_minor": 100,
                                    "currency": "EUR", "auto_refund": True})
    assert totals.restocking_fee_total_minor == 0


# The evaluator on its own: which recommendations and units never pay.

def opened_electronics(**overrides: Any) -> PolicyInput:
    data: dict[str, Any] = {"reason": ReturnReason.NO_REASON, "checklist": OPENED,
                            "category": "electronics", "unit_state": UnitState.OPENED}
    return PolicyInput(**{**data, **overrides})


def test_only_full_and_partial_refunds_pay_a_fee() -> None:
    policy = default_policy()
    assert evaluate(policy, opened_electronics()).restocking_fee_rule == FEE_RULE
    exchange = evaluate(policy, opened_electronics(requested_resolution="exchange"))
    assert exchange.recommendation == Recommendation.EXCHANGE
    late = evaluate(policy, opened_electronics(failed_verdicts=(
        Verdict(rule="return.window", ok=False, code="outside_window", detail="late"),)))
    assert late.recommendation == Recommendation.DENY
    undeclared = evaluate(policy, opened_electronics(undeclared=True))
    assert undeclared.recommendation == Recommendation.ESCALATE
    missing = evaluate(policy, opened_electronics(unit_state=UnitState.MISSING))
    sealed = evaluate(policy, opened_electronics(unit_state=UnitState.SEALED, checklist=CLEAN))
    for decision in (exchange, late, undeclared, missing, sealed):
        assert decision.restocking_fee_rule is None and decision.restocking_fee_pct == 0
        assert FEE_RULE not in decision.fired_rules


def test_the_code_refuses_a_fee_on_merchant_fault_even_when_a_policy_asks() -> None:
    data = tomllib.loads(shipped_text())
    data["restocking_fees"] = [{"id": "restocking.everything", "pct": 20,
                                "explain": "Twenty percent on everything."}]
    careless = Policy.model_validate(data)  # past the types, not through the loader
    decision = evaluate(careless, opened_electronics(reason=ReturnReason.DAMAGED_IN_TRANSIT))
    assert decision.restocking_fee_rule is None and decision.restocking_fee_pct == 0
    assert MERCHANT_FAULT_FEE_GUARD_ID in decision.fired_rules
    assert ("Reason damaged_in_transit is the merchant's fault, so no restocking fee is "
            "charged.") in decision.explanation
    assert evaluate(careless, opened_electronics()).restocking_fee_pct == 20


# The loader refuses fee rules that cannot work.

def fee_policy(body: str) -> str:
    return shipped_text() + "\n[[restocking_fees]]\nid = \"restocking.bad\"\n" + body


@pytest.mark.parametrize(("body", "message"), [
    ('when = { merchant_fault = false }\npct = -5\nexplain = "x."\n',
     "policy.toml: restocking_fees[1].pct: Input should be greater than or equal to 0 (got -5)"),
    ('when = { merchant_fault = false }\npct = 101\nexplain = "x."\n',
     "policy.toml: restocking_fees[1].pct: Input should be less than or equal to 100 (got 101)"),
    ('when = { merchant_fault = false }\nexplain = "x."\n',
     "policy.toml: restocking_fees[1]: Value error, a restocking fee needs pct, fixed_minor or "
     "both"),
    ('when = { merchant_fault = false }\nfixed_minor = -1\nexplain = "x."\n',
     "policy.toml: restocking_fees[1].fixed_minor: Input should be greater than or equal to 0"),
    ('when = { merchant_fault = false }\npct = "15"\nexplain = "x."\n',
     "policy.toml: restocking_fees[1].pct: Input should be a valid integer"),
    ('when = { category = ["electronics"] }\npct = 5\nexplain = "x."\n',
     "policy.toml: restocking_fees[1].when: a restocking fee could apply to a merchant-fault "
     "reason"),
    ('when = { merchant_fault = false }\npct = 5\nexplain = "{restocking_fee}."\n',
     "policy.toml: restocking_fees[1].explain: unknown field(s) restocking_fee"),
    ('when = { merchant_fault = false }\npct = 5\nrate = 5\nexplain = "x."\n',
     "policy.toml: restocking_fees[1].rate: Extra inputs are not permitted"),
])
def test_a_bad_fee_rule_is_refused_with_its_key(body: str, message: str) -> None:
    with pytest.raises(PolicyError) as refused:
        parse_policy(fee_policy(body), "policy.toml")
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_duplicate_fee_rule_id_is_refused() -> None:
    text = fee_policy('when = { merchant_fault = false }\npct = 5\nexplain = "x."\n').replace(
        'id = "restocking.bad"', f'id = "{FEE_RULE}"')
    with pytest.raises(PolicyError, match=r"restocking_fees\[1\]\.id: "
                       r"'restocking\.opened_electronics' is already used by restocking_fees\[0\]"):
        parse_policy(text, "policy.toml")


def test_an_exemption_may_name_any_reason_and_stops_later_rules() -> None:
    text = shipped_text().replace("[[restocking_fees]]", (
        '[[restocking_fees]]\nid = "restocking.sealed_never"\nwhen = { unit_state = ["sealed"] }\n'
        'pct = 0\nexplain = "A sealed unit pays no restocking fee."\n\n[[restocking_fees]]'), 1)
    policy = parse_policy(text, "policy.toml")
    assert [r.id for r in policy.restocking_fees] == ["restocking.sealed_never", FEE_RULE]
    sealed = evaluate(policy, opened_electronics(unit_state=UnitState.SEALED))
    assert (sealed.restocking_fee_rule, sealed.restocking_fee_pct) == ("restocking.sealed_never",
                                                                       0)
