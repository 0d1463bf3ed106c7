"""Words the analytics pages show for keys (reasons, issues, refund states, views), translated."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from web.bench import labels as bench

REASONS: dict[str, LazyString] = {**bench.REASONS,
                                  "unexpected": _l("Unexpected parcel (no return expected)")}
GRADES = bench.GRADES
#: Unit views count a unit that never came as "missing" (no grade, no place to go).
DISPOSITIONS: dict[str, LazyString] = {**bench.DISPOSITIONS, "missing": _l("Missing")}
RECOMMENDATIONS: dict[str, LazyString] = {**bench.RECOMMENDATIONS, "missing": _l("Missing")}
STATES = bench.STATES
REFUNDS: dict[str, LazyString] = {
    "refunded": _l("Refunded"),
    "partially_refunded": _l("Partially refunded"),
    "denied": _l("Refund denied"),
    "exchanged": _l("Exchanged"),
    "none": _l("Not reported yet"),
}
ISSUES: dict[str, LazyString] = {
    "flagged": _l("Flagged for a supervisor"),
    "wrong_item": _l("Wrong item scanned"),
    "weight_mismatch": _l("Weight outside the tolerance"),
    "supervisor_override": _l("Changed by a supervisor"),
    **bench.FLAGS,
}
SLA_LEVELS: dict[str, LazyString] = {
    "ok": _l("Within the SLA"),
    "warn": _l("SLA warning"),
    "breach": _l("SLA breached"),
}
OUTLIERS: dict[str, LazyString] = {
    "grades_high": _l("Grades higher than the bench"),
    "grades_low": _l("Grades lower than the bench"),
    "flags_high": _l("Flags more than the bench"),
    "flags_low": _l("Flags less than the bench"),
    "overrides_high": _l("Often changed by supervisors"),
}
#: What a chart or table counts (views.COUNTS): the word in its title, and a line under it.
COUNTED: dict[str, LazyString] = {"units": _l("units"), "parcels": _l("parcels")}
COUNTED_NOTE: dict[str, LazyString] = {
    "units": _l("Counts units: every item of a parcel on its own, missing ones included."),
    "parcels": _l("Counts parcels: one per inspection, however many items it held."),
}
BUCKETS: dict[str, LazyString] = {"day": _l("Day"), "week": _l("Week"), "month": _l("Month")}
#: Headings of the exportable tables (file names in tables.TABLES).
TABLE_TITLES: dict[str, LazyString] = {
    "over_time": _l("Returns over time"),
    "reasons": _l("Why items came back"),
    "categories": _l("Returns by category"),
    "products": _l("Most returned products"),
    "grades": _l("Grades"),
    "dispositions": _l("Dispositions"),
    "stations": _l("Stations"),
    "operators": _l("Operators"),
    "rates": _l("Mismatch and flag rates"),
    "refunds": _l("Refund outcomes and recommendations"),
    "sla": _l("Age of the flagged queue"),
    "grading": _l("Grading consistency"),
    "inspections": _l("Inspections"),
}


def name(table: dict[str, LazyString], key: str | None) -> str:
    """The translated word for ``key`` in ``table`` (the key itself when there is none)."""
    if key is None:
        return "–"
    return str(table[key]) if key in table else key
