"""/api/v1/inspections, /api/v1/units and /api/v1/photos: results, units by license plate, photo evidence."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from station.db.models import Inspection, InspectionUnit, Photo
from station.evidence.thumbnails import cached_thumbnail
from station.returns.errors import NotFound
from station.returns.payloads import event_data
from station.returns.states import InspectionState
from web.api import signed_urls
from web.api.auth import require
from web.api.problems import ApiProblem
from web.api.schemas import InspectionOut, InspectionPage, SignedUrlOut, UnitLookupOut
from web.app import station_context
from web.params import bounded_int

bp = Blueprint("api_inspections", __name__)

MAX_PAGE = 100


def inspection_out(inspection: Inspection, public_url: str) -> InspectionOut:
    data = event_data(inspection, public_url)
    return InspectionOut.model_validate(
        {**data, "decision": inspection.decision or {},
         "refund_status": inspection.refund_status or None}
    )


def _cursor(inspection: Inspection) -> str:
    raw = json.dumps([inspection.received_at.isoformat(), inspection.id])
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, inspection_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at).astimezone(UTC), str(inspection_id)
    except (ValueError, TypeError, RecursionError) as exc:  # nested brackets too
        raise ApiProblem(400, "invalid_cursor", "the cursor is not one this API gave out") from exc


def _time_arg(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiProblem(400, "invalid_query", f"{name}: not an ISO 8601 time",
                         errors=[{"field": name, "reason": "not an ISO 8601 time"}]) from exc
    if parsed.tzinfo is None:
        raise ApiProblem(400, "invalid_query", f"{name}: needs a time zone",
                         errors=[{"field": name, "reason": "needs a time zone"}])
    return parsed


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high] (the bounds the OpenAPI document states)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    value = bounded_int(raw, low, high)
    if value is None:
        reason = f"an integer from {low} to {high}"
        raise ApiProblem(400, "invalid_query", f"{name} must be {reason}",
                         errors=[{"field": name, "reason": reason}])
    return value


def _choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is None:
        return None
    if value not in choices:
        reason = f"one of {', '.join(choices)}"
        raise ApiProblem(400, "invalid_query", f"{name} must be {reason}",
                         errors=[{"field": name, "reason": reason}])
    return value


@bp.get("/inspections")
@require("inspections:read")
def list_inspections() -> Response:
    """Newest first; filters since/until (received), state, grade, station_id; cursor paging."""
    limit = _int_arg("limit", 50, 1, MAX_PAGE)
    state = _choice_arg("state", tuple(str(x) for x in InspectionState))
    grade = _choice_arg("grade", ("A", "B", "C", "D"))
    query = select(Inspection).options(
        selectinload(Inspection.rma), selectinload(Inspection.photos), selectinload(Inspection.units)
    )
    since, until = _time_arg("since"), _time_arg("until")
    if since:
        query = query.where(Inspection.received_at >= since)
    if until:
        query = query.where(Inspection.received_at < until)
    if state is not None:
        query = query.where(Inspection.state == state)
    if grade is not None:
        query = query.where(Inspection.grade == grade)
    if request.args.get("station_id"):
        query = query.where(Inspection.station_id == request.args["station_id"])
    if request.args.get("cursor"):
        at, last_id = _parse_cursor(request.args["cursor"])
        query = query.where(or_(Inspection.received_at < at,
                                and_(Inspection.received_at == at, Inspection.id < last_id)))
    query = query.order_by(Inspection.received_at.desc(), Inspection.id.desc()).limit(limit + 1)
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        rows = list(session.execute(query).scalars())
        page = rows[:limit]
        body = InspectionPage(
            items=[inspection_out(i, ctx.settings.web.public_url) for i in page],
            next_cursor=_cursor(page[-1]) if len(rows) > limit else None,
        )
    return jsonify(body.model_dump(mode="json"))


#: Two queries: the inspection with its RMA and units joined (one row per unit), then its
#: photos in one SELECT .. IN. Joining the photos too would return units x photos rows: faster
#: for one unit with one photo, twice as slow for 6 units with 12 photos (bench/bench_api.py).
_ONE_INSPECTION = select(Inspection).where(Inspection.id == bindparam("inspection_id")).options(
    joinedload(Inspection.rma), joinedload(Inspection.units), selectinload(Inspection.photos))


@bp.get("/inspections/<inspection_id>")
@require("inspections:read")
def get_inspection(inspection_id: str) -> Response:
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        inspection = session.execute(
            _ONE_INSPECTION, {"inspection_id": inspection_id}).unique().scalar_one_or_none()
        if inspection is None:
            raise NotFound("inspection_not_found", f"no inspection {inspection_id}")
        body = inspection_out(inspection, ctx.settings.web.public_url)
    # pydantic writes the JSON itself (no dict of plain values in between)
    return Response(body.model_dump_json(), mimetype="application/json")


@bp.get("/units/<lpn>")
@require("inspections:read")
def get_unit(lpn: str) -> Response:
    """One unit by its license plate (what a scan of its label reads), case-insensitive."""
    ctx = station_context(current_app)
    plate = lpn.strip().upper()
    with ctx.db.reader() as session:
        unit = session.execute(select(InspectionUnit).where(InspectionUnit.lpn == plate)
                               ).scalar_one_or_none() if len(plate) <= 40 else None
        if unit is None:
            raise NotFound("unit_not_found", f"no unit with license plate {lpn[:60]}")
        inspection = unit.inspection
        data = event_data(inspection, ctx.settings.web.public_url)
        (found,) = [u for u in data["units"] if u["unit_id"] == unit.id]
        body = UnitLookupOut.model_validate({
            **found, "inspection_id": inspection.id, "rma_id": data["rma_id"],
            "station_id": inspection.station_id, "inspection_state": inspection.state})
    return jsonify(body.model_dump(mode="json"))


def _photo(photo_id: str) -> Photo:
    with station_context(current_app).db.reader() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            raise NotFound("photo_not_found", f"no photo {photo_id}")
        return photo


@require("photos:read")
def _key_allowed() -> None:
    return None


def _authorize_photo(photo_id: str, variant: str) -> None:
    """A valid signed URL for this photo and variant, or an API key with photos:read."""
    if "sig" not in request.args:
        _key_allowed()
        return
    key = signed_urls.signing_key(station_context(current_app).settings)
    if not signed_urls.valid(key, photo_id, variant, request.args.get("expires", ""),
                             request.args["sig"], time.time()):
        raise ApiProblem(403, "invalid_signature", "the signed URL is invalid or expired")


@bp.get("/photos/<photo_id>")
def get_photo(photo_id: str) -> Response:
    """The original evidence bytes; ETag and X-Content-SHA256 are its SHA-256."""
    _authorize_photo(photo_id, "original")
    photo = _photo(photo_id)
    store = station_context(current_app).store
    presigned = store.presigned_url(photo.storage_key, photo.content_type)
    if presigned is not None:  # an S3 bucket: the client fetches the bytes from it
        moved = Response(status=302, headers={"Location": presigned, "Cache-Control": "no-store",
                                              "X-Content-SHA256": photo.sha256})
        return moved
    data = store.get_original(photo.storage_key)
    response = Response(data, mimetype=photo.content_type)
    response.headers["X-Content-SHA256"] = photo.sha256
    response.set_etag(photo.sha256)
    response.headers["Cache-Control"] = "private, max-age=3600, immutable"
    return response


@bp.get("/photos/<photo_id>/thumbnail")
def get_thumbnail(photo_id: str) -> Response:
    """A JPEG thumbnail (evidence.thumbnail_px), made once and kept as a derivative."""
    _authorize_photo(photo_id, "thumbnail")
    photo = _photo(photo_id)
    ctx = station_context(current_app)
    data = cached_thumbnail(ctx.store, photo.sha256, photo.storage_key, ctx.settings.evidence.thumbnail_px)
    return Response(data, mimetype="image/jpeg")


@bp.post("/photos/<photo_id>/signed-url")
@require("photos:read")
def sign_photo_url(photo_id: str) -> Response:
    """A URL that fetches this photo (variant original|thumbnail) without a key until it expires."""
    photo = _photo(photo_id)
    variant = _choice_arg("variant", ("original", "thumbnail")) or "original"
    ttl_s = _int_arg("ttl_s", signed_urls.DEFAULT_TTL_S, 1, signed_urls.MAX_TTL_S)
    ctx = station_context(current_app)
    expires = int(time.time()) + ttl_s
    sig = signed_urls.signature(signed_urls.signing_key(ctx.settings), photo.id, variant, expires)
    path = f"/api/v1/photos/{photo.id}" + ("/thumbnail" if variant == "thumbnail" else "")
    body = SignedUrlOut(
        url=f"{ctx.settings.web.public_url.rstrip('/')}{path}?expires={expires}&sig={sig}",
        expires_at=datetime.fromtimestamp(expires, UTC),
    )
    return jsonify(body.model_dump(mode="json"))
