"""A photo capture answered in place (no page load): the angle's thumbnail, a doubt, what is next."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from werkzeug.wrappers import Response

from web.bench import labels
from web.bench.screens import load
from web.bench.services import bench_services


def capture_answer(inspection_id: str, angle: str, held: Response | None,
                   missing: list[str], next_step: dict[str, str] | None) -> Response:
    """JSON for the page script: the photo taken, or the still that waits for keep-or-retake.

    ``held`` is what ``take_photo`` returned: None when stored, else a response for the page
    (a doubted still waits, or the photo store refused and says why).
    """
    services = bench_services(current_app)
    pending = services.pending(inspection_id)
    if held is not None:
        if pending is None or pending.angle != angle:
            return held  # the store refused: its problem+json says why
        problems = [str(labels.label(labels.QUALITY_PROBLEMS, p)) for p in pending.still.problems]
        return jsonify(ok=False, pending=True, angle=angle, problems=problems)
    inspection = load(inspection_id)
    newest = max((p for p in inspection.photos if p.angle == angle), key=lambda p: p.taken_at)
    body: dict[str, Any] = {
        "ok": True, "pending": False, "angle": angle, "photo_id": newest.id,
        "sha256": newest.sha256,
        "thumb": url_for("bench.photo_image", inspection_id=inspection_id, photo_id=newest.id),
        "missing": missing, "next": next_step,
    }
    return jsonify(body)
