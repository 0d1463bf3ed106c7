"""/api/v1/returns: push, read and cancel RMAs; the platform reports its refund outcome."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station import api_limits
from station.db.models import Inspection, ReturnAuthorization
from station.db.types import utcnow
from station.returns.errors import NotFound
from station.returns.intake import cancel_rma, parse_rma, upsert_rma
from web.api.auth import require
from web.api.problems import ApiProblem, json_body
from web.api.schemas import ExpectedItemOut, RefundStatusIn, ReturnOut, ReturnUpsertOut
from web.app import station_context

bp = Blueprint("api_returns", __name__)

def return_out(row: ReturnAuthorization) -> ReturnOut:
    return ReturnOut(
        rma_id=row.rma_id, order_id=row.order_id, tracking_number=row.tracking_number,
        reason=row.reason, requested_resolution=row.requested_resolution,
        status=row.status,
        delivered_at=row.delivered_at, window_end=row.window_end, currency=row.currency,
        created_at=row.created_at, updated_at=row.updated_at,
        items=[
            ExpectedItemOut(
                line_id=i.line_id, sku=i.sku, gtin=i.gtin, description=i.description,
                quantity=i.quantity, serials=list(i.expected_serials),
                unit_weight_g=None if i.unit_weight_mg is None else i.unit_weight_mg / 1000,
                category=i.category, accessories=list(i.accessories),
            )
            for i in row.items
        ],
    )


def _load(session: Session, rma_id: str) -> ReturnAuthorization:
    row = session.execute(
        select(ReturnAuthorization).where(ReturnAuthorization.rma_id == rma_id)
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("rma_not_found", f"no RMA {rma_id}")
    return row


@bp.post("/returns")
@require("returns:write")
def push_return() -> tuple[Response, int]:
    """Create or update an RMA (idempotent by rma_id; Idempotency-Key makes retries safe)."""
    raw = request.get_data()
    idem = request.headers.get("Idempotency-Key")
    body_sha = hashlib.sha256(raw).hexdigest()
    ctx = station_context(current_app)
    if idem:
        with ctx.db.reader() as session:
            seen = api_limits.find_reply(session, g.api_key_id, idem, utcnow())
        if seen is not None:
            return _replay(seen, body_sha)
    rma = parse_rma(json_body())
    try:
        with ctx.work() as work:
            row, outcome = upsert_rma(
                work, rma, actor=g.api_actor,
                no_reason_window_days=ctx.settings.returns.no_reason_window_days,
                default_window_days=ctx.settings.returns.default_window_days,
            )
            dumped = ReturnUpsertOut(outcome=outcome, rma=return_out(row)).model_dump(mode="json")
            status = 201 if outcome == "created" else 200
            if idem:
                api_limits.store_reply(work.session, g.api_key_id, idem, body_sha, status,
                                       dumped, utcnow())
    except IntegrityError:
        if not idem:
            raise
        # The same key ran at the same time elsewhere and committed first: this write was
        # rolled back whole, and the first reply is the answer.
        with ctx.db.reader() as session:
            seen = api_limits.find_reply(session, g.api_key_id, idem, utcnow())
        if seen is None:
            raise
        return _replay(seen, body_sha)
    return jsonify(dumped), status


def _replay(seen: api_limits.StoredReply, body_sha: str) -> tuple[Response, int]:
    """The first reply again, or 422 when the key came with another body."""
    if seen.body_sha256 != body_sha:
        raise ApiProblem(422, "idempotency_key_reused",
                         "this Idempotency-Key was used with a different body")
    return jsonify(seen.response), seen.status_code


@bp.get("/returns/<rma_id>")
@require("returns:write")
def get_return(rma_id: str) -> Response:
    with station_context(current_app).db.reader() as session:
        return jsonify(return_out(_load(session, rma_id)).model_dump(mode="json"))


@bp.delete("/returns/<rma_id>")
@require("returns:write")
def delete_return(rma_id: str) -> Response:
    """Cancel an RMA nothing was inspected against yet (409 otherwise)."""
    with station_context(current_app).work() as work:
        row = cancel_rma(work, rma_id, actor=g.api_actor)
        return jsonify(return_out(row).model_dump(mode="json"))


@bp.post("/returns/<rma_id>/refund-status")
@require("returns:write")
def refund_status(rma_id: str) -> Response:
    """Store what the refund flow did on the RMA's latest inspection."""
    report = RefundStatusIn.model_validate(json_body())
    with station_context(current_app).work() as work:
        session = work.session
        row = _load(session, rma_id)
        inspection = session.execute(
            select(Inspection).where(Inspection.rma_pk == row.id)
            .order_by(Inspection.received_at.desc()).limit(1).with_for_update()
        ).scalar_one_or_none()
        if inspection is None:
            raise ApiProblem(409, "not_inspected", f"RMA {rma_id} has no inspection yet")
        stored = {**report.model_dump(mode="json"), "reported_at": utcnow().isoformat()}
        inspection.refund_status = stored
        work.touch(inspection)
        work.audit(actor=g.api_actor, action="inspection.refund_status",
                   entity_type="inspection", entity_id=inspection.id, data=stored)
        return jsonify({"inspection_id": inspection.id, "refund_status": stored})
