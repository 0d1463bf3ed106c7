"""Which RMA line a stored scan is: the rule's verdict, the line's row, and match / extra / mismatch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from station.db.models import ExpectedItem, Inspection, Scan
from station.returns import grading
from station.returns.rules import match_item
from station.returns.rules.types import ScannedItem, Verdict


@dataclass(frozen=True)
class ScanMatch:
    """One scan against the inspection's RMA lines."""

    verdict: Verdict
    item: ExpectedItem | None  # the matched line's row (None: the scan matches no line)
    result: str  # match, extra (one more than the line's quantity) or mismatch


def match_scan(inspection: Inspection, item: ScannedItem, earlier: Sequence[Scan]) -> ScanMatch:
    """Match ``item`` to the RMA's lines; ``earlier`` are the scans before it (for extra)."""
    verdict = match_item(item, grading.expected_lines(inspection))
    line_id = verdict.data.get("line_id") if verdict.ok else None
    rows = inspection.rma.items if inspection.rma is not None else []
    matched = next((row for row in rows if row.line_id == line_id), None)
    if matched is None:
        return ScanMatch(verdict, None, "mismatch")
    already = sum(1 for scan in earlier if scan.matched_item_id == matched.id)
    return ScanMatch(verdict, matched, "extra" if already >= matched.quantity else "match")


def rematch_scans(inspection: Inspection) -> list[ScanMatch]:
    """Match every scan again, in the order they were scanned (after the RMA changed).

    Each scan's ``matched_item_id`` and ``result`` are set; nothing is deleted.
    """
    done: list[Scan] = []
    found: list[ScanMatch] = []
    for scan in inspection.scans:
        match = match_scan(inspection, grading.scanned_items([scan])[0], done)
        scan.matched_item_id = match.item.id if match.item is not None else None
        scan.result = match.result
        done.append(scan)
        found.append(match)
    return found
