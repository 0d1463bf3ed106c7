"""`station install` / `station uninstall` into a staged root: units pass systemd-analyze verify,
udev rules are well formed, runs are idempotent, dry runs write nothing, uninstall keeps data."""

from __future__ import annotations

import grp
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from station.cli import main
from station.config import load_settings
from station.install import kiosk, udev, units, watchdog
from station.install.bench import (
    CONFIG_FILE,
    InstallOptions,
    check_privileges,
    install_plan,
    starter_config,
    uninstall_plan,
)
from station.install.plan import InstallError, RunCommand, WriteFile, apply
from tests.support.wait import wait_until

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
UNIT_SOURCE = Path("/lib/systemd/system")
STAGED = ["--skip-packages"]


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    """A staged machine with the executables the bench's units name."""
    machine = tmp_path / "machine"
    for program in ("usr/bin/cage", "opt/returns-station/bin/station"):
        path = machine / program
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\nexit 0\n")
        path.chmod(0o755)
    return machine


@pytest.fixture()
def unit_root(root: Path) -> Path:
    """The staged machine with systemd's own units too (what the bench's units depend on)."""
    if UNIT_SOURCE.is_dir():
        shutil.copytree(UNIT_SOURCE, root / "usr/lib/systemd/system", symlinks=True)
    return root


def install(root: Path, *extra: str) -> int:
    return main(["install", "--root", str(root), "--skip-venv", *STAGED, *extra])


def verify(root: Path, unit_paths: list[str]) -> str:
    """systemd-analyze verify inside ``root``; the problems it printed ("" when none)."""
    if SYSTEMD_ANALYZE is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze missing on CI")
        pytest.skip("systemd-analyze not installed")
    done = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", f"--root={root}", *unit_paths],
                          capture_output=True, text=True, check=False, timeout=60)
    problems = (done.stdout + done.stderr).strip()
    if done.returncode != 0 and not problems:
        problems = f"exit {done.returncode}"
    return problems  # warnings ("... ignoring") count: systemd would run a different unit


@pytest.mark.parametrize(("role", "expected"), [
    ([], [kiosk.KIOSK_UNIT, units.BENCH_UNIT, units.WEBHOOKS_UNIT]),
    (["--no-kiosk"], [units.BENCH_UNIT, units.WEBHOOKS_UNIT]),
    (["--server"], [units.SERVER_UNIT, units.WEBHOOKS_UNIT]),
])
def test_every_generated_unit_passes_systemd_analyze_verify(unit_root: Path, role: list[str],
                                                            expected: list[str]) -> None:
    root = unit_root
    assert install(root, *role) == 0
    names = sorted(p.name for p in (root / "etc/systemd/system").glob("*.service"))
    assert names == sorted(expected)
    assert verify(root, [f"/etc/systemd/system/{name}" for name in names]) == ""


@pytest.mark.parametrize("breakage", [
    ("Restart=on-failure", "Restart=sometimes"),  # only a warning, exit code 0
    ("ExecStart=/opt/returns-station/bin/station run", "ExecStart=/opt/nothing/station run"),
    ("[Service]", "[Servce]"),
])
def test_the_verify_check_catches_a_broken_unit(unit_root: Path, breakage: tuple[str, str]) -> None:
    root = unit_root
    assert install(root) == 0
    good = (root / "etc/systemd/system" / units.BENCH_UNIT).read_text()
    assert breakage[0] in good
    (root / "etc/systemd/system/broken.service").write_text(good.replace(*breakage))
    assert verify(root, ["/etc/systemd/system/broken.service"]) != ""


