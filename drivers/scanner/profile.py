"""Scanner model profiles (firmware_configs/scanners/*.toml): interface, USB ids, suffix, serial."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from drivers.profiles import StrictProfile, load_profile, shipped_profiles
from drivers.scanner.plausibility import DEFAULT_MIN_CHARS

_USB_ID = re.compile(r"[0-9a-f]{4}:[0-9a-f]{4}")


class ScannerInterface(StrEnum):
    """How the scanner reaches the PC."""

    WEDGE = "wedge"  # USB HID keyboard: read through evdev
    SERIAL = "serial"  # RS-232 or USB CDC-ACM ("USB COM port emulation"): read lines


#: Line terminators a serial scanner can be programmed to send after each code.
SERIAL_SUFFIX_BYTES: dict[str, bytes] = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}
WEDGE_SUFFIXES = frozenset({"enter", "tab", "none"})


class SerialSettings(StrictProfile):
    """Line settings for RS-232 models; USB CDC-ACM ignores them but they must still be valid."""

    baudrate: int = Field(default=9600, gt=0)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    rtscts: bool = False


class ScannerProfile(StrictProfile):
    """One scanner model as shipped (factory defaults), citing the programming guide used."""

    vendor: str
    model: str
    manual: str = Field(min_length=5, description="programming guide title (and section)")
    interface: ScannerInterface
    usb_ids: list[str] = Field(
        default_factory=list, description='"vid:pid" in lowercase hex; empty = match by path'
    )
    suffix: Literal["enter", "tab", "none", "cr", "lf", "crlf"]
    aim_ids_default: bool = Field(description="AIM symbology identifiers sent by default")
    gap_timeout_s: float = Field(default=0.1, gt=0, le=5)
    max_chars: int = Field(default=4096, gt=0, le=4096)
    min_chars: int = Field(
        default=DEFAULT_MIN_CHARS, ge=1, le=64,
        description="shorter reads are noise, not scans (a GTIN-8 or return label is longer)",
    )
    serial: SerialSettings | None = None
    notes: str = ""

    @model_validator(mode="after")
    def _min_below_max(self) -> ScannerProfile:
        if self.min_chars > self.max_chars:
            raise ValueError(f"min_chars {self.min_chars} is above max_chars {self.max_chars}")
        return self

    @field_validator("usb_ids")
    @classmethod
    def _usb_ids_lowercase_hex(cls, value: list[str]) -> list[str]:
        for usb_id in value:
            if not _USB_ID.fullmatch(usb_id):
                raise ValueError(f"{usb_id!r} is not 'vid:pid' in lowercase hex, e.g. '05e0:1200'")
        return value

    @model_validator(mode="after")
    def _suffix_fits_interface(self) -> ScannerProfile:
        if self.interface == ScannerInterface.SERIAL:
            if self.suffix not in SERIAL_SUFFIX_BYTES:
                raise ValueError(f"serial suffix must be one of {sorted(SERIAL_SUFFIX_BYTES)}")
            if self.serial is None:
                raise ValueError("a serial scanner needs a [serial] table")
        else:
            if self.suffix not in WEDGE_SUFFIXES:
                raise ValueError(f"wedge suffix must be one of {sorted(WEDGE_SUFFIXES)}")
            if self.serial is not None:
                raise ValueError("a wedge scanner has no [serial] table")
        return self

    @property
    def suffix_bytes(self) -> bytes:
        """The serial line terminator (b'' for wedge profiles)."""
        return SERIAL_SUFFIX_BYTES.get(self.suffix, b"")


def load_scanner_profile(path: Path) -> ScannerProfile:
    """Load one profile file; ProfileError names the file and the bad key."""
    return load_profile(path, ScannerProfile)


def shipped_scanner_profiles() -> dict[str, ScannerProfile]:
    """Every shipped scanner profile by file stem ("zebra-ds2208")."""
    return {path.stem: load_scanner_profile(path) for path in shipped_profiles("scanners")}


def scanner_profile(name: str) -> ScannerProfile:
    """A shipped profile by name; KeyError lists the known names."""
    profiles = shipped_scanner_profiles()
    if name not in profiles:
        raise KeyError(f"no scanner profile {name!r}; known: {', '.join(sorted(profiles))}")
    return profiles[name]
