"""SQLAlchemy models of the webhook tables: the outbox, the endpoints and every delivery attempt (webhooks.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.db.types import new_id, utcnow

#: Outbox rows a dispatcher may still claim (see ix_outbox_unsettled).
UNSETTLED_SQL = "status IN ('pending', 'delivering')"


class OutboxEvent(Base):
    """An event for the platform, written in the same transaction as the change it reports."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_ordering", "ordering_key", "created_at"),
        # The dispatcher's claim walks only unsettled rows, already in created order (this
        # replaced ix_outbox_due (status, next_attempt_at), which made SQLite sort the due rows).
        Index("ix_outbox_unsettled", "created_at", "id",
              sqlite_where=text(UNSETTLED_SQL), postgresql_where=text(UNSETTLED_SQL)),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(60))
    ordering_key: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Attempts answered 429/503 with a Retry-After: they do not use up the retry schedule.
    throttled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[datetime | None]


class WebhookEndpoint(Base):
    """Where the platform wants events; secrets rotate with an overlap."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    previous_secret: Mapped[str | None] = mapped_column(String(200))
    previous_secret_until: Mapped[datetime | None]
    event_types: Mapped[list[Any]] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One attempt to deliver one outbox event to one endpoint, with what came back."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_event_endpoint", "outbox_event_id", "endpoint_id"),
        Index("ix_webhook_delivery_endpoint_at", "endpoint_id", "attempted_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    outbox_event_id: Mapped[str] = mapped_column(
        ForeignKey("outbox_event.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