def test_units_restart_watch_and_sandbox_without_hiding_devices(root: Path) -> None:
    assert install(root) == 0
    bench = (root / "etc/systemd/system" / units.BENCH_UNIT).read_text()
    for line in ("Type=notify", "WatchdogSec=60", "Restart=on-failure", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/returns-station", "PrivateTmp=yes", "ProtectHome=yes",
                 "NoNewPrivileges=yes", "SupplementaryGroups=dialout video plugdev lp",
                 "StandardOutput=journal",
                 "ExecStart=/opt/returns-station/bin/station run --no-dispatcher",
                 "Environment=STATION_CONFIG=/etc/returns-station/station.toml"):
        assert line in bench.splitlines(), line
    for closes_devices in ("PrivateDevices", "DevicePolicy", "DeviceAllow", "ProtectClock"):
        assert closes_devices not in bench
    worker = (root / "etc/systemd/system" / units.WEBHOOKS_UNIT).read_text()
    assert "ExecStart=/opt/returns-station/bin/station webhooks worker" in worker
    launcher = (root / "usr/local/libexec/returns-station-kiosk").read_text()
    for flag in ("--kiosk", "--disable-pinch", "--overscroll-history-navigation=0",
                 "--touch-events=enabled", "--noerrdialogs"):
        assert flag in launcher
    assert "exec /usr/bin/chromium" in launcher and "url=http://127.0.0.1:8080/\n" in launcher
    assert (root / "usr/local/libexec/returns-station-kiosk").stat().st_mode & 0o777 == 0o755
    launch = subprocess.run(["sh", "-n", str(root / "usr/local/libexec/returns-station-kiosk")],
                            capture_output=True, text=True, check=False)
    assert launch.returncode == 0, launch.stderr


def test_udev_rules_are_well_formed_and_the_shipped_file_is_their_output(root: Path) -> None:
    rules = udev.render_rules()
    groups = {g.gr_name for g in grp.getgrall()}
    assert udev.check_rules(rules, groups & {"plugdev", "video"}) == []
    assert udev.shipped_rules_current(), "regenerate firmware_configs/udev/ (render_rules)"
    assert install(root) == 0
    assert (root / "etc/udev/rules.d" / udev.RULES_NAME).read_text() == rules
    links = {rule.link for rule in udev.profile_rules()}
    assert links == set(udev.DEVICE_NAMES.values())
    bad = ('SUBSYSTEM=="tty", ATTRS{idVendor}=="12", MODE="777", GROUP="nogroup", '
           'SYMLINK+="scale"\nKERNEL="x"')
    problems = udev.check_rules(bad, {"plugdev"})
    assert len(problems) == 6, problems  # vendor, mode, group, link name, KERNEL=, no SUBSYSTEM



