"""Device state as an explicit enum (never guessed from exceptions), shared by every driver."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class DeviceState(StrEnum):
    """Life cycle of one device connection."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    READY = "ready"
    ERROR = "error"


@dataclass(frozen=True)
class DeviceStatus:
    """A state with the reason a human can act on (\"port busy\", \"no reply for 3 s\")."""

    device: str
    state: DeviceState
    reason: str = ""
    at: float = field(default_factory=time.time)
