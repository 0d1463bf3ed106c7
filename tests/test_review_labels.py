"""Review of the directed sort: search by plate, each unit's plate and label, reprints, the totes page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from station.context import StationContext
from station.db.models import AuditEvent, InspectionUnit, LabelPrint, Tote
from station.review import search
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded
from tests.support.bench import (
    OPERATOR,
    SUPERVISOR,
    add_people,
    bench_app,
    csrf,
    csrf_from,
    html,
    migrated,
    signed_in,
    snapshot,
)

SUE = "supervisor:sue.super"


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "review-labels-key"},
                                 labels={"station_code": "T1"}))
    add_people(ctx, (OPERATOR, SUPERVISOR))
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


@pytest.fixture
def supervisor(app: Flask) -> FlaskClient:
    return signed_in(app, SUPERVISOR)


def confirmed(station: StationContext, rma_id: str = "RMA-1001") -> tuple[str, InspectionUnit]:
    """A parcel confirmed at the bench: its one unit has a plate, a destination and a label job."""
    seed_rma(station, rma_id)
    inspection_id = walk_to_graded(station, label=f"TRK{rma_id}")
    station.inspections.complete(inspection_id, "op")
    with station.db.reader() as session:
        unit = session.execute(select(InspectionUnit).where(
            InspectionUnit.inspection_id == inspection_id)).scalars().one()
    assert unit.lpn is not None and unit.destination == "RESTOCK"
    return inspection_id, unit


def jobs(station: StationContext) -> list[LabelPrint]:
    with station.db.reader() as session:
        return list(session.execute(select(LabelPrint).order_by(LabelPrint.created_at, LabelPrint.id))
                    .scalars())


def reprint_events(station: StationContext) -> list[AuditEvent]:
    with station.db.reader() as session:
        return list(session.execute(select(AuditEvent).where(
            AuditEvent.action == "label.reprint_requested").order_by(AuditEvent.seq)).scalars())


def tote_row(station: StationContext, code: str) -> Tote:
    with station.db.reader() as session:
        return session.execute(select(Tote).where(Tote.code == code)).scalars().one()


def test_search_finds_an_inspection_by_a_units_plate_in_any_case(
    station: StationContext, supervisor: FlaskClient,
) -> None:
    inspection_id, unit = confirmed(station)
    other_id, _ = confirmed(station, "RMA-2002")
    assert unit.lpn is not None
    with station.db.reader() as session:
        assert [i.id for i in search(session, unit.lpn.lower())] == [inspection_id]
        assert [i.id for i in search(session, f"  {unit.lpn}  ")] == [inspection_id]
        assert [i.id for i in search(session, "RMA-2002")] == [other_id]  # what it found before
        assert search(session, unit.lpn[:-1]) == []  # exact, not a prefix
    page = html(supervisor, f"/review/search?q={unit.lpn.lower()}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"/review/inspections/{inspection_id}" in text and f"/review/inspections/{other_id}" not in text


def test_the_case_page_shows_each_units_plate_destination_and_label(
    station: StationContext, supervisor: FlaskClient,
) -> None:
    inspection_id, unit = confirmed(station)
    station.sorting.sort_scan(inspection_id, "TOTE-0042", "bench:ana.op")
    page = html(supervisor, f"/review/inspections/{inspection_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert unit.lpn is not None and unit.lpn in text
    assert "Restock tote" in text and "TOTE-0042" in text and "bench:ana.op" in text
    assert "Label queued" in text and "Reprint label" in text

    with station.db.transaction() as session:
        job = session.execute(select(LabelPrint)).scalars().one()
        job.status, job.error = "failed", "paper out"
    assert "Label not printed: paper out" in html(
        supervisor, f"/review/inspections/{inspection_id}").get_data(as_text=True)

    switched = supervisor.post("/auth/language", data={
        "csrf_token": csrf(supervisor, f"/review/inspections/{inspection_id}"), "lang": "zh_Hans_CN",
        "next": f"/review/inspections/{inspection_id}"})
    assert switched.status_code == 302
    chinese = html(supervisor, f"/review/inspections/{inspection_id}").get_data(as_text=True)
    assert "重新上架周转箱" in chinese and "重新打印标签" in chinese


def test_a_supervisor_reprints_a_units_label_queued_at_its_bench_and_audited(
    station: StationContext, supervisor: FlaskClient,
) -> None:
    inspection_id, unit = confirmed(station)
    [first] = jobs(station)
    page = html(supervisor, f"/review/inspections/{inspection_id}")
    response = supervisor.post(f"/review/inspections/{inspection_id}/units/{unit.id}/reprint",
                               data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert response.location.startswith(f"/review/inspections/{inspection_id}")
    [_, again] = jobs(station)
    assert (again.kind, again.unit_id, again.status) == ("unit", unit.id, "queued")
    assert again.reprint_of == first.id and again.requested_by == SUE
    assert again.station_id == "bench-test"  # the bench that labelled the unit prints it
    [event] = reprint_events(station)
    assert event.actor == SUE and event.entity_id == unit.id
    assert event.data["job"] == again.id and event.data["why"] == "review"
    shown = html(supervisor, response.location).get_data(as_text=True)
    assert f"Label {unit.lpn} is queued again at bench-test." in shown


def test_an_operator_cannot_reprint_from_review_and_bad_requests_change_nothing(
    app: Flask, station: StationContext, supervisor: FlaskClient,
) -> None:
    inspection_id, unit = confirmed(station)
    other_id, other_unit = confirmed(station, "RMA-2002")
    operator = signed_in(app, OPERATOR)
    path = f"/review/inspections/{inspection_id}/units/{unit.id}/reprint"
    before = snapshot(station), len(jobs(station))
    assert operator.post(path, data={"csrf_token": csrf(operator, "/bench/")}).status_code == 403
    token = csrf(supervisor, f"/review/inspections/{inspection_id}")
    assert supervisor.post(path).status_code == 400  # no CSRF token
    for bad in (f"/review/inspections/{inspection_id}/units/NO-SUCH-UNIT/reprint",
                f"/review/inspections/{inspection_id}/units/{other_unit.id}/reprint",
                f"/review/inspections/NO-SUCH/units/{unit.id}/reprint",
                "/review/totes/NO-SUCH-TOTE/close", "/review/totes/NO-SUCH-TOTE/reprint",
                f"/review/totes/{'X' * 300}/close"):
        assert supervisor.post(bad, data={"csrf_token": token}).status_code == 404, bad
    assert (snapshot(station), len(jobs(station))) == before
    assert reprint_events(station) == []
    assert other_id != inspection_id


def test_the_totes_page_lists_an_open_tote_and_closes_it_then_reprints_its_label(
    station: StationContext, supervisor: FlaskClient,
) -> None:
    inspection_id, unit = confirmed(station)
    assert station.sorting.sort_scan(inspection_id, "TOTE-0007", "bench:ana.op").result == "tote_opened"
    tote = tote_row(station, "TOTE-0007")
    page = html(supervisor, "/review/totes")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/review/totes" in html(supervisor, "/review/").get_data(as_text=True)  # in the navigation
    assert "TOTE-0007" in text and "Restock tote" in text and "1 of 24" in text
    assert unit.lpn is not None and unit.lpn in text
    assert "No tote was closed yet." in text

    token = csrf_from(page)
    refused = supervisor.post(f"/review/totes/{tote.id}/reprint", data={"csrf_token": token},
                              follow_redirects=True)
    assert refused.status_code == 200 and "An open tote has no label yet" in refused.get_data(as_text=True)
    closed = supervisor.post(f"/review/totes/{tote.id}/close", data={"csrf_token": token})
    assert closed.status_code == 302 and closed.location.startswith("/review/totes")
    row = tote_row(station, "TOTE-0007")
    assert row.status == "closed" and row.closed_by == SUE
    after = html(supervisor, "/review/totes").get_data(as_text=True)
    assert "Tote TOTE-0007 is closed" in after and "No tote is open." in after
    assert "Reprint tote label" in after

    again = supervisor.post(f"/review/totes/{tote.id}/close", data={"csrf_token": token},
                            follow_redirects=True)
    assert again.status_code == 200 and "That tote is closed already." in again.get_data(as_text=True)

    tote_jobs = [j for j in jobs(station) if j.kind == "tote"]
    reprinted = supervisor.post(f"/review/totes/{tote.id}/reprint", data={"csrf_token": token})
    assert reprinted.status_code == 302
    new = [j for j in jobs(station) if j.kind == "tote"][len(tote_jobs):]
    assert len(new) == 1 and new[0].tote_id == tote.id and new[0].requested_by == SUE
    assert new[0].reprint_of == (tote_jobs[-1].id if tote_jobs else None)
    [event] = reprint_events(station)
    assert event.actor == SUE and event.entity_type == "tote" and event.entity_id == tote.id
