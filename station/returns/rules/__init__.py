"""Return verification rules: pure functions from what was expected and found to Verdicts.

``items`` matches scans to the expected lines and checks quantity, serials, extra and missing
items; ``parcel`` checks the parcel's weight, the return window and the reason; ``gtin``
normalises GTINs; ``types`` holds the value types. ``verify_return`` runs them all.
"""

from station.returns.rules.items import (
    assign_scans,
    check_extra_items,
    check_missing_items,
    check_quantity,
    check_serial,
    match_item,
    match_line,
    normalise_serial,
    verify_return,
)
from station.returns.rules.parcel import (
    check_parcel_weight,
    check_reason,
    check_return_window,
    expected_parcel_weight_g,
    line_allowance_g,
)
from station.returns.rules.types import ExpectedLine, ScannedItem, Verdict, WeightTolerance

__all__ = [
    "ExpectedLine", "ScannedItem", "Verdict", "WeightTolerance", "assign_scans",
    "check_extra_items", "check_missing_items", "check_parcel_weight", "check_quantity",
    "check_reason", "check_return_window", "check_serial", "expected_parcel_weight_g",
    "line_allowance_g", "match_item", "match_line", "normalise_serial", "verify_return",
]
