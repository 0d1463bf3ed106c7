"""A supervisor attaches an unexpected parcel to its return: re-matched, re-graded, still for review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from station import audit
from station.context import StationContext
from station.db.models import AuditEvent, Inspection, Operator, OutboxEvent, ReturnAuthorization
from station.returns.errors import DomainError
from station.returns.intake import cancel_rma
from station.returns.rules.types import ScannedItem
from station.review import QueueFilters, flagged_queue
from station.review_attach import ATTACH_ACTION, attach_to_rma
from tests.conftest import make_settings
from tests.factories import HEADPHONES_GTIN, jpeg, seed_rma, walk_to_graded
from tests.support.bench import (
    OPERATOR,
    SUPERVISOR,
    add_people,
    bench_app,
    csrf_from,
    html,
    migrated,
    signed_in,
    snapshot,
)

SUE = "supervisor:sue.super"


def unexpected_parcel(ctx: StationContext, label: str = "NO-SUCH-LABEL-77") -> str:
    """A parcel whose label matched no return: one item scanned, two photos, handed over."""
    service = ctx.inspections
    inspection = service.receive(label, "bench-test", None, "op")
    assert inspection.unexpected and inspection.rma_pk is None
    service.record_weight(inspection.id, 540_000, "scale", "op")
    service.record_scan(inspection.id, ScannedItem(raw=HEADPHONES_GTIN, gtin=HEADPHONES_GTIN,
                                                   serial="SN-001"), "op")
    service.finish_items(inspection.id, "op")
    (unit,) = service.get(inspection.id).units
    for index, unit_id in enumerate((None, unit.id)):
        service.add_photo(inspection.id, jpeg(index), angle="parcel" if unit_id is None
                          else "item", width=320, height=200, actor="op", unit_id=unit_id)
    service.flag(inspection.id, "the label matches no return", "op")
    assert service.get(inspection.id).state == "flagged"
    return inspection.id


def supervisor_id(ctx: StationContext) -> str:
    with ctx.db.reader() as session:
        return str(session.execute(select(Operator.id).where(
            Operator.username == SUPERVISOR.username)).scalar_one())


def attach(ctx: StationContext, inspection_id: str, ref: str, **kwargs: Any) -> Inspection:
    return attach_to_rma(ctx.work, ctx.inspections.policy, ctx.inspections.settings,
                         inspection_id, ref, supervisor_id=supervisor_id(ctx), actor=SUE,
                         **kwargs)


def count(ctx: StationContext, model: Any) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def rma_status(ctx: StationContext, rma_id: str) -> str:
    with ctx.db.reader() as session:
        return str(session.execute(select(ReturnAuthorization.status).where(
            ReturnAuthorization.rma_id == rma_id)).scalar_one())


def attach_rows(ctx: StationContext, inspection_id: str) -> list[AuditEvent]:
    with ctx.db.reader() as session:
        return list(session.execute(select(AuditEvent).where(AuditEvent.entity_id == inspection_id)
                                    .where(AuditEvent.action == ATTACH_ACTION)).scalars())


def refused(ctx: StationContext, inspection_id: str, ref: str) -> str:
    """Attaching is refused and changes nothing; returns the refusal's code."""
    before = snapshot(ctx), rma_statuses(ctx), count(ctx, OutboxEvent)
    with pytest.raises(DomainError) as error:
        attach(ctx, inspection_id, ref)
    assert (snapshot(ctx), rma_statuses(ctx), count(ctx, OutboxEvent)) == before
    return error.value.code


def rma_statuses(ctx: StationContext) -> list[tuple[str, str]]:
    with ctx.db.reader() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(ReturnAuthorization.rma_id, ReturnAuthorization.status)
            .order_by(ReturnAuthorization.rma_id)).all()]


