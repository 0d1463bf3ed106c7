"""`station evidence verify [--repair]`: originals without a row and temp leftovers are named, then quarantined."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from station.cli import main
from station.context import StationContext
from station.evidence.store import LocalPhotoStore
from tests.factories import jpeg, seed_rma, walk_to_graded


def hour_ago() -> float:
    """An hour before now (computed when used: a module constant ages with the test run)."""
    return time.time() - 3600


def write_config(ctx: StationContext, path: Path) -> Path:
    s = ctx.settings
    config = path / "station.toml"
    config.write_text(
        f"data_dir = {json.dumps(str(s.data_dir))}\n"
        f"[database]\nurl = {json.dumps(s.database.url)}\n"
        f"[evidence]\nphoto_dir = {json.dumps(str(s.evidence.photo_dir))}\n"
        f"[audit]\nanchor_file = {json.dumps(str(s.audit.anchor_file))}\n", encoding="utf-8")
    return config


def verify(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--config", str(config), "evidence", "verify", *args])
    return code, capsys.readouterr().out


def test_orphans_and_temp_leftovers_are_reported_then_moved_aside_never_deleted(
        ctx: StationContext, tmp_path: Path, clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    seed_rma(ctx)
    ctx.inspections.complete(walk_to_graded(ctx), "op")
    config = write_config(ctx, tmp_path)
    root = Path(ctx.settings.evidence.photo_dir)
    assert verify(config, capsys) == (0, "3 photos checked, 0 problems\n"
                                         "0 files without a row, 0 temp leftovers\n")

    # a capture killed after its file, before its row; a write killed before its rename
    orphan = LocalPhotoStore(root).put_original(jpeg(99)).storage_key
    leftover = root / "originals" / "ab" / ".tmp-k1ll3d"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a jpeg")
    fresh = root / "derived" / ".tmp-in-flight"  # a write going on right now: left alone
    fresh.parent.mkdir(parents=True, exist_ok=True)
    fresh.write_bytes(b"x")
    for path in (root / orphan, leftover):
        os.utime(path, (hour_ago(), hour_ago()))

    code, out = verify(config, capsys)
    assert code == 1
    assert f"ORPHAN    {orphan} (" in out and "no photo row names it" in out
    assert "TEMP      originals/ab/.tmp-k1ll3d (11 B, 60 min old): left by an interrupted write" in out
    assert "1 files without a row, 1 temp leftovers; 1 newer than 600 s left alone" in out
    assert "3 photos checked, 0 problems" in out

    code, out = verify(config, capsys, "--repair")
    assert code == 0, out
    moved = [line for line in out.splitlines() if line.startswith("moved")]
    assert len(moved) == 1 and "(1 without a row, 1 temp leftovers); nothing was deleted" in moved[0]
    batch = moved[0].split(" to ")[1].split(" in the photo store")[0]
    assert batch.startswith(".quarantine/") and len(batch.split("/")[1]) == len("20250131T235959Z")
    assert not (root / orphan).exists() and not leftover.exists()
    assert (root / batch / orphan).read_bytes() == jpeg(99)  # same relative path, bytes kept
    assert (root / batch / "originals" / "ab" / ".tmp-k1ll3d").read_bytes() == b"half a jpeg"
    assert fresh.exists()

    code, out = verify(config, capsys, "--older-than", "0")  # the quarantine is not swept again
    assert code == 1 and "0 files without a row, 1 temp leftovers" in out  # only the fresh one
    fresh.unlink()
    assert verify(config, capsys) == (0, "3 photos checked, 0 problems\n"
                                         "0 files without a row, 0 temp leftovers\n")


def test_repair_leaves_recorded_photos_and_derivatives_where_they_are(
        ctx: StationContext, tmp_path: Path, clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    seed_rma(ctx)
    walk_to_graded(ctx)
    root = Path(ctx.settings.evidence.photo_dir)
    ctx.store.put_derivative("thumb-64-whatever.jpg", b"\xff\xd8thumb")
    before = sorted(p for p in root.rglob("*") if p.is_file())
    for path in before:
        os.utime(path, (hour_ago(), hour_ago()))
    code, out = verify(write_config(ctx, tmp_path), capsys, "--repair")
    assert code == 0 and "moved" not in out, out
    assert sorted(p for p in root.rglob("*") if p.is_file()) == before
    assert not (root / ".quarantine").exists()
