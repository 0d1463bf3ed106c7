"""Fault knobs of the simulated scale and how they change the bytes it sends."""

from __future__ import annotations

import random
from dataclasses import dataclass, fields

from drivers.scale.framing import Framing

FAULT_NAMES = (
    "unstable",  # the weight never settles
    "overload",  # the scale reports over capacity
    "underload",  # the scale reports under range (platter lifted, far below zero)
    "garbage",  # junk bytes instead of frames
    "partial",  # only the first half of every frame
    "silence",  # nothing at all
    "slow",  # every reply/frame delayed by the given seconds
    "wrong_baud",  # what a receiver at the wrong baud rate sees: high-bit junk
)
_JUNK = bytes([0xFF, 0xA5, 0x00, 0x7E, 0x81, 0xFE, 0x55])


@dataclass
class Faults:
    """Which knobs are on (all off = a healthy scale)."""

    unstable: bool = False
    overload: bool = False
    underload: bool = False
    garbage: bool = False
    partial: bool = False
    silence: bool = False
    slow_s: float = 0.0
    wrong_baud: bool = False

    def set(self, name: str, value: float | bool = True) -> None:
        """Turn knob ``name`` on (or off with False); ValueError for an unknown knob."""
        if name == "slow":
            self.slow_s = 1.0 if value is True else float(value)
            return
        if name not in {f.name for f in fields(self)} or name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_NAMES)}")
        setattr(self, name, bool(value))


def mangle(frame: bytes, faults: Faults, framing: Framing, rng: random.Random) -> bytes:
    """The bytes actually sent for ``frame`` under ``faults`` (b'' = send nothing)."""
    if faults.silence:
        return b""
    if faults.garbage:
        junk = bytes(rng.choice(_JUNK) for _ in range(max(4, len(frame))))
        return junk if framing.fixed_len else junk + framing.terminator
    if faults.wrong_baud:
        return bytes(0x80 | (b >> 1) for b in frame)
    if faults.partial:
        return frame[: max(1, len(frame) // 2)]
    return frame
