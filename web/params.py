"""Parsing query parameters the same way everywhere: plain ASCII integers within stated bounds."""

from __future__ import annotations

import re

#: Optional minus, then 1-18 ASCII digits: no "²", no "--5", no 5000-digit numbers.
_INTEGER = re.compile(r"-?[0-9]{1,18}")


def bounded_int(raw: str, low: int, high: int) -> int | None:
    """``raw`` as an int when it is a plain integer within [low, high]; None otherwise."""
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None
