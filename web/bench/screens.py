"""The bench screens (GET): idle, and one screen per inspection step, built from the stored state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, redirect, render_template, url_for
from werkzeug.wrappers import Response

from station.db.models import ExpectedItem, Inspection, Photo
from station.returns import grading
from station.returns.errors import NotFound
from station.returns.states import OPEN_STATES, InspectionState
from station.vocabulary import Grade
from web.app import station_context
from web.auth.forms import ActionForm
from web.auth.roles import OPERATOR_ROLES, protect
from web.bench import labels
from web.bench.services import bench_services, done_today
from web.bench.steps import STEPS, landing, previous, reachable

bp = Blueprint("bench", __name__, url_prefix="/bench")
protect(bp, OPERATOR_ROLES)


@dataclass
class LineView:
    """One expected line with what was found so far."""

    item: ExpectedItem
    found: int
    serials_found: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.found == self.item.quantity


def line_views(inspection: Inspection) -> list[LineView]:
    items = inspection.rma.items if inspection.rma else []
    views = []
    for item in items:
        scans = [s for s in inspection.scans if s.matched_item_id == item.id]
        views.append(LineView(item, len(scans), [s.serial for s in scans if s.serial]))
    return views


def latest_photos(inspection: Inspection) -> dict[str, Photo]:
    """The newest parcel photo of each angle (a retake replaces the older one on screen only)."""
    newest: dict[str, Photo] = {}
    for photo in sorted(inspection.photos, key=lambda p: p.taken_at):
        if photo.unit_id is None:
            newest[photo.angle] = photo
    return newest


def unit_reasons(inspection: Inspection) -> list[tuple[list[int], list[str]]]:
    """Why units are not a clean grade A: (unit positions, their policy rules), alike grouped."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for unit in inspection.units:
        clean = unit.grade == "A" and not unit.flags and unit.kind == "expected"
        if clean or not unit.decision:
            continue
        rules = tuple(r for r in unit.decision.get("fired_rules", []) if r != "grade.A")
        groups.setdefault(rules, []).append(unit.position)
    return [(positions, list(rules)) for rules, positions in groups.items()]


def next_unit_position(inspection: Inspection, after: int = 0) -> int:
    """The first present unit after ``after`` still to work on (else the first present one)."""
    service = station_context(current_app).inspections
    present = [u for u in inspection.units if u.kind != "missing"]
    for unit in present:
        if unit.position > after and not service.unit_complete(inspection, unit):
            return unit.position
    for unit in present:
        if not service.unit_complete(inspection, unit):
            return unit.position
    return present[0].position if present else 1


def open_inspection() -> Inspection | None:
    """This bench's open inspection, looked up once per request (page, demo panel)."""
    if "open_inspection" not in g:
        ctx = station_context(current_app)
        g.open_inspection = ctx.inspections.open_inspection(bench_services(current_app).station_id)
    found: Inspection | None = g.open_inspection
    return found


def inspection_or_404(inspection_id: str) -> Inspection:
    """The inspection with its return, scans and photos loaded; 404 when there is none."""
    try:
        return station_context(current_app).inspections.get(inspection_id)
    except NotFound:
        abort(404)


def load(inspection_id: str) -> Inspection:
    """An inspection of this bench (another bench's is a 404 here)."""
    inspection = inspection_or_404(inspection_id)
    if inspection.station_id != bench_services(current_app).station_id:
        abort(404)
    return inspection


def screen_context(inspection: Inspection, step: str) -> dict[str, Any]:
    ctx = station_context(current_app)
    state = InspectionState(inspection.state)
    return {
        "inspection": inspection,
        "step": step,
        "steps": [(s, labels.STEPS[s], reachable(state, s)) for s in STEPS],
        "back": previous(step),
        "lines": line_views(inspection),
        "form": ActionForm(),
        "allowance_mg": grading.weight_allowance_mg(inspection, ctx.inspections.settings),
        "required_angles": ctx.inspections.required_angles(inspection) if inspection.rma or
        inspection.unexpected else (),
        "photos": latest_photos(inspection),
        "pending": bench_services(current_app).pending(inspection.id),
        "grades": [g.value for g in Grade],
        "unit_reasons": unit_reasons(inspection) if step == "result" else [],
        "live": True,
        # on the items screen the station records scans itself (web/bench/item_scans.py)
        "events_args": {"screen": "items", "i": inspection.id} if step == "items" else {},
    }


@bp.get("/")
def home() -> Response | str:
    """Idle ("scan the return label") or the open inspection's screen (resumed after a restart)."""
    inspection = open_inspection()
    if inspection is not None:
        return redirect(url_for("bench.step", inspection_id=inspection.id,
                                step=landing(InspectionState(inspection.state))))
    services = bench_services(current_app)
    ctx = station_context(current_app)
    return render_template("bench/idle.html", form=ActionForm(), live=True,
                           today=done_today(ctx.db, services.station_id,
                                            ZoneInfo(ctx.settings.station.timezone)))


def elsewhere(inspection: Inspection, step: str) -> Response | None:
    """Where to go instead of ``step``: done when closed, the landing screen when not reached."""
    state = InspectionState(inspection.state)
    if state not in OPEN_STATES:
        return redirect(url_for("bench.finished", inspection_id=inspection.id))
    if not reachable(state, step):
        return redirect(url_for("bench.step", inspection_id=inspection.id, step=landing(state)))
    return None


@bp.get("/i/<inspection_id>/<step>")
def step(inspection_id: str, step: str) -> Response | str:
    inspection = load(inspection_id)
    instead = elsewhere(inspection, step)
    if instead is not None:
        return instead
    if step == "units":
        return redirect(url_for("bench.unit", inspection_id=inspection.id,
                                position=next_unit_position(inspection)))
    return render_template(f"bench/{step}.html", **screen_context(inspection, step))


@bp.get("/i/<inspection_id>/done")
def finished(inspection_id: str) -> Response | str:
    """After completion: where the parcel goes next; then back to idle."""
    from web.bench.sort_screen import sort_context

    inspection = load(inspection_id)
    if InspectionState(inspection.state) in OPEN_STATES:
        return redirect(url_for("bench.home"))
    return render_template("bench/done.html", inspection=inspection, form=ActionForm(), live=True,
                           **sort_context(inspection))
