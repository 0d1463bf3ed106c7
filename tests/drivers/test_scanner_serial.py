"""Serial scanner source end to end through a real pty, with the simulator's fault knobs."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner.events import ScanEvent
from drivers.scanner.profile import ScannerProfile, scanner_profile
from drivers.scanner.serial_source import LineFramer, SerialScannerSource
from drivers.sim.scanner import SimulatedSerialScanner
from drivers.state import DeviceState, DeviceStatus

WAIT_S = 5.0  # only a guard against hanging; nothing here measures time


class Bench:
    """What the station would see: scans and status changes from the source's callbacks."""

    def __init__(self) -> None:
        self.scans: list[ScanEvent] = []
        self.statuses: list[DeviceStatus] = []
        self._cond = threading.Condition()

    def on_scan(self, event: ScanEvent) -> None:
        with self._cond:
            self.scans.append(event)
            self._cond.notify_all()

    def on_status(self, status: DeviceStatus) -> None:
        with self._cond:
            self.statuses.append(status)
            self._cond.notify_all()

    def wait(self, check: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + WAIT_S
        with self._cond:
            while not check():  # re-checked on every callback and every 10 ms (counters)
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out waiting for {what}; {self.statuses}")
                self._cond.wait(0.01)

    def wait_scans(self, count: int) -> list[str]:
        self.wait(lambda: len(self.scans) >= count, f"{count} scans")
        return [scan.raw for scan in self.scans]

    def wait_state(self, state: DeviceState, after: int = 0) -> DeviceStatus:
        self.wait(lambda: any(s.state == state for s in self.statuses[after:]), str(state))
        return next(s for s in self.statuses[after:] if s.state == state)


def with_suffix(suffix: str) -> ScannerProfile:
    return scanner_profile("generic-serial").model_copy(update={"suffix": suffix})


@pytest.fixture
def bench() -> Bench:
    return Bench()


@pytest.fixture
def scanner() -> Iterator[SimulatedSerialScanner]:
    with SimulatedSerialScanner(scanner_profile("generic-serial")) as sim:
        yield sim


def open_source(
    bench: Bench,
    url: str,
    *,
    partial_timeout_s: float = 0.5,
    reopen_interval_s: float = 0.5,
    max_chars: int = 4096,
) -> SerialScannerSource:
    source = SerialScannerSource(
        url,
        device="serial-1",
        on_scan=bench.on_scan,
        on_status=bench.on_status,
        partial_timeout_s=partial_timeout_s,
        reopen_interval_s=reopen_interval_s,
        max_chars=max_chars,
    )
    source.start()
    bench.wait_state(DeviceState.READY)
    return source


def test_a_scanned_gs1_label_arrives_as_a_parsed_event(
    bench: Bench, scanner: SimulatedSerialScanner
) -> None:
    with open_source(bench, scanner.port) as source:
        scanner.scan("0109501101020917\x1d21SN-1", aim_id="]C1")
        bench.wait_scans(1)
        event = bench.scans[0]
        assert (event.aim_id, event.gtin, event.serial) == ("]C1", "09501101020917", "SN-1")
        assert event.source == "serial-1"
        assert source.status.state == DeviceState.READY


@pytest.mark.parametrize("suffix", ["cr", "lf", "crlf", "tab"])
def test_every_line_suffix_frames_scans(bench: Bench, suffix: str) -> None:
    profile = with_suffix(suffix)
    with SimulatedSerialScanner(profile) as sim:
        source = SerialScannerSource.from_profile(
            sim.port, profile, on_scan=bench.on_scan, on_status=bench.on_status
        )
        with source:
            bench.wait_state(DeviceState.READY)  # opening a port flushes what came before
            for text in ["RMA-1", "4006381333931", "1Z999AA10123456784"]:
                sim.scan(text)
            assert bench.wait_scans(3) == ["RMA-1", "4006381333931", "1Z999AA10123456784"]
            assert source.stats.garbage == 0


def test_garbage_bytes_are_counted_and_the_next_scan_is_fine(
    bench: Bench, scanner: SimulatedSerialScanner
) -> None:
    with open_source(bench, scanner.port) as source:
        scanner.send_garbage()
        scanner.scan("RMA-2")
        assert bench.wait_scans(1) == ["RMA-2"]
        assert source.stats.garbage == 1
        assert "U+0000" in source.stats.last_garbage_reason
        assert source.status.state == DeviceState.READY


def test_a_partial_line_then_silence_is_dropped_not_glued_to_the_next(
    bench: Bench, scanner: SimulatedSerialScanner
) -> None:
    with open_source(bench, scanner.port, partial_timeout_s=0.1) as source:
        scanner.send_partial("RMA-")
        bench.wait(lambda: source.stats.garbage == 1, "the partial line to be dropped")
        scanner.scan("RMA-3")
        assert bench.wait_scans(1) == ["RMA-3"]
        assert "partial line of 4 bytes" in source.stats.last_garbage_reason


def test_slow_typing_within_the_partial_timeout_still_makes_one_scan(bench: Bench) -> None:
    sim = SimulatedSerialScanner(with_suffix("cr"), char_delay_s=0.01)
    with sim, open_source(bench, sim.port, partial_timeout_s=1.0) as source:
        sim.scan("SLOW-42")
        assert bench.wait_scans(1) == ["SLOW-42"]
        assert source.stats.garbage == 0


def test_an_over_long_line_is_dropped_and_the_next_scan_is_fine(
    bench: Bench, scanner: SimulatedSerialScanner
) -> None:
    with open_source(bench, scanner.port, max_chars=10) as source:
        scanner.scan("X" * 25)
        scanner.scan("RMA-4")
        assert bench.wait_scans(1) == ["RMA-4"]
        assert source.stats.garbage == 1
        assert "longer than 10" in source.stats.last_garbage_reason


def test_unplugging_shows_error_with_reason_and_replugging_recovers(
    bench: Bench, scanner: SimulatedSerialScanner
) -> None:
    with open_source(bench, scanner.port, reopen_interval_s=0.05) as source:
        scanner.scan("BEFORE")
        bench.wait_scans(1)
        seen = len(bench.statuses)
        scanner.disconnect()
        error = bench.wait_state(DeviceState.ERROR, after=seen)
        assert error.reason
        assert error.device == "serial-1"
        seen = len(bench.statuses)
        source.retarget(scanner.reconnect())
        bench.wait_state(DeviceState.READY, after=seen)
        scanner.scan("AFTER")
        assert bench.wait_scans(2) == ["BEFORE", "AFTER"]


def test_a_missing_port_is_an_error_state_not_an_exception(bench: Bench) -> None:
    source = SerialScannerSource(
        "/dev/does-not-exist-scanner", on_status=bench.on_status, reopen_interval_s=0.05
    )
    with source:
        status = bench.wait_state(DeviceState.ERROR)
        assert "cannot open /dev/does-not-exist-scanner" in status.reason


def test_closing_reports_disconnected(bench: Bench, scanner: SimulatedSerialScanner) -> None:
    source = open_source(bench, scanner.port)
    source.close()
    assert source.status.state == DeviceState.DISCONNECTED
    assert bench.statuses[-1].reason == "closed"


def test_serial_over_tcp_takes_the_same_path(bench: Bench) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with open_source(bench, f"socket://127.0.0.1:{port}"):
            conn, _ = server.accept()
            with conn:
                conn.sendall(b"RMA-TCP\r4006381333931\r")
                assert bench.wait_scans(2) == ["RMA-TCP", "4006381333931"]


def test_an_unknown_suffix_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="suffix"):
        SerialScannerSource("loop://", suffix=b";")


