"""`station doctor` against real parts: the printer simulator, a pty at the wrong baud, folders, databases, servers."""

from __future__ import annotations

import http.server
import json
import os
import re
import socket
import string
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.sim.printer import SimulatedPrinter
from station.config import Settings
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.doctor import checks, diagnose, exit_code, render_json, render_text
from station.doctor.devices import check_devices, check_groups, check_serial
from station.doctor.model import Finding, Status, fail, run_checks
from station.doctor.services import check_database, check_printer, check_s3, check_webhooks
from station.doctor.system import check_clock, check_disk
from station.doctor.texts import LANGS, TEXTS, TITLES, WORDS
from tests.conftest import make_settings
from tests.support.s3 import ACCESS_KEY, SECRET_KEY, running_s3_server

DOCTOR = Path(__file__).resolve().parent.parent / "station" / "doctor"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def fixes(finding: Finding) -> tuple[str, str]:
    """The fix in English and in Chinese (both must be there for anything not OK)."""
    en, zh = finding.render("en")["fix"], finding.render("zh")["fix"]
    assert en and zh and en != zh
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    return en, zh


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# -- the texts ---------------------------------------------------------------------------------
@pytest.mark.parametrize("table", [TEXTS, TITLES, WORDS], ids=["texts", "titles", "words"])
def test_every_text_has_its_chinese_with_the_same_placeholders(table: dict[str, dict[str, str]]) -> None:
    problems = []
    for key, texts in table.items():
        for lang in LANGS:
            if not texts.get(lang, "").strip():
                problems.append(f"{key}: no {lang} text")
        if texts.get("en") == texts.get("zh"):
            problems.append(f"{key}: the Chinese is the English")
        elif not re.search(r"[\u4e00-\u9fff]", texts.get("zh", "")):
            problems.append(f"{key}: the Chinese text has no Chinese in it")
        if placeholders(texts.get("en", "")) != placeholders(texts.get("zh", "")):
            problems.append(f"{key}: placeholders differ")
    assert problems == []


def test_every_check_and_text_key_the_code_names_has_both_languages() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in DOCTOR.glob("*.py"))
    used = set(re.findall(r'\b(?:ok|warn|fail)\(\s*"(\w+)",\s*"([\w.]+)"(?:,\s*"([\w.]+)")?',
                          source))
    assert len(used) > 30
    for check, found, fix in used:
        assert check in TITLES
        for key in filter(None, (found, fix)):
            assert set(TEXTS[key]) == set(LANGS), key
    local = make_settings(Path("/nonexistent"), "sqlite:////nonexistent/x.db")
    assert [name for name, _ in checks(local)] == [name for name in TITLES if name != "s3"]
    bucket = make_settings(Path("/nonexistent"), "sqlite:////nonexistent/x.db", evidence={
        "backend": "s3", "s3_bucket": "evidence", "s3_endpoint_url": "http://127.0.0.1:1"})
    assert [name for name, _ in checks(bucket)] == list(TITLES)


def test_a_finding_that_is_not_ok_must_carry_a_fix() -> None:
    with pytest.raises(ValueError):
        Finding("disk", Status.FAIL, "disk.low")
    with pytest.raises(KeyError):
        Finding("disk", Status.OK, "disk.no_such_text")


# -- the printer simulator on a real socket ------------------------------------------------------
def test_the_printer_simulator_answers_then_reports_paper_out_in_both_languages(tmp_path: Path) -> None:
    with SimulatedPrinter("zebra-zd421") as printer:
        settings = make_settings(tmp_path, "sqlite:///x.db", labels={"printer_url": printer.address})
        answer = only(check_printer(settings))
        assert answer.status is Status.OK and printer.address in str(answer.render("en")["found"])
        printer.set_fault("paper_out")
        paper = only(check_printer(settings))
    assert paper.status is Status.FAIL and "paper out" in str(paper.render("en")["found"])
    en, zh = fixes(paper)
    assert "load labels" in en and "标签纸" in zh


def test_a_printer_on_a_closed_port_fails_with_what_to_do(tmp_path: Path) -> None:
    url = f"tcp://127.0.0.1:{closed_port()}"
    finding = only(check_printer(make_settings(tmp_path, "sqlite:///x.db", labels={"printer_url": url})))
    assert finding.status is Status.FAIL and finding.found == "printer.offline"
    assert "connection refused" in str(finding.render("en")["found"])
    en, zh = fixes(finding)
    assert "printer is on" in en and "打印机已开机" in zh


