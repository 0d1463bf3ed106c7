"""Supervisor review: queue, decisions (approve / override / re-inspect), four-eyes, search, evidence pack."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from station import audit
from station.context import StationContext
from station.db.models import Inspection, Operator, OutboxEvent, Photo
from station.returns.errors import DomainError
from tests.factories import HEADPHONES_GTIN, seed_rma, walk_to_graded
from tests.support.bench import (
    ADMIN,
    OPERATOR,
    SUPERVISOR,
    add_people,
    bench_app,
    csrf_from,
    html,
    migrated,
    signed_in,
    sqlite_settings,
)


@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path))
    add_people(ctx)
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


def flagged(ctx: StationContext, rma_id: str, *, manual: bool = False) -> str:
    """A finished inspection handed to a supervisor (manual weight or an operator flag)."""
    seed_rma(ctx, rma_id)
    inspection_id = walk_to_graded(ctx, label=f"TRK{rma_id}")
    if manual:
        ctx.inspections.record_weight(inspection_id, 550_000, "manual", "op")
        ctx.inspections.grade(inspection_id, "op")
        ctx.inspections.complete(inspection_id, "op")
    else:
        ctx.inspections.flag(inspection_id, "box smells of smoke", "op")
    return inspection_id


def state(ctx: StationContext, inspection_id: str) -> Inspection:
    with ctx.db.reader() as session:
        row = session.get(Inspection, inspection_id)
        assert row is not None
        return row


def decide(client: object, inspection_id: str, **form: str) -> object:
    page = html(client, f"/review/inspections/{inspection_id}")  # type: ignore[arg-type]
    assert page.status_code == 200
    return client.post(f"/review/inspections/{inspection_id}/decision",  # type: ignore[attr-defined]
                       data={"csrf_token": csrf_from(page), **form})


def test_operators_cannot_open_review_and_supervisors_see_the_queue_oldest_first(
    app: Flask, station: StationContext,
) -> None:
    first, second = flagged(station, "RMA-1"), flagged(station, "RMA-2", manual=True)
    assert html(signed_in(app, OPERATOR), "/review/").status_code == 403
    assert html(app.test_client(), "/review/").status_code == 302
    page = html(signed_in(app, SUPERVISOR), "/review/").get_data(as_text=True)
    assert page.index("RMA-1") < page.index("RMA-2")
    assert first in page and second in page
    narrowed = html(signed_in(app, SUPERVISOR), "/review/?reason=manual_weight").get_data(as_text=True)
    assert "RMA-2" in narrowed and "RMA-1<" not in narrowed and first not in narrowed
    assert html(signed_in(app, SUPERVISOR), "/review/?grade=Z").status_code == 400


def test_approve_needs_the_typed_weight_approved_and_emits_reviewed(
    app: Flask, station: StationContext,
) -> None:
    inspection_id = flagged(station, "RMA-1", manual=True)
    client = signed_in(app, SUPERVISOR)
    decide(client, inspection_id, decision="approve", note="")
    assert state(station, inspection_id).state == "flagged"  # refused: weight not approved
    decide(client, inspection_id, decision="approve", approve_manual_weight="yes", note="weighed again")
    row = state(station, inspection_id)
    assert row.state == "reviewed" and row.review["manual_weight_approved"] is True
    with station.db.reader() as session:
        types = session.execute(select(OutboxEvent.event_type).order_by(OutboxEvent.created_at)).scalars()
        assert list(types)[-1] == "inspection.reviewed"
        assert audit.verify(session) == []


def test_an_override_needs_a_reason_and_changes_the_result(app: Flask, station: StationContext) -> None:
    inspection_id = flagged(station, "RMA-1")
    client = signed_in(app, SUPERVISOR)
    decide(client, inspection_id, decision="override", grade="C", note="")
    assert state(station, inspection_id).state == "flagged"
    decide(client, inspection_id, decision="override", grade="C", disposition="refurbish",
           note="scratch on the back the bench missed")
    row = state(station, inspection_id)
    assert (row.state, row.grade, row.disposition) == ("reviewed", "C", "refurbish")
    assert row.review["override"] == {"grade": "C", "disposition": "refurbish"}


def test_the_decision_needs_the_csrf_token(app: Flask, station: StationContext) -> None:
    inspection_id = flagged(station, "RMA-1")
    client = signed_in(app, SUPERVISOR)
    response = client.post(f"/review/inspections/{inspection_id}/decision", data={"decision": "approve"})
    assert response.status_code == 400 and state(station, inspection_id).state == "flagged"


def test_reinspection_opens_the_return_for_a_new_inspection(app: Flask, station: StationContext) -> None:
    inspection_id = flagged(station, "RMA-1")
    decide(signed_in(app, SUPERVISOR), inspection_id, decision="reinspect", note="wrong photos")
    assert state(station, inspection_id).review["outcome"] == "reinspect"
    again = station.inspections.receive("TRKRMA-1", "bench-test", None, "op")
    assert again.id != inspection_id and again.state == "received"


def person_id(ctx: StationContext, username: str) -> str:
    with ctx.db.reader() as session:
        return str(session.execute(select(Operator.id).where(Operator.username == username)).scalar_one())


def test_four_eyes_a_supervisor_cannot_review_their_own_bench_work(
    app: Flask, station: StationContext,
) -> None:
    seed_rma(station, "RMA-1")
    inspection_id = walk_to_graded(station, label="TRKRMA-1")
    station.inspections.flag(inspection_id, "odd", "supervisor:sue.super")  # sue worked the bench
    sue, ada = person_id(station, SUPERVISOR.username), person_id(station, ADMIN.username)
    with pytest.raises(DomainError, match="another supervisor"):
        station.reviews.decide(inspection_id, sue, "supervisor:sue.super", "ok", four_eyes=True)
    page = html(signed_in(app, SUPERVISOR), f"/review/inspections/{inspection_id}").get_data(as_text=True)
    assert "four-eyes" in page and 'id="decision-form"' not in page
    station.reviews.decide(inspection_id, ada, "admin:ada.admin", "ok", four_eyes=True)
    assert state(station, inspection_id).state == "reviewed"


def test_search_finds_an_inspection_by_rma_tracking_gtin_and_serial(
    app: Flask, station: StationContext,
) -> None:
    inspection_id = flagged(station, "RMA-77")
    client = signed_in(app, SUPERVISOR)
    for text in ("RMA-77", "rma-77", "TRKRMA-77", "SO-RMA-77", HEADPHONES_GTIN, "SN-001"):
        assert inspection_id in html(client, f"/review/search?q={text}").get_data(as_text=True), text
    assert inspection_id not in html(client, "/review/search?q=nothing-like-it").get_data(as_text=True)
    assert "1 to 200" in html(client, "/review/search?q=" + "x" * 201).get_data(as_text=True)


def test_the_evidence_pack_holds_originals_whose_hashes_match_the_manifest(
    app: Flask, station: StationContext,
) -> None:
    inspection_id = flagged(station, "RMA-1")
    response = signed_in(app, SUPERVISOR).get(f"/review/inspections/{inspection_id}/evidence.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(response.data))
    manifest = json.loads(pack.read("manifest.json"))
    assert manifest["inspection"]["inspection_id"] == inspection_id and "summary.html" in pack.namelist()
    import hashlib

    assert manifest["photos"]
    for photo in manifest["photos"]:
        assert hashlib.sha256(pack.read(photo["file"])).hexdigest() == photo["sha256"]
        assert photo["sha256_verified"] is True
    assert manifest["audit"] and all(row["hash_ok"] for row in manifest["audit"])


def test_the_integrity_check_reports_an_altered_original(app: Flask, station: StationContext) -> None:
    inspection_id = flagged(station, "RMA-1")
    with station.db.reader() as session:
        photo = session.execute(select(Photo).where(Photo.inspection_id == inspection_id)).scalars().first()
        assert photo is not None
    client = signed_in(app, SUPERVISOR)
    token = csrf_from(html(client, f"/review/inspections/{inspection_id}"))
    headers = {"X-CSRFToken": token, "X-Requested-With": "fetch"}
    assert client.post(f"/review/photos/{photo.id}/verify", headers=headers).json["status"] == "ok"
    path = Path(station.settings.evidence.photo_dir) / photo.storage_key
    path.chmod(0o600)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")
    assert client.post(f"/review/photos/{photo.id}/verify", headers=headers).json["status"] == "mismatch"
    original = client.get(f"/review/photos/{photo.id}")
    assert original.headers["X-Content-SHA256"] == photo.sha256
