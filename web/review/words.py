"""Review facts built in Python, in the UI language: verdict details, overrides, changes, outcomes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import LazyString, format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.bench import labels
from web.i18n import format_grams

#: A verdict's sentence per code (station/returns/rules): the facts come from the verdict's data.
VERDICT_DETAILS: dict[str, LazyString] = {
    "gtin_match": _l("Scanned %(raw)s is line %(line)s."),
    "sku_match": _l("Scanned %(raw)s is line %(line)s."),
    "invalid_gtin": _l("Scanned %(raw)s is not a valid GTIN (check digit wrong)."),
    "gtin_mismatch": _l("GTIN %(gtin)s is not on this return."),
    "no_identifier": _l("The scan carried no GTIN or SKU."),
    "sku_mismatch": _l("Scanned %(code)s matches no item of this return."),
    "quantity_ok": _l("Line %(line)s: %(found)s of %(expected)s found."),
    "quantity_short": _l("Too few items on line %(line)s: %(found)s of %(expected)s found."),
    "quantity_over": _l("Too many items on line %(line)s: %(found)s of %(expected)s found."),
    "not_tracked": _l("Line %(line)s has no serial numbers to check."),
    "serial_missing": _l("Line %(line)s expects a serial number; none was scanned."),
    "serial_duplicate": _l("Serial number %(serial)s was scanned twice."),
    "serial_not_expected": _l("Serial number %(serial)s was not shipped on line %(line)s."),
    "serial_ok": _l("Serial number %(serial)s matches line %(line)s."),
    "no_extra_items": _l("No unexpected items."),
    "extra_items": _l("Items not on the return: %(count)s (%(codes)s)."),
    "no_missing_items": _l("Every expected item was found."),
    "items_missing": _l("Expected lines not found: %(count)s (%(lines)s)."),
    "not_weighed": _l("The parcel has not been weighed."),
    "invalid_measurement": _l("The measured weight %(measured)s is not a usable weight."),
    "invalid_expected_weight": _l("The expected weights or tolerances of this return are out of range."),
    "expected_weight_unknown": _l("At least one expected item has no unit weight, so the parcel "
                                  "weight cannot be checked."),
    "within_tolerance": _l("Parcel weight OK: measured %(measured)s, expected %(expected)s "
                           "± %(tolerance)s."),
    "over_tolerance": _l("Parcel too heavy: measured %(measured)s, expected %(expected)s "
                         "± %(tolerance)s (%(deviation)s over)."),
    "under_tolerance": _l("Parcel too light: measured %(measured)s, expected %(expected)s "
                          "± %(tolerance)s (%(deviation)s under)."),
    "delivery_unknown": _l("The delivery date is unknown, so the return window cannot be checked."),
    "naive_timestamp": _l("A timestamp has no time zone, so the return window cannot be checked."),
    "invalid_window": _l("A return window of %(days)s days is out of range."),
    "within_window": _l("Returned within the %(days)s-day window ending %(end)s."),
    "outside_window": _l("Returned after the %(days)s-day window ended on %(end)s "
                         "(days late: %(late)s)."),
    "missing_reason": _l("The return has no reason code."),
    "unknown_reason": _l("The reason code %(reason)s is not one the station knows."),
    "valid_reason": _l("The return reason %(reason)s is valid."),
}
#: The parcel's review outcome (inspection.review["outcome"]).
OUTCOMES: dict[str, LazyString] = {
    "approve": _l("Approved"),
    "override": _l("Approved with a change"),
    "reinspect": _l("Sent back for re-inspection"),
    "release_hold": _l("Hold released"),
}
#: What the platform's refund flow reported (inspection.refund_status["status"]).
REFUNDS: dict[str, LazyString] = {
    "refunded": _l("Refunded"),
    "partially_refunded": _l("Partially refunded"),
    "denied": _l("Refund denied"),
    "exchanged": _l("Exchanged"),
}
#: The fields an override or a unit decision changes.
FIELDS: dict[str, LazyString] = {
    "grade": _l("Grade"),
    "disposition": _l("Disposition"),
    "recommendation": _l("Refund"),
    "deduction_pct": _l("Deduction"),
    "refund_minor": _l("Amount"),
    "destination": _l("Destination"),
}


class _Facts(dict[str, str]):
    """Placeholders a template may ask for; one the data does not carry shows as an en dash."""

    def __missing__(self, key: str) -> str:
        return "–"


def _grams(value: Any) -> str:
    try:
        return format_grams(round(float(value) * 1000), digits=0)
    except (TypeError, ValueError):
        return "–"


def _date(value: Any) -> str:
    try:
        return format_date(datetime.fromisoformat(str(value)))
    except (TypeError, ValueError):
        return "–"


def fill(template: LazyString | str, facts: Mapping[str, Any]) -> str:
    """A translated template with its named placeholders filled (a missing one is an en dash)."""
    text = str(template)
    values = _Facts({k: "–" if v is None else str(v) for k, v in facts.items()})
    try:
        return text % values
    except (ValueError, TypeError):  # a translation that does not fit its facts: the bare words
        return text.split("%(")[0].rstrip(" :：")


def verdict_text(verdict: Mapping[str, Any]) -> str | None:
    """A stored verdict's detail in the UI language; None for a code this table does not know."""
    template = VERDICT_DETAILS.get(str(verdict.get("code", "")))
    if template is None:
        return None
    data = verdict.get("data") or {}
    facts = {
        "raw": data.get("raw"), "gtin": data.get("gtin"), "code": data.get("sku") or data.get("raw"),
        "line": data.get("line_id"), "found": data.get("found"), "expected": data.get("expected"),
        "serial": data.get("serial"), "count": data.get("count"), "codes": data.get("codes"),
        "lines": data.get("line_ids"), "days": data.get("window_days"),
        "end": _date(data.get("window_end")), "late": data.get("days_late"),
        "reason": labels.label(labels.REASONS, data.get("reason")) or None,
    }
    if "measured_g" in data:
        facts["measured"] = _grams(data.get("measured_g"))
    if "expected_g" in data:
        facts |= {"expected": _grams(data.get("expected_g")),
                  "tolerance": _grams(data.get("tolerance_g")),
                  "deviation": _grams(abs(float(data.get("deviation_g") or 0)))}
    return fill(template, facts)


