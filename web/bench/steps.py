"""Which bench screen belongs to which inspection state, and which screens may be revisited."""

from __future__ import annotations

from station.returns.states import InspectionState

S = InspectionState

STEPS = ("parcel", "weigh", "items", "photos", "units", "result")

#: The furthest screen an inspection in this state may show.
FURTHEST: dict[InspectionState, str] = {
    S.RECEIVED: "weigh",
    S.WEIGHED: "items",
    S.ITEMS_IDENTIFIED: "photos",
    S.PHOTOS_TAKEN: "units",
    S.CHECKLIST_DONE: "result",
    S.GRADED: "result",
}


def landing(state: InspectionState) -> str:
    """The screen a (resumed) inspection opens on: a fresh parcel shows what the customer said."""
    return "parcel" if state is S.RECEIVED else FURTHEST[state]


def reachable(state: InspectionState, step: str) -> bool:
    """Earlier screens can be revisited ("back"); later ones only once their step is reached."""
    if step not in STEPS or state not in FURTHEST:
        return False
    return STEPS.index(step) <= STEPS.index(FURTHEST[state])


def previous(step: str) -> str | None:
    index = STEPS.index(step)
    return STEPS[index - 1] if index > 0 else None
