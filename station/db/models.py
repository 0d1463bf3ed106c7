"""SQLAlchemy 2 typed models of the station's tables (docs/architecture.md, Data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from station.db.types import UTCDateTime, new_id, utcnow

JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them on SQLite)."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        datetime: UTCDateTime,
    }

    metadata = MetaData(naming_convention=NAMING)


class Station(Base):
    """One inspection bench (or the central server)."""

    __tablename__ = "station"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Operator(Base):
    """A person who signs in: operator (badge + PIN), supervisor or admin (password)."""

    __tablename__ = "operator"
    __table_args__ = (CheckConstraint("role IN ('operator','supervisor','admin')", name="role"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    badge_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(10), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    """A platform API key: only its hash is kept; the secret is shown once."""

    __tablename__ = "api_key"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


#: Why a sign-in session ended (``locked_out``: a locked session replaced at the lock screen).
SESSION_END_REASONS = ("signed_out", "locked_out", "pin_changed", "deactivated", "expired")


class SigninSession(Base):
    """A browser's sign-in, checked on every request; only the SHA-256 of its cookie token is kept."""

    __tablename__ = "signin_session"
    __table_args__ = (
        CheckConstraint("end_reason IN ('signed_out','locked_out','pin_changed','deactivated',"
                        "'expired')", name="end_reason"),
        Index("ix_signin_session_operator_open", "operator_id", "ended_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[str] = mapped_column(ForeignKey("operator.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Written at most once a minute (web/auth/sessions.py), so reads rarely write.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The bench was locked: this cookie reaches only the lock screen.
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))


class LoginThrottleEntry(Base):
    """Sign-in attempts of one scope (``badge:``, ``user:`` or ``ip:`` key) in its window, for every process."""

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: Attempts reserved in this window: running (argon2 not done yet) or failed.
    failures: Mapped[int] = mapped_column(Integer)
    #: Reservations the window allows before it locks: the limit, then one more per lock-out.
    allowed: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class ReturnAuthorization(Base):
    """What the platform told us to expect: one RMA with its reason and window."""

    __tablename__ = "return_authorization"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open','received','inspected','cancelled')", name="status"
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    rma_id: Mapped[str] = mapped_column(String(100), unique=True)
    order_id: Mapped[str] = mapped_column(String(100), index=True)
    tracking_number: Mapped[str | None] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    reason_note: Mapped[str] = mapped_column(Text, default="")
    requested_resolution: Mapped[str] = mapped_column(String(20), default="refund")
    delivered_at: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payload_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list[ExpectedItem]] = relationship(
        back_populates="rma", cascade="all, delete-orphan", order_by="ExpectedItem.line_no"
    )


