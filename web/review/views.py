"""Review pages: queue, inspection (expected vs found, units, photos, policy, audit), decisions."""

from __future__ import annotations

from typing import NamedTuple

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from station.db.models import Inspection, Operator, Photo
from station.db.types import utcnow
from station.evidence.integrity import check_photo
from station.evidence.pack import build_pack
from station.evidence.thumbnails import cached_thumbnail
from station.returns.errors import DomainError, NotFound
from station.returns.states import InspectionState
from station.review import QueueFilters, audit_trail, flagged_queue, override_from_form, search, worked_on
from station.review_attach import attach_to_rma
from station.vocabulary import Disposition, Grade, Recommendation
from web.app import station_context
from web.auth.roles import SUPERVISOR_ROLES, protect
from web.bench import labels
from web.bench.screens import inspection_or_404, latest_photos, line_views

bp = Blueprint("review", __name__, url_prefix="/review")
protect(bp, SUPERVISOR_ROLES)

FILTER_FIELDS = ("station", "operator", "reason", "product", "grade")


class QueuePlace(NamedTuple):
    """A case's neighbours in the flagged queue, and its position (0 when it is not in the queue)."""

    prev_id: str | None
    next_id: str | None
    position: int
    total: int


def operator_names() -> dict[str, str]:
    with station_context(current_app).db.reader() as session:
        return dict(session.execute(select(Operator.id, Operator.display_name)).tuples().all())


def filters_from_query() -> QueueFilters:
    values = {name: request.args.get(name, "").strip()[:100] for name in FILTER_FIELDS}
    if values["grade"] and values["grade"] not in {g.value for g in Grade}:
        abort(400)
    return QueueFilters(**values)


@bp.get("/")
def queue() -> str:
    """Flagged inspections, oldest parcel first, with why and how old (SLA colour)."""
    ctx = station_context(current_app)
    filters = filters_from_query()
    with ctx.db.reader() as session:
        rows = flagged_queue(session, filters, warn_hours=ctx.settings.review.sla_warn_hours,
                             breach_hours=ctx.settings.review.sla_breach_hours)
        stations = sorted({r.inspection.station_id for r in rows} | ({filters.station} - {""}))
    return render_template("review/queue.html", rows=rows, filters=filters, names=operator_names(),
                           stations=stations, grades=[g.value for g in Grade], labels=labels)


@bp.get("/search")
def search_page() -> str:
    text = request.args.get("q", "")
    found: list[Inspection] = []
    error = ""
    if text:
        try:
            with station_context(current_app).db.reader() as session:
                found = search(session, text)
        except DomainError:
            error = _("Search for 1 to 200 characters.")
    return render_template("review/search.html", q=text, found=found, error=error, labels=labels)


@bp.get("/inspections/<inspection_id>")
def inspection_page(inspection_id: str) -> str:
    return case_page(inspection_id)


def queue_neighbours(session: Session, inspection_id: str) -> QueuePlace:
    """Where a case stands in the queue's order (oldest parcel first): previous, next, n of total."""
    ids = list(session.execute(
        select(Inspection.id).where(Inspection.state == InspectionState.FLAGGED.value)
        .order_by(Inspection.received_at, Inspection.id).limit(1000)).scalars())
    if inspection_id not in ids:  # decided already: "next" is the first case still waiting
        return QueuePlace(None, ids[0] if ids else None, 0, len(ids))
    at = ids.index(inspection_id)
    return QueuePlace(ids[at - 1] if at > 0 else None, ids[at + 1] if at + 1 < len(ids) else None,
                      at + 1, len(ids))


