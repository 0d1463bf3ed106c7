"""Keyboard-wedge evdev source: device errors become states; real keys through uinput where it exists."""

from __future__ import annotations

import os
import queue
from pathlib import Path

import pytest

from drivers.scanner.evdev_source import EvdevScannerSource, find_input_device
from drivers.scanner.events import ScanEvent
from drivers.state import DeviceState, DeviceStatus

WAIT_S = 5.0
HAS_UINPUT = os.path.exists("/dev/uinput") and os.access("/dev/uinput", os.W_OK)


def next_state(statuses: queue.Queue[DeviceStatus], state: DeviceState) -> DeviceStatus:
    while True:
        status = statuses.get(timeout=WAIT_S)
        if status.state == state:
            return status


def test_a_missing_device_path_is_an_error_state_with_the_path() -> None:
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    source = EvdevScannerSource(
        path="/dev/input/event-no-such-scanner", on_status=statuses.put, reopen_interval_s=0.05
    )
    with source:
        status = next_state(statuses, DeviceState.ERROR)
    assert "cannot open /dev/input/event-no-such-scanner" in status.reason
    assert source.status.state == DeviceState.DISCONNECTED


def test_a_file_that_is_not_an_input_device_is_an_error_state(tmp_path: Path) -> None:
    not_a_device = tmp_path / "event0"
    not_a_device.write_bytes(b"")
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    with EvdevScannerSource(path=str(not_a_device), on_status=statuses.put):
        status = next_state(statuses, DeviceState.ERROR)
    assert str(not_a_device) in status.reason


def test_an_absent_usb_id_is_an_error_state_naming_the_id() -> None:
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    with EvdevScannerSource(usb_id="ffff:fffe", on_status=statuses.put):
        status = next_state(statuses, DeviceState.ERROR)
    assert status.reason == "no input device with USB id ffff:fffe"
    assert find_input_device("ffff:fffe") is None


@pytest.mark.parametrize(
    ("path", "usb_id"), [(None, None), ("/dev/input/event3", "05e0:1200")], ids=["none", "both"]
)
def test_the_source_needs_exactly_one_of_path_or_usb_id(
    path: str | None, usb_id: str | None
) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        EvdevScannerSource(path=path, usb_id=usb_id)


@pytest.mark.skipif(not HAS_UINPUT, reason="needs /dev/uinput (absent on this machine)")
def test_a_uinput_scanner_is_read_grabbed_and_survives_replugging() -> None:
    from drivers.sim.scanner import SimulatedWedge, UinputWedge

    scans: queue.Queue[ScanEvent] = queue.Queue()
    statuses: queue.Queue[DeviceStatus] = queue.Queue()
    usb_id = "05e0:1200"
    wedge = UinputWedge(SimulatedWedge(), usb_id=usb_id)
    source = EvdevScannerSource(
        usb_id=usb_id, on_scan=scans.put, on_status=statuses.put, reopen_interval_s=0.1
    )
    with source:
        next_state(statuses, DeviceState.READY)
        wedge.type("0109501101020917\x1d21SN-U")
        event = scans.get(timeout=WAIT_S)
        assert (event.gtin, event.serial) == ("09501101020917", "SN-U")
        wedge.close()
        assert "unplugged" in next_state(statuses, DeviceState.ERROR).reason
        with UinputWedge(SimulatedWedge(), usb_id=usb_id) as again:
            next_state(statuses, DeviceState.READY)
            again.type("RMA-9")
            assert scans.get(timeout=WAIT_S).raw == "RMA-9"
