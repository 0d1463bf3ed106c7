"""Pydantic models of API bodies; the OpenAPI document is generated from these same models."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, get_args

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from station.webhooks.admin import MAX_URL_LENGTH, URL_PATTERN
from station.webhooks.outbox import EVENT_TYPES

EventType = Literal[
    "return.received", "return.unexpected", "inspection.completed", "inspection.flagged",
    "inspection.reviewed", "unit.sorted", "tote.closed",
]
if set(get_args(EventType)) != set(EVENT_TYPES):
    raise RuntimeError("web.api.schemas.EventType is out of step with outbox.EVENT_TYPES")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExpectedItemOut(Strict):
    line_id: str
    sku: str
    gtin: str | None
    description: str
    quantity: int
    serials: list[str]
    unit_weight_g: float | None
    category: str
    accessories: list[str]


class ReturnOut(Strict):
    """An RMA as stored."""

    rma_id: str
    order_id: str
    tracking_number: str | None
    reason: str
    requested_resolution: str
    status: Literal["open", "received", "inspected", "cancelled"]
    delivered_at: datetime | None
    window_end: datetime | None
    currency: str
    created_at: datetime
    updated_at: datetime
    items: list[ExpectedItemOut]


class ReturnUpsertOut(Strict):
    outcome: Literal["created", "updated", "unchanged"]
    rma: ReturnOut


class Weight(Strict):
    measured_g: float | None
    expected_g: float | None
    source: str | None


class Verdict(Strict):
    rule: str
    ok: bool
    code: str


class PhotoLink(Strict):
    id: str
    angle: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int
    url: str


class AuditAnchor(Strict):
    seq: int
    hash: str


class UnitOut(Strict):
    """One physical item of the parcel and its own outcome (schema version 2)."""

    unit_id: str
    position: int
    kind: Literal["expected", "undeclared", "missing"]
    line_id: str | None
    unit_index: int
    sku: str | None
    gtin: str | None
    serial: str | None
    lot: str | None
    category: str | None
    state: Literal["sealed", "opened", "damaged", "missing"] | None
    grade: Literal["A", "B", "C", "D"] | None
    disposition: str | None
    recommendation: str | None
    deduction_pct: int
    price_minor: int | None = Field(description="Unit price in minor units of the RMA currency")
    refund_minor: int | None = Field(description="Refund this unit earns; null: a person decides")
    restocking_fee_minor: int = Field(0, description="Restocking fee already subtracted from "
                                      "refund_minor (minor units; 0: none)")
    flags: list[str]
    platform: dict[str, str] = Field(description="shopify_disposition, loop_condition, "
                                     "loop_outcome, amazon_condition, ctia_grade")
    fired_rules: list[str]
    review: dict[str, object] | None
    photos: list[PhotoLink]
    policy_version: str | None = Field(None, description="The policy version that decided this "
                                       "unit's outcome (null for units stored before 2026-12)")
    lpn: str | None = Field(None, description="License plate on the unit's label")
    destination: str | None = Field(None, description="Where the site's sort rules send it")
    tote: str | None = Field(None, description="Code of the tote or cart it was scanned into")
    sorted_at: str | None = Field(None, description="When its destination's barcode was scanned")


class UnitLookupOut(UnitOut):
    """One unit found by its license plate, with the parcel it came in."""

    inspection_id: str
    rma_id: str | None
    station_id: str
    inspection_state: str


class Totals(Strict):
    """The parcel's totals over its units."""

    units: int
    missing: int
    undeclared: int
    refund_total_minor: int | None
    restocking_fee_total_minor: int = Field(0, description="Sum of the units' restocking fees")
    price_total_minor: int | None
    currency: str | None
    auto_refund: bool = Field(description="Every unit clean: the refund may run without a person")


class InspectionData(BaseModel):
    """The `data` of every inspection event, version 2 (also GET /inspections/{id}).

    grade, disposition, recommendation, deduction_pct and platform are the parcel's (kept from
    version 1 for one version); ``units`` carries the outcome of every item.
    """

    inspection_id: str
    rma_id: str | None
    order_id: str | None
    label: str | None
    station_id: str
    state: str
    unexpected: bool
    received_at: str
    completed_at: str | None
    weight: Weight
    verdicts: list[Verdict]
    grade: Literal["A", "B", "C", "D"] | None
    disposition: str | None
    recommendation: str | None
    deduction_pct: int
    platform: dict[str, str]
    fired_rules: list[str]
    policy_version: str | None
    override: dict[str, object] | None
    flags: list[str]
    photos: list[PhotoLink]
    units: list[UnitOut] = Field(default_factory=list)
    totals: Totals | None = None
    audit_anchor: AuditAnchor | None = Field(None, description="Audit chain head (events only)")


