"""Discovery lists device nodes with their VID:PID and matching profiles, from real file trees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from drivers.discovery import DiscoveredDevice, discover, profile_usb_ids


def _usb_device(sys_root: Path, name: str, vid: str, pid: str, product: str) -> Path:
    usb = sys_root / "devices" / "pci0000:00" / "usb1" / name
    usb.mkdir(parents=True)
    (usb / "idVendor").write_text(vid + "\n")
    (usb / "idProduct").write_text(pid + "\n")
    (usb / "product").write_text(product + "\n")
    return usb


def _class_node(sys_root: Path, cls: str, node: str, parent: Path) -> None:
    interface = parent / f"{parent.name}:1.0" / node
    interface.mkdir(parents=True)
    class_dir = sys_root / "class" / cls / node
    class_dir.mkdir(parents=True)
    os.symlink(interface, class_dir / "device")


def test_a_machine_without_devices_lists_nothing(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    (tmp_path / "sys").mkdir()
    assert discover(tmp_path / "dev", tmp_path / "sys") == []


def test_this_machine_can_be_listed_without_error() -> None:
    devices = discover()
    assert all(isinstance(d, DiscoveredDevice) for d in devices)


def test_a_hid_scale_a_serial_scanner_and_a_camera_are_found_with_profiles(tmp_path: Path) -> None:
    dev, sys_root = tmp_path / "dev", tmp_path / "sys"
    (dev / "serial" / "by-id").mkdir(parents=True)
    (dev / "input" / "by-id").mkdir(parents=True)
    for node in ("hidraw0", "ttyACM0", "video0", "event3"):
        (dev / node).touch()
    dymo = _usb_device(sys_root, "1-1", "0922", "8003", "M10 10 kg Digital Postal Scale")
    _class_node(sys_root, "hidraw", "hidraw0", dymo)
    newland = _usb_device(sys_root, "1-2", "1eab", "1d06", "Newland scanner")
    _class_node(sys_root, "tty", "ttyACM0", newland)
    os.symlink(dev / "ttyACM0", dev / "serial" / "by-id" / "usb-Newland_FM430-if00")
    camera = _usb_device(sys_root, "1-3", "046d", "082d", "HD Pro Webcam C920")
    _class_node(sys_root, "video4linux", "video0", camera)
    zebra = _usb_device(sys_root, "1-4", "05e0", "1200", "Symbol Bar Code Scanner")
    _class_node(sys_root, "input", "event3", zebra)
    os.symlink(dev / "event3", dev / "input" / "by-id" / "usb-Zebra_DS2208-event-kbd")
    os.symlink(dev / "event3", dev / "input" / "by-id" / "usb-Zebra_DS2208-event-mouse")

    found = {d.kind: d for d in discover(dev, sys_root)}
    assert set(found) == {"hidraw", "serial", "video", "evdev"}
    assert found["hidraw"].usb_id == "0922:8003"
    assert [m.name for m in found["hidraw"].profiles] == ["dymo-m10"]
    assert found["hidraw"].product.startswith("M10")
    assert found["serial"].path.endswith("usb-Newland_FM430-if00")
    assert found["serial"].node == str(dev / "ttyACM0")
    assert [(m.kind, m.name) for m in found["serial"].profiles] == [("scanners", "newland-nls-fm430")]
    assert [m.name for m in found["video"].profiles] == ["logitech-c920"]
    assert found["evdev"].path.endswith("-event-kbd")
    assert [m.name for m in found["evdev"].profiles] == ["zebra-ds2208"]


def test_a_device_without_usb_ids_is_listed_without_a_profile(tmp_path: Path) -> None:
    dev, sys_root = tmp_path / "dev", tmp_path / "sys"
    dev.mkdir()
    (dev / "hidraw1").touch()
    (sys_root / "class" / "hidraw" / "hidraw1").mkdir(parents=True)  # no device link at all
    [device] = discover(dev, sys_root)
    assert (device.kind, device.usb_id, device.profiles) == ("hidraw", None, ())


def test_profile_ids_are_read_from_every_kind_and_broken_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "scales").mkdir()
    (tmp_path / "cameras").mkdir()
    (tmp_path / "scales" / "a-b.toml").write_text('usb_ids = ["0922:8003"]\n')
    (tmp_path / "cameras" / "c-d.toml").write_text('[usb]\nvid_pid = "046D:082D"\n')
    (tmp_path / "cameras" / "broken.toml").write_text("usb_ids = [\n")
    ids = profile_usb_ids(tmp_path)
    assert sorted(ids) == ["046d:082d", "0922:8003"]
    assert ids["046d:082d"][0].kind == "cameras"


def test_discovery_runs_as_a_command() -> None:
    result = subprocess.run([sys.executable, "-m", "drivers.discovery"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
