"""Webhook payload data for an inspection: ids, verdicts, decision, weights, photo links with SHA-256."""

from __future__ import annotations

from typing import Any

from station.db.models import Inspection


def photo_link(public_url: str, photo_id: str) -> str:
    """Where the platform fetches a photo (API key or signed URL, see the API docs)."""
    return f"{public_url.rstrip('/')}/api/v1/photos/{photo_id}"


def event_data(inspection: Inspection, public_url: str = "") -> dict[str, Any]:
    """The `data` object of every inspection event (schema version 1, docs/webhooks.md).

    Small on purpose: no image bytes, no customer data beyond what the platform sent.
    """
    rma = inspection.rma
    decision = inspection.decision or {}
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
        "photos": [
            {
                "id": p.id,
                "angle": p.angle,
                "sha256": p.sha256,
                "size_bytes": p.size_bytes,
                "url": photo_link(public_url, p.id),
            }
            for p in inspection.photos
        ],
    }


def _g(mg: int | None) -> float | None:
    return None if mg is None else mg / 1000
