"""The bench steps of one unit: its state, its own checklist and photos, and its proposal.

After the parcel photos, the operator works unit by unit: the first question is the unit's
state (sealed / opened / damaged); an opened or damaged unit gets its checklist (the SOP picks
the questions, a damaged unit must say what is damaged); each unit gets the photos its SOP or
category asks for (a sealed one fewer). A unit is *complete* once it is answered and
photographed; its proposal (grade, disposition, refund) is then stored on it at once, so the
bench can show it. When every present unit is complete the parcel moves to ``checklist_done``;
when a unit stops being complete (a changed state, a new scan) it moves back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from station.db.models import Inspection, InspectionUnit
from station.db.types import utcnow
from station.policy.inputs import Checklist
from station.policy.model import Policy
from station.returns import angles, grading
from station.returns.errors import DomainError, NotFound
from station.returns.states import InspectionState
from station.returns.transitions import Transitions, load, require_open
from station.returns.unit_outcomes import decide_unit
from station.returns.units import unit_of
from station.unit_of_work import UnitOfWork, Work
from station.vocabulary import (
    CHECKLIST_QUESTIONS,
    DefectSeverity,
    FunctionTest,
    ReturnReason,
    UnitKind,
    UnitState,
)

if TYPE_CHECKING:
    from station.returns.workflow import ReturnSettings

S = InspectionState



def _clear_outcome(unit: InspectionUnit) -> None:
    unit.grade = unit.disposition = unit.recommendation = None
    unit.refund_minor, unit.deduction_pct = None, 0
    unit.flags, unit.decision = [], {}


class UnitSteps:
    """Mixed into the inspection service: the per-unit steps (see the module docstring)."""

    work: UnitOfWork
    policy: Policy
    settings: ReturnSettings
    steps: Transitions

    def _inputs_changed(self, work: Work, inspection: Inspection, actor: str) -> None:
        raise NotImplementedError  # the inspection service's

    # -- queries ----------------------------------------------------------------------------

    def questions(self, unit: InspectionUnit) -> tuple[str, ...]:
        """The checklist questions this unit's SOP asks (all of them without an SOP).

        An item not on the return is asked none: it is held for a supervisor, who decides on
        its photos; the bench asks only its state.
        """
        if unit.kind != UnitKind.EXPECTED:
            return ()
        sop = self.policy.sop_for(unit.sku, unit.category)
        return tuple(q for q in CHECKLIST_QUESTIONS if sop is None or sop.questions is None
                     or q in sop.questions)

    def unit_angles(self, unit: InspectionUnit) -> tuple[str, ...]:
        """The photo angles one unit needs (by its SOP, category and state)."""
        return angles.unit_angles(self.settings.photo_angles, self.policy, unit)

    def photos_needed(self, inspection: Inspection) -> list[tuple[InspectionUnit | None, str]]:
        """Every photo still to take: (None, angle) of the parcel, (unit, angle) per unit."""
        return angles.photos_needed(self.settings.photo_angles, self.policy, inspection)

    def missing_unit_photos(self, inspection: Inspection, unit: InspectionUnit) -> list[str]:
        """The unit's photo angles still to take."""
        return angles.missing_unit_angles(self.settings.photo_angles, self.policy, inspection, unit)

    def unit_complete(self, inspection: Inspection, unit: InspectionUnit) -> bool:
        """Answered (sealed, its own checklist, or the parcel's) and photographed."""
        if unit.kind == UnitKind.MISSING:
            return True
        answered = unit.state == UnitState.SEALED or bool(unit.checklist or inspection.checklist) \
            or bool(unit.state and not self.questions(unit))
        return answered and not self.missing_unit_photos(inspection, unit)

    # -- steps ------------------------------------------------------------------------------

    def record_unit_state(self, inspection_id: str, unit_id: str, state: str, actor: str) -> None:
        """The first question per unit: sealed, opened, damaged or missing."""
        try:
            chosen = UnitState(state)
        except ValueError as exc:
            raise DomainError("bad_unit_state", f"unit state {state!r} is not one of "
                              + ", ".join(s.value for s in UnitState)) from exc
        with self.work() as work:
            inspection = load(work.session, inspection_id)
            require_open(inspection, S.ITEMS_IDENTIFIED)
            unit = self._unit(inspection, unit_id)
            if unit.kind == UnitKind.MISSING and chosen is not UnitState.MISSING:
                raise DomainError("unit_missing", "a missing unit has no state to record; scan it")
            if unit.kind != UnitKind.MISSING and chosen is UnitState.MISSING:
                raise DomainError("bad_unit_state", "this unit was scanned: it is in the parcel")
            self._inputs_changed(work, inspection, actor)
            unit.state = chosen.value
            self.steps.record(work, inspection, actor, "inspection.unit_state", unit_id=unit.id,
                              state=chosen.value)
            self._units_answered(work, inspection, actor)

    def record_unit_checklist(self, inspection_id: str, unit_id: str, checklist: Checklist,
                              actor: str, notes: str = "") -> None:
        """One unit's own checklist (an opened or damaged unit)."""
        with self.work() as work:
            inspection = load(work.session, inspection_id)
            require_open(inspection, S.PHOTOS_TAKEN)
            unit = self._unit(inspection, unit_id)
            if unit.kind == UnitKind.MISSING:
                raise DomainError("unit_missing", "a missing unit has no checklist")
            state = UnitState(unit.state) if unit.state else UnitState.OPENED
            if state is UnitState.SEALED:
                state = UnitState.OPENED  # answering the questions means it was opened
            if state is UnitState.DAMAGED and not any(
                    s is not DefectSeverity.NONE for s in checklist.defects.values()):
                raise DomainError("damage_not_described",
                                  "a damaged item needs what is damaged and how badly")
            if (inspection.rma is not None and inspection.rma.reason == ReturnReason.QUALITY_DEFECT
                    and unit.kind == UnitKind.EXPECTED
                    and checklist.function_test is FunctionTest.NOT_TESTED):
                raise DomainError("function_test_required",
                                  "a quality-defect return needs its function test",
                                  unit=unit.id)
            self._inputs_changed(work, inspection, actor)
            unit.checklist = {**grading.checklist_to_dict(checklist), "notes": notes[:2000]}
            unit.state = state.value
            self.steps.record(work, inspection, actor, "inspection.unit_checklist", unit_id=unit.id)
            self._units_answered(work, inspection, actor)

    def _units_answered(self, work: Work, inspection: Inspection, actor: str,
                        inputs_changed: bool = True) -> None:
        """Propose each complete unit's outcome; move the parcel on (or back) with its units.

        ``inputs_changed=False`` (a photo: not a policy input) proposes only for units that
        just became complete; the others keep theirs.
        """
        state = S(inspection.state)
        if state not in (S.PHOTOS_TAKEN, S.CHECKLIST_DONE):
            return
        present = angles.present_units(inspection)
        complete = [u for u in present if self.unit_complete(inspection, u)]
        to_decide = [u for u in complete if inputs_changed or not u.decision]
        if to_decide:
            policy = self.policy  # read once (a publication may be swapped in meanwhile)
            verdicts, base, _ = grading.evaluate(inspection, policy, self.settings, utcnow())
            for unit in to_decide:
                decide_unit(unit, base, policy, verdicts)  # a refused answer rolls back
        for unit in present:
            if unit not in complete:
                _clear_outcome(unit)
        done = bool(present) and len(complete) == len(present)
        if state is S.PHOTOS_TAKEN and done:
            self.steps.move(work, inspection, S.CHECKLIST_DONE, actor, per_unit=True)
        elif state is S.CHECKLIST_DONE and not done:
            self.steps.move(work, inspection, S.PHOTOS_TAKEN, actor, why="a unit is not complete")

    @staticmethod
    def _unit(inspection: Inspection, unit_id: str) -> InspectionUnit:
        unit = unit_of(inspection, unit_id)
        if unit is None:
            raise NotFound("unit_not_found", f"no unit {unit_id} in inspection {inspection.id}")
        return unit