# -- serial line settings on a pty -------------------------------------------------------------
@pytest.fixture
def pty_at_19200() -> Iterator[tuple[str, int]]:
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[4] = attrs[5] = termios.B19200
    attrs[2] = (attrs[2] & ~(termios.CSIZE | termios.PARENB | termios.CSTOPB)) | termios.CS8
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    yield os.ttyname(slave), slave
    os.close(slave)
    os.close(master)


def serial_settings(tmp_path: Path, port: str, profile: str = "generic-mt-sics") -> Settings:
    return make_settings(tmp_path, "sqlite:///x.db", devices={
        "simulated": False, "scale_url": port, "scale_profile": profile})


def test_a_port_at_the_wrong_baud_held_by_a_program_fails(tmp_path: Path,
                                                           pty_at_19200: tuple[str, int]) -> None:
    port, slave = pty_at_19200
    holder = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                              stdin=subprocess.PIPE, pass_fds=(slave,))
    try:
        finding = only(check_serial(serial_settings(tmp_path, port)))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
    assert finding.status is Status.FAIL and finding.found == "serial.mismatch"
    assert "19200 8N1" in str(finding.render("en")["found"])
    en, zh = fixes(finding)
    assert "9600 8N1" in en and "9600 8N1" in zh and "电子秤" in zh


def test_a_port_nobody_holds_at_the_wrong_baud_is_a_warning(tmp_path: Path,
                                                            pty_at_19200: tuple[str, int]) -> None:
    finding = only(check_serial(serial_settings(tmp_path, pty_at_19200[0])))
    assert finding.status is Status.WARN and finding.found == "serial.idle"
    fixes(finding)


def test_a_port_at_the_profiles_settings_is_ok(tmp_path: Path, pty_at_19200: tuple[str, int]) -> None:
    port, slave = pty_at_19200
    attrs = termios.tcgetattr(slave)
    attrs[4] = attrs[5] = termios.B9600
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    assert only(check_serial(serial_settings(tmp_path, port))).status is Status.OK
    assert only(check_devices(serial_settings(tmp_path, port))[:1]).status is Status.OK


def test_a_file_is_not_a_serial_port_and_simulated_devices_are_no_failure(tmp_path: Path) -> None:
    (tmp_path / "not-a-tty").write_bytes(b"")
    finding = only(check_serial(serial_settings(tmp_path, str(tmp_path / "not-a-tty"))))
    assert finding.status is Status.FAIL and finding.found == "serial.not_tty"
    simulated = make_settings(tmp_path, "sqlite:///x.db", devices={"simulated": True,
                                                                  "scale_url": "/dev/nothing"})
    for check in (check_serial, check_devices):
        result = only(check(simulated))
        assert result.status is Status.OK and "simulated" in str(result.render("en")["found"])


# -- device nodes and their groups ---------------------------------------------------------------
def test_a_missing_device_fails_and_one_in_a_foreign_group_names_the_usermod(tmp_path: Path) -> None:
    settings = serial_settings(tmp_path, str(tmp_path / "ttyUSB7"))
    missing = check_devices(settings)[0]
    assert missing.status is Status.FAIL and missing.found == "devices.missing"
    assert "devices.scale_url" in str(fixes(missing)[0])
    node = tmp_path / "ttyUSB7"
    node.write_bytes(b"")
    os.chown(node, 0, 20)  # group dialout (gid 20 on Debian)
    node.chmod(0o660)
    finding = only(check_groups(settings, "nobody"))
    assert finding.status is Status.FAIL and finding.found == "groups.not_member"
    en, zh = fixes(finding)
    group = str(finding.params["group"])
    assert f"sudo usermod -aG {group} nobody" in en and f"sudo usermod -aG {group} nobody" in zh
    node.chmod(0o666)
    assert only(check_groups(settings, "nobody")).status is Status.OK
    assert only(check_groups(settings, "root")).status is Status.WARN
    assert only(check_groups(settings, "no-such-user-here")).status is Status.FAIL


