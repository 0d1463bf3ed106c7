"""Every shipped printer profile against the simulator over real TCP and a real pty, and every fault knob."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.printer.errors import (
    PrinterNotReady,
    PrinterOffline,
    PrinterSendFailed,
    PrinterStatusError,
    TransportSpecError,
)
from drivers.printer.profile import load_printer_profile, printer_profile, shipped_printer_profiles
from drivers.printer.session import PrinterSession
from drivers.printer.transport import parse_spec
from drivers.sim.printer import SimulatedPrinter

LABEL = b"^XA^FO50,50^A0N,40,40^FDRMA-0001^FS^BY2^FO50,120^BCN,80,Y,N,N^FDRMA0001^FS^XZ"
SECOND = b"^XA^FO20,20^A0N,30,30^FDsecond^FS^XZ"
Make = Callable[..., SimulatedPrinter]


@pytest.fixture
def make_sim() -> Iterator[Make]:
    made: list[SimulatedPrinter] = []

    def make(profile: str = "zebra-zd421", **kwargs: object) -> SimulatedPrinter:
        sim = SimulatedPrinter(profile, **kwargs)  # type: ignore[arg-type]
        made.append(sim)
        return sim

    yield make
    for sim in made:
        sim.close()


@pytest.mark.parametrize("path", shipped_printer_profiles(), ids=lambda p: p.stem)
def test_every_shipped_profile_prints_exactly_the_label_sent_over_tcp(path: Path, make_sim: Make) -> None:
    profile = load_printer_profile(path)
    for dpi in profile.dpis:
        sim = make_sim(profile, dpi=dpi)
        with PrinterSession(profile, sim.address) as session:
            assert session.status() is not None and session.status().ready  # type: ignore[union-attr]
            session.send(LABEL)
        assert sim.wait_for_labels(1, 5)
        assert [label.zpl for label in sim.labels] == [LABEL]
        assert sim.labels[0].via == "tcp" and sim.labels[0].printed_at is not None
        assert sim.waiting == []


@pytest.mark.parametrize("path", shipped_printer_profiles(), ids=lambda p: p.stem)
def test_usb_style_over_a_pty_sends_and_round_trips_host_status(path: Path, make_sim: Make) -> None:
    sim = make_sim(load_printer_profile(path), pty=True)
    with PrinterSession(load_printer_profile(path), f"usb:{sim.usb_path}") as session:
        sim.paused = True
        status = session.status()
        assert status is not None and status.paused and status.problems() == ["paused"]
        sim.paused = False
        session.send(LABEL)
        session.send(SECOND)
    assert sim.wait_for_labels(2, 5)
    assert [label.zpl for label in sim.labels] == [LABEL, SECOND]
    assert {label.via for label in sim.labels} == {"pty"}


def test_one_connection_can_carry_several_jobs_and_queries(make_sim: Make) -> None:
    sim = make_sim()
    with PrinterSession("zebra-zd421", sim.address) as session:
        for _ in range(3):
            session.send(LABEL)
    assert sim.wait_for_labels(3, 5) and len(sim.labels) == 3
    assert sim.connections_accepted == 1 and sim.status_queries == 6  # one before, one after each


@pytest.mark.parametrize(("knob", "word"), [("paper_out", "paper out"), ("head_open", "head open"),
                                            ("paused", "paused"), ("ribbon_out", "ribbon out")])
def test_each_fault_knob_shows_in_status_and_send_refuses(knob: str, word: str, make_sim: Make) -> None:
    sim = make_sim()
    setattr(sim, knob, True)
    with PrinterSession("zebra-zd421", sim.address) as session:
        status = session.status()
        assert status is not None and status.problems() == [word]
        with pytest.raises(PrinterNotReady) as refused:
            session.send(LABEL)
        assert refused.value.problems == [word] and word in refused.value.reason
        setattr(sim, knob, False)
        session.send(LABEL)
    assert sim.wait_for_labels(1, 5) and len(sim.labels) == 1


def test_paper_out_mid_job_the_format_waits_and_prints_exactly_once(make_sim: Make) -> None:
    sim = make_sim()
    with PrinterSession("zebra-zd421", sim.address) as session:
        assert session.status().ready  # type: ignore[union-attr]
        sim.paper_out = True  # runs out after the check, before the format arrives
        session.send(LABEL, check_ready=False)
        assert sim.wait_for_waiting(1, 5)
        status = session.status()
        assert status is not None and status.paper_out and status.formats_in_buffer == 1
        assert sim.labels == []
        sim.paper_out = False
        assert sim.wait_for_labels(1, 5)
        status = session.status()
        assert status is not None and status.formats_in_buffer == 0 and status.ready
        session.send(SECOND)
    assert sim.wait_for_labels(2, 5)
    assert [label.zpl for label in sim.labels] == [LABEL, SECOND]  # the waiting one only once


def test_formats_wait_while_paused_and_print_in_order(make_sim: Make) -> None:
    sim = make_sim()
    sim.paused = True
    with PrinterSession("zebra-gk420d", sim.address) as session:
        session.send(LABEL, check_ready=False)
        session.send(SECOND, check_ready=False)
        assert session.status().formats_in_buffer == 2  # type: ignore[union-attr]
    sim.paused = False
    assert sim.wait_for_labels(2, 5)
    assert [label.zpl for label in sim.labels] == [LABEL, SECOND]


def test_drop_after_is_a_send_failure(make_sim: Make) -> None:
    sim = make_sim()
    sim.drop_after = 20
    with PrinterSession("zebra-zd421", sim.address) as session:
        with pytest.raises(PrinterSendFailed) as failed:
            session.send(LABEL)
        assert "may not have printed" in failed.value.reason or "confirm" in failed.value.reason
        sim.drop_after = None
        session.send(SECOND)  # the next job reconnects
    assert sim.wait_for_labels(1, 5)
    assert [label.zpl for label in sim.labels] == [SECOND]


def test_drop_after_on_the_usb_device_is_a_send_failure(make_sim: Make) -> None:
    sim = make_sim(pty=True)
    sim.drop_after = 20
    with PrinterSession("zebra-zd421", f"usb:{sim.usb_path}") as session, \
            pytest.raises(PrinterSendFailed, match="device gone"):
        session.send(LABEL)
    assert sim.labels == []


def test_offline_refuses_connections_with_a_reason(make_sim: Make) -> None:
    sim = make_sim()
    sim.offline = True
    with PrinterSession("zebra-zd421", sim.address) as session:
        with pytest.raises(PrinterOffline, match="connection refused"):
            session.send(LABEL)
        with pytest.raises(PrinterOffline, match="connection refused"):
            session.status()
        sim.offline = False
        session.send(LABEL)
    assert sim.wait_for_labels(1, 5)


def test_going_offline_between_jobs_then_back_reconnects(make_sim: Make) -> None:
    sim = make_sim()
    with PrinterSession("zebra-zd421", sim.address) as session:
        session.send(LABEL)
        sim.offline = True
        with pytest.raises((PrinterOffline, PrinterSendFailed)):
            session.status()
        sim.offline = False
        assert session.status() is not None  # a stale kept connection is reopened once
        session.send(SECOND)
    assert sim.wait_for_labels(2, 5)


def test_a_usb_device_that_is_not_there_is_offline() -> None:
    with PrinterSession("zebra-zd421", "usb:/dev/usb/lp-not-here") as session, \
            pytest.raises(PrinterOffline, match="not there"):
        session.send(LABEL)


def test_a_printer_that_never_answers_times_out_with_a_reason() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts (kernel backlog) but never reads nor answers
    profile = printer_profile("zebra-zd421").model_copy(update={"read_timeout_s": 0.3})
    try:
        with PrinterSession(profile, f"tcp://127.0.0.1:{listener.getsockname()[1]}") as session, \
                pytest.raises(PrinterOffline, match="timed out"):
            session.status()
    finally:
        listener.close()


def test_slow_reads_still_deliver_the_whole_label(make_sim: Make) -> None:
    sim = make_sim()
    sim.slow = 2000.0  # bytes per second
    profile = printer_profile("zebra-zd421")
    with PrinterSession(profile, sim.address) as session:
        session.send(LABEL * 3)
    assert sim.wait_for_labels(3, 5)
    assert [label.zpl for label in sim.labels] == [LABEL] * 3


def test_the_simulator_answers_hs_with_the_exact_framed_bytes(make_sim: Make) -> None:
    sim = make_sim()
    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as raw:
        raw.sendall(b"~HS")
        reply = b""
        while reply.count(b"\x03\r\n") < 3:
            reply += raw.recv(256)
    assert reply == (b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n"
                     b"\x02001,0,0,0,0,2,0,0,00000000,1,000\x03\r\n"
                     b"\x020000,0\x03\r\n")


@pytest.mark.parametrize("spec", ["tcp://", "tcp://host:0", "tcp://host:99999", "usb:lp0",
                                  "cups:", "cups:a b", "lpd://host", "/dev/usb/lp0", ""])
def test_a_bad_transport_spec_says_what_is_accepted(spec: str) -> None:
    with pytest.raises(TransportSpecError, match="tcp://HOST"):
        parse_spec(spec)


def test_good_specs_parse() -> None:
    assert parse_spec("tcp://10.0.0.5:9100").port == 9100
    assert parse_spec("tcp://printer.local").port is None
    assert parse_spec("usb:/dev/usb/lp0").target == "/dev/usb/lp0"
    cups = parse_spec("cups:zebra@127.0.0.1:8631")
    assert (cups.target, cups.server) == ("zebra", "127.0.0.1:8631")


def test_labels_carry_check_and_render_results_when_those_modules_exist(make_sim: Make) -> None:
    pytest.importorskip("drivers.sim.zpl_parse")
    pytest.importorskip("drivers.sim.zpl_render")
    sim = make_sim()
    with PrinterSession("zebra-zd421", sim.address) as session:
        session.send(LABEL)
    assert sim.wait_for_labels(1, 5)
    label = sim.labels[0]
    assert label.check_error is None
    assert label.problems == []
    assert label.png and label.png[0].startswith(b"\x89PNG")


def test_two_threads_on_one_session_never_interleave_their_jobs(make_sim: Make) -> None:
    sim = make_sim()
    jobs = [b"^XA^FO10,10^A0N,30,30^FD" + bytes([65 + n]) * 2000 + b"^FS^XZ" for n in range(8)]
    errors: list[BaseException] = []
    with PrinterSession("zebra-zd421", sim.address) as session:
        def worker(batch: list[bytes]) -> None:
            try:
                for job in batch:
                    session.send(job)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(jobs[i::2],)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    assert errors == []
    assert sim.wait_for_labels(8, 5)
    assert sorted(label.zpl for label in sim.labels) == sorted(jobs)


def _garbage_printer(answer: bytes) -> tuple[socket.socket, threading.Thread]:
    """A TCP peer that answers every ~HS with ``answer`` (real socket, no mock)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:  # until the test closes the listener
                conn, _ = listener.accept()
                with conn, contextlib.suppress(OSError):
                    while conn.recv(64):
                        conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


@pytest.mark.parametrize("answer", [b"\x02garbage\x03\r\n" * 3, b"\x02" + b"9" * 600,
                                    b"\x02030,0,0\x03\r\n\x02\x03\r\n\x02\x03\r\n"],
                         ids=["words", "endless", "short-fields"])
def test_a_garbage_status_reply_is_a_status_error(answer: bytes) -> None:
    listener, thread = _garbage_printer(answer)
    profile = printer_profile("zebra-zd421").model_copy(update={"read_timeout_s": 1.0})
    try:
        with PrinterSession(profile, f"tcp://127.0.0.1:{listener.getsockname()[1]}") as session:
            with pytest.raises(PrinterStatusError):
                session.status()
            with pytest.raises(PrinterStatusError):
                session.send(LABEL)
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)
