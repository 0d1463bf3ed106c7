"""Unboxing video: chunks from a real capture thread, durable across a kill, hashed, verified, pruned."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import pytest
from sqlalchemy import select, update

from drivers.camera.capture import CameraCapture
from drivers.camera.recorder import TEMP_PREFIX, Chunk, ChunkRecorder, RecorderSettings, pick_codec
from drivers.sim.camera import SyntheticCamera
from station.cli import main
from station.context import StationContext, build
from station.db.models import AuditEvent, Inspection
from station.db.types import utcnow
from station.db.video_models import VideoChunk
from station.devices.adapters import camera_profile_named
from station.evidence.pack import build_pack
from station.evidence.video import VideoStore, check_chunks, chunks_of, prune
from station.evidence.video_recording import BenchVideo
from tests.conftest import make_settings
from tests.factories import seed_rma
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parents[1]
VIDEO = {"enabled": True, "fps": 10.0, "chunk_s": 1.0, "width_px": 320}


@pytest.fixture
def capture() -> Iterator[CameraCapture]:
    """A real capture thread on the synthetic camera (the bench's camera, 320x180 at 20 fps)."""
    camera = SyntheticCamera(320, 180, fps=20.0)
    camera.noise_std = 2.0
    with CameraCapture(camera_profile_named("generic-uvc"), camera) as running:
        assert running.wait_frame(0, 5.0) is not None
        yield running


def video_ctx(tmp_path: Path, database_url: str, **video: Any) -> StationContext:
    from station.db.engine import make_engine
    from station.db.migrate import upgrade

    settings = make_settings(tmp_path, database_url, video={
        **VIDEO, "spool_dir": str(tmp_path / "spool"), **video})
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    return build(settings)


@pytest.fixture
def vctx(tmp_path: Path, database_url: str) -> Iterator[StationContext]:
    context = video_ctx(tmp_path, database_url)
    yield context
    context.close()


def videos_of(ctx: StationContext) -> VideoStore:
    return VideoStore(Path(ctx.settings.evidence.photo_dir))


def bench_video(ctx: StationContext, capture: CameraCapture) -> BenchVideo:
    return BenchVideo(ctx.settings.video, ctx.work, videos_of(ctx), "bench-test",
                      capture.wait_frame, poll_s=30.0)


def rows(ctx: StationContext, inspection_id: str) -> list[VideoChunk]:
    with ctx.db.reader() as session:
        return chunks_of(session, inspection_id)


def key(chunk: VideoChunk) -> str:
    assert chunk.storage_key is not None
    return chunk.storage_key


def write_config(ctx: StationContext, path: Path) -> Path:
    s = ctx.settings
    config = path / "station.toml"
    config.write_text(
        f"data_dir = {json.dumps(str(s.data_dir))}\n"
        f"[database]\nurl = {json.dumps(s.database.url)}\n"
        f"[evidence]\nphoto_dir = {json.dumps(str(s.evidence.photo_dir))}\n"
        f"[audit]\nanchor_file = {json.dumps(str(s.audit.anchor_file))}\n"
        f"[station]\nid = \"bench-test\"\n"
        f"[video]\nenabled = true\nfps = 10.0\nchunk_s = 1.0\nwidth_px = 320\n"
        f"spool_dir = {json.dumps(str(s.video.spool_dir))}\n", encoding="utf-8")
    return config


def frames_in(path: Path) -> int:
    reader = cv2.VideoCapture(str(path))
    count = 0
    while reader.read()[0]:
        count += 1
    reader.release()
    return count


def test_the_recorder_writes_complete_playable_chunks_from_the_capture_thread(
        capture: CameraCapture, tmp_path: Path) -> None:
    closed: list[Chunk] = []
    recorder = ChunkRecorder(capture.wait_frame, tmp_path / "spool",
                             RecorderSettings(fps=10.0, width_px=160, chunk_s=0.5), closed.append)
    recorder.start()
    assert wait_until(lambda: len(closed) >= 3, 10.0)
    recorder.stop()
    assert [c.sequence for c in closed] == list(range(1, len(closed) + 1))
    for chunk in closed:
        assert chunk.path.name == f"chunk-{chunk.sequence:06d}.{recorder.codec.extension}"
        assert (chunk.width_px, chunk.height_px) == (160, 90)  # scaled down to the recording's width
        assert frames_in(chunk.path) == chunk.frames >= 1  # every chunk plays on its own
        assert chunk.size_bytes == chunk.path.stat().st_size
    assert not [p for p in (tmp_path / "spool").iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert recorder.codec == pick_codec("auto")


def test_the_size_bound_ends_the_recording_before_it_is_passed(
        capture: CameraCapture, tmp_path: Path) -> None:
    closed: list[Chunk] = []
    bound = 120_000
    recorder = ChunkRecorder(capture.wait_frame, tmp_path / "spool",
                             RecorderSettings(fps=20.0, width_px=320, chunk_s=0.5, max_bytes=bound),
                             closed.append).start()
    assert wait_until(lambda: not recorder.running, 20.0)
    assert recorder.stopped_because.startswith("size bound reached")
    assert closed and sum(c.size_bytes for c in closed) <= bound


def test_an_open_parcel_is_recorded_hashed_audited_verified_and_packed(
        vctx: StationContext, capture: CameraCapture, tmp_path: Path, clean_env: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    seed_rma(vctx)
    video = bench_video(vctx, capture).start()
    try:
        assert not video.recording
        inspection = vctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
        assert wait_until(lambda: video.recording)  # woken by the commit, not the 30 s poll
        assert wait_until(lambda: len(rows(vctx, inspection.id)) >= 2, 10.0)
        vctx.inspections.flag(inspection.id, "customer says the box was empty", "op")
        assert wait_until(lambda: not video.recording)  # the parcel closed: recording stops
    finally:
        video.stop()
    chunks = rows(vctx, inspection.id)
    assert [c.sequence for c in chunks] == list(range(1, len(chunks) + 1))
    store = videos_of(vctx)
    for chunk in chunks:
        path = store.path(key(chunk))
        assert path.stat().st_mode & 0o222 == 0  # read-only, like photo originals
        assert chunk.sha256 in key(chunk) and chunk.content_type.startswith("video/")
    assert not list((vctx.settings.video.spool_dir / inspection.id).glob("chunk-*"))
    with vctx.db.reader() as session:
        audited = session.execute(select(AuditEvent).where(
            AuditEvent.action == "inspection.video_recorded")).scalars().all()
        assert sorted(e.data["sha256"] for e in audited) == sorted(c.sha256 for c in chunks)
        trail = list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
    config = write_config(vctx, tmp_path)
    assert main(["--config", str(config), "evidence", "verify"]) == 0
    assert f"{len(chunks)} video chunks: {len(chunks)} checked, 0 pruned by retention, 0 problems" \
        in capsys.readouterr().out

    pack = build_pack(vctx.store, vctx.inspections.get(inspection.id), trail, utcnow(), "test",
                      [(c, store.read(key(c))) for c in chunks])
    with zipfile.ZipFile(io.BytesIO(pack)) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        assert [v["sha256"] for v in manifest["videos"]] == [c.sha256 for c in chunks]
        assert all(v["sha256_verified"] for v in manifest["videos"])
        for row in manifest["videos"]:
            assert opened.read(row["file"]) == store.read(
                next(key(c) for c in chunks if c.sha256 == row["sha256"]))

    # one byte changed in a chunk file: verify says which chunk, and fails
    victim = store.path(key(chunks[0]))
    victim.chmod(0o640)
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    assert main(["--config", str(config), "evidence", "verify"]) == 1
    assert f"MISMATCH  video chunk 1 ({chunks[0].id}) of inspection {inspection.id}" \
        in capsys.readouterr().out


def test_a_category_that_is_not_recorded_records_nothing(
        tmp_path: Path, database_url: str, capture: CameraCapture) -> None:
    ctx = video_ctx(tmp_path, database_url, categories=["electronics"])
    try:
        seed_rma(ctx)  # its line is "general"
        video = bench_video(ctx, capture).start()
        try:
            inspection = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
            video.reconcile()  # the watcher's step, run here so the test does not wait for it
            assert not video.recording and video.inspection_id is None
        finally:
            video.stop()
        assert rows(ctx, inspection.id) == []
        assert not (ctx.settings.video.spool_dir / inspection.id).exists()
    finally:
        ctx.close()


KILLED_BENCH = """
import signal, sys
from drivers.camera.capture import CameraCapture
from drivers.sim.camera import SyntheticCamera
from station.config import load_settings
from station.context import build
from station.devices.adapters import camera_profile_named
from station.evidence.video import VideoStore
from station.evidence.video_recording import BenchVideo
from pathlib import Path

settings = load_settings(sys.argv[1])
ctx = build(settings)
camera = SyntheticCamera(320, 180, fps=20.0)
camera.noise_std = 2.0
capture = CameraCapture(camera_profile_named("generic-uvc"), camera).start()
BenchVideo(settings.video, ctx.work, VideoStore(Path(settings.evidence.photo_dir)), "bench-test",
           capture.wait_frame, poll_s=0.2).start()
print("recording", flush=True)
signal.pause()
"""


def test_a_bench_killed_mid_chunk_keeps_the_chunks_before_and_they_verify(
        vctx: StationContext, tmp_path: Path, clean_env: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    if not vctx.settings.database.url.startswith("sqlite"):
        pytest.skip("one backend is enough for the crash (the chunk path is the same)")
    seed_rma(vctx)
    inspection = vctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
    config = write_config(vctx, tmp_path)
    bench = subprocess.Popen([sys.executable, "-c", KILLED_BENCH, str(config)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    spool = vctx.settings.video.spool_dir / inspection.id
    try:
        assert wait_until(lambda: len(rows(vctx, inspection.id)) >= 2, 30.0)
        # mid-chunk: the next chunk's temp file is being written
        assert wait_until(lambda: spool.is_dir() and any(
            p.name.startswith(TEMP_PREFIX) for p in spool.iterdir()), 10.0)
    finally:
        bench.send_signal(signal.SIGKILL)
        bench.wait(10)
    kept = rows(vctx, inspection.id)
    assert len(kept) >= 2
    with vctx.db.reader() as session:
        assert {c.status for c in check_chunks(session, videos_of(vctx))} == {"ok"}
    assert main(["--config", str(config), "evidence", "verify"]) == 0
    assert f"{len(kept)} video chunks: {len(kept)} checked" in capsys.readouterr().out

    # the next start takes in what was closed but not yet recorded and drops the half chunk
    restarted = BenchVideo(vctx.settings.video, vctx.work, videos_of(vctx), "bench-test",
                           lambda _seq, _timeout: None)
    restarted.recover()
    assert not spool.exists() or not any(p.name.startswith(TEMP_PREFIX) for p in spool.iterdir())
    after = rows(vctx, inspection.id)
    assert [c.sequence for c in after] == list(range(1, len(after) + 1)) and len(after) >= len(kept)


def test_retention_prunes_old_chunks_of_closed_cases_audited_and_verify_stays_clean(
        vctx: StationContext, capture: CameraCapture, tmp_path: Path, clean_env: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    seed_rma(vctx)
    seed_rma(vctx, "RMA-2002")
    video = bench_video(vctx, capture).start()
    try:
        closed = vctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
        assert wait_until(lambda: len(rows(vctx, closed.id)) >= 1, 10.0)
        vctx.inspections.flag(closed.id, "damaged", "op")
        assert wait_until(lambda: not video.recording)
        still_open = vctx.inspections.receive("TRKRMA-2002", "bench-test", None, "op")
        assert wait_until(lambda: len(rows(vctx, still_open.id)) >= 1, 10.0)
    finally:
        video.stop()
    old = utcnow() - timedelta(days=40)
    with vctx.work() as work:
        work.session.execute(update(VideoChunk).values(recorded_at=old))
    store = videos_of(vctx)
    files = [store.path(key(c)) for c in rows(vctx, closed.id)]
    # a flagged case waits for its supervisor: nothing of it is pruned yet
    assert prune(vctx.work, store, 30).chunks == 0
    with vctx.work() as work:
        work.session.execute(update(Inspection).where(Inspection.id == closed.id)
                             .values(state="reviewed"))
    config = write_config(vctx, tmp_path)
    assert main(["--config", str(config), "evidence", "prune-video", "--days", "30"]) == 0
    pruned = rows(vctx, closed.id)
    assert pruned and all(c.pruned_at is not None and c.storage_key is None for c in pruned)
    assert files and not any(path.exists() for path in files)
    assert all(c.pruned_at is None and store.path(key(c)).exists()
               for c in rows(vctx, still_open.id))  # an open parcel keeps its video
    with vctx.db.reader() as session:
        event = session.execute(select(AuditEvent).where(
            AuditEvent.action == "inspection.video_pruned")).scalar_one()
        assert event.entity_id == closed.id
        assert event.data["sequences"] == [c.sequence for c in pruned]
    capsys.readouterr()
    assert main(["--config", str(config), "evidence", "verify"]) == 0  # pruned is not tampered
    out = capsys.readouterr().out
    assert f"{len(pruned)} pruned by retention, 0 problems" in out and "MISSING" not in out
    assert main(["--config", str(config), "audit", "verify"]) == 0
    with pytest.raises(SystemExit) as refused:  # argparse: one line on stderr, exit 2
        main(["--config", str(config), "evidence", "prune-video", "--days", "0"])
    assert refused.value.code == 2


def test_migration_0009_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from station.db.engine import make_engine
    from station.db.migrate import alembic_config, current_revision, head_revision, upgrade

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert "video_chunk" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(engine), "0008")
        assert current_revision(engine) == "0008"
        assert "video_chunk" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        assert "video_chunk" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_codec_this_opencv_cannot_write_stops_the_start_with_one_line(
        tmp_path: Path, database_url: str) -> None:
    from drivers.camera.recorder import CODECS, can_write
    from station.config import ConfigError

    missing = [c.name for c in CODECS if not can_write(c)]
    if not missing:
        pytest.skip("this OpenCV build writes every codec")
    ctx = video_ctx(tmp_path, database_url, codec=missing[0])
    try:
        video = BenchVideo(ctx.settings.video, ctx.work, videos_of(ctx), "bench-test",
                           lambda _seq, _timeout: None)
        with pytest.raises(ConfigError, match=f"video.codec = '{missing[0]}': this OpenCV build"):
            video.start()
    finally:
        ctx.close()


def test_which_parcels_are_recorded_by_category() -> None:
    from station.config import VideoSection
    from station.evidence.video_recording import records_categories

    every = VideoSection(enabled=True)
    electronics = VideoSection(enabled=True, categories=["electronics"])
    assert records_categories(every, ["apparel"]) and records_categories(every, [])
    assert records_categories(electronics, ["apparel", "electronics"])
    assert not records_categories(electronics, ["apparel"])
    assert not records_categories(electronics, [])  # no lines (an unexpected parcel): "general"
    assert records_categories(VideoSection(enabled=True, categories=["general"]), [])
    assert not records_categories(VideoSection(enabled=False), ["electronics"])


def test_bad_video_settings_are_one_clear_error(tmp_path: Path, clean_env: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "station.toml"
    config.write_text("[video]\nenabled = true\nfps = 0\nframes = 3\n", encoding="utf-8")
    assert main(["--config", str(config), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert "video.fps" in err and "video.frames" in err and "Traceback" not in err
    assert os.path.exists(config)