class InspectionOut(InspectionData):
    decision: dict[str, object] = Field(description="The policy decision with its reasons")
    refund_status: dict[str, object] | None


class InspectionPage(Strict):
    items: list[InspectionOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")


#: A money amount as a JSON number or a plain decimal string, at most 2 decimal places.
AMOUNT_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,2})?$"
MAX_AMOUNT = 10_000_000


def _amount_text(value: object) -> object:
    """Strings must be plain decimals (no exponent, sign or spaces); numbers pass to Decimal."""
    if isinstance(value, str) and not re.fullmatch(AMOUNT_PATTERN, value):
        raise ValueError("amount must be a decimal like 12.50 (at most 2 decimal places)")
    if isinstance(value, bool):
        raise ValueError("amount must be a number or a decimal string")
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount_text),
    Field(ge=0, le=MAX_AMOUNT, decimal_places=2),
    WithJsonSchema({"anyOf": [
        {"type": "number", "minimum": 0, "maximum": MAX_AMOUNT, "multipleOf": 0.01},
        {"type": "string", "pattern": AMOUNT_PATTERN},
    ]}),
]


class RefundStatusIn(Strict):
    """What the platform's refund flow did with an inspected return."""

    status: Literal["refunded", "partially_refunded", "denied", "exchanged"]
    amount: Amount | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    reference: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)
    decided_at: AwareDatetime | None = None


class EndpointIn(Strict):
    url: str = Field(max_length=MAX_URL_LENGTH, pattern=URL_PATTERN)
    event_types: list[EventType] = Field(default_factory=list, description="Empty = all events")


class EndpointPatch(Strict):
    """At least one field: a PATCH that names nothing is refused (422 nothing_to_change)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    url: str | None = Field(None, max_length=MAX_URL_LENGTH, pattern=URL_PATTERN)
    event_types: list[EventType] | None = None
    enabled: bool | None = None


class EndpointOut(Strict):
    id: str
    url: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str
    created_at: datetime
    previous_secret_until: datetime | None


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="whsec_... signing secret; shown on create and rotate only")


class DeliveryOut(Strict):
    id: str
    event_id: str
    endpoint_id: str
    attempt: int
    outcome: Literal["delivered", "failed", "throttled", "gone"]
    status_code: int | None
    error: str
    duration_ms: int
    attempted_at: datetime


class PingOut(Strict):
    ok: bool
    status_code: int | None
    error: str
    duration_ms: int


class ReplayOut(Strict):
    replayed: int


class SignedUrlOut(Strict):
    url: str
    expires_at: datetime


class UnitSortedData(Strict):
    """The `data` of `unit.sorted`: a unit was scanned into its destination."""

    unit_id: str
    lpn: str | None
    destination: str | None
    tote: str | None
    inspection_id: str
    rma_id: str | None
    position: int
    sku: str | None
    grade: Literal["A", "B", "C", "D"] | None
    disposition: str | None
    sorted_at: str
    sorted_by: str
    station_id: str
    audit_anchor: AuditAnchor | None = None


class ToteClosedData(Strict):
    """The `data` of `tote.closed`: a tote or cart is full or closed, with its manifest."""

    tote_id: str
    code: str
    destination: str
    sscc: str | None = Field(description="SSCC (AI 00) when the site has a GS1 company prefix")
    units: int
    lpns: list[str]
    reason: Literal["full", "closed"]
    station_id: str
    closed_at: str
    closed_by: str
    audit_anchor: AuditAnchor | None = None


class WebhookEvent(BaseModel):
    """The body POSTed to webhook endpoints (Standard Webhooks shape)."""

    type: EventType
    timestamp: str
    schema_version: Literal["2"]
    data: InspectionData | UnitSortedData | ToteClosedData


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


class FleetDevice(Strict):
    state: str = Field(description="ready, connecting, error or disconnected")
    detail: str = Field(description="Short reason (at most 120 characters, no credentials)")


class FleetBench(Strict):
    station_id: str
    name: str
    status: Literal["up", "stale", "down"] = Field(
        description="up: last heartbeat within 3 periods; stale: within 20; down: older or stopped")
    last_heartbeat_at: str
    age_s: float
    heartbeat_s: int
    host: str
    software_version: str
    policy_version: str
    policy_current: bool = Field(description="On the newest published policy (true when none is)")
    sort_rules_version: str | None
    sort_rules_current: bool
    devices: dict[str, FleetDevice]
    queue: dict[str, object] = Field(description="open_inspection (id or null), done_today")
    started_at: str
    stopped_at: str | None


class FleetOut(Strict):
    published: dict[str, str] = Field(description="policy / sort_rules -> the newest published "
                                      "version (absent: nothing published)")
    benches: list[FleetBench]
