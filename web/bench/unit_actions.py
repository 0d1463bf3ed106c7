"""The bench's per-unit actions (POST): the unit's state and its checklist, then the next unit."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from station.db.models import Inspection, InspectionUnit
from station.policy import Checklist
from station.returns.errors import DomainError
from station.returns.states import InspectionState
from station.returns.units import unit_of
from station.vocabulary import DefectKind, DefectSeverity, FunctionTest, UnitState
from web.app import station_context
from web.bench import labels
from web.bench.actions import MAX_FIELD, actor, attempt, field, is_fetch, take_photo
from web.bench.captures import held_answer, taken_answer
from web.bench.screens import bp, load, next_unit_position
from web.bench.services import bench_services

YES_NO = {"yes": True, "no": False}


def unit_result(unit: InspectionUnit) -> str:
    """One line for the operator: what the policy proposes for this unit."""
    refund = labels.label(labels.RECOMMENDATIONS, unit.recommendation)
    if unit.refund_minor is not None:
        refund += f" {unit.refund_minor / 100:.2f}"
    return _("Item %(n)d: grade %(grade)s · %(disposition)s · %(refund)s", n=unit.position,
             grade=unit.grade or "–",
             disposition=labels.label(labels.DISPOSITIONS, unit.disposition), refund=refund)


def after_unit_target(inspection: Inspection, unit_id: str) -> tuple[str, bool]:
    """Where the bench goes after a unit's step (``inspection`` loaded after it), and whether
    the unit is complete.

    Its next question; once complete (its proposal flashed), the next unit, or, when it was
    the last, the parcel summary (graded here).
    """
    ctx = station_context(current_app)
    inspection_id = inspection.id
    unit = unit_of(inspection, unit_id)
    if unit is None:
        return url_for("bench.step", inspection_id=inspection_id, step="units"), False
    if not ctx.inspections.unit_complete(inspection, unit):
        return url_for("bench.unit", inspection_id=inspection_id, position=unit.position), False
    flash(unit_result(unit), "success")
    ctx.sorting.label_unit(inspection_id, unit.id, actor())  # print_at = "unit": its label now
    if inspection.state == InspectionState.CHECKLIST_DONE:
        try:
            ctx.inspections.grade(inspection_id, actor())
        except DomainError as error:
            flash(labels.error_message(error), "error")
        return url_for("bench.step", inspection_id=inspection_id, step="result"), True
    return url_for("bench.unit", inspection_id=inspection_id,
                   position=next_unit_position(inspection, after=unit.position)), True


def after_unit(inspection_id: str, unit_id: str) -> Response:
    return redirect(after_unit_target(load(inspection_id), unit_id)[0])


def unit_url(inspection_id: str, unit_id: str, phase: str) -> str:
    """The unit's screen at ``phase`` (where a refused action goes back to), read small.

    Another bench's (or no) inspection is a 404 here, before the action runs, as ``load`` says.
    """
    with station_context(current_app).db.reader() as session:
        station_id = session.execute(select(Inspection.station_id).where(
            Inspection.id == inspection_id)).scalar_one_or_none()
        if station_id is None or station_id != bench_services(current_app).station_id:
            abort(404)
        position = session.execute(select(InspectionUnit.position).where(
            InspectionUnit.id == unit_id, InspectionUnit.inspection_id == inspection_id)
        ).scalar_one_or_none()
    if position is None:
        return url_for("bench.step", inspection_id=inspection_id, step="units")
    return url_for("bench.unit", inspection_id=inspection_id, position=position, phase=phase)


@bp.post("/i/<inspection_id>/units/<unit_id>/state")
def unit_state(inspection_id: str, unit_id: str) -> Response:
    """The first question of a unit: sealed, as expected / opened / damaged."""

    def work() -> Response:
        state = field("state", 20)
        if state not in (UnitState.SEALED, UnitState.OPENED, UnitState.DAMAGED):
            raise DomainError("bad_unit_state", f"unit state {state!r}")
        station_context(current_app).inspections.record_unit_state(inspection_id, unit_id, state,
                                                                   actor())
        return after_unit(inspection_id, unit_id)

    return attempt(unit_url(inspection_id, unit_id, "state"), work)


def answer(name: str, asked: set[str], default: bool, missing: list[str]) -> bool:
    """A yes/no question: asked ones must be answered, the others take ``default``."""
    if name not in asked:
        return default
    value = request.form.get(name, "")
    if not value:
        missing.append(name)
        return default
    if value not in YES_NO:
        raise DomainError("bad_input", f"{name}: answer yes or no")
    return YES_NO[value]


def checklist_from_form(questions: tuple[str, ...], state: str | None) -> tuple[Checklist, str]:
    """The unit's answers -> policy input; an asked question left open refuses the whole form.

    An opened unit is not asked whether it was opened, and is asked "any defects?" before
    which ones; a damaged unit must name at least one defect.
    """
    missing: list[str] = []
    damaged = state == UnitState.DAMAGED
    asked = set(questions)
    if not damaged:
        asked.discard("original_packaging_opened")
        if "defects" in asked:
            asked.add("has_defects")
    packaging_intact = answer("packaging_intact", asked, True, missing)
    was_opened = answer("original_packaging_opened", asked, True, missing)
    signs_of_use = answer("signs_of_use", asked, False, missing)
    has_defects = "defects" in asked and answer("has_defects", asked, True, missing)
    function_test = FunctionTest.NOT_APPLICABLE
    defects = {}
    try:
        if "function_test" in asked:
            chosen = request.form.get("function_test", "")
            if chosen:
                function_test = FunctionTest(chosen)
            else:
                missing.append("function_test")
        if has_defects:
            defects = {kind: DefectSeverity(request.form.get(f"defect_{kind.value}", "none"))
                       for kind in DefectKind}
    except ValueError as exc:
        raise DomainError("bad_input", str(exc)) from exc
    if has_defects and not missing and all(v is DefectSeverity.NONE for v in defects.values()):
        raise DomainError("damage_not_described", "say which defect and how bad")
    if missing:
        raise DomainError("answers_missing", "still to answer: " + ", ".join(missing),
                          questions=", ".join(missing))
    accessories = tuple(m[:200] for m in request.form.getlist("accessory_missing")[:50]) \
        if "accessories" in questions else ()
    checklist = Checklist(
        packaging_intact=packaging_intact, original_packaging_opened=was_opened,
        accessories_missing=accessories,
        defects={k: v for k, v in defects.items() if v is not DefectSeverity.NONE},
        function_test=function_test, signs_of_use=signs_of_use,
    )
    return checklist, field("notes", MAX_FIELD)


@bp.post("/i/<inspection_id>/units/<unit_id>/checklist")
def unit_checklist(inspection_id: str, unit_id: str) -> Response:
    """An opened or damaged unit's answers; the policy proposes its outcome once photographed."""

    def work() -> Response:
        service = station_context(current_app).inspections
        inspection = load(inspection_id)
        unit = unit_of(inspection, unit_id)
        if unit is None:
            raise DomainError("unit_not_found", f"no unit {unit_id}")
        answers, notes = checklist_from_form(service.questions(unit), unit.state)
        service.record_unit_checklist(inspection_id, unit_id, answers, actor(), notes)
        return after_unit(inspection_id, unit_id)

    return attempt(unit_url(inspection_id, unit_id, "checklist"), work)


@bp.post("/i/<inspection_id>/units/<unit_id>/photo")
def unit_photo(inspection_id: str, unit_id: str) -> Response:
    """Take the photo of one angle of a unit; its last photo moves on to the next unit."""
    back = unit_url(inspection_id, unit_id, "photos")

    def work() -> Response:
        angle = field("angle", 50)
        held = take_photo(inspection_id, angle, back, unit_id)
        if not is_fetch():
            return held or after_unit(inspection_id, unit_id)
        if held is not None:
            return held_answer(inspection_id, angle, held)
        inspection = load(inspection_id)
        unit = unit_of(inspection, unit_id)
        missing = [] if unit is None else \
            station_context(current_app).inspections.missing_unit_photos(inspection, unit)
        target, complete = after_unit_target(inspection, unit_id)
        return taken_answer(inspection, angle, missing,
                            {"url": target, "method": "get"} if complete else None)

    return attempt(back, work)