# -- disk --------------------------------------------------------------------------------------
def test_a_floor_above_the_free_space_fails_and_a_blocked_folder_is_not_writable(tmp_path: Path) -> None:
    good = make_settings(tmp_path, "sqlite:///x.db", evidence={"photo_dir": str(tmp_path / "p"),
                                                               "min_free_mb": 1})
    assert only(check_disk(good)).status is Status.OK
    free_mb = os.statvfs(tmp_path).f_bavail * os.statvfs(tmp_path).f_frsize // (1024 * 1024)
    full = make_settings(tmp_path, "sqlite:///x.db", evidence={"photo_dir": str(tmp_path / "p"),
                                                               "min_free_mb": free_mb + 1000})
    finding = only(check_disk(full))
    assert finding.status is Status.FAIL and finding.found == "disk.low"
    en, zh = fixes(finding)
    assert "station backup" in en and "station backup" in zh
    assert [f.found for f in check_disk(good, min_inodes=10**15)] == ["disk.inodes"]
    (tmp_path / "a-file").write_bytes(b"")
    blocked = make_settings(tmp_path, "sqlite:///x.db",
                            evidence={"photo_dir": str(tmp_path / "a-file" / "photos")})
    finding = only(check_disk(blocked))
    assert finding.status is Status.FAIL and finding.found == "disk.not_writable"
    fixes(finding)
    assert list(tmp_path.glob("p/.tmp-*")) == []  # the probe file went again