def test_an_unexpected_parcel_attached_to_its_return_is_matched_graded_and_still_for_review(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = unexpected_parcel(ctx)
    seed_rma(ctx, "RMA-A1")
    before = ctx.inspections.get(iid)
    (unit,) = before.units
    assert (unit.kind, unit.line_id) == ("undeclared", None)
    assert "unexpected_parcel" in before.flags and before.scans[0].result == "mismatch"
    photos, scans, events = len(before.photos), len(before.scans), count(ctx, OutboxEvent)

    attach(ctx, iid, "TRKRMA-A1", four_eyes=True)  # by the return's tracking number

    after = ctx.inspections.get(iid)
    assert after.rma is not None and after.rma.rma_id == "RMA-A1"
    assert after.unexpected is False and "unexpected_parcel" not in after.flags
    assert after.state == "flagged"  # still the supervisor's: units are decided next
    (scan,) = after.scans
    assert scan.result == "match" and scan.matched_item_id == after.rma.items[0].id
    (unit,) = after.units
    assert unit.id == before.units[0].id  # the same unit, now one of the return's
    assert (unit.kind, unit.line_id, unit.sku, unit.price_minor) == ("expected", "1",
                                                                     "HP-200-BLK", 8900)
    assert (unit.grade, unit.disposition, unit.recommendation) == ("A", "restock", "full_refund")
    assert unit.refund_minor == 8900 and unit.scan_id == scan.id
    assert after.expected_weight_mg == 550_000  # 400 g item + 150 g packaging
    assert after.grade == "A" and after.decision["totals"]["refund_total_minor"] == 8900
    assert not [v for v in after.verdicts if not v["ok"]]  # weight, serial and item all match
    assert (len(after.photos), len(after.scans)) == (photos, scans)
    assert [p.unit_id for p in after.photos] == [None, unit.id]  # the unit keeps its photo
    assert after.review["attached"]["rma_id"] == "RMA-A1"
    assert rma_status(ctx, "RMA-A1") == "inspected"
    assert count(ctx, OutboxEvent) == events  # no webhook until the supervisor decides
    (row,) = attach_rows(ctx, iid)
    assert row.actor == SUE and row.data["rma_id"] == "RMA-A1"
    assert row.data["by"] == supervisor_id(ctx) and row.data["ref"] == "TRKRMA-A1"
    assert row.data["scans"] == {"match": 1}
    assert row.data["before"]["units"] == {"undeclared": 1}
    assert row.data["after"]["units"] == {"expected": 1}
    with ctx.db.reader() as session:
        assert audit.verify(session) == []
        queue = flagged_queue(session, QueueFilters(), warn_hours=4, breach_hours=8)
        assert [r.inspection.id for r in queue] == [iid]
    # attaching is review work: the same supervisor then decides the unit under four-eyes
    ctx.reviews.decide_unit(iid, unit.id, supervisor_id(ctx), SUE, note="", four_eyes=True)
    ctx.reviews.decide(iid, supervisor_id(ctx), SUE, "attached and checked", four_eyes=True)
    assert ctx.inspections.get(iid).state == "reviewed"
    assert count(ctx, OutboxEvent) == events + 1  # inspection.reviewed, now for the RMA


def test_a_return_with_two_lines_gets_its_missing_unit_and_an_rma_id_works_too(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = unexpected_parcel(ctx)
    seed_rma(ctx, "RMA-A2", items=[
        {"line_id": "1", "sku": "HP-200-BLK", "gtin": HEADPHONES_GTIN, "quantity": 1,
         "serials": ["SN-001"], "unit_weight_g": "400", "price": "89.00"},
        {"line_id": "2", "sku": "CASE-9", "quantity": 1, "unit_weight_g": "100",
         "price": "11.00"},
    ])
    attach(ctx, iid, "rma-a2")  # the RMA id, typed in lower case
    units = ctx.inspections.get(iid).units
    assert [(u.kind, u.line_id) for u in units] == [("expected", "1"), ("missing", "2")]
    assert units[1].recommendation == "deny" and units[1].refund_minor == 0
    inspection = ctx.inspections.get(iid)
    assert inspection.expected_weight_mg == 650_000 and inspection.state == "flagged"
    assert "items.missing" in {v["rule"] for v in inspection.verdicts if not v["ok"]}


def test_a_wrong_rma_is_refused_with_a_clear_code_and_nothing_changes(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = unexpected_parcel(ctx)
    seed_rma(ctx, "RMA-A1")
    assert refused(ctx, iid, "RMA-NOPE") == "rma_not_found"
    assert refused(ctx, iid, "   ") == "bad_rma_ref"
    assert refused(ctx, iid, "bad\x01label") == "bad_rma_ref"
    inspection = ctx.inspections.get(iid)
    assert inspection.rma is None and inspection.unexpected
    assert [u.kind for u in inspection.units] == ["undeclared"]
    assert inspection.scans[0].matched_item_id is None
    assert attach_rows(ctx, iid) == []
    assert rma_status(ctx, "RMA-A1") == "open"


def test_a_normal_inspection_or_one_not_flagged_cannot_be_attached(ctx: StationContext) -> None:
    add_people(ctx)
    seed_rma(ctx, "RMA-1001")
    seed_rma(ctx, "RMA-A1")
    normal = walk_to_graded(ctx, "TRKRMA-1001")
    ctx.inspections.flag(normal, "odd box", "op")
    assert refused(ctx, normal, "RMA-A1") == "not_unexpected_parcel"
    open_one = ctx.inspections.receive("NO-SUCH-LABEL-2", "bench-test", None, "op")
    assert refused(ctx, open_one.id, "RMA-A1") == "attach_not_flagged"
    with pytest.raises(DomainError) as missing:
        attach(ctx, "NO-SUCH-INSPECTION", "RMA-A1")
    assert missing.value.code == "inspection_not_found"


def test_a_return_that_is_inspected_cancelled_or_at_a_bench_is_refused(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = unexpected_parcel(ctx)
    seed_rma(ctx, "RMA-1001")
    done = walk_to_graded(ctx, "TRKRMA-1001")
    ctx.inspections.complete(done, "op")
    assert rma_status(ctx, "RMA-1001") == "inspected"
    assert refused(ctx, iid, "RMA-1001") == "rma_already_inspected"
    seed_rma(ctx, "RMA-C1")
    with ctx.work() as work:
        cancel_rma(work, "RMA-C1", actor="test")
    assert refused(ctx, iid, "RMA-C1") == "rma_cancelled"
    seed_rma(ctx, "RMA-B2")
    ctx.inspections.receive("RMA-B2", "bench-2", None, "op")
    assert refused(ctx, iid, "RMA-B2") == "rma_in_progress"
    assert attach_rows(ctx, iid) == []


def test_four_eyes_the_supervisor_who_worked_the_bench_cannot_attach(
        ctx: StationContext) -> None:
    add_people(ctx)
    service = ctx.inspections
    inspection = service.receive("NO-SUCH-LABEL-3", "bench-test", None, SUE)
    service.flag(inspection.id, "no label at all", SUE)
    seed_rma(ctx, "RMA-A1")
    with pytest.raises(DomainError) as error:
        attach(ctx, inspection.id, "RMA-A1", four_eyes=True)
    assert error.value.code == "four_eyes"
    attach(ctx, inspection.id, "RMA-A1", four_eyes=False)
    after = service.get(inspection.id)
    assert [(u.kind, u.line_id) for u in after.units] == [("missing", "1")]  # nothing scanned


# -- the case page -------------------------------------------------------------------------


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "test-session-key"}))
    add_people(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


def post_attach(client: FlaskClient, iid: str, ref: str) -> Any:
    page = html(client, f"/review/inspections/{iid}")
    assert page.status_code == 200 and 'id="attach-form"' in page.get_data(as_text=True)
    return client.post(f"/review/inspections/{iid}/attach",
                       data={"csrf_token": csrf_from(page), "rma": ref})


def test_the_case_page_attaches_a_parcel_and_shows_every_refusal_as_a_message(
        app: Flask, station: StationContext) -> None:
    iid = unexpected_parcel(station)
    seed_rma(station, "RMA-A1")
    seed_rma(station, "RMA-1001")
    client = signed_in(app, SUPERVISOR)
    page = html(client, f"/review/inspections/{iid}").get_data(as_text=True)
    assert "Attach to return" in page and 'name="rma"' in page
    before = snapshot(station)
    wrong = post_attach(client, iid, "RMA-NOPE")
    assert wrong.status_code == 400
    assert "No return has that RMA, tracking or order number." in wrong.get_data(as_text=True)
    empty = post_attach(client, iid, "")
    assert empty.status_code == 400 and "Type the RMA number" in empty.get_data(as_text=True)
    long = post_attach(client, iid, "R" * 500)
    assert long.status_code == 400
    assert snapshot(station) == before
    done = post_attach(client, iid, "RMA-A1")
    assert done.status_code == 302 and done.location.endswith(f"/review/inspections/{iid}")
    shown = html(client, f"/review/inspections/{iid}").get_data(as_text=True)
    assert "The parcel is attached to its return" in shown
    assert "Sue.Super attached it to return RMA-A1." in shown
    assert 'id="attach-form"' not in shown and "On the return" in shown
    assert 'class="unit-expected"' in shown
    again = client.post(f"/review/inspections/{iid}/attach",
                        data={"csrf_token": csrf_from(html(client, "/review/")), "rma": "RMA-1001"})
    assert again.status_code == 409
    assert "Only an unexpected parcel" in again.get_data(as_text=True)
    assert rma_status(station, "RMA-1001") == "open"
    nowhere = client.post("/review/inspections/NOPE/attach",
                          data={"csrf_token": csrf_from(html(client, "/review/")), "rma": "x"})
    assert nowhere.status_code == 404


def test_only_a_supervisor_with_a_csrf_token_may_attach(
        app: Flask, station: StationContext) -> None:
    iid = unexpected_parcel(station)
    seed_rma(station, "RMA-A1")
    operator, supervisor = signed_in(app, OPERATOR), signed_in(app, SUPERVISOR)
    token = csrf_from(html(operator, "/bench/"))
    before = snapshot(station)  # signing in is audited too
    assert operator.post(f"/review/inspections/{iid}/attach",
                         data={"csrf_token": token, "rma": "RMA-A1"}).status_code == 403
    assert html(operator, f"/review/inspections/{iid}").status_code == 403
    anonymous = app.test_client()
    assert anonymous.post(f"/review/inspections/{iid}/attach",
                          data={"rma": "RMA-A1"}).status_code in (400, 401)
    no_csrf = supervisor.post(f"/review/inspections/{iid}/attach", data={"rma": "RMA-A1"})
    assert no_csrf.status_code == 400
    assert snapshot(station) == before and rma_status(station, "RMA-A1") == "open"
    assert post_attach(supervisor, iid, "RMA-A1").status_code == 302
    assert rma_status(station, "RMA-A1") == "inspected"


def test_a_normal_case_page_has_no_attach_form(app: Flask, station: StationContext) -> None:
    seed_rma(station, "RMA-1001")
    iid = walk_to_graded(station, "TRKRMA-1001")
    station.inspections.flag(iid, "odd box", "op")
    client = signed_in(app, SUPERVISOR)
    page = html(client, f"/review/inspections/{iid}").get_data(as_text=True)
    assert 'id="attach-form"' not in page
