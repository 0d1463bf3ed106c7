"""SQLAlchemy model of the unboxing video: one row per closed chunk file (docs/operations.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.db.types import new_id, utcnow


class VideoChunk(Base):
    """A few seconds of the camera while a parcel was open, kept under its SHA-256.

    The file lives in the evidence folder under ``storage_key`` (content-addressed, read-only);
    when the retention sweep deletes it, ``pruned_at`` is set and ``storage_key`` cleared (the row
    stays as the record that it existed and what its hash was).
    """

    __tablename__ = "video_chunk"
    __table_args__ = (UniqueConstraint("inspection_id", "sequence", name="uq_video_chunk_sequence"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    inspection_id: Mapped[str] = mapped_column(ForeignKey("inspection.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    codec: Mapped[str] = mapped_column(String(20))
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer)
    dropped_frames: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime] = mapped_column()
    #: None once pruned (the row keeps the hash; a backup copies only the files rows name).
    storage_key: Mapped[str | None] = mapped_column(String(200))
    camera: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    pruned_at: Mapped[datetime | None] = mapped_column()
