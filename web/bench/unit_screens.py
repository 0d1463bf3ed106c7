"""The bench screen of one unit: its state, its checklist, its photos, then its proposal."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from station.db.models import ExpectedItem, Inspection, InspectionUnit, Photo
from station.returns.angles import present_units, unit_photos
from station.vocabulary import DefectKind, DefectSeverity, FunctionTest, ReturnReason, UnitState
from web.app import station_context
from web.bench.screens import bp, elsewhere, load, next_unit_position, screen_context
from web.bench.services import bench_services

PHASES = ("state", "checklist", "photos", "done")


def expected_item(inspection: Inspection, unit: InspectionUnit) -> ExpectedItem | None:
    items = inspection.rma.items if inspection.rma else []
    return next((i for i in items if i.id == unit.expected_item_id), None)


def phase_of(inspection: Inspection, unit: InspectionUnit, angles: tuple[str, ...],
             photos: dict[str, Photo], asks: bool) -> str:
    """Where this unit stands: the first of its questions still open (``asks``: a checklist)."""
    if not unit.state:
        return "state"
    if asks and unit.state != UnitState.SEALED and not (unit.checklist or inspection.checklist):
        return "checklist"
    if any(a not in photos for a in angles):
        return "photos"
    return "done"


def allowed(phase: str, unit: InspectionUnit, current: str, asks: bool) -> bool:
    """May the operator go back to ``phase`` (to change an answer)?"""
    if phase not in PHASES or PHASES.index(phase) > PHASES.index(current):
        return False
    return phase != "checklist" or (asks and unit.state in (UnitState.OPENED, UnitState.DAMAGED))


def unit_context(inspection: Inspection, unit: InspectionUnit, phase: str) -> dict[str, Any]:
    ctx = station_context(current_app)
    service = ctx.inspections
    sop = ctx.policy.sop_for(unit.sku, unit.category)
    item = expected_item(inspection, unit)
    pending = bench_services(current_app).pending(inspection.id)
    quality_defect = bool(inspection.rma and inspection.rma.reason == ReturnReason.QUALITY_DEFECT)
    return {
        **screen_context(inspection, "units"),
        "unit": unit,
        "item": item,
        "present": present_units(inspection),
        "complete": {u.id for u in inspection.units if service.unit_complete(inspection, u)},
        "phase": phase,
        "questions": service.questions(unit),
        "accessories": list(item.accessories) if item is not None else [],
        "answers": unit.checklist or {},
        "defect_kinds": [k.value for k in DefectKind],
        "severities": [s.value for s in DefectSeverity],
        "function_tests": [f.value for f in FunctionTest
                           if not (quality_defect and f is FunctionTest.NOT_TESTED)],
        "quality_defect": quality_defect,
        "unit_angles": service.unit_angles(unit),
        "unit_photos": unit_photos(inspection, unit),
        "pending": pending if pending is not None and pending.unit_id == unit.id else None,
        "sop": sop,
    }


@bp.get("/i/<inspection_id>/units/<int:position>")
def unit(inspection_id: str, position: int) -> Response | str:
    """One unit of the open parcel; ``?phase=`` goes back to an earlier question."""
    inspection = load(inspection_id)
    instead = elsewhere(inspection, "units")
    if instead is not None:
        return instead
    found = next((u for u in present_units(inspection) if u.position == position), None)
    if found is None:
        return redirect(url_for("bench.unit", inspection_id=inspection.id,
                                position=next_unit_position(inspection)))
    service = station_context(current_app).inspections
    angles = service.unit_angles(found)
    asks = bool(service.questions(found))
    current = phase_of(inspection, found, angles, unit_photos(inspection, found), asks)
    asked = request.args.get("phase", "")
    phase = asked if allowed(asked, found, current, asks) else current
    return render_template("bench/unit.html", **unit_context(inspection, found, phase))
