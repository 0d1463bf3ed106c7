"""What one barcode read is, whichever scanner (wedge, serial, camera) produced it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class ScanEvent:
    """One decoded barcode: raw text as read, symbology, parsed GS1 fields, source and time."""

    raw: str
    source: str
    symbology: str | None = None
    aim_id: str | None = None
    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    expiry: date | None = None
    at: float = field(default_factory=time.time)
    #: Every GS1 (application identifier, value) pair in scan order; empty for non-GS1 scans.
    gs1_elements: tuple[tuple[str, str], ...] = ()

    @property
    def text(self) -> str:
        """The data without the AIM symbology identifier prefix."""
        if self.aim_id and self.raw.startswith(self.aim_id):
            return self.raw[len(self.aim_id) :]
        return self.raw
