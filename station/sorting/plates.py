"""License plate numbers: a unit's own id on its label, unique across stations and sortable.

An LPN is the bench's station code, a dash, the local date (YYMMDD) and a five-digit sequence
of that day at that bench: ``B01-26120300042``. The digits are an even 11 so that a Code 128
symbol carries them in subset C (two digits per symbol character), which keeps the code short
enough for a 2x1" label at 203 dpi. The station code is what makes plates unique across
stations: each bench of a company needs its own (``labels.station_code``); the database refuses
a duplicate plate whatever happens.
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db.models import InspectionUnit

#: Units one bench can label in one day before the sequence would need a sixth digit.
DAILY_CAPACITY = 99_999
LPN_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,7}-[0-9]{11}$")


class PlateSequenceExhausted(RuntimeError):
    """The bench labelled more units today than its plate sequence holds."""


def station_code(station_id: str, configured: str = "") -> str:
    """The plate prefix: ``configured``, else derived from the station id ("bench-01" -> "B01").

    Derived: the first letter of the id and its last (up to three) digits; an id without digits
    gives its first four letters and digits. Two benches whose ids derive the same code must set
    ``labels.station_code``.
    """
    if configured:
        return configured
    alnum = re.sub(r"[^A-Z0-9]", "", station_id.upper())
    letters = re.sub(r"[^A-Z]", "", alnum)
    digits = re.sub(r"[^0-9]", "", alnum)
    first = letters[:1] or "S"
    if digits:
        return first + digits[-3:]
    return (first + alnum[1:])[:4] if alnum else "S"


def next_plates(session: Session, code: str, day: date, count: int) -> list[str]:
    """``count`` new plates for ``code`` on ``day``, after the highest one already stored."""
    prefix = f"{code}-{day:%y%m%d}"
    highest = session.execute(
        select(func.max(InspectionUnit.lpn)).where(InspectionUnit.lpn.like(f"{prefix}%"))
    ).scalar_one_or_none()
    start = int(highest[len(prefix):]) + 1 if highest else 1
    if start + count - 1 > DAILY_CAPACITY:
        raise PlateSequenceExhausted(f"more than {DAILY_CAPACITY} plates for {prefix}")
    return [f"{prefix}{n:05d}" for n in range(start, start + count)]


def is_plate(code: str) -> bool:
    """Whether ``code`` has the shape of a license plate (any station)."""
    return LPN_PATTERN.fullmatch(code) is not None