class ExpectedItem(Base):
    """One line of an RMA: the product and quantity the customer says is in the parcel."""

    __tablename__ = "expected_item"
    __table_args__ = (UniqueConstraint("rma_pk", "line_id", name="uq_expected_item_line"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    rma_pk: Mapped[str] = mapped_column(ForeignKey("return_authorization.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(100), index=True)
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[int] = mapped_column(Integer)
    expected_serials: Mapped[list[Any]] = mapped_column(default=list)
    unit_weight_mg: Mapped[int | None] = mapped_column(BigInteger)
    weight_tolerance_mg: Mapped[int | None] = mapped_column(BigInteger)
    weight_tolerance_pct: Mapped[float | None] = mapped_column(Float)
    category: Mapped[str] = mapped_column(String(100), default="general", index=True)
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    accessories: Mapped[list[Any]] = mapped_column(default=list)
    image_url: Mapped[str | None] = mapped_column(String(2000))

    rma: Mapped[ReturnAuthorization] = relationship(back_populates="items")


#: The open (bench still working) states, as SQL; equals station.returns.states.OPEN_STATES
#: (tests/test_migrations.py checks it). Migration 0005 writes the same text.
OPEN_STATE_SQL = ("state IN ('received', 'weighed', 'items_identified', 'photos_taken', "
                  "'checklist_done', 'graded')")


class Inspection(Base):
    """One parcel on one bench: everything measured, decided and who did it."""

    __tablename__ = "inspection"
    __table_args__ = (
        Index("ix_inspection_station_state", "station_id", "state"),
        Index("ix_inspection_state_received", "state", "received_at"),
        Index("ix_inspection_received_at", "received_at"),
        # At most one open inspection per return and per bench, whatever races (two benches
        # scanning one label at the same moment): the database refuses the second row.
        Index("uq_inspection_open_per_rma", "rma_pk", unique=True,
              sqlite_where=text(OPEN_STATE_SQL), postgresql_where=text(OPEN_STATE_SQL)),
        Index("uq_inspection_open_per_station", "station_id", unique=True,
              sqlite_where=text(OPEN_STATE_SQL), postgresql_where=text(OPEN_STATE_SQL)),
        # analytics: ix_inspection_{station,operator}_minutes (median walk) are declared after
        # the class (PostgreSQL) and created by migration 0004 (both backends)
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    rma_pk: Mapped[str | None] = mapped_column(ForeignKey("return_authorization.id"), index=True)
    station_id: Mapped[str] = mapped_column(ForeignKey("station.id"))
    operator_id: Mapped[str | None] = mapped_column(ForeignKey("operator.id"), index=True)
    state: Mapped[str] = mapped_column(String(30))
    label: Mapped[str] = mapped_column(String(200))
    unexpected: Mapped[bool] = mapped_column(Boolean, default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    measured_weight_mg: Mapped[int | None] = mapped_column(BigInteger)
    expected_weight_mg: Mapped[int | None] = mapped_column(BigInteger)
    weight_source: Mapped[str | None] = mapped_column(String(20))
    verdicts: Mapped[list[Any]] = mapped_column(default=list)
    checklist: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grade: Mapped[str | None] = mapped_column(String(1), index=True)
    disposition: Mapped[str | None] = mapped_column(String(30))
    recommendation: Mapped[str | None] = mapped_column(String(30))
    deduction_pct: Mapped[int] = mapped_column(Integer, default=0)
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy_version: Mapped[str | None] = mapped_column(String(50))
    override: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("operator.id"))
    reviewed_at: Mapped[datetime | None]
    review: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refund_status: Mapped[dict[str, Any]] = mapped_column(default=dict)

    rma: Mapped[ReturnAuthorization | None] = relationship()
    scans: Mapped[list[Scan]] = relationship(
        back_populates="inspection", order_by="Scan.scanned_at"
    )
    photos: Mapped[list[Photo]] = relationship(
        back_populates="inspection", order_by="Photo.taken_at"
    )
    units: Mapped[list[InspectionUnit]] = relationship(
        back_populates="inspection", order_by="InspectionUnit.position",
        cascade="all, delete-orphan",
    )


class InspectionUnit(Base):
    """One physical item of a parcel (or one that should have been in it) and its own outcome.

    ``kind`` is expected (a unit of an RMA line, found), undeclared (found, not on the return)
    or missing (on the return, not found). The unit carries its scan, state, checklist, grade,
    disposition and refund; the parcel keeps weight, outer photos and the totals.
    """

    __tablename__ = "inspection_unit"
    __table_args__ = (
        UniqueConstraint("inspection_id", "position", name="uq_inspection_unit_position"),
        Index("ix_inspection_unit_grade", "grade"),
        Index("ix_inspection_unit_disposition", "disposition"),
        Index("uq_inspection_unit_lpn", "lpn", unique=True),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    expected_item_id: Mapped[str | None] = mapped_column(ForeignKey("expected_item.id"))
    line_id: Mapped[str | None] = mapped_column(String(100))
    unit_index: Mapped[int] = mapped_column(Integer, default=1)
    scan_id: Mapped[str | None] = mapped_column(ForeignKey("scan.id"))
    sku: Mapped[str | None] = mapped_column(String(100))
    gtin: Mapped[str | None] = mapped_column(String(14))
    serial: Mapped[str | None] = mapped_column(String(100))
    lot: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100), default="")
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str | None] = mapped_column(String(20))
    checklist: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grade: Mapped[str | None] = mapped_column(String(1))
    disposition: Mapped[str | None] = mapped_column(String(30))
    recommendation: Mapped[str | None] = mapped_column(String(30))
    deduction_pct: Mapped[int] = mapped_column(Integer, default=0)
    refund_minor: Mapped[int | None] = mapped_column(BigInteger)
    decision: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[Any]] = mapped_column(default=list)
    review: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The policy version the unit's outcome was decided with (station/policy: ``policy.version``).
    policy_version: Mapped[str | None] = mapped_column(String(50))
    #: License plate: the unit's own id on its label, unique across stations (station/labels/lpn.py).
    lpn: Mapped[str | None] = mapped_column(String(40))
    #: Where the site's sort rules send it (a destination code of the sort rules file).
    destination: Mapped[str | None] = mapped_column(String(60))
    #: The tote or cart it was scanned into (None for fixed places and until sorted).
    tote_id: Mapped[str | None] = mapped_column(String(26), index=True)
    sorted_at: Mapped[datetime | None]
    sorted_by: Mapped[str | None] = mapped_column(String(100))

    inspection: Mapped[Inspection] = relationship(back_populates="units")


# Median minutes per station / operator walk these in duration order (station/analytics/
# throughput.py). PostgreSQL: declared here. SQLite: migration 0004 creates the same names on
# (key, julianday(completed_at) - julianday(received_at), received_at, completed_at); they are
# not declared here because Alembic cannot compare SQLite expression indexes (it skips them
# with a warning) and would report them as missing on PostgreSQL. A batch migration that
# recreates `inspection` on SQLite must create them again.
for _key in (Inspection.station_id, Inspection.operator_id):
    Index(f"ix_inspection_{_key.key.removesuffix('_id')}_minutes", _key,
          Inspection.completed_at - Inspection.received_at, Inspection.received_at,
          Inspection.completed_at).ddl_if(dialect="postgresql")


class AnalyticsHour(Base):
    """Analytics rollup: inspections received in one UTC hour, counted by one dimension.

    ``dim`` names the dimension (reason, grade, operator, ...), ``key``..``key3`` its value(s).
    Hours an inspection change touches are marked (dim ``~dirty``) in that transaction and
    recounted before analytics reads (station/analytics/rollup.py); ``station analytics rebuild``
    recomputes it all.
    """

    __tablename__ = "analytics_hour"
    __table_args__ = (Index("ix_analytics_hour_hour", "hour"), {"sqlite_with_rowid": False})

    dim: Mapped[str] = mapped_column(String(20), primary_key=True)
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    key2: Mapped[str] = mapped_column(String(100), primary_key=True)
    key3: Mapped[str] = mapped_column(String(100), primary_key=True)
    inspections: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
    overridden: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(BigInteger)


class Scan(Base):
    """One item barcode read during an inspection and what it matched."""

    __tablename__ = "scan"
    __table_args__ = (Index("ix_scan_result_inspection", "result", "inspection_id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    raw: Mapped[str] = mapped_column(Text)
    symbology: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))
    gtin: Mapped[str | None] = mapped_column(String(14), index=True)
    sku: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100), index=True)
    lot: Mapped[str | None] = mapped_column(String(100))
    matched_item_id: Mapped[str | None] = mapped_column(ForeignKey("expected_item.id"))
    result: Mapped[str] = mapped_column(String(20))
    #: The unit this scan identified (set when the units are built at "items identified").
    unit_id: Mapped[str | None] = mapped_column(String(26), index=True)
    scanned_at: Mapped[datetime] = mapped_column(default=utcnow)

    inspection: Mapped[Inspection] = relationship(back_populates="scans")


