"""What a byte vector expects of a scale parser (a reading or a refusal), and the check itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from drivers.scale.reading import ProtocolError, Reading, ScaleStatus


@dataclass(frozen=True)
class W:
    """What the parser must make of a frame (``unit`` checked when given)."""

    weight_mg: int | None
    stable: bool = True
    status: ScaleStatus = ScaleStatus.OK
    net: bool = False
    tare_mg: int | None = None
    stable_known: bool = True
    unit: str | None = None


@dataclass(frozen=True)
class Bad:
    """The frame is refused with a ProtocolError whose message contains ``says``."""

    says: str


Vector = tuple[bytes, W | Bad, str]


def check(parse: Callable[[bytes], Reading], frame: bytes, want: W | Bad) -> None:
    """``parse(frame)`` gives the reading ``want`` describes, or the refusal it names."""
    if isinstance(want, Bad):
        with pytest.raises(ProtocolError, match=want.says):
            parse(frame)
        return
    reading = parse(frame)
    got = (reading.weight_mg, reading.stable, reading.status, reading.net, reading.tare_mg,
           reading.stable_known)
    assert got == (want.weight_mg, want.stable, want.status, want.net, want.tare_mg,
                   want.stable_known), reading
    if want.unit is not None:
        assert reading.unit_seen == want.unit


def counts(table: list[Vector]) -> tuple[int, int]:
    """(readings, refusals) in a vector table."""
    return sum(isinstance(w, W) for _, w, _ in table), sum(isinstance(w, Bad) for _, w, _ in table)
