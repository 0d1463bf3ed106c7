"""Shipped printer profiles: strict loading, what each must state, and the udev rules that go with them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from drivers.printer.profile import (
    PrinterProfile,
    find_printer_profile,
    load_printer_profile,
    printer_profile,
    shipped_printer_profiles,
)
from drivers.profiles import PROFILE_ROOT, ProfileError

RULES = PROFILE_ROOT / "udev" / "99-returns-station.rules"
ZEBRA_VENDOR = "0a5f"


def test_the_models_asked_for_are_shipped() -> None:
    stems = {p.stem for p in shipped_printer_profiles()}
    assert {"zebra-zd421", "zebra-zd621", "zebra-gk420d", "zebra-zt411"} <= stems


@pytest.mark.parametrize("path", shipped_printer_profiles(), ids=lambda p: p.stem)
def test_every_profile_loads_and_cites_its_manual(path: Path) -> None:
    profile = load_printer_profile(path)
    text = path.read_text(encoding="utf-8")
    assert profile.language == "zpl2" and profile.tcp_port == 9100 and profile.host_status
    assert "45541L-004" in profile.manual and "~HS" in profile.manual
    assert text.lstrip().startswith("#") and "Sources:" in text
    assert all(usb_id.startswith(f"{ZEBRA_VENDOR}:") for usb_id in profile.usb_ids)
    if not profile.usb_ids_confirmed:
        assert "UNCONFIRMED" in text  # an unconfirmed product id says so where it is written
    for dpi in profile.dpis:
        assert 0 < profile.max_width_dots(dpi) <= 4.5 * dpi  # a 4-inch class printer


def test_zd421_comes_in_203_and_300_dpi() -> None:
    profile = printer_profile("zebra-zd421")
    assert profile.dpis == [203, 300]
    assert profile.max_width_dots(203) == 832
    with pytest.raises(ValueError, match="no 600 dpi printhead"):
        profile.max_width_dots(600)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ("colour = true\n", "colour"),
        ('language = "epl2"\n', "language"),
        ('usb_ids = ["0A5F:0080"]\n', "usb_ids"),
        ("tcp_port = 0\n", "tcp_port"),
    ],
)
def test_unknown_or_bad_keys_are_errors_naming_the_key(tmp_path: Path, extra: str, key: str) -> None:
    base = (PROFILE_ROOT / "printers" / "zebra-gk420d.toml").read_text(encoding="utf-8")
    lines = [line for line in base.splitlines() if not line.startswith(f"{key} =")]
    head, _, tail = "\n".join(lines).partition("[[resolutions]]")
    broken = tmp_path / "broken.toml"
    broken.write_text(head + extra + "[[resolutions]]" + tail + "\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=key):
        load_printer_profile(broken)


def test_a_resolution_listed_twice_is_an_error(tmp_path: Path) -> None:
    data = (PROFILE_ROOT / "printers" / "zebra-gk420d.toml").read_text(encoding="utf-8")
    path = tmp_path / "twice.toml"
    path.write_text(data + "\n[[resolutions]]\ndpi = 203\nmax_print_width_dots = 832\n")
    with pytest.raises(ProfileError, match="each dpi at most once"):
        load_printer_profile(path)


def test_find_by_name_or_path_and_a_clear_miss(tmp_path: Path) -> None:
    assert find_printer_profile("zebra-zt411").stem == "zebra-zt411"
    path = find_printer_profile("zebra-zt411")
    assert find_printer_profile(str(path)) == path
    with pytest.raises(FileNotFoundError, match="shipped: zebra-"):
        find_printer_profile("brother-ql-800")
    assert isinstance(printer_profile(str(path)), PrinterProfile)


def _printer_rules() -> list[tuple[str, str, str, str]]:
    found = []
    for line in RULES.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "returns-printer" not in line:
            continue
        subsystem = re.search(r'SUBSYSTEM=="([^"]+)"', line)
        vendor = re.search(r'ATTRS\{idVendor\}=="([0-9a-f]{4})"', line)
        product = re.search(r'ATTRS\{idProduct\}=="([0-9a-f]{4})"', line)
        symlink = re.search(r'SYMLINK\+="([^"]+)"', line)
        assert subsystem and vendor and product and symlink, line
        assert 'GROUP="plugdev"' in line and 'MODE="0660"' in line and 'KERNEL=="lp*"' in line
        found.append((subsystem.group(1), vendor.group(1), product.group(1), symlink.group(1)))
    return found


def test_every_printer_usb_id_has_a_udev_rule_with_a_stable_name_and_back() -> None:
    rules = _printer_rules()
    ruled = {f"{v}:{p}" for _, v, p, _ in rules}
    profiled = {usb_id for path in shipped_printer_profiles()
                for usb_id in tomllib.loads(path.read_text(encoding="utf-8")).get("usb_ids", [])}
    assert ruled == profiled
    assert all(sub == "usbmisc" and link.startswith("returns-printer") for sub, _, _, link in rules)