class Photo(Base):
    """A piece of photo evidence: the original bytes live in the store under their SHA-256."""

    __tablename__ = "photo"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(50), default="image/jpeg")
    angle: Mapped[str] = mapped_column(String(50))
    camera: Mapped[str] = mapped_column(String(100), default="")
    quality: Mapped[dict[str, Any]] = mapped_column(default=dict)
    storage_key: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_by: Mapped[str | None] = mapped_column(ForeignKey("operator.id"))
    #: The unit this photo shows; None for parcel photos (outer packaging, label).
    unit_id: Mapped[str | None] = mapped_column(String(26), index=True)

    inspection: Mapped[Inspection] = relationship(back_populates="photos")


class ChecklistAnswer(Base):
    """One answered checklist question (packaging, accessories, a defect, the function test)."""

    __tablename__ = "checklist_answer"
    __table_args__ = (UniqueConstraint("inspection_id", "question", name="uq_checklist_question"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    question: Mapped[str] = mapped_column(String(100))
    answer: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("operator.id"))


class AuditEvent(Base):
    """Append-only, hash-chained record of every state change."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    station_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """Single row holding the chain head; locking it serialises appends across benches."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


# The label and sort tables, the webhook tables, the API limits and the video chunks (their own
# modules), so that this module names every table.
from station.db.analytics_models import AnalyticsSlice  # noqa: E402, F401
from station.db.api_models import ApiIdempotencyKey, ApiRateBucket  # noqa: E402, F401
from station.db.fleet_models import BenchHeartbeat, PolicyPublication  # noqa: E402, F401
from station.db.sort_models import LabelPrint, Tote  # noqa: E402, F401
from station.db.sync_models import SpoolForwarded, SpoolSync  # noqa: E402, F401
from station.db.video_models import VideoChunk  # noqa: E402, F401
from station.db.webhook_models import (  # noqa: E402, F401
    UNSETTLED_SQL,
    OutboxEvent,
    WebhookDelivery,
    WebhookEndpoint,
)
