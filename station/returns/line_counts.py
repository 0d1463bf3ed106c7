"""What was found so far of each RMA line (count, serials), read with one narrow query.

The item step needs it twice: whether a scan is one too many for its line (``extra``), and the
per-line counts the bench shows after the scan. Both come from the (line, serial) pairs of the
inspection's matched scans, never from loading every scan, so a scan costs the same in a parcel
of 1 or of 50 items.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db.models import Inspection, Scan


@dataclass(frozen=True)
class LineCount:
    """One expected line: how many scans matched it (extras too), how many it expects."""

    line_id: str
    found: int
    expected: int
    serials: tuple[str, ...] = ()


def matched_serials(session: Session, inspection_id: str) -> dict[str, list[str | None]]:
    """Expected item id -> the serial (or None) of each scan matched to it, in scan order."""
    tally: dict[str, list[str | None]] = {}
    rows = session.execute(
        select(Scan.matched_item_id, Scan.serial)
        .where(Scan.inspection_id == inspection_id, Scan.matched_item_id.is_not(None))
        .order_by(Scan.scanned_at)
    )
    for item_id, serial in rows:
        tally.setdefault(item_id, []).append(serial)
    return tally


def line_counts(inspection: Inspection, tally: dict[str, list[str | None]]) -> tuple[LineCount, ...]:
    """Each RMA line of ``inspection`` with what ``tally`` found of it (in line order)."""
    items = inspection.rma.items if inspection.rma is not None else []
    return tuple(
        LineCount(item.line_id, len(tally.get(item.id, ())), item.quantity,
                  tuple(s for s in tally.get(item.id, ()) if s))
        for item in items
    )