@pytest.mark.parametrize(
    ("suffix", "chunks", "lines"),
    [
        (b"\r", [b"AB\rC", b"D\r"], [b"AB", b"CD"]),
        (b"\r", [b"AB\r\nCD\n"], [b"AB", b"CD"]),  # CR, LF, CR LF all end a line
        (b"\r\n", [b"AB\r", b"\nCD\r\n"], [b"AB", b"CD"]),
        (b"\t", [b"A\rB\tC\t"], [b"A\rB", b"C"]),  # with Tab, a CR is data
        (b"\r", [b"\r\r\n"], []),
    ],
)
def test_line_framing(suffix: bytes, chunks: list[bytes], lines: list[bytes]) -> None:
    framer = LineFramer(suffix)
    got: list[bytes] = []
    for chunk in chunks:
        got += framer.feed(chunk)
    assert got == lines


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300), suffix=st.sampled_from([b"\r", b"\n", b"\r\n", b"\t"]))
def test_framed_lines_never_contain_a_terminator_or_exceed_the_limit(
    data: bytes, suffix: bytes
) -> None:
    framer = LineFramer(suffix, max_chars=16)
    for line in framer.feed(data):
        assert line and len(line) <= 16
        assert suffix not in line
        if suffix != b"\t":
            assert b"\r" not in line and b"\n" not in line