# -- clock -------------------------------------------------------------------------------------
def test_the_clock_is_ok_with_the_timesync_flag_and_unknown_without_it(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"
    unknown = only(check_clock(timedatectl=None, flag=flag))
    assert unknown.status is Status.WARN and unknown.found == "clock.unknown"
    en, zh = fixes(unknown)
    assert "timedatectl set-ntp true" in en and "timedatectl set-ntp true" in zh
    flag.write_bytes(b"")
    assert only(check_clock(timedatectl=None, flag=flag)).status is Status.OK
    fake = tmp_path / "timedatectl"
    fake.write_text("#!/bin/sh\necho no\n", encoding="utf-8")
    fake.chmod(0o755)
    assert only(check_clock(timedatectl=str(fake), flag=flag)).found == "clock.unsynced"


# -- database ----------------------------------------------------------------------------------
def test_a_migrated_database_is_ok_and_one_behind_says_db_upgrade(tmp_path: Path,
                                                                  database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    engine = make_engine(database_url)
    upgrade(engine, "0001")
    behind = only(check_database(settings))
    assert behind.status is Status.FAIL and behind.found == "db.outdated"
    assert "station db upgrade" in fixes(behind)[1]
    upgrade(engine)
    engine.dispose()
    assert only(check_database(settings)).status is Status.OK
    assert only(check_webhooks(settings)).found == "webhooks.none"


def test_a_missing_sqlite_file_and_a_stopped_server_fail_without_the_password(tmp_path: Path) -> None:
    missing = make_settings(tmp_path, f"sqlite:///{tmp_path / 'none.db'}")
    assert only(check_database(missing)).found == "db.missing"
    assert not (tmp_path / "none.db").exists()  # the check did not create it
    url = f"postgresql+psycopg://bench:s3cret-pw@127.0.0.1:{closed_port()}/station"
    stopped = only(check_database(make_settings(tmp_path, url)))
    assert stopped.status is Status.FAIL and stopped.found == "db.unreachable"
    words = json.dumps([stopped.render(lang) for lang in LANGS], ensure_ascii=False)
    assert "s3cret-pw" not in words and "bench:****@127.0.0.1" in words
    en, zh = fixes(stopped)
    assert "DATABASE_URL" in en and "DATABASE_URL" in zh
    assert only(check_webhooks(make_settings(tmp_path, url))).found == "webhooks.no_db"


# -- the S3 evidence bucket --------------------------------------------------------------------
def test_the_evidence_bucket_answers_and_a_missing_one_or_a_stopped_server_fails(tmp_path: Path) -> None:
    with running_s3_server() as server:
        bucket = server.new_bucket()
        found = make_settings(tmp_path, "sqlite:///x.db", evidence={
            "backend": "s3", "photo_dir": str(tmp_path / "cache"),
            **server.evidence_settings(bucket)})
        assert only(check_s3(found)).status is Status.OK
        missing = make_settings(tmp_path, "sqlite:///x.db", evidence={
            "backend": "s3", **server.evidence_settings("no-such-bucket")})
        finding = only(check_s3(missing))
        assert finding.status is Status.FAIL and finding.found == "s3.unreachable"
    stopped = only(check_s3(make_settings(tmp_path, "sqlite:///x.db", evidence={
        "backend": "s3", **server.evidence_settings(bucket)})))
    assert stopped.status is Status.FAIL
    words = json.dumps([f.render(lang) for f in (finding, stopped) for lang in LANGS],
                       ensure_ascii=False)
    assert SECRET_KEY not in words and ACCESS_KEY not in words
    en, zh = fixes(stopped)
    assert "evidence.s3_endpoint_url" in en and "evidence.s3_endpoint_url" in zh


# -- webhook endpoints -------------------------------------------------------------------------
class _Platform(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:
        self.send_response(405)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_live_endpoint_is_ok_and_a_closed_port_fails_without_its_token(tmp_path: Path) -> None:
    from station.context import build
    from station.webhooks.admin import create_endpoint

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'station.db'}")
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = f"http://127.0.0.1:{server.server_address[1]}/hooks/returns"
    dead = f"http://127.0.0.1:{closed_port()}/hooks?token=t0ken-secret"
    ctx = build(settings)
    try:
        with ctx.work() as work:
            create_endpoint(work.session, live)
            create_endpoint(work.session, dead)
        findings = check_webhooks(settings)
    finally:
        ctx.close()
        server.shutdown()
        server.server_close()
    assert [(f.status, f.found) for f in findings] == [
        (Status.OK, "webhooks.ok"), (Status.FAIL, "webhooks.unreachable")]
    assert findings[0].params["code"] == 405
    words = json.dumps([f.render(lang) for f in findings for lang in LANGS], ensure_ascii=False)
    assert "t0ken-secret" not in words and "/hooks/returns" in words
    en, zh = fixes(findings[1])
    assert "station webhooks list" in en and "station webhooks list" in zh


# -- the runner and the command ----------------------------------------------------------------
def test_a_check_that_hangs_is_a_failure_after_its_time_limit() -> None:
    release = threading.Event()

    def hangs() -> list[Finding]:
        release.wait(30)
        return []

    try:
        found = run_checks([("printer", hangs),
                            ("disk", lambda: [fail("disk", "disk.low", "fix.disk.low", path="p",
                                                   free_mb=1, min_mb=2)])], timeout_s=0.3)
    finally:
        release.set()
    assert [(f.check, f.status, f.found) for f in found] == [
        ("printer", Status.FAIL, "timeout"), ("disk", Status.FAIL, "disk.low")]
    assert exit_code(found) == 1 and "0.3" in render_text(found, "en")


def test_the_report_in_both_languages_and_its_exit_code(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'station.db'}")
    findings = diagnose(settings)
    database = next(f for f in findings if f.check == "database")
    assert database.status is Status.FAIL and exit_code(findings) == 1
    en, zh = render_text(findings, "en"), render_text(findings, "zh")
    assert "what to do: Run `station db upgrade`" in en and "处理方法：" not in en
    assert "处理方法: 请运行 `station db upgrade`" in zh and "数据库可连接且已迁移" in zh
    assert render_json(findings, "en")["exit_code"] == 1


def station(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATION_", "LC_", "LANG"))
           and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "station.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_station_doctor_exits_0_on_warnings_and_1_with_json_on_a_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        clean_env: None) -> None:
    from station.cli import main

    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'station.db'}")
    upgrade(engine)
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "时钟同步" in out and "项失败（FAIL）" in out
    (tmp_path / "station.toml").write_text(
        f'[labels]\nprinter_url = "tcp://127.0.0.1:{closed_port()}"\n', encoding="utf-8")
    broken = station(tmp_path, "doctor", "--json")
    assert broken.returncode == 1, broken.stderr
    report = json.loads(broken.stdout)
    printer = [f for f in report["findings"] if f["check"] == "printer"]
    assert [f["status"] for f in printer] == ["FAIL"] and printer[0]["fix"]
    assert report["exit_code"] == 1 and report["lang"] == "en"
