"""Typed, strict scale profile (firmware_configs/scales/<vendor>-<model>.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from drivers.profiles import StrictProfile, load_profile, shipped_profiles
from drivers.scale.reading import ProtocolError, canonical_unit

ProtocolName = Literal["mt_sics", "toledo8213", "nci_scp01", "cas", "generic_stream", "hid_pos"]
CommandKind = Literal["weigh", "zero", "tare", "clear_tare"]


class SerialSettings(StrictProfile):
    """Line settings handed to pyserial."""

    baudrate: int = Field(9600, description="bits per second")
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    stopbits: Literal[1, 2] = 1


class StabilitySettings(StrictProfile):
    """When a weight counts as stable."""

    use_device_flag: bool = Field(
        True, description="trust the scale's own stable flag if it has one"
    )
    samples: int = Field(3, ge=2, le=50, description="readings needed without a device flag")
    band_g: float = Field(0.5, ge=0, description="max spread (max - min) of those readings, grams")
    window_s: float = Field(1.0, gt=0, description="the readings must fall within this time")


class ScaleProfile(StrictProfile):
    """One scale model: how to talk to it and what its readings mean."""

    vendor: str
    model: str
    manual: str = Field(min_length=5, description="manual title + section/page the facts came from")
    protocol: ProtocolName
    mode: Literal["poll", "continuous"]
    variant: str | None = Field(None, description="protocol variant (cas: cas22, and18, cas10)")
    pattern: str | None = Field(None, description="generic_stream: regex with named groups")
    terminator: str | None = Field(None, description="generic_stream: frame terminator")
    line_format: str | None = Field(
        None, description="generic_stream: how the scale prints a reading (weight, unit, unstable)"
    )
    unit: str | None = Field(None, description="unit of frames that carry none (8213, cas10)")
    units: list[str] = Field(default_factory=list, description="units the scale may report")
    capacity_g: float | None = Field(None, gt=0)
    poll_interval_s: float = Field(0.2, gt=0, le=10)
    reply_timeout_s: float = Field(0.5, gt=0, le=10)
    silence_s: float = Field(2.0, gt=0, le=60, description="no frame for this long is an error")
    garbage_frames: int = Field(3, ge=1, description="consecutive unreadable frames -> error")
    usb_ids: list[str] = Field(default_factory=list, description="vvvv:pppp, lower-case hex")
    commands: dict[CommandKind, str] = Field(default_factory=dict, description="overrides")
    serial: SerialSettings = Field(default_factory=SerialSettings)
    stability: StabilitySettings = Field(default_factory=StabilitySettings)

    @field_validator("usb_ids")
    @classmethod
    def _usb_ids(cls, ids: list[str]) -> list[str]:
        for usb_id in ids:
            vid, _, pid = usb_id.partition(":")
            if (
                len(vid) != 4
                or len(pid) != 4
                or not all(c in "0123456789abcdef" for c in vid + pid)
            ):
                raise ValueError(f"{usb_id!r} is not vvvv:pppp in lower-case hex")
        return ids

    @field_validator("units")
    @classmethod
    def _units(cls, units: list[str]) -> list[str]:
        try:
            return [canonical_unit(u) for u in units]
        except ProtocolError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("unit")
    @classmethod
    def _unit(cls, unit: str | None) -> str | None:
        if unit is None:
            return None
        try:
            return canonical_unit(unit)
        except ProtocolError as exc:
            raise ValueError(str(exc)) from exc

    @model_validator(mode="after")
    def _protocol_needs(self) -> ScaleProfile:
        from drivers.scale import generic_stream  # local: keeps the model import-light

        if self.protocol == "generic_stream":
            if self.pattern is None or self.line_format is None:
                raise ValueError("pattern, line_format: required for protocol generic_stream")
            try:
                generic_stream.compile_pattern(self.pattern)
            except ValueError as exc:
                raise ValueError(f"pattern: {exc}") from exc
        elif self.pattern or self.terminator or self.line_format:
            raise ValueError("pattern/terminator/line_format: only for protocol generic_stream")
        if self.protocol == "cas" and self.variant not in ("cas22", "and18", "cas10"):
            raise ValueError("variant: cas needs one of cas22, and18, cas10")
        if self.protocol != "cas" and self.variant is not None:
            raise ValueError("variant: only for protocol cas")
        if self.protocol == "toledo8213" and self.unit is None:
            raise ValueError("unit: required for toledo8213 (the reply carries no unit)")
        if self.protocol in ("cas", "hid_pos") and self.mode != "continuous":
            raise ValueError(f"mode: {self.protocol} streams, mode must be 'continuous'")
        if self.protocol in ("mt_sics", "toledo8213", "nci_scp01") and self.mode != "poll":
            raise ValueError(f"mode: {self.protocol} answers requests, mode must be 'poll'")
        if (
            self.mode == "poll"
            and self.protocol == "generic_stream"
            and "weigh" not in self.commands
        ):
            raise ValueError("commands.weigh: a polled generic_stream profile needs a request")
        return self


def load_scale_profile(path: Path) -> ScaleProfile:
    """Load one scale profile; ProfileError names the file and key on any problem."""
    return load_profile(path, ScaleProfile)


def shipped_scale_profiles() -> list[Path]:
    """Every shipped scale profile file."""
    return shipped_profiles("scales")


def find_scale_profile(name: str) -> Path:
    """A shipped profile by file stem (``dymo-m10``) or path; FileNotFoundError if none."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    for path in shipped_scale_profiles():
        if path.stem == name:
            return path
    known = ", ".join(p.stem for p in shipped_scale_profiles())
    raise FileNotFoundError(f"no scale profile {name!r}; shipped: {known}")