def case_page(inspection_id: str) -> str:
    """The inspection page (also shown again, with the reason, when a decision was refused)."""
    inspection = inspection_or_404(inspection_id)
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        trail = audit_trail(session, inspection.id)
        own_work = worked_on(session, inspection, current_user.operator_id, current_user.actor)
        place = queue_neighbours(session, inspection.id)
    return render_template(
        "review/inspection.html", inspection=inspection, lines=line_views(inspection), trail=trail,
        photos=sorted(inspection.photos, key=lambda p: p.taken_at), latest=latest_photos(inspection),
        names=operator_names(), labels=labels, blocked=own_work and ctx.settings.review.four_eyes,
        grades=[g.value for g in Grade], dispositions=[d.value for d in Disposition],
        recommendations=[r.value for r in Recommendation],
        units=sorted(inspection.units, key=lambda u: u.position), unit_sort=totes.unit_sort(inspection),
        place=place,
    )


#: Messages for refusals only a unit decision gives (the rest come from the bench's table).
UNIT_ERRORS = {
    "unit_not_held": _l("This unit is not on hold."),
    "bad_release": _l("Release the hold to one place other than hold (and not also another disposition)."),
}
UNIT_FORM = ("grade", "disposition", "recommendation", "deduction_pct", "release_hold_to")


@bp.post("/inspections/<inspection_id>/units/<unit_id>/decision")
def decide_unit(inspection_id: str, unit_id: str) -> Response | tuple[str, int]:
    """One unit approved, overridden or released from hold (a reason for any change); audited."""
    ctx = station_context(current_app)
    note = request.form.get("note", "")
    fields = {k: request.form.get(k, "").strip()[:40] or None for k in UNIT_FORM}
    try:
        if len(note) > 2000:
            raise DomainError("bad_input", "note too long")
        ctx.reviews.decide_unit(
            inspection_id, unit_id, current_user.operator_id, current_user.actor, note=note,
            four_eyes=ctx.settings.review.four_eyes, **fields,
        )
    except NotFound:
        abort(404)
    except DomainError as error:
        known = UNIT_ERRORS.get(error.code)
        flash(str(known) if known is not None else labels.error_message(error), "error")
        status = 409 if error.code in ("four_eyes", "illegal_transition") \
            else 400
        return case_page(inspection_id), status
    flash(_("Unit decision recorded."), "success")
    return redirect(url_for("review.inspection_page", inspection_id=inspection_id))


#: Messages for refusals of "Attach to return" (a supervisor's words, not the bench's).
ATTACH_ERRORS = {
    "bad_rma_ref": _l("Type the RMA number, tracking number or order number of the return."),
    "rma_not_found": _l("No return has that RMA, tracking or order number."),
    "rma_cancelled": _l("That return was cancelled by the platform: it cannot take this parcel."),
    "rma_already_inspected": _l("That return was already inspected with another parcel."),
    "not_unexpected_parcel": _l("Only an unexpected parcel (one without a return) can be attached."),
    "attach_not_flagged": _l("Only a parcel waiting for a supervisor can be attached to a return."),
}
ATTACH_CONFLICTS = {"rma_cancelled", "rma_in_progress", "rma_already_inspected", "four_eyes",
                    "not_unexpected_parcel", "attach_not_flagged"}


@bp.post("/inspections/<inspection_id>/attach")
def attach(inspection_id: str) -> Response | tuple[str, int]:
    """Attach an unexpected parcel to its return (RMA, tracking or order number); audited."""
    ctx = station_context(current_app)
    ref = request.form.get("rma", "")
    try:
        if len(ref) > 200:
            raise DomainError("bad_rma_ref", "too long")
        attach_to_rma(ctx.work, ctx.inspections.policy, ctx.inspections.settings, inspection_id, ref,
                      supervisor_id=current_user.operator_id, actor=current_user.actor,
                      four_eyes=ctx.settings.review.four_eyes,
                      public_url=ctx.settings.web.public_url)
    except DomainError as error:
        if error.code == "inspection_not_found":
            abort(404)
        known = ATTACH_ERRORS.get(error.code)
        flash(str(known) if known is not None else labels.error_message(error), "error")
        status = 409 if error.code in ATTACH_CONFLICTS else 400
        return case_page(inspection_id), status
    flash(_("The parcel is attached to its return: its items were matched and graded again. "
            "Decide its units now."), "success")
    return redirect(url_for("review.inspection_page", inspection_id=inspection_id))


