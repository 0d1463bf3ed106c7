"""Words the bench shows for domain values (grades, reasons, states, errors), in the UI language."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from station.returns.errors import DomainError

REASONS: dict[str, LazyString] = {
    "quality_defect": _l("Quality defect"),
    "not_as_described": _l("Not as described"),
    "damaged_in_transit": _l("Damaged in transit"),
    "wrong_item_shipped": _l("Wrong item shipped"),
    "size_mismatch": _l("Size does not fit"),
    "no_reason": _l("No reason (within 7 days)"),
    "other": _l("Other"),
}
DISPOSITIONS: dict[str, LazyString] = {
    "restock": _l("Restock"),
    "open_box": _l("Open box"),
    "refurbish": _l("Refurbish"),
    "return_to_vendor": _l("Return to vendor"),
    "liquidate": _l("Liquidate"),
    "scrap": _l("Scrap"),
    "hold": _l("Hold for a supervisor"),
    "donate": _l("Donate"),
    "recycle": _l("Recycle"),
    "mixed": _l("Different for each unit"),
}
#: Where the parcel goes after the bench: the cart or bin for each disposition.
NEXT_STEP: dict[str, LazyString] = {
    "restock": _l("Put it on the RESTOCK cart (green)."),
    "open_box": _l("Put it on the OPEN-BOX cart (blue)."),
    "refurbish": _l("Put it on the REFURBISH cart (yellow)."),
    "return_to_vendor": _l("Put it in the RETURN-TO-VENDOR cage."),
    "liquidate": _l("Put it on the LIQUIDATION pallet."),
    "scrap": _l("Put it in the SCRAP bin (red)."),
    "hold": _l("Put it on the HOLD shelf (quarantine) for a supervisor."),
    "donate": _l("Put it in the DONATION box."),
    "recycle": _l("Put it in the RECYCLING bin."),
    "mixed": _l("Each unit goes to its own place: see the list of units."),
}
UNIT_KINDS: dict[str, LazyString] = {
    "expected": _l("On the return"),
    "undeclared": _l("Not on the return"),
    "missing": _l("Missing"),
}
UNIT_STATES: dict[str, LazyString] = {
    "sealed": _l("Sealed"),
    "opened": _l("Opened"),
    "damaged": _l("Damaged"),
    "missing": _l("Missing"),
}
RECOMMENDATIONS: dict[str, LazyString] = {
    "full_refund": _l("Full refund"),
    "partial_refund": _l("Partial refund"),
    "deny": _l("Deny refund"),
    "escalate": _l("Escalate to supervisor"),
    "exchange": _l("Exchange"),
}
GRADES: dict[str, LazyString] = {
    "A": _l("A: as new"),
    "B": _l("B: open box, like new"),
    "C": _l("C: used, works"),
    "D": _l("D: not resellable as is"),
}
DEFECTS: dict[str, LazyString] = {
    "breakage": _l("Breakage"),
    "scratches": _l("Scratches"),
    "stains": _l("Stains"),
    "fading": _l("Fading"),
}
SEVERITIES: dict[str, LazyString] = {
    "none": _l("None"),
    "minor": _l("Minor"),
    "moderate": _l("Moderate"),
    "severe": _l("Severe"),
}
FUNCTION_TESTS: dict[str, LazyString] = {
    "passed": _l("Works"),
    "failed": _l("Does not work"),
    "not_tested": _l("Not tested"),
    "not_applicable": _l("Not applicable"),
}
ANGLES: dict[str, LazyString] = {
    "parcel": _l("Parcel as received"),
    "item": _l("Item"),
    "label": _l("Label"),
    "item_front": _l("Item front"),
    "item_back": _l("Item back"),
    "serial_label": _l("Serial number label"),
    "accessories": _l("Accessories"),
    "care_label": _l("Care label"),
}
FLAGS: dict[str, LazyString] = {
    "unexpected_parcel": _l("Unexpected parcel"),
    "manual_weight": _l("Weight typed by hand"),
    "operator_override": _l("Operator override"),
    "operator_flag": _l("Operator asked for a supervisor"),
    "verification_failed": _l("Verification failed"),
    "window_unknown": _l("Return window unknown"),
    "outside_window": _l("Outside the return window"),
    "claimed_defect_not_found": _l("Claimed defect not found"),
    "undeclared_item": _l("Item not on the return"),
    "missing": _l("Unit missing"),
    # a fleet bench's inspection that disagreed with central when it synced (station/sync/push.py)
    "sync_rma_cancelled": _l("Return cancelled centrally while the bench was offline"),
    "sync_rma_inspected_elsewhere": _l("Return inspected at another bench while this one was offline"),
    "sync_rma_in_progress_elsewhere": _l("Return being inspected at another bench while this one was offline"),
    "sync_rma_unknown": _l("Return unknown centrally"),
    "sync_plate_taken": _l("License plate already used centrally: relabel the unit"),
}
SCAN_RESULTS: dict[str, LazyString] = {
    "match": _l("Match"),
    "mismatch": _l("Wrong item"),
    "extra": _l("Extra item"),
}
SCAN_CODES: dict[str, LazyString] = {
    "gtin_match": _l("The GTIN is on this return."),
    "sku_match": _l("The SKU is on this return."),
    "invalid_gtin": _l("This is not a valid GTIN (check digit wrong). Scan again or type it."),
    "gtin_mismatch": _l("This GTIN is not on this return."),
    "sku_mismatch": _l("This code matches no item of this return."),
    "no_identifier": _l("The scan carried no GTIN or SKU."),
}
VERDICT_RULES: dict[str, LazyString] = {
    "item.match": _l("An item does not belong to this return."),
    "item.quantity": _l("The number of items is not what the customer said."),
    "item.serial": _l("A serial number is not the one sold."),
    "items.extra": _l("There are items that were not expected."),
    "items.missing": _l("Expected items are missing."),
    "parcel.weight": _l("The parcel weight is outside the tolerance."),
    "return.window": _l("The return window could not be confirmed."),
    "return.reason": _l("The return reason is not valid."),
}
POLICY_RULES: dict[str, LazyString] = {
    "restocking.opened_electronics": _l("Opened electronics: a restocking fee of 15 percent."),
    "guard.merchant_fault_no_restocking_fee": _l("The merchant is at fault: no restocking fee."),
    "grade.A": _l("Grade A: unused, intact, complete, no defects."),
    "grade.B": _l("Grade B: opened or lightly used, minor defects at most."),
    "grade.C": _l("Grade C: used, moderate defects or non-essential parts missing."),
    "grade.D": _l("Grade D: not resellable as is."),
    "flag.verification_failed": _l("Verification failed: a supervisor must look at it."),
    "flag.window_unknown": _l("The return window could not be checked."),
    "flag.outside_window": _l("Returned outside the return window."),
    "flag.unexpected_parcel": _l("No return was expected for this parcel."),
    "flag.manual_weight": _l("The weight was typed by hand."),
    "flag.operator_override": _l("The operator overrode the proposal."),
    "flag.claimed_defect_not_found": _l("The customer reported a defect that was not found."),
    "flag.undeclared_item": _l("Not on the return: a supervisor decides about this item."),
    "guard.undeclared_hold": _l("Not on the return: held, never restocked without a supervisor."),
    "unit.missing": _l("Missing from the parcel: its share of the refund is denied."),
    "sop.default_disposition": _l("The product's procedure chose where it goes."),
    "sop.backup_disposition": _l("A check failed: the product's procedure chose where it goes."),
    "disposition.d_return_to_vendor": _l("Defective and within vendor terms: return to vendor."),
    "disposition.d_scrap": _l("Not resellable: scrap."),
    "disposition.c_refurbish": _l("Used but repairable: refurbish."),
    "disposition.c_liquidate": _l("Used: liquidate."),
    "disposition.b_open_box": _l("Opened: sell as open box."),
    "disposition.restock": _l("As new: restock."),
    "refund.escalate_verification": _l("Verification failed: refund decided by a supervisor."),
    "refund.escalate_unexpected_parcel": _l("Unexpected parcel: refund decided by a supervisor."),
    "refund.escalate_manual_weight": _l("Typed weight: refund decided by a supervisor."),
    "refund.escalate_window_unknown": _l("Window unknown: refund decided by a supervisor."),
    "refund.deny_outside_window": _l("Outside the return window: refund denied."),
    "refund.merchant_fault_exchange": _l("Merchant at fault, exchange asked: exchange."),
    "refund.merchant_fault_full": _l("Merchant at fault: full refund."),
    "refund.exchange_resellable": _l("Resellable and exchange asked: exchange."),
    "refund.partial_used": _l("Used or opened: partial refund."),
    "refund.partial_incomplete": _l("Incomplete: partial refund."),
    "refund.full": _l("Resellable as new: full refund."),
    "refund.no_deduction_due": _l("No deduction is due for this grade."),
    "guard.merchant_fault_no_deduction": _l("The merchant is at fault: no deduction."),
}
DEVICE_NAMES: dict[str, LazyString] = {
    "scale": _l("Scale"),
    "scanner": _l("Scanner"),
    "camera": _l("Camera"),
    "printer": _l("Printer"),
}
DEVICE_STATES: dict[str, LazyString] = {
    "ready": _l("Ready"),
    "connecting": _l("Connecting"),
    "error": _l("Down"),
    "disconnected": _l("Unplugged"),
}
STATES: dict[str, LazyString] = {
    "received": _l("Received"),
    "weighed": _l("Weighed"),
    "items_identified": _l("Items identified"),
    "photos_taken": _l("Photos taken"),
    "checklist_done": _l("Checklist done"),
    "graded": _l("Graded"),
    "completed": _l("Completed"),
    "flagged": _l("Flagged for a supervisor"),
    "reviewed": _l("Reviewed"),
}
STEPS: dict[str, LazyString] = {
    "parcel": _l("Parcel"),
    "weigh": _l("Weigh"),
    "items": _l("Items"),
    "photos": _l("Photos"),
    "units": _l("Each item"),
    "result": _l("Summary"),
}
QUALITY_PROBLEMS: dict[str, LazyString] = {
    "too_blurry": _l("The photo is blurry."),
    "too_dark": _l("The photo is too dark."),
    "overexposed": _l("The photo is overexposed."),
}
ERRORS: dict[str, LazyString] = {
    "tote_closed": _l("This tote is closed already."),
    "tote_not_found": _l("There is no such tote."),
    "not_labelled": _l("This item has no license plate yet: confirm the parcel first."),
    "label_not_found": _l("There is no such item or tote to print."),
    "sscc_exhausted": _l("No SSCC numbers are left under this company prefix: call a supervisor."),
    "function_test_required": _l("This is a quality-defect return: test the item and answer "
                                 "the function test before the grade."),
    "unit_missing": _l("This unit is missing from the parcel: scan it if it is there."),
    "bad_unit_state": _l("Choose sealed, opened or damaged for each item."),
    "badge_scanned": _l("That is a badge, not an item. To change the operator, sign out first."),
    "answers_missing": _l("Answer every question first: the open ones are marked."),
    "damage_not_described": _l("Say what is damaged and how badly."),
    "rma_cancelled": _l("This return was cancelled by the platform. Put the parcel aside for a supervisor."),
    "rma_in_progress": _l("This return is being inspected at bench %(station)s."),
    "rma_already_inspected": _l("This return was already inspected. A supervisor can ask for a re-inspection."),
    "bench_busy": _l("Finish the open inspection on this bench first."),
    "bad_weight": _l("The weight must be above 0 g and at most 1000 kg."),
    "bad_weight_source": _l("Unknown weight source."),
    "photos_missing": _l("Some required photos are still missing."),
    "reason_required": _l("Say why (a reason is required)."),
    "bad_override": _l("The override was not understood: choose a grade, disposition or refund."),
    "merchant_fault_deduction": _l("No deduction is allowed when the merchant is at fault."),
    "illegal_transition": _l("That step is not possible now."),
    "inspection_not_found": _l("That inspection does not exist."),
    "scan_not_found": _l("That scan does not exist."),
    "bad_serial": _l("A serial number is 1 to 100 printable characters."),
    "bad_angle": _l("Unknown photo angle."),
    "device_down": _l("The device is down."),
    "scale_unstable": _l("Wait until the scale shows a stable weight."),
    "scale_down": _l("The scale is down: type the weight by hand."),
    "camera_down": _l("The camera is down: no photo was taken."),
    "scan_rejected": _l("That scan could not be read. Scan again or type the code."),
    "no_pending_photo": _l("There is no photo waiting; take it again."),
    "bad_input": _l("Some answers were not understood. Check them and try again."),
    "four_eyes": _l("You worked on this inspection; another supervisor must review it."),
    "manual_weight_unapproved": _l("The weight was typed by hand: tick that you approve it."),
    "bad_decision": _l("Choose approve, override or re-inspect."),
}


def error_message(error: DomainError) -> str:
    """The operator-facing message for a domain error, translated; the code names unknown ones."""
    known = ERRORS.get(error.code)
    if known is None:
        return str(_l("Cannot do that: %(code)s", code=error.code))
    text = str(known)
    try:
        return text % error.params if "%(" in text else text
    except (KeyError, ValueError, TypeError):  # a message whose facts the error did not carry
        return text.split("%(")[0].rstrip(" ：:")


def label(table: dict[str, LazyString], value: str | None) -> str:
    """``table[value]`` translated, else the value itself (data the catalog does not know)."""
    if value is None:
        return ""
    found = table.get(value)
    return str(found) if found is not None else value


def rule_label(rule_id: str) -> str:
    """A fired policy rule in the UI language (a custom policy's own ids are shown as they are)."""
    return label(POLICY_RULES, rule_id)


def js_strings() -> dict[str, str]:
    """The few strings the page script shows by itself, in the UI language."""
    return {
        "stable": str(_l("Stable")),
        "unstable": str(_l("Settling…")),
        "no_weight": str(_l("No reading")),
        "scale_down": str(_l("The scale is down: type the weight by hand.")),
        "scan_serial": str(_l("Now scan the serial number label of this item.")),
        "network": str(_l("Connection to the station lost. Retrying…")),
        "demo_failed": str(_l("The simulator refused:")),
        "within": str(_l("Within tolerance")),
        "outside": str(_l("Outside tolerance")),
        "moving_on": str(_l("Moving on…")),
        "touch_to_stay": str(_l("Touch the screen to stay here.")),
        "stayed": str(_l("Staying on this screen.")),
        "weight_ok": str(_l("Weight inside the band.")),
        "all_items": str(_l("Every item is counted.")),
        "photos_ok": str(_l("Photos done.")),
        "answers_ok": str(_l("Every question is answered.")),
        "answer_changed": str(_l("Answer changed:")),
        "retake": str(_l("Retake")),
        "keep_anyway": str(_l("Keep anyway")),
        "retake_or_keep": str(_l("Retake it, or keep it anyway.")),
        "badge_read": str(_l("Badge read: now type your PIN.")),
    }
