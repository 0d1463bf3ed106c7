"""The unboxing video on the review case page: served to supervisors only, played by Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from drivers.camera.recorder import Chunk, ChunkRecorder, Frame, RecorderSettings
from drivers.sim.camera import SyntheticCamera
from station.context import StationContext
from station.evidence.video import VideoStore, take_in
from tests.factories import seed_rma
from tests.support.bench import (
    OPERATOR,
    SUPERVISOR,
    html,
    signed_in,
)
from tests.support.wait import wait_until
from tests.test_review import app, station

__all__ = ["app", "station"]  # fixtures: the review tests' SQLite station with its people, its app


def recorded_case(ctx: StationContext, tmp_path: Path, chunks: int = 2) -> tuple[str, list[str]]:
    """A flagged parcel with ``chunks`` half-second chunks of the synthetic camera recorded."""
    seed_rma(ctx)
    inspection = ctx.inspections.receive("TRKRMA-1001", "bench-test", None, "op")
    camera = SyntheticCamera(320, 180, paced=False)
    camera.noise_std = 2.0

    def frames(seq: int, _timeout_s: float) -> tuple[int, Frame]:
        return seq + 1, camera.frame()

    closed: list[Chunk] = []
    recorder = ChunkRecorder(frames, tmp_path / "spool", RecorderSettings(fps=10.0, chunk_s=0.5),
                             closed.append).start()
    assert wait_until(lambda: len(closed) >= chunks, 10.0)
    recorder.stop()
    videos = VideoStore(Path(ctx.settings.evidence.photo_dir))
    ids = [take_in(ctx.work, videos, inspection.id, "bench-test", chunk).id for chunk in closed]
    ctx.inspections.flag(inspection.id, "box arrived open", "op")
    return inspection.id, ids


def test_the_case_page_shows_the_video_and_serves_it_to_supervisors_only(
        app: Flask, station: StationContext, tmp_path: Path) -> None:
    inspection_id, chunk_ids = recorded_case(station, tmp_path)
    supervisor = signed_in(app, SUPERVISOR)
    page = html(supervisor, f"/review/inspections/{inspection_id}").get_data(as_text=True)
    assert 'id="unboxing-video"' in page and f"/review/videos/{chunk_ids[0]}" in page
    assert f"/review/videos/{chunk_ids[1]}" in page  # the second chunk plays after the first

    served = supervisor.get(f"/review/videos/{chunk_ids[0]}")
    assert served.status_code == 200 and served.mimetype == "video/webm"
    assert served.headers["X-Content-SHA256"] and served.get_data()[:4] == b"\x1a\x45\xdf\xa3"
    ranged = supervisor.get(f"/review/videos/{chunk_ids[0]}", headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and len(ranged.get_data()) == 10  # seeking in the player
    verdict = supervisor.post(f"/review/videos/{chunk_ids[0]}/verify",
                              headers={"X-CSRFToken": _csrf(page)})
    assert verdict.status_code == 200 and verdict.get_json()["status"] == "ok"
    assert supervisor.get("/review/videos/NO-SUCH-CHUNK").status_code == 404

    operator = signed_in(app, OPERATOR)
    assert operator.get(f"/review/videos/{chunk_ids[0]}").status_code == 403
    anonymous = app.test_client().get(f"/review/videos/{chunk_ids[0]}")
    assert anonymous.status_code in (302, 401)


def _csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)
