"""Review pages of the unboxing video: each chunk file served to supervisors, its integrity check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, jsonify, send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from station.db.video_models import VideoChunk
from station.evidence.store import EvidenceError
from station.evidence.video import VideoStore, check_chunk, chunks_of
from web.app import station_context
from web.review.views import bp

#: Containers Chromium plays in a <video> element (MJPEG AVI is offered as a download).
PLAYABLE = frozenset({"video/webm", "video/mp4"})


def video_store() -> VideoStore:
    """The chunk files: in the local evidence folder (evidence.photo_dir)."""
    evidence = station_context(current_app).settings.evidence
    return VideoStore(Path(evidence.photo_dir), evidence.min_free_mb)


def video_chunks(inspection_id: str) -> list[VideoChunk]:
    """An inspection's chunks in recording order (the case page's video panel)."""
    with station_context(current_app).db.reader() as session:
        return chunks_of(session, inspection_id)


@bp.context_processor
def video_helpers() -> dict[str, Any]:
    return {"video_chunks": video_chunks, "video_playable": PLAYABLE}


def chunk_row(chunk_id: str) -> VideoChunk:
    with station_context(current_app).db.reader() as session:
        chunk = session.get(VideoChunk, chunk_id)
        if chunk is None:
            abort(404)
        return chunk


@bp.get("/videos/<chunk_id>")
def video_chunk(chunk_id: str) -> Response:
    """One chunk file exactly as stored (byte ranges for seeking; hash in a header)."""
    chunk = chunk_row(chunk_id)
    if chunk.pruned_at is not None or chunk.storage_key is None:
        abort(410)
    try:
        path = video_store().path(chunk.storage_key)
    except EvidenceError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=chunk.content_type, conditional=True, etag=chunk.sha256,
                         max_age=3600)
    response.headers["X-Content-SHA256"] = chunk.sha256
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/videos/<chunk_id>/verify")
def video_verify(chunk_id: str) -> Response:
    """Re-hash the chunk file now and compare with the SHA-256 recorded when it was closed."""
    result = check_chunk(video_store(), chunk_row(chunk_id))
    messages = {"ok": _("Intact: the file's SHA-256 matches the one recorded at capture."),
                "mismatch": _("ALTERED: the file does not match the SHA-256 recorded at capture."),
                "missing": _("MISSING: the video file is not in the evidence folder."),
                "pruned": _("Deleted by the retention rule; its SHA-256 stays on record.")}
    return jsonify(status=result.status, message=messages[result.status], detail=result.detail)


def pack_videos(inspection_id: str) -> list[tuple[VideoChunk, bytes | None]]:
    """The chunks for the evidence pack with their bytes (None: pruned or missing)."""
    store = video_store()
    found: list[tuple[VideoChunk, bytes | None]] = []
    for chunk in video_chunks(inspection_id):
        data = None
        if chunk.pruned_at is None and chunk.storage_key is not None:
            try:
                data = store.read(chunk.storage_key)
            except EvidenceError:
                data = None
        found.append((chunk, data))
    return found
