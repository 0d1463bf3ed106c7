"""The audit anchor written by a background thread: newest head anchored, bursts coalesced, trouble reported."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from station import audit
from station.audit import AnchorFile
from station.audit_anchor import AnchorWriter
from station.context import StationContext
from tests.factories import seed_rma


def _verify(ctx: StationContext) -> list[audit.AuditProblem]:
    with ctx.db.reader() as session:
        return audit.verify(session, ctx.anchors.read())


def test_steps_committed_in_background_mode_are_anchored_and_a_cut_is_still_caught(
        ctx: StationContext) -> None:
    writer = ctx.work.anchor_in_background()
    try:
        seed_rma(ctx)
        inspection = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
        for grams in range(550, 560):
            ctx.inspections.record_weight(inspection.id, grams * 1000, "scale", "op")
        assert writer.flush()
        with ctx.db.reader() as session:
            newest_seq, newest_hash = audit.head(session)
        anchors = ctx.anchors.read()
        assert anchors[-1] == (newest_seq, newest_hash)
        assert all(seq <= newest_seq for seq, _ in anchors)
        assert _verify(ctx) == []
        with ctx.db.engine.begin() as conn:  # cut the newest row off and rewind the head
            conn.execute(text(f"DELETE FROM audit_event WHERE seq = {newest_seq}"))
            conn.execute(text("UPDATE audit_head SET seq = :s"), {"s": newest_seq - 1})
        assert [p.seq for p in _verify(ctx) if "cut off" in p.problem] == [newest_seq]
    finally:
        ctx.work.close_anchor_writer()
    assert ctx.work.anchor_writer is None


def test_a_burst_of_heads_is_written_as_the_newest_one(tmp_path: Path) -> None:
    anchors = AnchorFile(tmp_path / "anchors.log")
    started, release = threading.Event(), threading.Event()
    results: list[str | None] = []
    real_append = anchors.append

    def slow_append(seq: int, hash_: str) -> None:  # hold the first write until the burst is in
        started.set()
        release.wait(5)
        real_append(seq, hash_)

    anchors.append = slow_append  # type: ignore[method-assign]
    writer = AnchorWriter(anchors, results.append)
    writer.submit(1, "a" * 64)
    assert started.wait(5)
    for seq in range(2, 50):
        writer.submit(seq, f"{seq:064x}")
    writer.submit(7, "b" * 64)  # an older head handed in late never replaces a newer one
    release.set()
    assert writer.flush()
    writer.close()
    assert anchors.read() == [(1, "a" * 64), (49, f"{49:064x}")]
    assert results == [None, None]
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(50, "c" * 64)


def test_an_anchor_that_cannot_be_written_is_a_station_problem_until_one_succeeds(
        ctx: StationContext, tmp_path: Path) -> None:
    seed_rma(ctx)
    inspection = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
    writer = ctx.work.anchor_in_background()
    try:
        blocked = tmp_path / "not-a-folder"
        blocked.write_text("a file where the anchor's folder should be")
        good_path = ctx.anchors.path
        ctx.anchors.path = blocked / "anchors.log"
        ctx.inspections.record_weight(inspection.id, 550_000, "scale", "op")
        assert writer.flush()
        assert ctx.inspections.get(inspection.id).measured_weight_mg == 550_000  # committed
        assert ctx.work.anchor_problem is not None and "not written" in ctx.work.anchor_problem
        ctx.anchors.path = good_path
        ctx.inspections.record_weight(inspection.id, 551_000, "scale", "op")
        assert writer.flush()
        assert ctx.work.anchor_problem is None
        assert _verify(ctx) == []
    finally:
        ctx.work.close_anchor_writer()
