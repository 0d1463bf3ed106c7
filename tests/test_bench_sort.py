"""The done screen's directed sort through the bench routes: where it goes, scans, reprint, PDF, totes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from station.context import StationContext
from station.db.models import InspectionUnit, LabelPrint, Tote
from tests.conftest import make_settings
from tests.factories import seed_rma, walk_to_graded
from tests.support.bench import OPERATOR, add_people, migrated, snapshot
from tests.test_bench_flow import Bench
from web.app import create_app


@pytest.fixture
def station(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    ctx = migrated(make_settings(tmp_path, database_url, web={"secret_key": "sort-test-key"},
                                 labels={"station_code": "T1"}))
    add_people(ctx, (OPERATOR,))
    yield ctx
    ctx.close()


@pytest.fixture
def bench(station: StationContext) -> Bench:
    return Bench(create_app(station.settings, station, devices=None), station)


def confirmed(station: StationContext, rma_id: str = "RMA-1001") -> tuple[str, InspectionUnit]:
    seed_rma(station, rma_id)
    inspection_id = walk_to_graded(station, label=f"TRK{rma_id}")
    station.inspections.complete(inspection_id, "op")
    with station.db.reader() as session:
        unit = session.execute(select(InspectionUnit).where(
            InspectionUnit.inspection_id == inspection_id)).scalars().one()
    return inspection_id, unit


def scan(bench: Bench, code: str) -> dict[str, object]:
    body = bench.fetch("/bench/scan", code=code, source="scanner").get_json()
    assert isinstance(body, dict) and body["message"]
    return body


def test_the_done_screen_says_where_each_unit_goes_and_a_scan_puts_it_there(
    bench: Bench, station: StationContext,
) -> None:
    inspection_id, unit = confirmed(station)
    page = bench.page(f"/bench/i/{inspection_id}/done")
    assert unit.lpn is not None and unit.lpn in page
    assert "Restock tote" in page and "Take an empty Restock tote and scan its code." in page
    assert "data-return-after" not in page  # the bench waits for the sort scan

    before = snapshot(station)
    wrong = scan(bench, "LOC-HOLD")
    assert wrong["ok"] is False and wrong["sound"] == "bad"
    assert "Wrong place" in str(wrong["message"]) and "Hold shelf" in str(wrong["message"])
    assert snapshot(station) == before

    right = scan(bench, "TOTE-0001")
    assert right["ok"] is True and str(right["redirect"]).endswith(f"/{inspection_id}/done")
    done = bench.page(f"/bench/i/{inspection_id}/done")
    assert "Every item is in its place." in done and 'data-return-after="4"' in done
    assert "TOTE-0001" in done
    # nothing waits now: a place scanned again is answered, a return label opens the next parcel
    assert scan(bench, "TOTE-0001")["ok"] is False
    seed_rma(station, "RMA-2002")
    assert scan(bench, "TRKRMA-2002")["ok"] is True


def test_a_failed_label_offers_a_reprint_and_a_pdf(bench: Bench, station: StationContext) -> None:
    inspection_id, unit = confirmed(station)
    with station.db.transaction() as session:
        job = session.execute(select(LabelPrint)).scalars().one()
        job.status, job.error = "failed", "paper out"
        job_id = job.id
    page = bench.page(f"/bench/i/{inspection_id}/done")
    assert "Label not printed: paper out" in page and "Print again" in page
    pdf = bench.client.get(f"/bench/labels/{job_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    response = bench.post(f"/bench/units/{unit.id}/reprint")
    assert response.status_code == 302 and response.location.endswith("/done")
    with station.db.reader() as session:
        jobs = list(session.execute(select(LabelPrint).order_by(LabelPrint.created_at)).scalars())
    assert [j.status for j in jobs] == ["failed", "queued"] and jobs[1].reprint_of == job_id
    assert bench.post(f"/bench/units/{unit.id}/reprint", printer="tcp://evil:9100"
                      ).status_code == 400
    assert bench.client.get("/bench/labels/NO-SUCH-JOB.pdf").status_code == 404


def test_a_tote_closed_by_hand_queues_its_label(bench: Bench, station: StationContext) -> None:
    inspection_id, _unit = confirmed(station)
    scan(bench, "TOTE-0002")
    with station.db.reader() as session:
        tote = session.execute(select(Tote)).scalars().one()
    response = bench.post(f"/bench/totes/{tote.id}/close", back=f"/bench/i/{inspection_id}/done")
    assert response.status_code == 302 and response.location.endswith("/done")
    with station.db.reader() as session:
        closed = session.get(Tote, tote.id)
        tote_jobs = session.execute(select(LabelPrint).where(LabelPrint.kind == "tote")).all()
    assert closed is not None and closed.status == "closed" and len(tote_jobs) == 1
    assert bench.post("/bench/totes/NO-SUCH/close").status_code == 404
