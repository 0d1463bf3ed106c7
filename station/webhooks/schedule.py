"""Retry schedule for webhook deliveries and Retry-After parsing.

The schedule follows the Standard Webhooks recommendation (spec, "Retry schedule" example:
immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) and keeps retrying every 10 h; after
MAX_ATTEMPTS attempts (the 12th comes about 2.8 days after the first) the event is a dead
letter. Counting attempts rather than wall time lets a replay start a fresh round.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

#: Delay after the n-th failed attempt (index n-1); the last value repeats.
RETRY_DELAYS_S: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000)
MAX_ATTEMPTS = 12
#: A receiver asking for longer than this is retried after this instead.
MAX_RETRY_AFTER_S = 24 * 3600


def total_span_s() -> int:
    """How long the schedule keeps trying, first attempt to last (about 2.8 days)."""
    return sum(delay_after(n) for n in range(1, MAX_ATTEMPTS))


def delay_after(failed_attempts: int) -> int:
    """Seconds to wait after ``failed_attempts`` failures (1 = the first, immediate, one)."""
    if failed_attempts < 1:
        return 0
    index = min(failed_attempts, len(RETRY_DELAYS_S)) - 1
    return RETRY_DELAYS_S[index]


def next_attempt(
    now: datetime, failed_attempts: int, retry_after_s: float | None = None
) -> datetime | None:
    """When to try again, or None when the attempts are used up (dead letter).

    A receiver's Retry-After replaces the schedule's delay (capped at one day).
    """
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    delay_s = float(delay_after(failed_attempts)) if retry_after_s is None else retry_after_s
    delay_s = min(max(delay_s, 0.0), MAX_RETRY_AFTER_S)
    return now + timedelta(seconds=delay_s)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date, RFC 9110 §10.2.3)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)
