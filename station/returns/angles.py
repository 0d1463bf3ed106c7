"""Which photos a parcel and each of its units need: parcel angles, unit angles, sealed fewer.

The station's ``[returns] photo_angles`` list the angles of a category. The angles that show the
parcel itself (its outside and its shipping label) are taken once per parcel; the others are
taken per unit. A unit's SOP can name its own angles (``photo_angles``, and
``sealed_photo_angles`` for a factory-sealed unit); without one, a sealed unit needs only the
first of its category's unit angles. A missing unit needs none.

A unit's angle is covered by a photo filed under that unit, or, when the parcel holds only one
unit, by a parcel photo of that angle (a single-item parcel photographed in one go).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from station.db.models import Inspection, InspectionUnit, Photo
from station.policy.model import Policy
from station.vocabulary import UnitKind, UnitState

#: Angles that show the parcel, not an item in it.
PARCEL_ANGLES = frozenset({"parcel", "label", "shipping_label", "outer_packaging"})
#: The unit angle when a category lists none of its own.
DEFAULT_UNIT_ANGLE = "item"

Angles = Mapping[str, Sequence[str]]


def category_angles(angles: Angles, category: str | None) -> tuple[str, ...]:
    """Every angle the station lists for a category ('general' when it has no list)."""
    return tuple(angles.get(category or "general") or angles.get("general") or ())


def parcel_angles(angles: Angles, inspection: Inspection) -> tuple[str, ...]:
    """The parcel's own angles: those of its lines' categories that show the parcel."""
    categories = [i.category for i in inspection.rma.items] if inspection.rma else []
    found: list[str] = []
    for category in categories or ["general"]:
        found.extend(a for a in category_angles(angles, category)
                     if a in PARCEL_ANGLES and a not in found)
    return tuple(found)


def present_units(inspection: Inspection) -> list[InspectionUnit]:
    """The units that are in the parcel (not missing)."""
    return [u for u in inspection.units if u.kind != UnitKind.MISSING]


def unit_angles(angles: Angles, policy: Policy, unit: InspectionUnit) -> tuple[str, ...]:
    """The angles one unit needs, by its SOP and state (none for a missing unit)."""
    if unit.kind == UnitKind.MISSING:
        return ()
    sop = policy.sop_for(unit.sku, unit.category)
    sealed = unit.state == UnitState.SEALED
    if sop is not None:
        chosen = sop.sealed_photo_angles if sealed else sop.photo_angles
        if chosen is not None:
            return tuple(chosen)
    own = tuple(a for a in category_angles(angles, unit.category) if a not in PARCEL_ANGLES)
    own = own or (DEFAULT_UNIT_ANGLE,)
    return own[:1] if sealed else own


def unit_photos(inspection: Inspection, unit: InspectionUnit) -> dict[str, Photo]:
    """The newest photo per angle that counts for the unit: its own, or, when it is the
    parcel's only unit, a parcel photo."""
    alone = len(present_units(inspection)) == 1
    newest: dict[str, Photo] = {}
    for photo in sorted(inspection.photos, key=lambda p: p.taken_at):
        if photo.unit_id == unit.id or (alone and photo.unit_id is None):
            newest[photo.angle] = photo
    return newest


def missing_unit_angles(angles: Angles, policy: Policy, inspection: Inspection,
                        unit: InspectionUnit) -> list[str]:
    """The unit's angles that still have no photo."""
    taken = unit_photos(inspection, unit)
    return [a for a in unit_angles(angles, policy, unit) if a not in taken]


def photos_needed(angles: Angles, policy: Policy,
                  inspection: Inspection) -> list[tuple[InspectionUnit | None, str]]:
    """Every photo still to take: (None, angle) for the parcel, (unit, angle) per unit."""
    taken = {p.angle for p in inspection.photos if p.unit_id is None}
    needed: list[tuple[InspectionUnit | None, str]] = [
        (None, a) for a in parcel_angles(angles, inspection) if a not in taken]
    for unit in present_units(inspection):
        needed.extend((unit, a) for a in missing_unit_angles(angles, policy, inspection, unit))
    return needed
