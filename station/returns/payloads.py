"""Webhook payload data for an inspection: ids, verdicts, decision, weights, photo links with SHA-256."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from station.db.models import Inspection, Photo, Tote
from station.returns.unit_outcomes import unit_data
from station.returns.units import photos_of


def photo_link(public_url: str, photo_id: str) -> str:
    """Where the platform fetches a photo (API key or signed URL, see the API docs)."""
    return f"{public_url.rstrip('/')}/api/v1/photos/{photo_id}"


def _photo(public_url: str, photo: Photo) -> dict[str, Any]:
    return {"id": photo.id, "angle": photo.angle, "sha256": photo.sha256,
            "size_bytes": photo.size_bytes, "url": photo_link(public_url, photo.id)}


def tote_codes(inspection: Inspection) -> dict[str, str]:
    """Tote id -> code for the totes this parcel's units went into."""
    ids = {u.tote_id for u in inspection.units if u.tote_id}
    session = object_session(inspection)
    if not ids or session is None:
        return {}
    rows = session.execute(select(Tote.id, Tote.code).where(Tote.id.in_(ids))).all()
    return {row.id: row.code for row in rows}


def event_data(inspection: Inspection, public_url: str = "") -> dict[str, Any]:
    """The `data` object of every inspection event (schema version 2, docs/webhooks.md).

    Version 2 adds ``units`` (one outcome per physical item) and ``totals``; the parcel-level
    grade / disposition / recommendation / platform of version 1 stay for one more version.
    Small on purpose: no image bytes, no customer data beyond what the platform sent.
    """
    rma = inspection.rma
    decision = inspection.decision or {}
    totes = tote_codes(inspection)
    units = [
        unit_data(unit, [_photo(public_url, p) for p in photos_of(inspection, unit)],
                  totes.get(unit.tote_id or ""))
        for unit in inspection.units
    ]
    totals = decision.get("totals")
    return {
        "inspection_id": inspection.id,
        "rma_id": rma.rma_id if rma else None,
        "order_id": rma.order_id if rma else None,
        "label": inspection.label if rma is None else None,
        "station_id": inspection.station_id,
        "state": inspection.state,
        "unexpected": inspection.unexpected,
        "received_at": inspection.received_at.isoformat(),
        "completed_at": inspection.completed_at.isoformat() if inspection.completed_at else None,
        "weight": {
            "measured_g": _g(inspection.measured_weight_mg),
            "expected_g": _g(inspection.expected_weight_mg),
            "source": inspection.weight_source,
        },
        "verdicts": [
            {"rule": v["rule"], "ok": v["ok"], "code": v["code"]} for v in inspection.verdicts
        ],
        "grade": inspection.grade,
        "disposition": inspection.disposition,
        "recommendation": inspection.recommendation,
        "deduction_pct": inspection.deduction_pct,
        "platform": decision.get("platform", {}),
        "fired_rules": decision.get("fired_rules", []),
        "policy_version": inspection.policy_version,
        "override": inspection.override or None,
        "flags": list(inspection.flags),
        "photos": [_photo(public_url, p) for p in inspection.photos],
        "units": units,
        "totals": {
            "units": len(units),
            "missing": totals.get("missing", 0),
            "undeclared": totals.get("undeclared", 0),
            "refund_total_minor": totals.get("refund_total_minor"),
            "restocking_fee_total_minor": totals.get("restocking_fee_total_minor", 0),
            "price_total_minor": totals.get("price_total_minor"),
            "currency": rma.currency if rma else None,
            "auto_refund": bool(totals.get("auto_refund")),
        } if totals else None,
    }


def _g(mg: int | None) -> float | None:
    return None if mg is None else mg / 1000
