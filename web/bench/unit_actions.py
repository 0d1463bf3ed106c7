"""The bench's per-unit actions (POST): the unit's state and its checklist, then the next unit."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from station.db.models import InspectionUnit
from station.policy import Checklist
from station.returns.errors import DomainError
from station.returns.states import InspectionState
from station.returns.units import unit_of
from station.vocabulary import DefectKind, DefectSeverity, FunctionTest, UnitState
from web.app import station_context
from web.bench import labels
from web.bench.actions import MAX_FIELD, actor, attempt, field, take_photo, to_step
from web.bench.screens import bp, load, next_unit_position

YES_NO = {"yes": True, "no": False}


def unit_result(unit: InspectionUnit) -> str:
    """One line for the operator: what the policy proposes for this unit."""
    refund = labels.label(labels.RECOMMENDATIONS, unit.recommendation)
    if unit.refund_minor is not None:
        refund += f" {unit.refund_minor / 100:.2f}"
    return _("Item %(n)d: grade %(grade)s · %(disposition)s · %(refund)s", n=unit.position,
             grade=unit.grade or "–",
             disposition=labels.label(labels.DISPOSITIONS, unit.disposition), refund=refund)


def after_unit(inspection_id: str, unit_id: str) -> Response:
    """The unit's next question; once it is complete, the next unit, or the parcel summary."""
    ctx = station_context(current_app)
    inspection = load(inspection_id)
    unit = unit_of(inspection, unit_id)
    if unit is None:
        return to_step(inspection_id, "units")
    if not ctx.inspections.unit_complete(inspection, unit):
        return redirect(url_for("bench.unit", inspection_id=inspection_id, position=unit.position))
    flash(unit_result(unit), "success")
    if inspection.state == InspectionState.CHECKLIST_DONE:
        try:
            ctx.inspections.grade(inspection_id, actor())
        except DomainError as error:
            flash(labels.error_message(error), "error")
        return to_step(inspection_id, "result")
    return redirect(url_for("bench.unit", inspection_id=inspection_id,
                            position=next_unit_position(inspection, after=unit.position)))


def unit_url(inspection_id: str, unit_id: str, phase: str) -> str:
    inspection = load(inspection_id)
    unit = unit_of(inspection, unit_id)
    if unit is None:
        return url_for("bench.step", inspection_id=inspection_id, step="units")
    return url_for("bench.unit", inspection_id=inspection_id, position=unit.position, phase=phase)


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


def answer(name: str, questions: tuple[str, ...], default: bool, missing: list[str]) -> bool:
    """A yes/no question: asked ones must be answered, the others take ``default``."""
    if name not in questions:
        return default
    value = request.form.get(name, "")
    if not value:
        missing.append(name)
        return default
    if value not in YES_NO:
        raise DomainError("bad_input", f"{name}: answer yes or no")
    return YES_NO[value]


def checklist_from_form(questions: tuple[str, ...], state: str | None) -> tuple[Checklist, str]:
    """The unit's answers -> policy input; an asked question left open refuses the whole form."""
    missing: list[str] = []
    opened = state != UnitState.DAMAGED  # "opened" says it; a damaged box may still be sealed
    checklist_questions = tuple(q for q in questions
                                if not (opened and q == "original_packaging_opened"))
    packaging_intact = answer("packaging_intact", checklist_questions, True, missing)
    was_opened = answer("original_packaging_opened", checklist_questions, True, missing)
    signs_of_use = answer("signs_of_use", checklist_questions, False, missing)
    function_test = FunctionTest.NOT_APPLICABLE
    try:
        if "function_test" in questions:
            chosen = request.form.get("function_test", "")
            if chosen:
                function_test = FunctionTest(chosen)
            else:
                missing.append("function_test")
        defects = {}
        if "defects" in questions:
            defects = {kind: DefectSeverity(request.form.get(f"defect_{kind.value}", "none"))
                       for kind in DefectKind}
    except ValueError as exc:
        raise DomainError("bad_input", str(exc)) from exc
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
        held = take_photo(inspection_id, field("angle", 50), back, unit_id)
        return held or after_unit(inspection_id, unit_id)

    return attempt(back, work)