def test_udevadm_verify_accepts_the_rules_where_it_exists(tmp_path: Path) -> None:
    """systemd >= 254 has `udevadm verify`; Debian 12's udevadm (252) does not (then skipped:
    check_rules above is the check)."""
    udevadm = shutil.which("udevadm")
    if udevadm is None or subprocess.run([udevadm, "verify", "--help"], capture_output=True,
                                         check=False).returncode != 0:
        pytest.skip("udevadm verify not available (systemd < 254)")
    rules = tmp_path / udev.RULES_NAME
    rules.write_text(udev.render_rules())
    done = subprocess.run([udevadm, "verify", str(rules)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_dry_run_writes_nothing(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(root)
    assert install(root, "--dry-run") == 0
    out = capsys.readouterr().out
    assert _files(root) == before
    assert "would-write  /etc/systemd/system/returns-station.service" in out
    assert "planned      useradd --system" in out
    assert "nothing was changed" in out


def test_a_second_install_changes_nothing_and_says_so(root: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert install(root) == 0
    first = {p: (root / p).stat().st_mtime_ns for p in _files(root)}
    capsys.readouterr()
    assert install(root) == 0
    out = capsys.readouterr().out
    assert "nothing to change: the bench is already installed" in out
    assert "wrote" not in out and "would-" not in out
    assert {p: (root / p).stat().st_mtime_ns for p in _files(root)} == first
    (root / "etc/systemd/system" / units.BENCH_UNIT).write_text("edited\n")
    assert install(root) == 0
    out = capsys.readouterr().out
    assert "1 change(s) made" in out and "planned      systemctl daemon-reload" in out


def test_uninstall_removes_what_install_made_and_keeps_the_data(root: Path) -> None:
    before = _files(root)
    assert install(root) == 0
    installed = _files(root) - before
    data = root / "var/lib/returns-station"
    (data / "photos").mkdir()
    (data / "station.db").write_bytes(b"SQLite format 3\0")
    (data / "photos/ab.jpg").write_bytes(b"\xff\xd8")
    assert main(["uninstall", "--root", str(root), "--dry-run"]) == 0
    assert installed <= _files(root)
    assert main(["uninstall", "--root", str(root)]) == 0
    kept = _files(root) - before
    assert kept == {"etc/returns-station/station.toml", "var/lib/returns-station/station.db",
                    "var/lib/returns-station/photos/ab.jpg"}
    assert (root / "var/lib/returns-kiosk").is_dir()
    assert (root / "opt/returns-station/bin/station").exists()  # a venv it did not build stays
    assert main(["uninstall", "--root", str(root), "--purge"]) == 0
    assert _files(root) == before
    assert not data.exists() and not (root / "etc/returns-station").exists()


def test_uninstall_removes_the_venv_only_when_the_installer_built_it(root: Path) -> None:
    assert main(["install", "--root", str(root), *STAGED]) == 0  # venv planned, marker written
    assert (root / "opt/returns-station/.returns-station-install").exists()
    assert main(["uninstall", "--root", str(root)]) == 0
    assert not (root / "opt/returns-station").exists()


def test_the_config_given_is_installed_and_names_the_screens_url(root: Path, tmp_path: Path) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(starter_config().replace("port = 8080", "port = 9090"))
    assert install(root, "--config", str(config)) == 0
    installed = root / CONFIG_FILE.relative_to("/")
    assert installed.read_text() == config.read_text()
    assert installed.stat().st_mode & 0o777 == 0o640
    assert "url=http://127.0.0.1:9090/\n" in (root / "usr/local/libexec/returns-station-kiosk").read_text()
    settings = load_settings(installed)
    assert str(settings.data_dir) == "/var/lib/returns-station" and not settings.devices.simulated
    installed.write_text(installed.read_text() + "\n# edited on the bench\n")
    assert install(root) == 0  # without --config the bench's own file stays as edited
    assert installed.read_text().endswith("# edited on the bench\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--prefix", "opt/venv"], "--prefix must be an absolute path"),
    (["--prefix", "/opt"], "--prefix /opt is a system folder"),
    (["--user", "Bad User"], "--user 'Bad User' is not a system user name"),
    (["--kiosk-user", "returns"], "--user and --kiosk-user must differ"),
    (["--url", "ftp://bench/"], "--url must be an http:// or https:// address"),
    (["--config", "/nonexistent/station.toml"], "config file not found"),
])
def test_bad_options_give_one_line_and_change_nothing(root: Path, args: list[str], message: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(root)
    assert install(root, *args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert _files(root) == before


def test_a_config_with_a_mistake_is_refused_before_anything_is_written(
        root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(starter_config().replace("[web]", "[web]\nprot = 1"))
    before = _files(root)
    assert install(root, "--config", str(config)) == 2
    assert "prot" in capsys.readouterr().err
    assert _files(root) == before


def test_a_root_that_is_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    assert main(["install", "--root", str(tmp_path / "file"), "--skip-venv"]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_installing_onto_the_machine_needs_root(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match="run it as root"):
        check_privileges(1000, InstallOptions())
    check_privileges(0, InstallOptions())
    check_privileges(1000, InstallOptions(root=tmp_path))  # a staged tree needs no root


def test_commands_on_a_real_bench_run_once_and_only_when_needed(tmp_path: Path) -> None:
    """The executor on ``/`` with harmless real commands: done checks, triggers, failures."""
    log = tmp_path / "ran.log"
    marker = tmp_path / "marker"
    record = ("sh", "-c", f"echo ran >> {log}")
    actions = [
        RunCommand(record, "runs"),
        RunCommand(record, "already done", done=marker.exists),
        RunCommand(record, "nothing it waits on changed", after=(PurePosixPath("/nope"),)),
        RunCommand(("false",), "may fail", may_fail=True),
    ]
    marker.write_text("")
    statuses = [o.status for o in apply(actions, Path("/"), dry_run=False)]
    assert statuses == ["ran", "already", "skipped", "ran"]
    assert log.read_text() == "ran\n"
    assert [o.status for o in apply(actions[:1], Path("/"), dry_run=True)] == ["would-run"]
    assert log.read_text() == "ran\n"
    with pytest.raises(InstallError, match="false failed"):
        apply([RunCommand(("false",), "fails")], Path("/"), dry_run=False)


def test_file_actions_compare_content_and_mode(tmp_path: Path) -> None:
    write = WriteFile(PurePosixPath("/etc/x.conf"), b"a\n", "test", 0o640)
    assert [o.status for o in apply([write], tmp_path, dry_run=False)] == ["wrote"]
    assert [o.status for o in apply([write], tmp_path, dry_run=False)] == ["unchanged"]
    (tmp_path / "etc/x.conf").chmod(0o644)
    assert [o.status for o in apply([write], tmp_path, dry_run=False)] == ["wrote"]
    assert (tmp_path / "etc/x.conf").stat().st_mode & 0o777 == 0o640


def test_the_plans_list_every_step_of_a_bench() -> None:
    argv = [" ".join(a.argv) for a in install_plan(InstallOptions()) if isinstance(a, RunCommand)]
    assert any(a.startswith("useradd --system --user-group") and a.endswith(" returns")
               for a in argv)
    assert "python3 -m venv /opt/returns-station" in argv
    assert "systemctl enable returns-station.service" in argv
    assert any(a.startswith("apt-get install") and "cage" in a and "chromium" in a for a in argv)
    purge = [" ".join(a.argv) for a in uninstall_plan(InstallOptions(), purge=True)
             if isinstance(a, RunCommand)]
    assert "userdel returns" in purge and "systemctl disable --now returns-station.service" in purge


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def bench_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _notify_socket(tmp_path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(5)
    return sock


def test_the_daemon_says_ready_and_pings_while_it_serves(
        tmp_path: Path, bench_server: http.server.ThreadingHTTPServer) -> None:
    sock = _notify_socket(tmp_path)
    env = {"NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "100000",
           "WATCHDOG_PID": str(os.getpid())}
    url = f"http://127.0.0.1:{bench_server.server_address[1]}/"
    pinger = watchdog.serving(url, env)
    try:
        assert pinger is not None and sock.recv(64) == b"READY=1"
        assert sock.recv(64) == b"WATCHDOG=1"
        _Health.status = 500  # the web server no longer answers: no more pings
        checks = pinger.checks + 2
        assert wait_until(lambda: pinger.checks >= checks)
        pings = pinger.pings
        assert wait_until(lambda: pinger.checks >= checks + 2)
        assert pinger.pings == pings
    finally:
        _Health.status = 200
        watchdog.stopping(pinger, env)
    while (message := sock.recv(64)) == b"WATCHDOG=1":
        pass
    assert message == b"STOPPING=1"
    sock.close()


def test_without_systemd_the_daemon_sends_nothing() -> None:
    assert watchdog.serving("http://127.0.0.1:1/", {}) is None
    assert watchdog.ping_interval({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "1"}, pid=2) is None
    assert watchdog.ping_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert not watchdog.notify("READY=1", {"NOTIFY_SOCKET": "relative/path"})


def test_station_run_under_a_notify_socket_says_ready_pings_and_says_stopping(tmp_path: Path) -> None:
    """The real bench daemon (simulated devices) as systemd would start it: Type=notify."""
    sock = _notify_socket(tmp_path)
    sock.settimeout(60)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STATION_", "NOTIFY_", "WATCHDOG_")) and k != "DATABASE_URL"}
    (tmp_path / "var").mkdir()
    cli = [sys.executable, "-m", "station.cli"]
    subprocess.run([*cli, "db", "upgrade"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=120)
    env.update(NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="1000000")
    bench = subprocess.Popen([*cli, "run", "--port", str(port), "--no-dispatcher"], cwd=tmp_path,
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert sock.recv(64) == b"READY=1"
        assert sock.recv(64) == b"WATCHDOG=1"  # its own /healthz answered
        bench.send_signal(signal.SIGTERM)
        while (message := sock.recv(64)) == b"WATCHDOG=1":
            pass
        assert message == b"STOPPING=1"
        assert bench.wait(60) == 0
    finally:
        bench.kill()
        bench.wait(60)
        assert bench.stderr is not None
        bench.stderr.close()
        sock.close()


def test_folders_the_config_writes_outside_the_data_folder_become_writable(
        unit_root: Path, tmp_path: Path) -> None:
    config = tmp_path / "bench.toml"
    config.write_text(starter_config().replace('photo_dir = "/var/lib/returns-station/photos"',
                                               'photo_dir = "/srv/photos"')
                      .replace("sqlite:////var/lib/returns-station/station.db",
                               "sqlite:////srv/db/station.db"))
    assert install(unit_root, "--config", str(config)) == 0
    bench = (unit_root / "etc/systemd/system" / units.BENCH_UNIT).read_text().splitlines()
    assert "ReadWritePaths=/var/lib/returns-station -/srv/photos -/srv/db" in bench
    assert verify(unit_root, [f"/etc/systemd/system/{units.BENCH_UNIT}"]) == ""
