"""Typed, strict label-printer profile (firmware_configs/printers/<vendor>-<model>.toml)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from drivers.profiles import StrictProfile, load_profile, shipped_profiles


class Resolution(StrictProfile):
    """One printhead the model is sold with."""

    dpi: Literal[152, 203, 300, 600]
    max_print_width_dots: int = Field(gt=0, le=4000, description="widest printable line, dots")


class PrinterProfile(StrictProfile):
    """One printer model: its language, printheads, USB ids and how to reach it."""

    vendor: str
    model: str
    manual: str = Field(min_length=5, description="guide title + document number the facts came from")
    language: Literal["zpl2"] = "zpl2"
    resolutions: list[Resolution] = Field(min_length=1)
    usb_ids: list[str] = Field(default_factory=list, description="vvvv:pppp, lower-case hex")
    usb_ids_confirmed: bool = Field(
        False, description="false: the product id was not found in the model's own manual")
    tcp_port: int = Field(9100, ge=1, le=65535, description="raw TCP port of the print server")
    host_status: bool = Field(True, description="answers ~HS with the three status strings")
    connect_timeout_s: float = Field(3.0, gt=0, le=60)
    read_timeout_s: float = Field(3.0, gt=0, le=60)

    @field_validator("usb_ids")
    @classmethod
    def _usb_ids(cls, ids: list[str]) -> list[str]:
        for usb_id in ids:
            vid, _, pid = usb_id.partition(":")
            if len(vid) != 4 or len(pid) != 4 or not all(c in "0123456789abcdef" for c in vid + pid):
                raise ValueError(f"{usb_id!r} is not vvvv:pppp in lower-case hex")
        return ids

    @model_validator(mode="after")
    def _distinct_dpi(self) -> PrinterProfile:
        dpis = [r.dpi for r in self.resolutions]
        if len(set(dpis)) != len(dpis):
            raise ValueError("resolutions: each dpi at most once")
        return self

    @property
    def dpis(self) -> list[int]:
        """The resolutions the model comes in, lowest first."""
        return sorted(r.dpi for r in self.resolutions)

    def max_width_dots(self, dpi: int) -> int:
        """Widest printable line at ``dpi``; ValueError if the model has no such printhead."""
        for resolution in self.resolutions:
            if resolution.dpi == dpi:
                return resolution.max_print_width_dots
        raise ValueError(f"{self.vendor} {self.model} has no {dpi} dpi printhead (has {self.dpis})")


def load_printer_profile(path: Path) -> PrinterProfile:
    """Load one printer profile; ProfileError names the file and key on any problem."""
    return load_profile(path, PrinterProfile)


def shipped_printer_profiles() -> list[Path]:
    """Every shipped printer profile file."""
    return shipped_profiles("printers")


def find_printer_profile(name: str) -> Path:
    """A shipped profile by file stem (``zebra-zd421``) or a TOML path; FileNotFoundError if none."""
    candidate = Path(name)
    if candidate.suffix == ".toml" and candidate.exists():
        return candidate
    for path in shipped_printer_profiles():
        if path.stem == name:
            return path
    known = ", ".join(p.stem for p in shipped_printer_profiles())
    raise FileNotFoundError(f"no printer profile {name!r}; shipped: {known}")


def printer_profile(name: str) -> PrinterProfile:
    """The loaded profile for a shipped name or a TOML path."""
    return load_printer_profile(find_printer_profile(name))
