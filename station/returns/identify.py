"""Parcel identification: which return authorization a scanned label (RMA, tracking, order) belongs to."""

from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from station.db.models import ReturnAuthorization

MAX_LABEL_LENGTH = 200
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
# GS1-128 carrier labels put the ship-to postal code in AI 420 before the tracking number.
_ROUTING_AI = re.compile(r"^420\d{5}(?:\x1d)?(?=\d{10,})")


class LabelError(ValueError):
    """A scan that cannot be a parcel label (empty, too long, control characters)."""


def clean_label(raw: str) -> str:
    """The label text as people read it: AIM prefix and surrounding blanks removed."""
    text = _AIM_PREFIX.sub("", raw.strip())
    if not text:
        raise LabelError("empty label")
    if len(text) > MAX_LABEL_LENGTH:
        raise LabelError(f"label longer than {MAX_LABEL_LENGTH} characters")
    if any(ord(ch) < 32 and ch != "\x1d" for ch in text):
        raise LabelError("label contains control characters")
    return text


def label_candidates(label: str) -> list[str]:
    """The label as scanned plus the forms carriers print (routing prefix removed, upper case)."""
    candidates = [label]
    stripped = _ROUTING_AI.sub("", label).replace("\x1d", "")
    for form in (stripped, label.upper(), stripped.upper()):
        if form not in candidates:
            candidates.append(form)
    return candidates


def find_rma(session: Session, raw_label: str) -> ReturnAuthorization | None:
    """The RMA whose id, tracking number or order id the label carries (RMA id wins)."""
    candidates = label_candidates(clean_label(raw_label))
    rows = (
        session.execute(
            select(ReturnAuthorization).where(
                or_(
                    ReturnAuthorization.rma_id.in_(candidates),
                    ReturnAuthorization.tracking_number.in_(candidates),
                    ReturnAuthorization.order_id.in_(candidates),
                )
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return None

    def rank(row: ReturnAuthorization) -> tuple[int, int]:
        by_field = 0 if row.rma_id in candidates else 1 if row.tracking_number in candidates else 2
        open_first = 0 if row.status == "open" else 1
        return (by_field, open_first)

    return sorted(rows, key=rank)[0]
