"""/api/v1/returns: push, read and cancel RMAs; the platform reports its refund outcome."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import Inspection, ReturnAuthorization
from station.db.types import utcnow
from station.returns.errors import NotFound
from station.returns.intake import cancel_rma, parse_rma, upsert_rma
from web.api.auth import require
from web.api.problems import ApiProblem, json_body
from web.api.schemas import ExpectedItemOut, RefundStatusIn, ReturnOut, ReturnUpsertOut
from web.app import station_context

bp = Blueprint("api_returns", __name__)

IDEMPOTENCY_TTL_S = 24 * 3600


class IdempotencyCache:
    """Idempotency-Key -> (body hash, status, response) per API key, in this process, 24 h."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], tuple[float, str, int, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[str, int, Any] | None:
        with self._lock:
            now = time.monotonic()
            for k in [k for k, v in self._entries.items() if now - v[0] > IDEMPOTENCY_TTL_S]:
                del self._entries[k]
            entry = self._entries.get(key)
            return None if entry is None else entry[1:]

    def put(self, key: tuple[str, str], body_sha: str, status: int, body: Any) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), body_sha, status, body)


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
    cache: IdempotencyCache = current_app.extensions["api_idempotency"]
    body_sha = hashlib.sha256(raw).hexdigest()
    if idem:
        seen = cache.get((g.api_key_id, idem))
        if seen is not None:
            if seen[0] != body_sha:
                raise ApiProblem(422, "idempotency_key_reused",
                                 "this Idempotency-Key was used with a different body")
            return jsonify(seen[2]), seen[1]
    rma = parse_rma(json_body())
    ctx = station_context(current_app)
    with ctx.work() as work:
        row, outcome = upsert_rma(
            work, rma, actor=g.api_actor,
            no_reason_window_days=ctx.settings.returns.no_reason_window_days,
            default_window_days=ctx.settings.returns.default_window_days,
        )
        body = ReturnUpsertOut(outcome=outcome, rma=return_out(row))
    dumped = body.model_dump(mode="json")
    status = 201 if outcome == "created" else 200
    if idem:
        cache.put((g.api_key_id, idem), body_sha, status, dumped)
    return jsonify(dumped), status


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