@bp.post("/inspections/<inspection_id>/decision")
def decide(inspection_id: str) -> Response:
    """Approve, override (with a reason) or send back for re-inspection; audited, emits reviewed."""
    ctx = station_context(current_app)
    back = url_for("review.inspection_page", inspection_id=inspection_id)
    decision = request.form.get("decision", "")
    note = request.form.get("note", "")
    if len(note) > 2000:
        flash(labels.error_message(DomainError("bad_input", "note too long")), "error")
        return redirect(back)
    override = override_from_form({k: v[:40] for k, v in request.form.items()}) \
        if decision == "override" else None
    try:
        if decision == "override" and not override:
            raise DomainError("bad_override", "nothing to override")
        ctx.reviews.decide(
            inspection_id, current_user.operator_id, current_user.actor, note, override,
            decision="reinspect" if decision == "reinspect" else "approve",
            approve_manual_weight=request.form.get("approve_manual_weight") == "yes",
            four_eyes=ctx.settings.review.four_eyes,
        )
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(labels.error_message(error), "error")
        return redirect(back)
    flash(_("Decision recorded."), "success")
    return redirect(url_for("review.queue"))


def photo_row(photo_id: str) -> Photo:
    with station_context(current_app).db.reader() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            abort(404)
        return photo


@bp.get("/photos/<photo_id>")
def photo_original(photo_id: str) -> Response:
    """The original evidence bytes, exactly as stored (hash in a header); from an S3 bucket a
    redirect to a presigned GET (evidence.s3_presign_expiry_s), issued after the role check."""
    photo = photo_row(photo_id)
    store = station_context(current_app).store
    presigned = store.presigned_url(photo.storage_key, photo.content_type)
    if presigned is not None:
        moved = redirect(presigned, 302)
        moved.headers["Cache-Control"] = "no-store"
        moved.headers["X-Content-SHA256"] = photo.sha256
        return moved
    data = store.get_original(photo.storage_key)
    response = Response(data, mimetype="image/jpeg")
    response.headers["X-Content-SHA256"] = photo.sha256
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/photos/<photo_id>/thumb")
def photo_thumb(photo_id: str) -> Response:
    photo = photo_row(photo_id)
    ctx = station_context(current_app)
    data = cached_thumbnail(ctx.store, photo.sha256, photo.storage_key, ctx.settings.evidence.thumbnail_px)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@bp.post("/photos/<photo_id>/verify")
def photo_verify(photo_id: str) -> Response:
    """Re-hash the stored original now and compare with the SHA-256 recorded at capture."""
    photo = photo_row(photo_id)
    result = check_photo(station_context(current_app).store, photo)
    messages = {"ok": _("Intact: the file's SHA-256 matches the one recorded at capture."),
                "mismatch": _("ALTERED: the file does not match the SHA-256 recorded at capture."),
                "missing": _("MISSING: the original file is not in the photo store.")}
    return jsonify(status=result.status, message=messages[result.status], detail=result.detail)


@bp.get("/inspections/<inspection_id>/evidence.zip")
def evidence_pack(inspection_id: str) -> Response:
    """Originals, unboxing video chunks, manifest with hashes, audit rows and a summary page, as one ZIP."""
    inspection = inspection_or_404(inspection_id)
    ctx = station_context(current_app)
    with ctx.db.reader() as session:
        trail = audit_trail(session, inspection.id)
    data = build_pack(ctx.store, inspection, trail, utcnow(), current_user.actor,
                      videos.pack_videos(inspection.id))
    name = f"evidence-{inspection.rma.rma_id if inspection.rma else inspection.id}.zip"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"'})


# The sort's review pages (plates, label reprints, totes) and the unboxing video's are routes of
# this blueprint too.
from web.review import totes, videos  # noqa: E402
