"""A photo capture answered in place (no page load): the angle's thumbnail, a doubt, what is next."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, url_for
from werkzeug.wrappers import Response

from station.db.models import Inspection
from web.bench import labels
from web.bench.services import bench_services


def held_answer(inspection_id: str, angle: str, held: Response) -> Response:
    """``take_photo`` kept nothing: a doubted still waits for keep-or-retake, or the photo
    store refused (its problem+json says why)."""
    pending = bench_services(current_app).pending(inspection_id)
    if pending is None or pending.angle != angle:
        return held
    problems = [str(labels.label(labels.QUALITY_PROBLEMS, p)) for p in pending.still.problems]
    return jsonify(ok=False, pending=True, angle=angle, problems=problems)


def taken_answer(inspection: Inspection, angle: str, missing: list[str],
                 next_step: dict[str, str] | None) -> Response:
    """The photo just stored (``inspection`` loaded after it), what is still missing, and
    where the bench goes next when the step is complete."""
    newest = max((p for p in inspection.photos if p.angle == angle), key=lambda p: p.taken_at)
    body: dict[str, Any] = {
        "ok": True, "pending": False, "angle": angle, "photo_id": newest.id,
        "sha256": newest.sha256,
        "thumb": url_for("bench.photo_image", inspection_id=inspection.id, photo_id=newest.id),
        "missing": missing, "next": next_step,
    }
    return jsonify(body)
