"""USB HID POS scale reports: byte tables, the zero report, and reading a real FIFO and pty."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from drivers.scale import hid
from drivers.scale.framing import FrameSplitter
from drivers.scale.reading import ProtocolError, ScaleStatus
from drivers.sim.pty import PtyLink

# report id, status, unit, exponent, lsb, msb -> (weight_mg, stable, status)
REPORTS = [
    (bytes([3, 4, 2, 0, 0xD2, 0x04]), 1_234_000, True, ScaleStatus.OK),  # 1234 g stable
    (bytes([3, 4, 2, 0xFF, 0x39, 0x30]), 1_234_500, True, ScaleStatus.OK),  # 12345 x 10^-1 g
    (bytes([3, 3, 11, 0xFF, 0x64, 0x00]), 283_495, False, ScaleStatus.OK),  # 10.0 oz moving
    (bytes([3, 4, 12, 0xFE, 0xF4, 0x01]), 2_267_962, True, ScaleStatus.OK),  # 5.00 lb
    (bytes([3, 2, 2, 0, 0, 0]), 0, True, ScaleStatus.OK),  # stable at zero
    (bytes([3, 5, 2, 0, 0x0A, 0x00]), -10_000, True, ScaleStatus.UNDERLOAD),  # under zero
    (bytes([3, 6, 2, 0, 0, 0]), None, False, ScaleStatus.OVERLOAD),
    (bytes([3, 1, 2, 0, 0, 0]), None, False, ScaleStatus.FAULT),
    (bytes([3, 7, 2, 0, 0, 0]), None, False, ScaleStatus.NEEDS_CALIBRATION),
    (bytes([3, 8, 2, 0, 0, 0]), None, False, ScaleStatus.NEEDS_REZERO),
]
BAD = [
    bytes([2, 4, 2, 0, 0, 0]),  # not the scale data report
    bytes([3, 9, 2, 0, 0, 0]),  # unknown status
    bytes([3, 4, 5, 0, 1, 0]),  # taels: refused
    bytes([3, 4, 0, 0, 1, 0]),  # unit 0
    bytes([3, 4, 2, 0x20, 1, 0]),  # exponent 32
    bytes([3, 4, 2, 0]),  # truncated
    bytes([3, 4, 2, 0, 0, 0, 0]),  # too long
]


@pytest.mark.parametrize(("report", "weight_mg", "stable", "status"), REPORTS)
def test_hid_scale_reports(report: bytes, weight_mg: int | None, stable: bool, status: ScaleStatus) -> None:
    reading = hid.parse(report)
    assert (reading.weight_mg, reading.stable, reading.status) == (weight_mg, stable, status)


@pytest.mark.parametrize("report", BAD)
def test_reports_that_are_not_scale_data_are_protocol_errors(report: bytes) -> None:
    with pytest.raises(ProtocolError):
        hid.parse(report)


def test_zero_is_output_report_2_and_nothing_else_is_supported() -> None:
    assert hid.command("zero") == b"\x02\x02"
    with pytest.raises(ProtocolError):
        hid.command("tare")


def test_reports_are_read_from_a_real_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "hidraw-fifo"
    os.mkfifo(fifo)
    # O_RDWR on a FIFO never blocks on open, like a hidraw node
    link = hid.HidLink(str(fifo))
    try:
        writer = os.open(fifo, os.O_WRONLY)
        os.write(writer, bytes([3, 4, 2, 0, 0xD2, 0x04]) + bytes([3, 6, 2, 0, 0, 0]))
        os.close(writer)
        splitter = FrameSplitter(hid.FRAMING)
        frames = splitter.feed(link.read(1.0))
        readings = [hid.parse(f) for f in frames]
        assert [r.weight_mg for r in readings] == [1_234_000, None]
        assert readings[1].status is ScaleStatus.OVERLOAD
        assert link.read(0.05) == b""  # nothing more: the read times out, it does not hang
    finally:
        link.close()


def test_a_hid_link_over_a_pty_reads_reports_and_sends_the_zero_report() -> None:
    with PtyLink() as pty:
        link = hid.HidLink(pty.port)
        try:
            pty.write(bytes([3, 3, 2, 0, 10, 0]))
            assert hid.parse(link.read(1.0)).weight_mg == 10_000
            link.write(hid.command("zero"))
            received = b""
            for _ in range(10):
                received += pty.read(0.2)
                if len(received) >= 2:
                    break
            assert received == b"\x02\x02"
        finally:
            link.close()


def test_a_vanished_device_is_an_os_error() -> None:
    pty = PtyLink()
    link = hid.HidLink(pty.port)
    result: list[BaseException] = []

    def read() -> None:
        try:
            link.read(2.0)
            link.read(2.0)
        except OSError as exc:
            result.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    pty.close()
    thread.join(5)
    link.close()
    assert result and isinstance(result[0], OSError)
