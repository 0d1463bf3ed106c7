"""Supervisor review per unit: override with a reason, release a hold, four-eyes, the web form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from station import audit
from station.context import StationContext
from station.db.models import AuditEvent, InspectionUnit, Operator, OutboxEvent
from station.returns.errors import DomainError
from tests.support.bench import (
    ADMIN,
    SUPERVISOR,
    add_people,
    bench_app,
    csrf_from,
    html,
    migrated,
    signed_in,
    sqlite_settings,
)
from tests.test_units import three_unit_parcel, units_of

SUE = "supervisor:sue.super"


def person_id(ctx: StationContext, username: str) -> str:
    with ctx.db.reader() as session:
        return str(session.execute(select(Operator.id).where(Operator.username == username))
                   .scalar_one())


def flagged_parcel(ctx: StationContext) -> str:
    """The three-unit parcel (sealed, damaged, undeclared), completed: flagged for review."""
    iid = three_unit_parcel(ctx)
    assert ctx.inspections.complete(iid, "op").state == "flagged"
    return iid


def events(ctx: StationContext, event_type: str) -> list[dict[str, Any]]:
    with ctx.db.reader() as session:
        return [dict(e.payload["data"]) if "data" in e.payload else dict(e.payload)
                for e in session.execute(select(OutboxEvent).where(
                    OutboxEvent.event_type == event_type).order_by(OutboxEvent.created_at, OutboxEvent.id))
                .scalars()]


def unit_actions(ctx: StationContext, iid: str) -> list[AuditEvent]:
    with ctx.db.reader() as session:
        return list(session.execute(select(AuditEvent).where(AuditEvent.entity_id == iid)
                                    .where(AuditEvent.action == "review.unit_decided")).scalars())


def test_an_override_after_review_recomputes_the_refund_audits_and_emits_reviewed(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = flagged_parcel(ctx)
    sue = person_id(ctx, SUPERVISOR.username)
    ctx.reviews.decide(iid, sue, SUE, "parcel checked", four_eyes=True)
    _, damaged, _ = units_of(ctx, iid)
    assert damaged.refund_minor == 6000
    ctx.reviews.decide_unit(iid, damaged.id, sue, SUE, grade="D", disposition="scrap",
                            recommendation="partial_refund", deduction_pct=50,
                            note="cracked housing the bench missed", four_eyes=True)
    _, damaged, _ = units_of(ctx, iid)
    assert (damaged.grade, damaged.disposition, damaged.deduction_pct) == ("D", "scrap", 50)
    assert damaged.refund_minor == 4000  # 80.00 less 50 %
    assert damaged.review["by"] == sue and damaged.review["by_name"] == "Sue.Super"
    assert damaged.review["before"]["refund_minor"] == 6000
    assert damaged.review["after"]["refund_minor"] == 4000
    assert damaged.review["reason"] == "cracked housing the bench missed"
    inspection = ctx.inspections.get(iid)
    assert inspection.grade == "D"  # the worst unit's grade
    assert inspection.decision["totals"]["grade"] == "D"
    (row,) = unit_actions(ctx, iid)
    assert row.actor == SUE and row.data["unit_id"] == damaged.id
    assert row.data["before"]["grade"] == "C" and row.data["after"]["grade"] == "D"
    reviewed = events(ctx, "inspection.reviewed")
    assert len(reviewed) == 2  # the parcel's review, then the unit change
    last = reviewed[-1]
    assert last["changed_units"] == [damaged.id]
    (shown,) = [u for u in last["units"] if u["unit_id"] == damaged.id]
    assert (shown["grade"], shown["refund_minor"]) == ("D", 4000)
    assert shown["review"]["by_name"] == "Sue.Super"
    with ctx.db.reader() as session:
        assert audit.verify(session) == []


def test_a_change_without_a_reason_is_refused_and_changes_nothing(ctx: StationContext) -> None:
    add_people(ctx)
    iid = flagged_parcel(ctx)
    sue = person_id(ctx, SUPERVISOR.username)
    _, damaged, undeclared = units_of(ctx, iid)
    for kwargs in ({"grade": "D"}, {"release_hold_to": "restock"}):
        unit = undeclared if "release_hold_to" in kwargs else damaged
        with pytest.raises(DomainError) as refused:
            ctx.reviews.decide_unit(iid, unit.id, sue, SUE, note="  ", **kwargs)
        assert refused.value.code == "reason_required"
    _, after, held = units_of(ctx, iid)
    assert (after.grade, after.refund_minor, after.review) == ("C", 6000, {})
    assert (held.disposition, held.review) == ("hold", {})
    assert unit_actions(ctx, iid) == []
    with pytest.raises(DomainError) as bad:
        ctx.reviews.decide_unit(iid, damaged.id, sue, SUE, release_hold_to="restock", note="x")
    assert bad.value.code == "unit_not_held"
    with pytest.raises(DomainError) as bad:
        ctx.reviews.decide_unit(iid, undeclared.id, sue, SUE, release_hold_to="hold", note="x")
    assert bad.value.code == "bad_release"


def test_releasing_the_undeclared_units_hold_credits_the_supervisor_by_name(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = flagged_parcel(ctx)
    sue = person_id(ctx, SUPERVISOR.username)
    *_, undeclared = units_of(ctx, iid)
    ctx.reviews.decide_unit(iid, undeclared.id, sue, SUE, release_hold_to="restock",
                            recommendation="deny", note="our own cable, sealed: back to stock")
    *_, undeclared = units_of(ctx, iid)
    assert (undeclared.disposition, undeclared.recommendation) == ("restock", "deny")
    assert undeclared.refund_minor == 0
    assert undeclared.review["outcome"] == "release_hold"
    assert undeclared.review["by_name"] == "Sue.Super"
    assert undeclared.review["before"]["disposition"] == "hold"
    inspection = ctx.inspections.get(iid)
    assert inspection.state == "flagged"  # the parcel still needs its own review
    assert inspection.decision["totals"]["refund_total_minor"] == 5000 + 6000
    assert events(ctx, "inspection.reviewed") == []  # no event before the parcel's review
    ctx.reviews.decide(iid, sue, SUE, "all units decided", four_eyes=True)  # unit work ≠ bench
    (reviewed,) = events(ctx, "inspection.reviewed")
    (shown,) = [u for u in reviewed["units"] if u["unit_id"] == undeclared.id]
    assert shown["disposition"] == "restock" and shown["review"]["by_name"] == "Sue.Super"


def test_four_eyes_the_supervisor_who_worked_the_bench_cannot_decide_a_unit(
        ctx: StationContext) -> None:
    add_people(ctx)
    iid = three_unit_parcel(ctx)
    ctx.inspections.flag(iid, "odd cable", SUE)  # sue worked this parcel at the bench
    sue, ada = person_id(ctx, SUPERVISOR.username), person_id(ctx, ADMIN.username)
    sealed, *_ = units_of(ctx, iid)
    with pytest.raises(DomainError, match="another supervisor"):
        ctx.reviews.decide_unit(iid, sealed.id, sue, SUE, grade="B", note="looks used",
                                four_eyes=True)
    assert units_of(ctx, iid)[0].grade == "A"
    ctx.reviews.decide_unit(iid, sealed.id, ada, "admin:ada.admin", note="", four_eyes=True)
    assert units_of(ctx, iid)[0].review["outcome"] == "approve"
    assert units_of(ctx, iid)[0].review["by_name"] == "Ada.Admin"


@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path))
    add_people(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


def post_unit(client: Any, iid: str, unit_id: str, **form: str) -> Any:
    page = html(client, f"/review/inspections/{iid}")
    assert page.status_code == 200 and f'id="unit-form-{unit_id}"' in page.get_data(as_text=True)
    return client.post(f"/review/inspections/{iid}/units/{unit_id}/decision",
                       data={"csrf_token": csrf_from(page), **form})


def unit_row(ctx: StationContext, unit_id: str) -> InspectionUnit:
    with ctx.db.reader() as session:
        row = session.get(InspectionUnit, unit_id)
        assert row is not None
        return row


def test_the_case_page_decides_units_and_says_who_did_what(
        app: Flask, station: StationContext) -> None:
    iid = flagged_parcel(station)
    _, damaged, undeclared = units_of(station, iid)
    client = signed_in(app, SUPERVISOR)
    page = html(client, f"/review/inspections/{iid}").get_data(as_text=True)
    assert 'id="units"' in page and 'name="release_hold_to"' in page
    refused = post_unit(client, iid, damaged.id, grade="D", note="")
    assert refused.status_code == 400 and "reason is required" in refused.get_data(as_text=True)
    assert unit_row(station, damaged.id).grade == "C"
    bad = post_unit(client, iid, damaged.id, grade="Z", note="why not")
    assert bad.status_code == 400 and unit_row(station, damaged.id).grade == "C"
    wrong = post_unit(client, iid, damaged.id, release_hold_to="restock", note="why not")
    assert wrong.status_code == 400 and "not on hold" in wrong.get_data(as_text=True)
    done = post_unit(client, iid, undeclared.id, release_hold_to="restock",
                     note="our cable, unopened")
    assert done.status_code == 302
    assert unit_row(station, undeclared.id).disposition == "restock"
    page = html(client, f"/review/inspections/{iid}").get_data(as_text=True)
    assert "Sue.Super released the hold: the unit goes to Restock." in page
    assert "our cable, unopened" in page
    no_csrf = client.post(f"/review/inspections/{iid}/units/{damaged.id}/decision",
                          data={"grade": "D", "note": "x"})
    assert no_csrf.status_code == 400 and unit_row(station, damaged.id).grade == "C"
    missing = post_unit(client, iid, damaged.id, note="")  # approve as it is: no reason needed
    assert missing.status_code == 302
    assert client.post(f"/review/inspections/{iid}/units/NOPE/decision",
                       data={"csrf_token": csrf_from(html(client, f"/review/inspections/{iid}")),
                             "note": ""}).status_code == 404
