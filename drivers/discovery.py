"""Find candidate devices (serial by-id, hidraw, evdev by-id, video) and the profiles that fit.

Discovery only lists; opening and talking to a device is the drivers' job. VID:PID comes from
sysfs (walking up from the device node to the USB device that has idVendor/idProduct); profile
matching reads the ``usb_ids`` (or ``usb_id``/``vid_pid``) keys of every TOML under
firmware_configs/*/ without validating the rest of the profile.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from drivers.profiles import PROFILE_ROOT

_ID_KEYS = ("usb_ids", "usb_id", "vid_pid", "vid_pids")


@dataclass(frozen=True)
class ProfileMatch:
    """A shipped profile that names this VID:PID."""

    kind: str  # scales, scanners, cameras
    name: str  # file stem
    path: Path


@dataclass(frozen=True)
class DiscoveredDevice:
    """One device node that could be a station device."""

    kind: str  # serial, hidraw, evdev, video
    path: str  # what a driver opens (a stable by-id link when there is one)
    node: str  # the resolved /dev node
    usb_id: str | None = None  # vvvv:pppp
    product: str = ""
    profiles: tuple[ProfileMatch, ...] = field(default_factory=tuple)


def _ids_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value.lower()
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                yield item.lower()


def _collect_ids(table: dict[str, object]) -> Iterator[str]:
    for key, value in table.items():
        if key in _ID_KEYS:
            yield from _ids_in(value)
        elif isinstance(value, dict):
            yield from _collect_ids(value)


def profile_usb_ids(root: Path = PROFILE_ROOT) -> dict[str, list[ProfileMatch]]:
    """VID:PID -> profiles naming it, over every firmware_configs/<kind>/*.toml."""
    table: dict[str, list[ProfileMatch]] = {}
    for path in sorted(root.glob("*/*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue  # the strict loader reports broken profiles; discovery just skips them
        for usb_id in _collect_ids(data):
            table.setdefault(usb_id, []).append(ProfileMatch(path.parent.name, path.stem, path))
    return table


def usb_id_for(sys_device: Path) -> tuple[str | None, str]:
    """(vvvv:pppp, product name) of the USB device above ``sys_device`` in sysfs, if any."""
    try:
        current = sys_device.resolve(strict=True)
    except OSError:
        return None, ""
    for directory in (current, *current.parents):
        vendor, product = directory / "idVendor", directory / "idProduct"
        if vendor.is_file() and product.is_file():
            try:
                usb_id = f"{vendor.read_text().strip()}:{product.read_text().strip()}".lower()
                name_file = directory / "product"
                name = name_file.read_text().strip() if name_file.is_file() else ""
            except OSError:
                return None, ""
            return usb_id, name
    return None, ""


def _nodes(dev: Path, sys_root: Path) -> Iterable[tuple[str, str, Path]]:
    """(kind, path to open, sysfs device dir) for every candidate node under ``dev``."""
    for kind, by_id, sys_class in (
        ("serial", dev / "serial" / "by-id", sys_root / "class" / "tty"),
        ("evdev", dev / "input" / "by-id", sys_root / "class" / "input"),
    ):
        if by_id.is_dir():
            for link in sorted(by_id.iterdir()):
                if kind == "evdev" and not link.name.endswith("-event-kbd"):
                    continue  # a keyboard-wedge scanner shows as a keyboard event device
                yield kind, str(link), sys_class / link.resolve().name / "device"
    for node in sorted(dev.glob("hidraw*")):
        yield "hidraw", str(node), sys_root / "class" / "hidraw" / node.name / "device"
    for node in sorted(dev.glob("video*")):
        yield "video", str(node), sys_root / "class" / "video4linux" / node.name / "device"


def discover(
    dev: Path = Path("/dev"), sys_root: Path = Path("/sys"), profile_root: Path = PROFILE_ROOT
) -> list[DiscoveredDevice]:
    """Every candidate device, with VID:PID and matching profiles; [] on a bare machine."""
    ids = profile_usb_ids(profile_root)
    found: list[DiscoveredDevice] = []
    for kind, path, sys_device in _nodes(dev, sys_root):
        usb_id, product = usb_id_for(sys_device)
        try:
            node = str(Path(path).resolve())
        except OSError:
            node = path
        matches = tuple(ids.get(usb_id, [])) if usb_id else ()
        found.append(DiscoveredDevice(kind, path, node, usb_id, product, matches))
    return found


def main() -> int:
    """Print what discover() finds (``python -m drivers.discovery``)."""
    for device in discover():
        names = ", ".join(f"{m.kind}/{m.name}" for m in device.profiles) or "-"
        print(f"{device.kind:7} {device.path} {device.usb_id or '????:????'} {device.product!r} {names}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
