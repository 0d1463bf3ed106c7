"""Dialect-aware SQL expressions: local-day buckets, minutes between timestamps, JSON tokens.

SQLite keeps timestamps as naive UTC text and has no time zones, so the local day is computed by
shifting each timestamp by the zone's UTC offset *that was in force at that instant*: the zone's
transitions (DST) inside the queried range are found in Python from zoneinfo and become one
``CASE`` of offsets. That is exact for every zone, including half-hour offsets (Asia/Kolkata) and
DST days (23 or 25 hours), which per-hour counts could not bucket. PostgreSQL does it natively
with ``AT TIME ZONE``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from station.db.models import Inspection
from station.db.types import UTCDateTime

Bucket = Literal["day", "week", "month"]
BUCKETS: tuple[Bucket, ...] = ("day", "week", "month")


def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offsets over [start, end): (segment start in UTC, offset in seconds).

    Days are sampled and each change is bisected to the second, so every transition inside the
    range is found (zones change offset at most a few times a year).
    """

    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta else 0

    segments = [(start, offset(start))]
    probe = start
    while probe < end:
        step = min(probe + timedelta(days=1), end)
        if offset(step) != segments[-1][1]:
            low, high = probe, step  # offset(low) is the old one, offset(high) the new one
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == segments[-1][1]:
                    low = middle
                else:
                    high = middle
            segments.append((high.replace(microsecond=0), offset(high)))
        probe = step
    return segments


def _sqlite_modifier(column: Any, segments: list[tuple[datetime, int]]) -> ColumnElement[str]:
    """'+28800 seconds' (or a CASE over the segments) for SQLite's date functions."""

    def text(seconds: int) -> str:
        return f"{seconds:+d} seconds"

    if len(segments) == 1:
        return literal(text(segments[0][1]))
    whens = [(column < literal(begin, UTCDateTime()), text(segments[index - 1][1]))
             for index, (begin, _) in enumerate(segments) if index > 0]
    return case(*whens, else_=text(segments[-1][1]))


def local_bucket(
    dialect: str, column: Any, bucket: Bucket, zone: ZoneInfo, start: datetime, end: datetime
) -> ColumnElement[Any]:
    """The first local day of the day/week (Monday)/month ``column`` falls in, as a date.

    SQLite gives 'YYYY-MM-DD' text, PostgreSQL a date; callers normalise with ``as_date``.
    """
    if dialect == "postgresql":
        local = func.timezone(zone.key, column)
        if bucket == "day":
            return func.date(local)
        return func.date(func.date_trunc(bucket, local))
    shift = _sqlite_modifier(column, offset_segments(zone, start, end))
    if bucket == "day":
        return func.date(column, shift)
    if bucket == "week":
        return func.date(column, shift, "-6 days", "weekday 1")
    return func.strftime("%Y-%m-01", column, shift)


def as_date(value: object) -> date:
    """A bucket value from either backend as a ``date``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def minutes_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in minutes (a float)."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def has_flag(dialect: str, token: str, column: Any = None) -> ColumnElement[bool]:
    """The JSON array column (default inspection.flags) holds the string ``token``.

    On SQLite the JSON text is searched for the quoted token: flags and codes are plain
    identifiers, so ``"token"`` can only be that array element (or that code value).
    """
    column = Inspection.flags if column is None else column
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains([token])
    return func.instr(type_coerce(column, Text), f'"{token}"') > 0


def has_verdict_code(dialect: str, *codes: str) -> ColumnElement[bool]:
    """Some verdict of the inspection failed with one of ``codes`` (e.g. over_tolerance)."""
    column = Inspection.verdicts
    if dialect == "postgresql":
        return or_(*(type_coerce(column, JSONB).contains([{"code": c, "ok": False}])
                     for c in codes))
    # failed-verdict codes are identifiers used by no passing verdict, so the token is enough
    return or_(*(func.instr(type_coerce(column, Text), f'"{c}"') > 0 for c in codes))


def any_flag(dialect: str) -> ColumnElement[bool]:
    """The inspection was flagged for a supervisor for at least one reason."""
    if dialect == "postgresql":
        return func.jsonb_array_length(type_coerce(Inspection.flags, JSONB)) > 0
    return func.json_array_length(Inspection.flags) > 0


def supervisor_override(dialect: str) -> ColumnElement[bool]:
    """A supervisor's review changed the grade, disposition or refund (review.override not empty)."""
    if dialect == "postgresql":
        return literal_column(
            "coalesce(inspection.review -> 'override', '{}'::jsonb) "
            "NOT IN ('{}'::jsonb, 'null'::jsonb)", Boolean()).self_group()
    value = func.json_extract(Inspection.review, "$.override")
    return func.coalesce(value, "{}").notin_(["{}", "[]"])


def refund_state(dialect: str) -> ColumnElement[str]:
    """What the platform's refund flow reported (refund_status.status), 'none' when nothing yet."""
    if dialect == "postgresql":
        value: ColumnElement[Any] = type_coerce(Inspection.refund_status, JSONB)["status"].astext
    else:
        value = func.json_extract(Inspection.refund_status, "$.status")
    return func.coalesce(cast(value, Text), "none")


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)
