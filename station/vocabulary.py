"""Warehouse vocabulary shared by rules, policy, API and UI: return reasons, grades, dispositions."""

from __future__ import annotations

from enum import StrEnum


class ReturnReason(StrEnum):
    """Why the customer says the item came back (common after-sales practice)."""

    QUALITY_DEFECT = "quality_defect"
    NOT_AS_DESCRIBED = "not_as_described"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_ITEM_SHIPPED = "wrong_item_shipped"
    SIZE_MISMATCH = "size_mismatch"
    NO_REASON = "no_reason"
    OTHER = "other"


#: Reasons where the merchant (or its carrier) is at fault: never a deduction.
MERCHANT_FAULT_REASONS = frozenset(
    {
        ReturnReason.QUALITY_DEFECT,
        ReturnReason.NOT_AS_DESCRIBED,
        ReturnReason.DAMAGED_IN_TRANSIT,
        ReturnReason.WRONG_ITEM_SHIPPED,
    }
)


class Grade(StrEnum):
    """Condition grade of an inspected item: A like new ... D not resellable."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Disposition(StrEnum):
    """Where the item goes after inspection."""

    RESTOCK = "restock"
    OPEN_BOX = "open_box"
    REFURBISH = "refurbish"
    RETURN_TO_VENDOR = "return_to_vendor"
    LIQUIDATE = "liquidate"
    SCRAP = "scrap"
    HOLD = "hold"  # quarantine until a supervisor decides (wrong or undeclared items)
    DONATE = "donate"
    RECYCLE = "recycle"


class UnitKind(StrEnum):
    """How a unit came to be in an inspection."""

    EXPECTED = "expected"  # a unit of an RMA line, found in the parcel
    UNDECLARED = "undeclared"  # found in the parcel, not on the return (or more than declared)
    MISSING = "missing"  # on the return, not found in the parcel


class UnitState(StrEnum):
    """The first question per unit: what state did it arrive in?"""

    SEALED = "sealed"  # factory sealed, as expected: no condition questions, fewer photos
    OPENED = "opened"
    DAMAGED = "damaged"
    MISSING = "missing"


class Recommendation(StrEnum):
    """What the station recommends to the platform's refund flow."""

    FULL_REFUND = "full_refund"
    PARTIAL_REFUND = "partial_refund"
    DENY = "deny"
    ESCALATE = "escalate"
    EXCHANGE = "exchange"


class DefectSeverity(StrEnum):
    """Severity of an appearance defect seen on the item."""

    NONE = "none"
    MINOR = "minor"
    MODERATE = "moderate"
    SEVERE = "severe"


class DefectKind(StrEnum):
    """Appearance defects the checklist asks about."""

    BREAKAGE = "breakage"
    SCRATCHES = "scratches"
    STAINS = "stains"
    FADING = "fading"


class FunctionTest(StrEnum):
    """Result of the function test at the bench."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_TESTED = "not_tested"
    NOT_APPLICABLE = "not_applicable"


#: The unit checklist's questions, in the order the bench asks them; an SOP picks from these.
CHECKLIST_QUESTIONS = ("packaging_intact", "original_packaging_opened", "signs_of_use",
                       "function_test", "accessories", "defects")
