"""`station sim ...` and `station devices ...` as a new user runs them: real processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def station(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    return subprocess.run([sys.executable, "-m", "station.cli", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_devices_list_prints_devices_or_says_none_were_found(tmp_path: Path) -> None:
    result = station(tmp_path, "devices", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines
    assert lines[0].startswith("no devices found") or all("profiles:" in line for line in lines)


def test_sim_scale_prints_its_pty_and_obeys_stdin(tmp_path: Path) -> None:
    result = station(tmp_path, "sim", "scale", "--profile", "generic-mt-sics",
                     stdin="place 500\nquit\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"/dev/pts/\d+", lines[0]), result.stdout
    assert lines[1] == "ok"


def test_sim_scale_with_an_unknown_profile_says_which_exist(tmp_path: Path) -> None:
    result = station(tmp_path, "sim", "scale", "--profile", "acme-nonexistent", stdin="quit\n")
    assert result.returncode == 2
    assert "acme-nonexistent" in result.stderr and "generic-mt-sics" in result.stderr


def test_sim_scanner_prints_its_pty(tmp_path: Path) -> None:
    result = station(tmp_path, "sim", "scanner", "--profile", "generic-serial",
                     stdin="4006381333931\nquit\n")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"/dev/pts/\d+", result.stdout.splitlines()[0]), result.stdout


def test_sim_camera_renders_frames_and_a_presented_code_decodes(tmp_path: Path) -> None:
    result = station(tmp_path, "sim", "camera", "--seconds", "1.5",
                     stdin="present 4006381333931 ean13\n")
    assert result.returncode == 0, result.stderr
    assert "decodes as ]E04006381333931 (ean13)" in result.stdout
    assert re.search(r"^\d+\.\d frames/s$", result.stdout, re.MULTILINE), result.stdout


def test_devices_watch_runs_the_simulators_and_stops_after_the_given_time(
    tmp_path: Path,
) -> None:
    result = station(tmp_path, "devices", "watch", "--simulated", "--seconds", "1.5")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "scale: ready" in out and "scanner: ready" in out and "camera: ready" in out
    assert "scale: 0 g stable" in out
    assert out.rstrip().endswith("camera: disconnected (stopped)")
