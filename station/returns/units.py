"""The units of a parcel, kept in step with its scans: expected (found), undeclared and missing.

Each RMA line of quantity n yields up to n *expected* units, one per matching scan; the rest of
its quantity are *missing* units (no photos, no checklist). A scan that matches no line, or one
more than a line's quantity, is an *undeclared* unit. An unexpected parcel (no RMA) with no item
scanned gets one undeclared unit, so its outcome is still decided per unit. ``sync_units`` is
idempotent: units keep their answers while their scan (or missing slot) stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from station.db.models import ExpectedItem, Inspection, InspectionUnit, Photo, Scan
from station.db.types import new_id
from station.vocabulary import UnitKind


@dataclass(frozen=True)
class _Slot:
    """One unit the scans call for, before it is matched to a stored row."""

    key: tuple[str, ...]
    kind: UnitKind
    item: ExpectedItem | None
    unit_index: int
    scan: Scan | None


def _slots(inspection: Inspection) -> list[_Slot]:
    items = list(inspection.rma.items) if inspection.rma is not None else []
    by_item: dict[str, list[Scan]] = {i.id: [] for i in items}
    undeclared: list[Scan] = []
    for scan in inspection.scans:
        if scan.result == "match" and scan.matched_item_id in by_item:
            by_item[scan.matched_item_id].append(scan)
        else:
            undeclared.append(scan)
    slots: list[_Slot] = []
    for item in items:
        found = by_item[item.id][: item.quantity]
        undeclared.extend(by_item[item.id][item.quantity:])
        for index, scan in enumerate(found, start=1):
            slots.append(_Slot(("scan", scan.id), UnitKind.EXPECTED, item, index, scan))
        for index in range(len(found) + 1, item.quantity + 1):
            slots.append(_Slot(("missing", item.id, str(index)), UnitKind.MISSING, item, index,
                               None))
    undeclared.sort(key=lambda s: (s.scanned_at, s.id))
    for index, scan in enumerate(undeclared, start=1):
        slots.append(_Slot(("scan", scan.id), UnitKind.UNDECLARED, None, index, scan))
    if inspection.rma is None and not undeclared:
        slots.append(_Slot(("unidentified",), UnitKind.UNDECLARED, None, 1, None))
    return slots


def _key(unit: InspectionUnit) -> tuple[str, ...]:
    if unit.scan_id is not None:
        return ("scan", unit.scan_id)
    if unit.kind == UnitKind.MISSING and unit.expected_item_id is not None:
        return ("missing", unit.expected_item_id, str(unit.unit_index))
    return ("unidentified",)


def _fill(unit: InspectionUnit, slot: _Slot) -> None:
    item, scan = slot.item, slot.scan
    unit.kind = slot.kind.value
    unit.expected_item_id = item.id if item is not None else None
    unit.line_id = item.line_id if item is not None else None
    unit.unit_index = slot.unit_index
    unit.scan_id = scan.id if scan is not None else None
    unit.sku = item.sku if item is not None else (scan.sku if scan is not None else None)
    unit.gtin = (scan.gtin if scan is not None else None) or (item.gtin if item is not None else None)
    unit.serial = scan.serial if scan is not None else None
    unit.lot = scan.lot if scan is not None else None
    unit.category = item.category if item is not None else ""
    unit.price_minor = item.price_minor if item is not None else None
    if slot.kind is UnitKind.MISSING:
        unit.state = "missing"


def sync_units(session: Session, inspection: Inspection) -> list[InspectionUnit]:
    """Create, keep or drop units so they match the scans; returns them in position order.

    A dropped unit's photos stay with the parcel (their ``unit_id`` is cleared), never deleted.
    """
    slots = _slots(inspection)
    wanted = {slot.key for slot in slots}
    kept: dict[tuple[str, ...], InspectionUnit] = {}
    for unit in list(inspection.units):
        if _key(unit) in wanted:
            kept[_key(unit)] = unit
            unit.position = -unit.position  # out of the way of the renumbering below
            continue
        for photo in inspection.photos:
            if photo.unit_id == unit.id:
                photo.unit_id = None
        inspection.units.remove(unit)
    session.flush()
    units: list[InspectionUnit] = []
    for position, slot in enumerate(slots, start=1):
        found = kept.get(slot.key)
        if found is not None:
            unit = found
        else:
            unit = InspectionUnit(id=new_id(), inspection_id=inspection.id, checklist={},
                                  decision={}, flags=[], review={}, deduction_pct=0)
            inspection.units.append(unit)
        unit.position = position
        _fill(unit, slot)
        if slot.scan is not None:
            slot.scan.unit_id = unit.id
        units.append(unit)
    session.flush()
    return units


def unit_of(inspection: Inspection, unit_id: str) -> InspectionUnit | None:
    """The unit ``unit_id`` of this inspection, or None."""
    return next((u for u in inspection.units if u.id == unit_id), None)


def photos_of(inspection: Inspection, unit: InspectionUnit) -> list[Photo]:
    """The photos taken of one unit."""
    return [p for p in inspection.photos if p.unit_id == unit.id]
