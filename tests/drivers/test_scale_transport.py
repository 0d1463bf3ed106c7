"""Frames cut from byte streams; one transport for pty, loop:// and socket:// URLs."""

from __future__ import annotations

import socket
import threading

from drivers.scale.framing import FrameSplitter, Framing
from drivers.scale.profile import ScaleProfile
from drivers.scale.transport import FrameReader, SerialLink, open_link
from drivers.sim.pty import PtyLink

SICS = Framing(terminator=b"\r\n", max_len=20)


def _profile(protocol: str = "mt_sics") -> ScaleProfile:
    return ScaleProfile(vendor="t", model="t", manual="test profile", protocol=protocol, mode="poll")


def test_frames_split_across_reads_are_joined() -> None:
    splitter = FrameSplitter(SICS)
    assert splitter.feed(b"S S   1") == []
    assert splitter.feed(b".00 g\r") == []
    assert splitter.feed(b"\nS +\r\nZ") == [b"S S   1.00 g\r\n", b"S +\r\n"]
    assert splitter.pending() == 1


def test_an_endless_line_is_dropped_and_counted() -> None:
    splitter = FrameSplitter(SICS)
    assert splitter.feed(b"x" * 25) == []
    assert splitter.garbage_bytes == 25
    assert splitter.feed(b"S +\r\n") == [b"S +\r\n"]


def test_a_too_long_frame_is_garbage_but_the_next_one_counts() -> None:
    splitter = FrameSplitter(SICS)
    assert splitter.feed(b"y" * 19 + b"\r\nS I\r\n") == [b"S I\r\n"]
    assert splitter.garbage_bytes == 21


def test_bytes_before_the_start_byte_are_garbage() -> None:
    splitter = FrameSplitter(Framing(terminator=b"\r", start=b"\x02", max_len=20))
    assert splitter.feed(b"\xff\xfe\x0201.234\r") == [b"\x0201.234\r"]
    assert splitter.garbage_bytes == 2


def test_fixed_length_frames_resync_on_the_report_id() -> None:
    splitter = FrameSplitter(Framing(terminator=b"", start=b"\x03", fixed_len=6))
    frames = splitter.feed(b"\x00\x00\x03\x04\x02\x00\x01\x00\x03\x04")
    assert frames == [b"\x03\x04\x02\x00\x01\x00"]
    assert splitter.garbage_bytes == 2
    assert splitter.pending() == 2


def test_discarding_a_partial_frame_counts_it_as_garbage() -> None:
    splitter = FrameSplitter(SICS)
    splitter.feed(b"S S 1")
    splitter.reset(count_as_garbage=True)
    assert (splitter.pending(), splitter.garbage_bytes) == (0, 5)


def test_a_pty_port_delivers_frames_and_times_out_quietly() -> None:
    with PtyLink() as pty:
        link = open_link(_profile(), pty.port)
        try:
            reader = FrameReader(link, SICS)
            link.write(b"SI\r\n")
            assert pty.read(1.0) == b"SI\r\n"
            pty.write(b"S S     100.00 g\r\n")
            assert reader.read_frame(1.0) == b"S S     100.00 g\r\n"
            assert reader.read_frame(0.05) is None
        finally:
            link.close()


def test_loop_url_goes_through_the_same_path() -> None:
    link = SerialLink("loop://", _profile())
    try:
        reader = FrameReader(link, SICS)
        link.write(b"Z A\r\n")
        assert reader.read_frame(1.0) == b"Z A\r\n"
    finally:
        link.close()


def test_socket_url_goes_through_the_same_path() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            if conn.recv(16) == b"SI\r\n":
                conn.sendall(b"S D      12.00 g\r\n")
            conn.recv(16)

    thread = threading.Thread(target=serve)
    thread.start()
    link = open_link(_profile(), f"socket://127.0.0.1:{port}")
    try:
        link.write(b"SI\r\n")
        assert FrameReader(link, SICS).read_frame(2.0) == b"S D      12.00 g\r\n"
    finally:
        link.close()
        thread.join(5)
        server.close()


def test_a_missing_port_is_an_os_error_naming_it() -> None:
    try:
        open_link(_profile(), "/dev/does-not-exist-scale")
    except OSError as exc:
        assert "/dev/does-not-exist-scale" in str(exc)
    else:
        raise AssertionError("opening a missing port must fail")
