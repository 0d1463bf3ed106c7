"""The inspection state machine as a bench lives it: every step audited, events in the outbox."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import func, select

from station import audit
from station.context import StationContext, build
from station.db.models import AuditEvent, Inspection, OutboxEvent
from station.policy import Checklist
from station.returns.errors import DomainError, IllegalTransition
from station.returns.rules.types import ScannedItem
from station.returns.states import LEGAL_TRANSITIONS, WORK_PATH, InspectionState, is_legal
from station.vocabulary import FunctionTest
from tests.factories import HEADPHONES_GTIN, jpeg, seed_rma, walk_to_graded

S = InspectionState


def outbox_types(ctx: StationContext) -> list[str]:
    with ctx.db.reader() as session:
        return list(session.execute(
            select(OutboxEvent.event_type).order_by(OutboxEvent.created_at)).scalars())


def test_a_normal_parcel_goes_from_label_to_completed(ctx: StationContext) -> None:
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    done = ctx.inspections.complete(inspection_id, "op")
    assert done.state == "completed"
    stored = ctx.inspections.get(inspection_id)
    assert stored.grade == "A" and stored.disposition == "restock"
    assert stored.recommendation == "full_refund"
    assert stored.decision["fired_rules"][0] == "grade.A"
    assert stored.policy_version == ctx.policy.version
    assert all(v["ok"] for v in stored.verdicts), stored.verdicts
    assert stored.rma is not None and stored.rma.status == "inspected"
    assert outbox_types(ctx) == ["return.received", "inspection.completed"]
    with ctx.db.reader() as session:
        assert audit.verify(session, ctx.anchors.read()) == []
        actions = list(session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars())
    for step in ("inspection.received", "inspection.weighed", "inspection.items_identified",
                 "inspection.photos_taken", "inspection.checklist_done", "inspection.graded",
                 "inspection.completed"):
        assert step in actions


def test_completed_event_carries_photos_hashes_and_the_audit_anchor(ctx: StationContext) -> None:
    seed_rma(ctx)
    ctx.inspections.complete(walk_to_graded(ctx), "op")
    with ctx.db.reader() as session:
        event = session.execute(
            select(OutboxEvent).where(OutboxEvent.event_type == "inspection.completed")).scalar_one()
        head_seq, head_hash = audit.head(session)
    data = event.payload["data"]
    assert event.id.startswith("msg_") and event.ordering_key == "rma:RMA-1001"
    assert data["grade"] == "A" and len(data["photos"]) == 3
    assert all(len(p["sha256"]) == 64 for p in data["photos"])
    assert data["audit_anchor"] == {"seq": head_seq, "hash": head_hash}
    assert data["platform"]["shopify_disposition"] == "RESTOCKED"


def test_an_unknown_label_opens_a_flagged_unexpected_return(ctx: StationContext) -> None:
    inspection = ctx.inspections.receive("NOBODY-KNOWS-ME", "bench-test", None, "op")
    assert inspection.unexpected and inspection.flags == ["unexpected_parcel"]
    ctx.inspections.record_weight(inspection.id, 300_000, "scale", "op")
    ctx.inspections.finish_items(inspection.id, "op")
    for index, angle in enumerate(("parcel", "item", "label")):
        ctx.inspections.add_photo(inspection.id, jpeg(index), angle=angle, width=320, height=200,
                                  actor="op")
    ctx.inspections.finish_photos(inspection.id, "op")
    from station.policy import Checklist

    ctx.inspections.record_checklist(inspection.id, Checklist(), "op")
    decision = ctx.inspections.grade(inspection.id, "op")
    assert decision["recommendation"] == "escalate"
    assert ctx.inspections.complete(inspection.id, "op").state == "flagged"
    assert outbox_types(ctx) == ["return.unexpected", "inspection.flagged"]


def test_scanning_the_wrong_gtin_flags_the_inspection(ctx: StationContext) -> None:
    seed_rma(ctx)
    service = ctx.inspections
    inspection = service.receive("RMA-1001", "bench-test", None, "op")
    service.record_weight(inspection.id, 550_000, "scale", "op")
    result = service.record_scan(inspection.id, ScannedItem(raw="4006381333931",
                                                            gtin="04006381333931"), "op")
    assert result.result == "mismatch"
    service.finish_items(inspection.id, "op")
    for index, angle in enumerate(("parcel", "item", "label")):
        service.add_photo(inspection.id, jpeg(index), angle=angle, width=320, height=200, actor="op")
    service.finish_photos(inspection.id, "op")
    from station.policy import Checklist

    service.record_checklist(inspection.id, Checklist(), "op")
    decision = service.grade(inspection.id, "op")
    assert decision["recommendation"] == "escalate" and decision["flag"]
    assert service.complete(inspection.id, "op").state == "flagged"


def test_a_second_identical_item_is_reported_as_extra(ctx: StationContext) -> None:
    seed_rma(ctx)
    service = ctx.inspections
    inspection = service.receive("RMA-1001", "bench-test", None, "op")
    service.record_weight(inspection.id, 550_000, "scale", "op")
    item = ScannedItem(raw="x", gtin=HEADPHONES_GTIN, serial="SN-001")
    assert service.record_scan(inspection.id, item, "op").result == "match"
    assert service.record_scan(inspection.id, item, "op").result == "extra"


def test_a_manual_weight_is_flagged_for_a_supervisor(ctx: StationContext) -> None:
    seed_rma(ctx)
    service = ctx.inspections
    inspection = service.receive("RMA-1001", "bench-test", None, "op")
    service.record_weight(inspection.id, 550_000, "manual", "op")
    assert "manual_weight" in service.get(inspection.id).flags


@pytest.mark.parametrize("target", list(S))
def test_illegal_transitions_are_refused_and_change_nothing(ctx: StationContext,
                                                             target: InspectionState) -> None:
    seed_rma(ctx)
    inspection = ctx.inspections.receive("RMA-1001", "bench-test", None, "op")
    with ctx.db.reader() as session:
        before = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    if is_legal(S.RECEIVED, target):
        return  # covered by the legal paths
    with pytest.raises(DomainError):
        if target == S.COMPLETED:
            ctx.inspections.complete(inspection.id, "op")
        elif target == S.GRADED:
            ctx.inspections.grade(inspection.id, "op")
        elif target == S.REVIEWED:
            ctx.reviews.decide(inspection.id, "sup", "sup", "ok")
        elif target == S.PHOTOS_TAKEN:
            ctx.inspections.finish_photos(inspection.id, "op")
        elif target == S.ITEMS_IDENTIFIED:
            ctx.inspections.finish_items(inspection.id, "op")
            raise AssertionError("finish_items from received must be refused")
        elif target == S.CHECKLIST_DONE:
            from station.policy import Checklist

            ctx.inspections.record_checklist(inspection.id, Checklist(), "op")
        else:
            ctx.inspections.record_scan(inspection.id, ScannedItem(raw="x"), "op")
    with ctx.db.reader() as session:
        after = session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert ctx.inspections.get(inspection.id).state == "received"
    assert after == before


def test_the_transition_table_is_exactly_the_design() -> None:
    main_path = set(pairwise(WORK_PATH))
    assert main_path <= LEGAL_TRANSITIONS
    assert (S.GRADED, S.COMPLETED) in LEGAL_TRANSITIONS
    assert {(S.COMPLETED, S.REVIEWED), (S.FLAGGED, S.REVIEWED)} <= LEGAL_TRANSITIONS
    for state in WORK_PATH:
        assert (state, S.FLAGGED) in LEGAL_TRANSITIONS
    # No skipping ahead, nothing leaves reviewed, completed only from graded.
    assert (S.RECEIVED, S.ITEMS_IDENTIFIED) not in LEGAL_TRANSITIONS
    assert not [edge for edge in LEGAL_TRANSITIONS if edge[0] == S.REVIEWED]
    assert [edge for edge in LEGAL_TRANSITIONS if edge[1] == S.COMPLETED] == [(S.GRADED, S.COMPLETED)]


def test_changing_an_input_after_grading_asks_for_a_new_grade(ctx: StationContext) -> None:
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    ctx.inspections.record_weight(inspection_id, 551_000, "scale", "op")
    again = ctx.inspections.get(inspection_id)
    assert again.state == "checklist_done" and again.grade is None
    with pytest.raises(IllegalTransition):
        ctx.inspections.complete(inspection_id, "op")


def test_an_override_needs_a_reason_and_flags_the_inspection(ctx: StationContext) -> None:
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    with pytest.raises(DomainError):
        ctx.inspections.complete(inspection_id, "op", override={"grade": "C", "reason": " "})
    done = ctx.inspections.complete(inspection_id, "op",
                                    override={"grade": "C", "reason": "deep scratch on the back"})
    assert done.grade == "C" and done.state == "flagged"
    assert done.override["before"] == {"grade": "A"}


def test_a_crash_between_steps_resumes_the_open_inspection(ctx: StationContext) -> None:
    seed_rma(ctx)
    service = ctx.inspections
    inspection = service.receive("RMA-1001", "bench-test", None, "op")
    service.record_weight(inspection.id, 550_000, "scale", "op")
    ctx.db.dispose()  # the daemon dies: every connection is gone
    reborn = build(ctx.settings)
    try:
        resumed = reborn.inspections.open_inspection("bench-test")
        assert resumed is not None and resumed.id == inspection.id
        assert resumed.state == "weighed" and resumed.measured_weight_mg == 550_000
        # Scanning the same label again also lands in the same inspection.
        assert reborn.inspections.receive("TRKRMA-1001", "bench-test", None, "op").id == inspection.id
    finally:
        reborn.close()


def test_a_failed_step_rolls_back_everything_it_wrote(ctx: StationContext) -> None:
    seed_rma(ctx)
    inspection = ctx.inspections.receive("RMA-1001", "bench-test", None, "op")
    with pytest.raises(DomainError):
        ctx.inspections.record_weight(inspection.id, -5, "scale", "op")
    with ctx.db.reader() as session:
        row = session.get(Inspection, inspection.id)
        assert row is not None and row.measured_weight_mg is None and row.state == "received"


def test_one_bench_works_one_parcel_at_a_time(ctx: StationContext) -> None:
    seed_rma(ctx, "RMA-1")
    seed_rma(ctx, "RMA-2")
    ctx.inspections.receive("RMA-1", "bench-test", None, "op")
    with pytest.raises(DomainError, match="finish inspection"):
        ctx.inspections.receive("RMA-2", "bench-test", None, "op")


def test_a_parcel_inspected_once_is_not_inspected_again_silently(ctx: StationContext) -> None:
    seed_rma(ctx)
    ctx.inspections.complete(walk_to_graded(ctx), "op")
    with pytest.raises(DomainError, match="already inspected"):
        ctx.inspections.receive("RMA-1001", "bench-test", None, "op")


def test_a_supervisor_review_emits_inspection_reviewed(ctx: StationContext) -> None:
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    ctx.inspections.complete(inspection_id, "op")
    reviewed = ctx.reviews.decide(inspection_id, None, "sup", "looks right")  # type: ignore[arg-type]
    assert reviewed.state == "reviewed"
    assert outbox_types(ctx)[-1] == "inspection.reviewed"
    with pytest.raises(IllegalTransition):
        ctx.reviews.decide(inspection_id, None, "sup", "again")  # type: ignore[arg-type]


def test_missing_photo_angles_block_the_checklist(ctx: StationContext) -> None:
    seed_rma(ctx)
    service = ctx.inspections
    inspection = service.receive("RMA-1001", "bench-test", None, "op")
    service.record_weight(inspection.id, 550_000, "scale", "op")
    service.record_scan(inspection.id, ScannedItem(raw="x", gtin=HEADPHONES_GTIN, serial="S1"), "op")
    service.finish_items(inspection.id, "op")
    service.add_photo(inspection.id, jpeg(), angle="parcel", width=320, height=200, actor="op")
    with pytest.raises(DomainError, match=r"still needed: label$"):  # item photos are the unit's
        service.finish_photos(inspection.id, "op")
    service.add_photo(inspection.id, jpeg(1), angle="label", width=320, height=200, actor="op")
    service.finish_photos(inspection.id, "op")
    with pytest.raises(DomainError, match="unit photos still needed: 1:item"):
        service.record_checklist(inspection.id, Checklist(function_test=FunctionTest.PASSED), "op")
    assert service.get(inspection.id).state == "photos_taken"  # refused: nothing moved
    (unit,) = service.get(inspection.id).units
    service.add_photo(inspection.id, jpeg(2), angle="item", width=320, height=200, actor="op",
                      unit_id=unit.id)
    service.record_checklist(inspection.id, Checklist(function_test=FunctionTest.PASSED), "op")
    assert service.get(inspection.id).state == "checklist_done"
