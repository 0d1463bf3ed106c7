"""Preset reason chips: the form's chip (reason_id) and free text become the stored reason."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from flask import current_app, request

from station.policy.model import PresetReason
from station.returns.errors import DomainError
from web.app import station_context
from web.bench.screens import bp

#: Between the chip's English text and the operator's own words.
SEPARATOR = " — "
#: The longest reason the domain keeps (workflow and grading cut at 2000 characters).
MAX_REASON = 2000
Kind = Literal["flag", "override"]


def compose(presets: Sequence[PresetReason], reason_id: str, free_text: str) -> str:
    """The chosen preset's English text, then " — " and the free text; "" when neither is given.

    An unknown ``reason_id`` is refused (``bad_input``): a chip the policy does not offer.
    """
    free_text = free_text.strip()
    reason_id = reason_id.strip()
    if not reason_id:
        return free_text
    preset = next((p for p in presets if p.id == reason_id), None)
    if preset is None:
        raise DomainError("bad_input", f"unknown preset reason {reason_id!r}")
    return preset.text + (SEPARATOR + free_text if free_text else "")


def presets(kind: Kind) -> tuple[PresetReason, ...]:
    """The policy's preset reasons for a supervisor call ("flag") or an override."""
    reasons = station_context(current_app).policy.reasons
    return reasons.flag if kind == "flag" else reasons.override


def form_reason(kind: Kind) -> str:
    """The reason a bench form sends (fields ``reason_id`` and ``reason``), as the domain stores it."""
    reason_id = request.form.get("reason_id", "")
    free_text = request.form.get("reason", "")
    if len(reason_id) > 100:
        raise DomainError("bad_input", "reason_id is longer than 100 characters")
    if len(free_text) > MAX_REASON:
        raise DomainError("bad_input", f"reason is longer than {MAX_REASON} characters")
    return compose(presets(kind), reason_id, free_text)


@bp.context_processor
def _reason_chips() -> dict[str, object]:
    """The chips of the flag and override forms (the template picks each one's language)."""
    reasons = station_context(current_app).policy.reasons
    return {"reason_chips": {"flag": reasons.flag, "override": reasons.override}}
