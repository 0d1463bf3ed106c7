"""Scale profiles are strict data: every shipped one loads; mistakes name the file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drivers.discovery import profile_usb_ids
from drivers.profiles import PROFILE_ROOT, ProfileError
from drivers.scale.profile import load_scale_profile, shipped_scale_profiles
from drivers.scale.protocols import bind

RULES = PROFILE_ROOT / "udev" / "99-returns-station.rules"
GOOD = """
vendor = "t"
model = "t"
manual = "Test manual p. 1"
protocol = "mt_sics"
mode = "poll"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "acme-x1.toml"
    path.write_text(text)
    return path


def test_there_are_enough_shipped_scale_profiles() -> None:
    paths = shipped_scale_profiles()
    protocols = {load_scale_profile(p).protocol for p in paths}
    assert len([p for p in paths if not p.stem.startswith("generic-")]) >= 8
    assert protocols == {"mt_sics", "toledo8213", "nci_scp01", "cas", "generic_stream", "hid_pos"}


@pytest.mark.parametrize("path", shipped_scale_profiles(), ids=lambda p: p.stem)
def test_every_shipped_profile_loads_and_cites_its_manual(path: Path) -> None:
    profile = load_scale_profile(path)
    assert re.fullmatch(r"[a-z0-9_]+-[a-z0-9_-]+", path.stem)
    assert profile.manual
    assert "Source" in path.read_text() or "source" in path.read_text()
    bound = bind(profile)
    assert bound.continuous == (profile.mode == "continuous")
    if not bound.continuous:
        assert bound.supports("weigh")


def test_a_misspelled_key_names_file_and_key(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "poll_intervall_s = 0.2\n")
    with pytest.raises(ProfileError) as info:
        load_scale_profile(path)
    assert str(path) in str(info.value)
    assert "poll_intervall_s" in str(info.value)


def test_a_misspelled_nested_key_names_the_table(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + "[serial]\nbaud = 9600\n")
    with pytest.raises(ProfileError, match=r"serial\.baud"):
        load_scale_profile(path)


def test_a_wrong_type_names_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + 'poll_interval_s = "fast"\n')
    with pytest.raises(ProfileError, match="poll_interval_s"):
        load_scale_profile(path)


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ('unit = "stone"\n', "unit"),
        ('usb_ids = ["0922-8003"]\n', "usb_ids"),
        ('usb_ids = ["0922:800G"]\n', "usb_ids"),
        ('[serial]\nparity = "X"\n', "serial.parity"),
        ("[stability]\nsamples = 1\n", "stability.samples"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(ProfileError, match=re.escape(key)):
        load_scale_profile(_write(tmp_path, GOOD + extra))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (GOOD.replace('"mt_sics"', '"toledo8213"'), "unit"),
        (GOOD.replace('"mt_sics"', '"cas"').replace('"poll"', '"continuous"'), "variant"),
        (GOOD.replace('"mt_sics"', '"generic_stream"'), "pattern"),
        (GOOD.replace('"poll"', '"continuous"'), "mode"),
        (GOOD.replace('"mt_sics"', '"hid_pos"'), "mode"),
        (GOOD + "pattern = '(?P<weight>.*)'\n", "pattern"),
        (GOOD.replace('"mt_sics"', '"sics"'), "protocol"),
    ],
)
def test_protocol_specific_keys_are_checked(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ProfileError, match=key):
        load_scale_profile(_write(tmp_path, text))


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "vendor = \n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_scale_profile(path)


def _rules() -> list[tuple[str, str, str]]:
    """(subsystem, vvvv:pppp, symlink) per rule line."""
    rules = []
    for line in RULES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        subsystem = re.search(r'SUBSYSTEM=="([^"]+)"', line)
        vendor = re.search(r'ATTRS\{idVendor\}=="([0-9a-f]{4})"', line)
        product = re.search(r'ATTRS\{idProduct\}=="([0-9a-f]{4})"', line)
        symlink = re.search(r'SYMLINK\+="([^"]+)"', line)
        assert subsystem and vendor and product and symlink, f"unreadable rule: {line}"
        rules.append((subsystem.group(1), f"{vendor.group(1)}:{product.group(1)}", symlink.group(1)))
    return rules


def test_every_profile_vid_pid_has_a_udev_rule_and_every_rule_a_profile() -> None:
    ruled = {usb_id for _, usb_id, _ in _rules()}
    profiled = set(profile_usb_ids())
    assert profiled - ruled == set(), "profiles whose VID:PID has no udev rule"
    assert ruled - profiled == set(), "udev rules for a VID:PID no profile names"


def test_scale_rules_give_hid_scales_the_returns_scale_name() -> None:
    by_id = {usb_id: (subsystem, link) for subsystem, usb_id, link in _rules()}
    for path in shipped_scale_profiles():
        profile = load_scale_profile(path)
        for usb_id in profile.usb_ids:
            expected = "hidraw" if profile.protocol == "hid_pos" else "tty"
            assert by_id[usb_id] == (expected, "returns-scale"), path.name
