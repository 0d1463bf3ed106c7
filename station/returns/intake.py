"""RMA intake: validate what the platform pushed and upsert it, idempotent by the platform's RMA id."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select

from station.audit import canonical_json
from station.db.models import ExpectedItem, Inspection, ReturnAuthorization
from station.db.types import utcnow
from station.returns.errors import DomainError, FieldProblem, IntakeError
from station.returns.rules.gtin import GtinError, normalise_gtin
from station.unit_of_work import Work
from station.vocabulary import ReturnReason

MAX_ITEMS = 200


class ExpectedItemIn(BaseModel):
    """One line the customer says is in the parcel."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line_id: str = Field(min_length=1, max_length=100)
    sku: str = Field(min_length=1, max_length=100)
    gtin: str | None = Field(None, description="GTIN-8/12/13/14; stored as 14 digits")
    description: str = Field("", max_length=2000)
    quantity: int = Field(ge=1, le=10_000)
    serials: list[str] = Field(default_factory=list, max_length=10_000)
    unit_weight_g: Decimal | None = Field(None, ge=0, le=1_000_000)
    weight_tolerance_g: Decimal | None = Field(None, ge=0, le=1_000_000)
    weight_tolerance_pct: Decimal | None = Field(None, ge=0, le=100)
    category: str = Field("general", min_length=1, max_length=100)
    price: Decimal | None = Field(None, ge=0, le=10_000_000, decimal_places=2)
    accessories: list[str] = Field(default_factory=list, max_length=50)
    image_url: str | None = Field(None, max_length=2000, pattern=r"^https?://")

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            return normalise_gtin(value)
        except GtinError as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _serials(self) -> ExpectedItemIn:
        cleaned = [s.strip() for s in self.serials]
        if any(not s for s in cleaned):
            raise ValueError("serials: empty serial number")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("serials: a serial number is listed twice")
        if len(cleaned) > self.quantity:
            raise ValueError(f"serials: {len(cleaned)} serials for quantity {self.quantity}")
        self.serials = cleaned
        return self


class ReturnAuthorizationIn(BaseModel):
    """A return authorization as the platform sends it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rma_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")
    order_id: str = Field(min_length=1, max_length=100)
    tracking_number: str | None = Field(None, max_length=100)
    reason: ReturnReason
    reason_note: str = Field("", max_length=2000)
    requested_resolution: Literal["refund", "exchange"] = "refund"
    delivered_at: AwareDatetime | None = None
    window_days: int | None = Field(None, ge=0, le=3650, description="Overrides the default")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    items: list[ExpectedItemIn] = Field(min_length=1, max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _unique_lines(self) -> ReturnAuthorizationIn:
        ids = [item.line_id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("items: line_id must be unique within the RMA")
        return self


def parse_rma(data: Any) -> ReturnAuthorizationIn:
    """Validate raw data; raise IntakeError with one (field path, reason) per problem."""
    try:
        return ReturnAuthorizationIn.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(".".join(str(p) for p in err["loc"]) or "<body>", err["msg"])
            for err in exc.errors()
        ]
        raise IntakeError(problems) from exc


def _mg(grams: Decimal | None) -> int | None:
    return None if grams is None else int((grams * 1000).to_integral_value())


def window_end(rma: ReturnAuthorizationIn, no_reason_days: int, default_days: int) -> datetime | None:
    """delivered_at + the window for the reason (the no-reason window is statutory)."""
    if rma.delivered_at is None:
        return None
    days = rma.window_days
    if days is None:
        days = no_reason_days if rma.reason is ReturnReason.NO_REASON else default_days
    return rma.delivered_at + timedelta(days=days)


def _fingerprint(rma: ReturnAuthorizationIn) -> str:
    return hashlib.sha256(canonical_json(rma.model_dump(mode="json"))).hexdigest()


def upsert_rma(
    work: Work,
    rma: ReturnAuthorizationIn,
    *,
    actor: str,
    no_reason_window_days: int = 7,
    default_window_days: int = 30,
) -> tuple[ReturnAuthorization, str]:
    """Create or update one RMA; returns (row, outcome) with outcome created/updated/unchanged.

    Sending the same body again changes nothing. Changing an RMA that a bench already received
    is refused: the inspection was done against what was there.
    """
    session = work.session
    fingerprint = _fingerprint(rma)
    row = session.execute(
        select(ReturnAuthorization).where(ReturnAuthorization.rma_id == rma.rma_id).with_for_update()
    ).scalar_one_or_none()
    if row is not None and row.payload_sha256 == fingerprint:
        return row, "unchanged"
    if row is not None:
        started = session.execute(
            select(Inspection.id).where(Inspection.rma_pk == row.id).limit(1)
        ).first()
        if started or row.status != "open":
            raise DomainError(
                "rma_locked",
                f"RMA {rma.rma_id} is already {row.status} at a bench; it can no longer change",
            )
        outcome = "updated"
        row.items.clear()
        session.flush()
    else:
        row = ReturnAuthorization(rma_id=rma.rma_id)
        session.add(row)
        outcome = "created"
    row.order_id = rma.order_id
    row.tracking_number = rma.tracking_number or None
    row.reason = rma.reason.value
    row.reason_note = rma.reason_note
    row.requested_resolution = rma.requested_resolution
    row.delivered_at = rma.delivered_at
    row.window_end = window_end(rma, no_reason_window_days, default_window_days)
    row.currency = rma.currency
    row.payload_sha256 = fingerprint
    row.updated_at = utcnow()
    for line_no, item in enumerate(rma.items, start=1):
        row.items.append(
            ExpectedItem(
                line_no=line_no,
                line_id=item.line_id,
                sku=item.sku,
                gtin=item.gtin,
                description=item.description,
                quantity=item.quantity,
                expected_serials=list(item.serials),
                unit_weight_mg=_mg(item.unit_weight_g),
                weight_tolerance_mg=_mg(item.weight_tolerance_g),
                weight_tolerance_pct=(
                    None if item.weight_tolerance_pct is None else float(item.weight_tolerance_pct)
                ),
                category=item.category,
                price_minor=None if item.price is None else int(item.price * 100),
                accessories=list(item.accessories),
                image_url=item.image_url,
            )
        )
    session.flush()
    work.touch(row)
    work.audit(
        actor=actor,
        action=f"rma.{outcome}",
        entity_type="return_authorization",
        entity_id=rma.rma_id,
        data={"order_id": rma.order_id, "lines": len(rma.items), "sha256": fingerprint},
    )
    return row, outcome


def cancel_rma(work: Work, rma_id: str, *, actor: str) -> ReturnAuthorization:
    """Cancel an RMA nothing was inspected against yet."""
    row = work.session.execute(
        select(ReturnAuthorization).where(ReturnAuthorization.rma_id == rma_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise DomainError("rma_not_found", f"no RMA {rma_id}")
    if row.status != "open":
        raise DomainError("rma_locked", f"RMA {rma_id} is {row.status}; it cannot be cancelled")
    row.status = "cancelled"
    row.updated_at = utcnow()
    work.touch(row)
    work.audit(actor=actor, action="rma.cancelled", entity_type="return_authorization",
               entity_id=rma_id)
    return row
