"""The simulator command prints its pty and obeys stdin, so a person can drive it by hand."""

from __future__ import annotations

import subprocess
import sys

from drivers.scale import mt_sics
from drivers.scale.profile import ScaleProfile
from drivers.scale.transport import FrameReader, SerialLink


def _profile() -> ScaleProfile:
    return ScaleProfile(vendor="t", model="t", manual="test profile", protocol="mt_sics", mode="poll")


def _ask(link: SerialLink, reader: FrameReader, request: bytes) -> bytes | None:
    reader.discard()
    link.write(request)
    return reader.read_frame(2.0)


def _start(stdin: int) -> tuple[subprocess.Popen[str], str]:
    """The MT-SICS simulator as a process, and the pty it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "drivers.sim.scale", "--profile", "generic-mt-sics"],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    assert port.startswith("/dev/")
    return proc, port


def test_place_fault_and_clear_from_stdin() -> None:
    proc, port = _start(subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        link = SerialLink(port, _profile())
        reader = FrameReader(link, mt_sics.FRAMING)
        try:
            proc.stdin.write("place 250 0\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "ok"
            frame = _ask(link, reader, b"SI\r\n")
            assert frame is not None
            assert mt_sics.parse(frame).weight_mg == 250_000
            proc.stdin.write("fault overload\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "ok"
            assert _ask(link, reader, b"SI\r\n") == b"S +\r\n"
            proc.stdin.write("clear\nquit\n")
            proc.stdin.flush()
            assert proc.stdout.readline().strip() == "ok"
        finally:
            link.close()
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_an_unknown_profile_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "drivers.sim.scale", "--profile", "acme-nothing"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "no scale profile 'acme-nothing'" in result.stderr


def test_with_no_terminal_it_keeps_serving_until_sigterm() -> None:
    """Started in the background or by a service manager, stdin is at EOF from the start."""
    import signal

    proc, port = _start(subprocess.DEVNULL)
    try:
        link = SerialLink(port, _profile())
        reader = FrameReader(link, mt_sics.FRAMING)
        try:
            for _ in range(3):  # answers long after stdin ended
                frame = _ask(link, reader, b"SI\r\n")
                assert frame is not None and mt_sics.parse(frame).weight_mg is not None
            assert proc.poll() is None
        finally:
            link.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
