"""Every shipped scanner profile loads strictly and works against the simulator for its interface."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from drivers.profiles import ProfileError, shipped_profiles
from drivers.scanner.evdev_source import EvdevScannerSource
from drivers.scanner.events import ScanEvent
from drivers.scanner.profile import (
    ScannerInterface,
    ScannerProfile,
    load_scanner_profile,
    scanner_profile,
    shipped_scanner_profiles,
)
from drivers.scanner.serial_source import SerialScannerSource
from drivers.scanner.wedge import WedgeDecoder, WedgeSuffix
from drivers.sim.scanner import SimulatedSerialScanner, SimulatedWedge, main
from drivers.state import DeviceState, DeviceStatus

PROFILES = shipped_scanner_profiles()
SERIAL = sorted(n for n, p in PROFILES.items() if p.interface == ScannerInterface.SERIAL)
WEDGE = sorted(n for n, p in PROFILES.items() if p.interface == ScannerInterface.WEDGE)
SCANS = ["4006381333931", "RMA-2024-000123", "0109501101020917\x1d21SN-9"]
WAIT_S = 5.0


def test_at_least_four_real_models_and_both_generic_profiles_ship() -> None:
    real = [name for name in PROFILES if not name.startswith("generic-")]
    assert len(real) >= 4
    assert {"generic-wedge", "generic-serial"} <= set(PROFILES)
    assert SERIAL and WEDGE


@pytest.mark.parametrize("path", shipped_profiles("scanners"), ids=lambda p: p.stem)
def test_every_profile_file_names_its_manual_and_usb_ids_for_discovery(path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data["usb_ids"], list)  # discovery reads this key from every profile
    assert path.read_text(encoding="utf-8").startswith("#")  # manual cited in a comment
    profile = load_scanner_profile(path)
    assert len(profile.manual) >= 5
    assert all(usb_id == usb_id.lower() for usb_id in profile.usb_ids)


class Collector:
    def __init__(self) -> None:
        self.scans: queue.Queue[ScanEvent] = queue.Queue()
        self.statuses: queue.Queue[DeviceStatus] = queue.Queue()

    def next_scan(self) -> ScanEvent:
        return self.scans.get(timeout=WAIT_S)

    def wait_ready(self) -> None:
        while self.statuses.get(timeout=WAIT_S).state != DeviceState.READY:
            pass


@pytest.mark.parametrize("name", SERIAL)
def test_serial_profile_reads_scans_from_its_simulator(name: str) -> None:
    profile = PROFILES[name]
    bench = Collector()
    with SimulatedSerialScanner(profile) as sim:
        source = SerialScannerSource.from_profile(
            sim.port, profile, device=name, on_scan=bench.scans.put, on_status=bench.statuses.put
        )
        with source:
            bench.wait_ready()
            for text in SCANS:
                sim.scan(text, aim_id="]C1" if "\x1d" in text else "")
            events = [bench.next_scan() for _ in SCANS]
    assert [e.gtin for e in events] == ["04006381333931", None, "09501101020917"]
    assert events[2].serial == "SN-9"
    assert {e.source for e in events} == {name}


@pytest.mark.parametrize("name", WEDGE)
def test_wedge_profile_decodes_its_simulated_key_events(name: str) -> None:
    profile = PROFILES[name]
    decoder = WedgeDecoder(suffix=WedgeSuffix(profile.suffix), gap_timeout_s=profile.gap_timeout_s)
    wedge = SimulatedWedge(suffix=profile.suffix)
    texts: list[str] = []
    for i, text in enumerate(SCANS):
        for key in wedge.key_events(text, start_at=10.0 * i):
            texts += [scan.text for scan in decoder.feed(key, now=key.at)]
    assert texts == SCANS


@pytest.mark.parametrize("name", WEDGE)
def test_wedge_profile_builds_an_evdev_source(name: str) -> None:
    profile = PROFILES[name]
    if profile.usb_ids:
        source = EvdevScannerSource.from_profile(profile)
        assert source.usb_id == profile.usb_ids[0]
    else:
        with pytest.raises(ValueError, match="give a path"):
            EvdevScannerSource.from_profile(profile)
        source = EvdevScannerSource.from_profile(profile, path="/dev/input/event99")
        assert source.path == "/dev/input/event99"


BASE = """
vendor = "Acme"
model = "S1"
manual = "Acme S1 Programming Guide"
interface = "serial"
usb_ids = ["1234:abcd"]
suffix = "cr"
aim_ids_default = false
[serial]
baudrate = 9600
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("suffix = \"cr\"", "suffix = \"cr\"\ncolour = \"red\""), "colour"),
        (("[\"1234:abcd\"]", "[\"1234:ABCD\"]"), "usb_ids"),
        (("[\"1234:abcd\"]", "[\"1234abcd\"]"), "usb_ids"),
        (("baudrate = 9600", "baudrate = 9600\nparity = \"X\""), "serial.parity"),
        (("[serial]\nbaudrate = 9600", ""), "needs a [serial] table"),
        (("suffix = \"cr\"", "suffix = \"enter\""), "serial suffix"),
        (("interface = \"serial\"", "interface = \"bluetooth\""), "interface"),
        (("aim_ids_default = false\n", ""), "aim_ids_default"),
    ],
)
def test_a_broken_profile_names_the_file_and_the_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "acme-s1.toml"
    path.write_text(BASE.replace(*change), encoding="utf-8")
    with pytest.raises(ProfileError, match=re.escape(message)) as info:
        load_scanner_profile(path)
    assert str(path) in str(info.value)


def test_the_base_of_the_broken_profiles_is_itself_valid(tmp_path: Path) -> None:
    path = tmp_path / "acme-s1.toml"
    path.write_text(BASE, encoding="utf-8")
    assert load_scanner_profile(path).suffix_bytes == b"\r"


def test_an_unknown_profile_name_lists_the_known_ones() -> None:
    with pytest.raises(KeyError, match="generic-serial"):
        scanner_profile("acme-nothing")


def test_the_simulator_command_scans_stdin_lines_on_its_pty() -> None:
    sim = subprocess.Popen(
        [sys.executable, "-m", "drivers.sim.scanner", "--profile", "newland-nls-fm430"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sim.stdin is not None and sim.stdout is not None
    try:
        port = sim.stdout.readline().strip()
        assert port.startswith("/dev/")
        bench = Collector()
        profile: ScannerProfile = PROFILES["newland-nls-fm430"]
        source = SerialScannerSource.from_profile(
            port, profile, on_scan=bench.scans.put, on_status=bench.statuses.put
        )
        with source:
            bench.wait_ready()
            sim.stdin.write("RMA-CLI-1\n")
            sim.stdin.flush()
            assert bench.next_scan().raw == "RMA-CLI-1"
    finally:
        sim.stdin.write("quit\n")  # end of input alone keeps it serving (until SIGTERM)
        sim.stdin.close()
        assert sim.wait(timeout=WAIT_S) == 0


def test_the_simulator_command_refuses_an_unknown_profile(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--profile", "acme-nothing"]) == 2
    assert "no scanner profile 'acme-nothing'" in capsys.readouterr().err


@pytest.mark.skipif(os.path.exists("/dev/uinput"), reason="only without /dev/uinput")
def test_the_simulator_command_explains_that_a_wedge_needs_uinput(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--profile", "zebra-ds2208"]) == 2
    assert "needs /dev/uinput" in capsys.readouterr().err
