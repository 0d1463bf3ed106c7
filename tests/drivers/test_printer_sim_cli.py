"""`station sim printer` prints its address and obeys stdin, so a person can drive it by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drivers.printer.session import PrinterSession

ROOT = Path(__file__).resolve().parents[2]
LABEL = b"^XA^FO10,10^A0N,30,30^FDcli^FS^XZ"


def _say(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


def test_the_command_serves_a_printer_and_obeys_fault_commands() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "sim", "printer", "--port", "0", "--pty",
         "--profile", "zebra-gk420d"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline().strip()
        assert banner.startswith("simulated Zebra GK420d (203 dpi) on tcp://127.0.0.1:"), banner
        address = banner.split(" on ")[1].split(" and ")[0]
        usb = banner.split(" and ")[1]
        assert usb.startswith("usb:/dev/")
        with PrinterSession("zebra-gk420d", address) as session:
            session.send(LABEL)
            assert _say(proc, "labels").startswith("1: 33 bytes via tcp")
            assert proc.stdout.readline().strip() == "ok: ready; 1 printed, 0 waiting"
            assert _say(proc, "status") == "ok: ready; 1 printed, 0 waiting"
            assert _say(proc, "fault paper_out") == "ok: paper out; 1 printed, 0 waiting"
            status = session.status()
            assert status is not None and status.paper_out
        with PrinterSession("zebra-gk420d", usb) as session:
            status = session.status()
            assert status is not None and status.problems() == ["paper out"]
        assert _say(proc, "clear") == "ok: ready; 1 printed, 0 waiting"
        assert _say(proc, "quit") == ""
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_unknown_profile_is_one_line_and_exit_2() -> None:
    done = subprocess.run([sys.executable, "-m", "station.cli", "sim", "printer", "--profile",
                           "acme-x1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: no printer profile 'acme-x1'")
