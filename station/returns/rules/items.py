"""Item rules (match, quantity, serials, extra, missing) and verify_return, which runs every rule."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from station.returns.rules.gtin import GtinError, normalise_gtin, try_normalise_gtin
from station.returns.rules.parcel import (
    DEFAULT_WINDOW_DAYS,
    NO_REASON_WINDOW_DAYS,
    check_parcel_weight,
    check_reason,
    check_return_window,
)
from station.returns.rules.types import ExpectedLine, ScannedItem, Verdict, WeightTolerance
from station.vocabulary import ReturnReason


def _scan_gtin(scan: ScannedItem) -> tuple[str | None, str | None]:
    """(14-digit GTIN, error) for a scan: its gtin field, else a raw code that is a valid GTIN."""
    if scan.gtin is not None and scan.gtin.strip():
        try:
            return normalise_gtin(scan.gtin), None
        except GtinError as exc:
            return None, str(exc)
    if scan.sku is None:
        return try_normalise_gtin(scan.raw), None
    return None, None


def match_line(scan: ScannedItem, lines: Sequence[ExpectedLine]) -> ExpectedLine | None:
    """The expected line this scan is: by GTIN (normalised to 14 digits), else SKU (any case).

    A raw code without a decoded GTIN or SKU is tried as a GTIN, then as a SKU.
    """
    gtin, _ = _scan_gtin(scan)
    if gtin is not None:
        for line in lines:
            if try_normalise_gtin(line.gtin) == gtin:
                return line
    sku = scan.sku if scan.sku is not None else (scan.raw if scan.gtin is None else None)
    if sku is not None and sku.strip():
        wanted = sku.strip().casefold()
        for line in lines:
            if line.sku.strip().casefold() == wanted:
                return line
    return None


def match_item(scan: ScannedItem, lines: Sequence[ExpectedLine]) -> Verdict:
    """Is the scanned item one of the expected lines? Fails with the reason it is not."""
    rule = "item.match"
    gtin, gtin_error = _scan_gtin(scan)
    data: dict[str, str | int | float | None] = {"raw": scan.raw, "gtin": gtin, "sku": scan.sku}
    line = match_line(scan, lines)
    if line is not None:
        data["line_id"] = line.line_id
        how = "gtin" if gtin is not None and try_normalise_gtin(line.gtin) == gtin else "sku"
        return Verdict(rule, True, f"{how}_match",
                       f"Scanned {scan.raw!r} is line {line.line_id} ({line.description}).", data)
    if gtin_error is not None:
        return Verdict(rule, False, "invalid_gtin",
                       f"Scanned {scan.raw!r} is not a valid GTIN: {gtin_error}.", data)
    if gtin is not None:
        return Verdict(rule, False, "gtin_mismatch",
                       f"GTIN {gtin} is not on this return authorization.", data)
    if not scan.raw.strip() and not (scan.sku or "").strip():
        return Verdict(rule, False, "no_identifier", "The scan carried no GTIN or SKU.", data)
    return Verdict(rule, False, "sku_mismatch",
                   f"Scanned {scan.sku or scan.raw!r} matches no expected SKU or GTIN.", data)


def check_quantity(line: ExpectedLine, found: int) -> Verdict:
    """Found quantity of a line equals the expected quantity."""
    data: dict[str, str | int | float | None] = {
        "line_id": line.line_id, "expected": line.quantity, "found": found,
    }
    numbers = f"line {line.line_id} ({line.description}): found {found} of {line.quantity}"
    if found == line.quantity:
        return Verdict("item.quantity", True, "quantity_ok", f"Quantity OK, {numbers}.", data)
    code = "quantity_short" if found < line.quantity else "quantity_over"
    word = "Too few" if found < line.quantity else "Too many"
    return Verdict("item.quantity", False, code, f"{word} items, {numbers}.", data)


def normalise_serial(serial: str) -> str:
    """Serials compare without surrounding whitespace and without regard to letter case."""
    return serial.strip().casefold()


def check_serial(
    line: ExpectedLine, serial: str | None, already_seen: Collection[str] = ()
) -> Verdict:
    """A scanned serial is on the line's expected list and was not scanned before.

    ``already_seen`` holds the serials (normalised) scanned earlier in this inspection.
    Lines without expected serials are not serial-tracked and always pass.
    """
    rule = "item.serial"
    data: dict[str, str | int | float | None] = {"line_id": line.line_id, "serial": serial}
    if not line.serials:
        return Verdict(rule, True, "not_tracked",
                       f"Line {line.line_id} is not serial-tracked.", data)
    if serial is None or not serial.strip():
        return Verdict(rule, False, "serial_missing",
                       f"Line {line.line_id} expects a serial number; none was scanned.", data)
    key = normalise_serial(serial)
    if key in already_seen:
        return Verdict(rule, False, "serial_duplicate",
                       f"Serial {serial!r} was scanned twice.", data)
    if key not in {normalise_serial(s) for s in line.serials}:
        return Verdict(rule, False, "serial_not_expected",
                       f"Serial {serial!r} is not one of the {len(line.serials)} serial(s) "
                       f"shipped on line {line.line_id}.", data)
    return Verdict(rule, True, "serial_ok", f"Serial {serial!r} matches line {line.line_id}.",
                   data)


def assign_scans(
    scans: Sequence[ScannedItem], lines: Sequence[ExpectedLine]
) -> tuple[dict[str, list[ScannedItem]], list[ScannedItem]]:
    """Group scans by matched line id; return (by_line_id, unmatched scans)."""
    by_line: dict[str, list[ScannedItem]] = {line.line_id: [] for line in lines}
    unmatched: list[ScannedItem] = []
    for scan in scans:
        line = match_line(scan, lines)
        if line is None:
            unmatched.append(scan)
        else:
            by_line[line.line_id].append(scan)
    return by_line, unmatched


def check_extra_items(unmatched: Sequence[ScannedItem]) -> Verdict:
    """No item in the parcel that the return authorization does not list."""
    if not unmatched:
        return Verdict("items.extra", True, "no_extra_items", "No unexpected items.", {"count": 0})
    codes = ", ".join(scan.raw for scan in unmatched)
    return Verdict("items.extra", False, "extra_items",
                   f"{len(unmatched)} scanned item(s) not on the return authorization: {codes}.",
                   {"count": len(unmatched), "codes": codes})


def check_missing_items(lines: Sequence[ExpectedLine], found: Mapping[str, int]) -> Verdict:
    """Every expected line was found at least once (quantity is item.quantity's job)."""
    missing = [line for line in lines if line.quantity > 0 and found.get(line.line_id, 0) <= 0]
    if not missing:
        return Verdict("items.missing", True, "no_missing_items",
                       "Every expected item was found.", {"count": 0})
    ids = ", ".join(line.line_id for line in missing)
    names = "; ".join(f"{line.line_id} {line.description} ×{line.quantity}" for line in missing)
    return Verdict("items.missing", False, "items_missing",
                   f"{len(missing)} expected line(s) not found: {names}.",
                   {"count": len(missing), "line_ids": ids})


def verify_return(
    lines: Sequence[ExpectedLine],
    scans: Sequence[ScannedItem],
    reason: ReturnReason | str | None,
    measured_weight_g: Decimal | None,
    delivered_at: datetime | None,
    returned_at: datetime,
    default_tolerance: WeightTolerance,
    packaging_allowance_g: Decimal = Decimal(0),
    no_reason_window_days: int = NO_REASON_WINDOW_DAYS,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[Verdict]:
    """Run every rule; order: reason, window, one item.match per scan, per line quantity and
    serials, extra items, missing items, parcel weight."""
    verdicts = [
        check_reason(reason),
        check_return_window(reason, delivered_at, returned_at, no_reason_window_days,
                            window_days),
    ]
    verdicts.extend(match_item(scan, lines) for scan in scans)
    by_line, unmatched = assign_scans(scans, lines)
    seen: set[str] = set()
    for line in lines:
        line_scans = by_line[line.line_id]
        if line_scans:
            verdicts.append(check_quantity(line, len(line_scans)))
        for scan in line_scans if line.serials else ():
            verdicts.append(check_serial(line, scan.serial, seen))
            if scan.serial is not None and scan.serial.strip():
                seen.add(normalise_serial(scan.serial))
    verdicts.append(check_extra_items(unmatched))
    verdicts.append(check_missing_items(lines, {k: len(v) for k, v in by_line.items()}))
    verdicts.append(
        check_parcel_weight(lines, measured_weight_g, default_tolerance, packaging_allowance_g)
    )
    return verdicts
