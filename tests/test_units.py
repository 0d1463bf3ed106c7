"""Every returned unit gets its own outcome: sealed, damaged, undeclared, missing, mixed categories."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from bench.fault_kill import Receiver
from station.context import StationContext
from station.db.models import OutboxEvent
from station.policy import Checklist
from station.returns.errors import DomainError
from station.returns.rules.types import ScannedItem
from station.vocabulary import DefectKind, DefectSeverity, FunctionTest
from station.webhooks import admin
from station.webhooks.dispatcher import Dispatcher
from tests.factories import photograph, seed_rma

HEADPHONES = "05012345678900"
SPEAKER = "04006381333931"
CABLE = "09501101020917"  # on no return
LAMP = "96385074"


def line(line_id: str, gtin: str, price: str, category: str = "general", quantity: int = 1,
         sku: str = "", **extra: Any) -> dict[str, Any]:
    return {"line_id": line_id, "sku": sku or f"SKU-{line_id}", "gtin": gtin,
            "description": f"item {line_id}", "quantity": quantity, "unit_weight_g": "300",
            "category": category, "price": price, **extra}


def to_photos(ctx: StationContext, rma_label: str, scans: list[str], weight_g: int) -> str:
    """Receive, weigh, scan, identify, photograph; returns the inspection id."""
    service = ctx.inspections
    inspection = service.receive(rma_label, "bench-test", None, "op")
    service.record_weight(inspection.id, weight_g * 1000, "scale", "op")
    for code in scans:
        service.record_scan(inspection.id, ScannedItem(raw=code, gtin=code.zfill(14)), "op")
    service.finish_items(inspection.id, "op")
    photograph(ctx, inspection.id)
    service.finish_photos(inspection.id, "op")
    return inspection.id


def units_of(ctx: StationContext, inspection_id: str) -> list[Any]:
    return list(ctx.inspections.get(inspection_id).units)


def test_a_sealed_single_item_is_a_restock_with_full_refund_and_auto_refund(
        ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-S1", items=[line("1", HEADPHONES, "89.00")])
    iid = to_photos(ctx, "RMA-S1", [HEADPHONES], 450)
    (unit,) = units_of(ctx, iid)
    assert (unit.kind, unit.line_id, unit.unit_index) == ("expected", "1", 1)
    ctx.inspections.record_unit_state(iid, unit.id, "sealed", "op")
    assert ctx.inspections.get(iid).state == "checklist_done"  # sealed: no condition questions
    ctx.inspections.grade(iid, "op")
    done = ctx.inspections.complete(iid, "op")
    assert done.state == "completed"
    (unit,) = units_of(ctx, iid)
    assert (unit.grade, unit.disposition, unit.recommendation) == ("A", "restock", "full_refund")
    assert unit.refund_minor == 8900
    totals = ctx.inspections.get(iid).decision["totals"]
    assert totals["auto_refund"] is True and totals["refund_total_minor"] == 8900


def three_unit_parcel(ctx: StationContext) -> str:
    """One sealed, one damaged, one undeclared unit, graded."""
    seed_rma(ctx, "RMA-T3", items=[line("1", HEADPHONES, "50.00"),
                                   line("2", SPEAKER, "80.00", category="electronics")])
    iid = to_photos(ctx, "RMA-T3", [HEADPHONES, SPEAKER, CABLE], 760)
    sealed, damaged, undeclared = units_of(ctx, iid)
    assert [u.kind for u in (sealed, damaged, undeclared)] == ["expected", "expected",
                                                                "undeclared"]
    ctx.inspections.record_unit_state(iid, sealed.id, "sealed", "op")
    ctx.inspections.record_unit_state(iid, damaged.id, "damaged", "op")
    ctx.inspections.record_checklist(iid, Checklist(
        original_packaging_opened=True, signs_of_use=True, function_test=FunctionTest.PASSED,
        defects={DefectKind.SCRATCHES: DefectSeverity.MODERATE}), "op", unit_id=damaged.id)
    ctx.inspections.record_checklist(iid, Checklist(original_packaging_opened=True), "op",
                                     unit_id=undeclared.id)
    assert ctx.inspections.get(iid).state == "checklist_done"
    ctx.inspections.grade(iid, "op")
    return iid


def test_three_units_get_three_outcomes(ctx: StationContext) -> None:
    iid = three_unit_parcel(ctx)
    sealed, damaged, undeclared = units_of(ctx, iid)
    assert (sealed.grade, sealed.disposition, sealed.recommendation) == ("A", "restock",
                                                                         "full_refund")
    assert (damaged.grade, damaged.disposition, damaged.recommendation) == (
        "C", "refurbish", "partial_refund")
    assert damaged.refund_minor == 6000  # 80.00 less the grade C deduction of 25 %
    assert (undeclared.disposition, undeclared.recommendation) == ("hold", "escalate")
    assert "undeclared_item" in undeclared.flags and undeclared.refund_minor is None
    inspection = ctx.inspections.get(iid)
    assert "undeclared_item" in inspection.flags and inspection.recommendation == "escalate"
    assert inspection.decision["totals"]["auto_refund"] is False
    assert ctx.inspections.complete(iid, "op").state == "flagged"


def test_the_flagged_webhook_carries_three_units_and_verifies(ctx: StationContext) -> None:
    receiver = Receiver()
    try:
        with ctx.db.transaction() as session:
            receiver.secret = admin.create_endpoint(session, receiver.url).secret
        iid = three_unit_parcel(ctx)
        ctx.inspections.complete(iid, "op")
        dispatcher = Dispatcher(ctx.db, timeout_s=5)
        while dispatcher.run_once().claimed:
            pass
        flagged = [json.loads(b) for b in receiver.bodies if b"inspection.flagged" in b]
        assert receiver.bad == 0 and len(flagged) == 1
    finally:
        receiver.server.shutdown()
    event = flagged[0]
    assert event["schema_version"] == "2"
    units = event["data"]["units"]
    assert [u["kind"] for u in units] == ["expected", "expected", "undeclared"]
    assert [u["platform"]["shopify_disposition"] for u in units] == [
        "RESTOCKED", "PROCESSING_REQUIRED", "PROCESSING_REQUIRED"]
    assert [u["platform"]["loop_outcome"] for u in units] == [
        "back_to_stock", "resale_hold", "resale_hold"]
    assert [u["platform"]["loop_condition"] for u in units] == ["grade_a", "grade_c", "grade_b"]
    assert [u["refund_minor"] for u in units] == [5000, 6000, None]
    assert event["data"]["totals"]["units"] == 3 and event["data"]["totals"]["undeclared"] == 1
    assert event["data"]["grade"] == "C"  # version 1 fields stay: the parcel's worst grade


def test_a_quantity_two_line_with_one_unit_missing(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-Q2", items=[line("1", HEADPHONES, "20.00", quantity=2)])
    iid = to_photos(ctx, "RMA-Q2", [HEADPHONES], 400)
    found, missing = units_of(ctx, iid)
    assert (found.kind, found.unit_index, missing.kind, missing.unit_index) == (
        "expected", 1, "missing", 2)
    ctx.inspections.record_unit_state(iid, found.id, "sealed", "op")
    ctx.inspections.grade(iid, "op")
    found, missing = units_of(ctx, iid)
    assert (found.recommendation, found.refund_minor) == ("full_refund", 2000)
    assert (missing.grade, missing.recommendation, missing.refund_minor) == (None, "deny", 0)
    assert missing.decision["platform"] == {"shopify_disposition": "MISSING",
                                            "loop_outcome": "missing"}
    with pytest.raises(DomainError, match="missing unit"):
        ctx.inspections.record_checklist(iid, Checklist(), "op", unit_id=missing.id)


def test_a_mixed_category_parcel_is_graded_by_each_units_own_category(
        ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-MIX", items=[line("1", HEADPHONES, "30.00", category="apparel"),
                                    line("2", SPEAKER, "60.00", category="electronics")])
    iid = to_photos(ctx, "RMA-MIX", [HEADPHONES, SPEAKER], 700)
    shirt, speaker = units_of(ctx, iid)
    assert (shirt.category, speaker.category) == ("apparel", "electronics")
    no_charger = Checklist(accessories_missing=("charger",))
    for unit in (shirt, speaker):  # the same answers: the charger is essential only to electronics
        ctx.inspections.record_checklist(iid, no_charger, "op", unit_id=unit.id)
    ctx.inspections.grade(iid, "op")
    shirt, speaker = units_of(ctx, iid)
    assert shirt.grade != speaker.grade
    assert speaker.grade == "D" and shirt.grade in ("B", "C")


def test_a_quality_defect_return_cannot_be_graded_untested(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-QD", reason="quality_defect", items=[line("1", HEADPHONES, "40.00")])
    iid = to_photos(ctx, "RMA-QD", [HEADPHONES], 450)
    (unit,) = units_of(ctx, iid)
    with pytest.raises(DomainError, match="function test"):  # the checklist asks for the test
        ctx.inspections.record_checklist(iid, Checklist(original_packaging_opened=True), "op",
                                         unit_id=unit.id)
    (unit,) = units_of(ctx, iid)
    assert unit.checklist == {} and ctx.inspections.get(iid).state == "photos_taken"
    ctx.inspections.record_checklist(iid, Checklist(
        original_packaging_opened=True, function_test=FunctionTest.FAILED), "op", unit_id=unit.id)
    ctx.inspections.grade(iid, "op")
    (unit,) = units_of(ctx, iid)
    assert unit.grade == "D" and unit.recommendation == "full_refund"  # merchant fault


def test_a_wrong_item_is_held_and_the_expected_one_is_missing(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-W1", items=[line("1", HEADPHONES, "89.00")])
    iid = to_photos(ctx, "RMA-W1", [LAMP], 450)
    expected, wrong = units_of(ctx, iid)
    assert (expected.kind, wrong.kind) == ("missing", "undeclared")
    ctx.inspections.record_unit_state(iid, wrong.id, "sealed", "op")
    ctx.inspections.grade(iid, "op")
    expected, wrong = units_of(ctx, iid)
    assert wrong.disposition == "hold" and expected.recommendation == "deny"
    inspection = ctx.inspections.get(iid)
    assert inspection.recommendation == "escalate" and inspection.disposition == "hold"


def test_api_returns_the_units(ctx: StationContext) -> None:
    from tests.support.bench import api_key_header
    from web.app import create_app

    iid = three_unit_parcel(ctx)
    client = create_app(ctx.settings, ctx, devices=None).test_client()
    body = client.get(f"/api/v1/inspections/{iid}", headers=api_key_header(ctx)).get_json()
    assert [u["kind"] for u in body["units"]] == ["expected", "expected", "undeclared"]
    assert body["totals"]["refund_total_minor"] is None  # the held unit waits for a person
    with ctx.db.reader() as session:
        graded = session.execute(select(OutboxEvent)).scalars().all()
    assert graded  # return.received at least


def test_the_migration_turns_old_inspections_into_units(ctx: StationContext) -> None:
    """A database as the previous version left it (revision 0006): units come from its scans."""
    from alembic import command
    from sqlalchemy import inspect as schema

    from station.db.engine import make_engine
    from station.db.migrate import alembic_config, upgrade

    seed_rma(ctx, "RMA-OLD", items=[line("1", HEADPHONES, "40.00", quantity=2)])
    iid = to_photos(ctx, "RMA-OLD", [HEADPHONES, HEADPHONES, CABLE], 800)
    ctx.inspections.record_checklist(iid, Checklist(original_packaging_opened=True,
                                                    signs_of_use=True), "op")
    ctx.inspections.grade(iid, "op")
    ctx.inspections.complete(iid, "op")
    parcel = ctx.inspections.get(iid)
    ctx.close()
    engine = make_engine(ctx.settings.database.url)
    try:
        command.downgrade(alembic_config(engine), "0006")
        assert "inspection_unit" not in schema(engine).get_table_names()
        upgrade(engine)
    finally:
        engine.dispose()
    from station.context import build

    migrated = build(ctx.settings)
    try:
        units = list(migrated.inspections.get(iid).units)
    finally:
        migrated.close()
    assert [(u.kind, u.line_id, u.unit_index) for u in units] == [("expected", "1", 1),
                                                                  ("expected", "1", 2)]
    assert {(u.grade, u.disposition, u.recommendation, u.deduction_pct) for u in units} == {
        (parcel.grade, parcel.disposition, parcel.recommendation, parcel.deduction_pct)}
    expected_refund = {"full_refund": 4000, "partial_refund": 4000 * (100 - parcel.deduction_pct)
                       // 100, "deny": 0, "escalate": None}[str(parcel.recommendation)]
    assert {u.refund_minor for u in units} == {expected_refund}
    assert all(u.decision.get("migrated") for u in units)


def test_a_categorys_sop_sets_the_default_and_the_backup_disposition() -> None:
    from station.policy import PolicyInput, evaluate, parse_policy
    from station.policy.loader import default_policy
    from station.vocabulary import ReturnReason

    text = (default_policy_text() + '\n[sops."category:toys"]\n'
            'instructions = "Count the pieces."\ndefault_disposition = "donate"\n'
            'backup_disposition = "recycle"\n')
    policy = parse_policy(text, "policy.toml")
    assert policy.sop_for("ANY", "toys") is not None and "category:toys" not in default_policy().sops
    sop = policy.sop_for("ANY", "toys")
    clean = evaluate(policy, PolicyInput(reason=ReturnReason.NO_REASON, checklist=Checklist(),
                                         category="toys"), sop)
    worn = evaluate(policy, PolicyInput(reason=ReturnReason.NO_REASON, category="toys",
                                        checklist=Checklist(original_packaging_opened=True)), sop)
    assert (clean.disposition, worn.disposition) == ("donate", "recycle")
    assert clean.platform["loop_outcome"] == "donate" and "sop.backup_disposition" in worn.fired_rules


def default_policy_text() -> str:
    from importlib import resources

    return resources.files("station.policy").joinpath("default_policy.toml").read_text("utf-8")


def test_a_scan_after_the_items_step_joins_the_units_and_answers_stay(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-LATE", items=[line("1", HEADPHONES, "20.00", quantity=2)])
    iid = to_photos(ctx, "RMA-LATE", [HEADPHONES], 400)
    found, missing = units_of(ctx, iid)
    ctx.inspections.record_unit_state(iid, found.id, "sealed", "op")
    ctx.inspections.record_scan(iid, ScannedItem(raw=HEADPHONES, gtin=HEADPHONES), "op")
    first, second = units_of(ctx, iid)
    assert (first.id, first.state) == (found.id, "sealed")  # kept, with its answer
    assert second.kind == "expected" and second.id != missing.id and second.scan_id
