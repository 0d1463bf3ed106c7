"""The inspection state machine (docs/state-machine.md): states, legal transitions and their events."""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise


class InspectionState(StrEnum):
    """Where one parcel's inspection stands. "idle" is a bench without one, not a row state."""

    RECEIVED = "received"
    WEIGHED = "weighed"
    ITEMS_IDENTIFIED = "items_identified"
    PHOTOS_TAKEN = "photos_taken"
    CHECKLIST_DONE = "checklist_done"
    GRADED = "graded"
    COMPLETED = "completed"
    FLAGGED = "flagged"
    REVIEWED = "reviewed"


S = InspectionState

#: The bench's main path, in order.
WORK_PATH: tuple[InspectionState, ...] = (
    S.RECEIVED,
    S.WEIGHED,
    S.ITEMS_IDENTIFIED,
    S.PHOTOS_TAKEN,
    S.CHECKLIST_DONE,
    S.GRADED,
)

#: States in which the bench is still working on the parcel (it resumes them after a crash).
OPEN_STATES = frozenset(WORK_PATH)
#: States the bench is done with.
CLOSED_STATES = frozenset({S.COMPLETED, S.FLAGGED, S.REVIEWED})


def _legal() -> frozenset[tuple[InspectionState, InspectionState]]:
    edges: set[tuple[InspectionState, InspectionState]] = set()
    for earlier, later in pairwise(WORK_PATH):
        edges.add((earlier, later))  # the main path, one step at a time
    for index, state in enumerate(WORK_PATH):
        # Going back to redo a step (the operator taps "back"); grading is then redone.
        edges.update((state, before) for before in WORK_PATH[:index])
        edges.add((state, S.FLAGGED))  # any working state -> needs a supervisor
    edges.add((S.GRADED, S.COMPLETED))
    edges.add((S.COMPLETED, S.REVIEWED))
    edges.add((S.FLAGGED, S.REVIEWED))
    return frozenset(edges)


LEGAL_TRANSITIONS = _legal()

#: Webhook event emitted when a transition lands in a state (docs/webhooks.md).
EVENT_ON_ENTER: dict[InspectionState, str] = {
    S.COMPLETED: "inspection.completed",
    S.FLAGGED: "inspection.flagged",
    S.REVIEWED: "inspection.reviewed",
}


def is_legal(current: InspectionState, target: InspectionState) -> bool:
    """True when ``current -> target`` is an edge of the state machine."""
    return (current, target) in LEGAL_TRANSITIONS


def step_index(state: InspectionState) -> int:
    """Position on the main path (closed states count as past the end)."""
    return WORK_PATH.index(state) if state in WORK_PATH else len(WORK_PATH)