def outcome_text(outcome: str | None) -> str:
    """The review outcome in words ("approve" -> Approved)."""
    return labels.label(OUTCOMES, outcome) if outcome else ""


def field_value(field: str, value: Any) -> str:
    """One reviewable field's value in words (grade, disposition, refund, percent, amount)."""
    if value is None or value == "":
        return "–"
    if field == "disposition":
        return labels.label(labels.DISPOSITIONS, str(value))
    if field == "recommendation":
        return labels.label(labels.RECOMMENDATIONS, str(value))
    if field == "deduction_pct":
        return f"{value}%"
    if field == "refund_minor":
        try:
            return f"{int(value) / 100:.2f}"
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def changes_text(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    """What changed, field by field ("Grade: A → B; Disposition: Restock → Open box")."""
    parts = []
    for key, new in after.items():
        old = before.get(key)
        if old == new:
            continue
        name = labels.label(FIELDS, key)
        parts.append(_("%(field)s: %(before)s → %(after)s", field=name,
                       before=field_value(key, old), after=field_value(key, new)))
    return _("; ").join(parts)


def set_text(values: Mapping[str, Any]) -> str:
    """Fields set without a before ("Grade: B; Disposition: Open box")."""
    parts = [_("%(field)s: %(value)s", field=labels.label(FIELDS, key), value=field_value(key, value))
             for key, value in values.items() if key in FIELDS]
    return _("; ").join(parts)


def override_text(override: Mapping[str, Any] | None) -> str:
    """An operator's override of the proposal in words (never the stored dict)."""
    if not override:
        return ""
    after = override.get("after")
    if isinstance(after, Mapping):
        before = override.get("before")
        changed = changes_text(before if isinstance(before, Mapping) else {}, after)
    else:
        changed = set_text(override)
    reason = str(override.get("reason") or "").strip()
    if reason:
        return _("%(changes)s. Reason: %(reason)s", changes=changed, reason=reason)
    return changed


def refund_text(status: Mapping[str, Any] | None) -> str:
    """The platform's refund report in words ("Refunded 89.00 EUR, reference R-1")."""
    if not status:
        return ""
    said = labels.label(REFUNDS, status.get("status")) or "–"
    amount = " ".join(str(status[k]) for k in ("amount", "currency") if status.get(k))
    text = _("%(status)s: %(amount)s", status=said, amount=amount) if amount else said
    if status.get("reference"):
        text += " · " + _("reference %(ref)s", ref=status["reference"])
    return text


def policy_reasons(decision: Mapping[str, Any] | None) -> list[tuple[str, bool]]:
    """Each fired policy rule in the UI language; a rule the catalog does not know (a site's own
    policy) keeps the policy file's sentence, flagged False so the page marks it as English."""
    decision = decision or {}
    explanation = list(decision.get("explanation") or [])
    reasons = []
    for index, rule in enumerate(decision.get("fired_rules") or []):
        known = labels.POLICY_RULES.get(str(rule))
        if known is not None:
            reasons.append((str(known), True))
        else:
            reasons.append((str(explanation[index]) if index < len(explanation) else str(rule), False))
    return reasons
