"""Tamper evidence: an edited, deleted, reordered or cut-off audit log and a changed photo are found."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from station import audit
from station.context import StationContext
from station.evidence.integrity import check_all
from station.evidence.store import EvidenceError, LocalPhotoStore, original_key
from station.evidence.thumbnails import make_thumbnail
from tests.factories import jpeg, seed_rma, walk_to_graded


def problems(ctx: StationContext) -> list[audit.AuditProblem]:
    with ctx.db.reader() as session:
        return audit.verify(session, ctx.anchors.read())


@pytest.fixture
def history(ctx: StationContext) -> StationContext:
    seed_rma(ctx)
    ctx.inspections.complete(walk_to_graded(ctx), "op")
    assert problems(ctx) == []
    return ctx


def _sql(ctx: StationContext, statement: str) -> None:
    with ctx.db.engine.begin() as conn:
        conn.execute(text(statement))


def test_an_edited_audit_row_is_named(history: StationContext) -> None:
    _sql(history, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 3")
    assert [p.seq for p in problems(history)] == [3]
    assert "edited" in problems(history)[0].problem


def test_a_deleted_audit_row_is_found(history: StationContext) -> None:
    _sql(history, "DELETE FROM audit_event WHERE seq = 4")
    found = problems(history)
    assert {p.seq for p in found} >= {4, 5}


def test_reordered_rows_are_found(history: StationContext) -> None:
    _sql(history, "UPDATE audit_event SET seq = 1000 WHERE seq = 2")
    _sql(history, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    _sql(history, "UPDATE audit_event SET seq = 3 WHERE seq = 1000")
    assert problems(history)


def test_cutting_off_the_newest_rows_is_caught_by_the_anchors(history: StationContext) -> None:
    with history.db.reader() as session:
        last, _ = audit.head(session)
    # The attacker also rewinds the head row so the chain itself looks consistent.
    with history.db.engine.begin() as conn:
        prev = conn.execute(text(f"SELECT hash FROM audit_event WHERE seq = {last - 2}")).scalar_one()
        conn.execute(text(f"DELETE FROM audit_event WHERE seq > {last - 2}"))
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": last - 2, "h": prev})
    with history.db.reader() as session:
        assert audit.verify(session, []) == []  # the chain alone cannot see it...
    found = problems(history)  # ...the anchors can
    assert any("cut off" in p.problem for p in found)


def test_a_damaged_anchor_file_is_reported(history: StationContext) -> None:
    with open(history.anchors.path, "a", encoding="utf-8") as handle:
        handle.write("garbage line\n")
    assert any(p.seq == -1 for p in problems(history))


def test_photo_originals_are_content_addressed_and_read_only(tmp_path: Path) -> None:
    store = LocalPhotoStore(tmp_path)
    data = jpeg(1)
    stored = store.put_original(data)
    assert stored.storage_key == original_key(stored.sha256)
    assert store.get_original(stored.storage_key) == data
    assert oct((tmp_path / stored.storage_key).stat().st_mode & 0o777) == "0o440"
    assert store.put_original(data) == stored  # same bytes, same object, no rewrite
    assert not list(tmp_path.rglob(".tmp-*"))
    with pytest.raises(EvidenceError):
        store.put_original(b"")
    with pytest.raises(EvidenceError):
        store.get_original("../../etc/passwd")


def test_thumbnails_are_derivatives_and_bad_images_are_refused() -> None:
    thumb = make_thumbnail(jpeg(2), max_px=64)
    assert thumb[:2] == b"\xff\xd8"
    with pytest.raises(EvidenceError):
        make_thumbnail(b"not an image")


def test_evidence_verify_finds_changed_and_missing_photos(history: StationContext) -> None:
    with history.db.reader() as session:
        checks = list(check_all(session, history.store))
    assert [c.status for c in checks] == ["ok", "ok", "ok"]
    root = Path(history.settings.evidence.photo_dir)
    files = sorted(p for p in (root / "originals").rglob("*") if p.is_file())
    os.chmod(files[0], 0o640)
    files[0].write_bytes(files[0].read_bytes() + b"\x00")
    files[1].unlink()
    with history.db.reader() as session:
        statuses = sorted(c.status for c in check_all(session, history.store))
    assert statuses == ["mismatch", "missing", "ok"]


def test_deleting_steps_after_the_last_webhook_is_caught_too(ctx: StationContext) -> None:
    """Weights, scans and photos emit no webhook; their commits are anchored all the same."""
    seed_rma(ctx)
    inspection = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")  # emits
    with ctx.db.reader() as session:
        received_seq, received_hash = audit.head(session)
    ctx.inspections.record_weight(inspection.id, 550_000, "scale", "op")  # no webhook
    ctx.inspections.record_weight(inspection.id, 551_000, "scale", "op")  # no webhook
    with ctx.db.engine.begin() as conn:  # delete both and rewind the head to the received row
        conn.execute(text(f"DELETE FROM audit_event WHERE seq > {received_seq}"))
        conn.execute(text("UPDATE audit_head SET seq = :s, hash = :h"),
                     {"s": received_seq, "h": received_hash})
    with ctx.db.reader() as session:
        assert audit.verify(session, []) == []  # the chain alone looks whole
    found = problems(ctx)
    assert [p.seq for p in found if "cut off" in p.problem] == [received_seq + 1, received_seq + 2]


def test_an_anchor_file_that_cannot_be_written_does_not_undo_a_committed_step(
        ctx: StationContext, tmp_path: Path) -> None:
    seed_rma(ctx)
    inspection = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the anchor's folder should be")
    ctx.anchors.path = blocked / "anchors.log"
    ctx.inspections.record_weight(inspection.id, 550_000, "scale", "op")  # no exception
    assert ctx.inspections.get(inspection.id).measured_weight_mg == 550_000  # it was stored
    assert ctx.work.anchor_problem is not None and "not written" in ctx.work.anchor_problem
    ctx.anchors.path = tmp_path / "anchors.log"
    ctx.inspections.record_weight(inspection.id, 551_000, "scale", "op")
    assert ctx.work.anchor_problem is None  # the next anchor that succeeds clears it
