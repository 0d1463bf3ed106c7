"""The `station` command as a new user runs it, in a fresh folder, as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from station.cli import main
from tests.factories import rma_body
from tests.support.templates import migrate_fresh


def station(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")
           and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", "station.cli", *args], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """A fresh folder with a migrated database where `station` looks for it (var/station.db):
    a copy of the migrated template; `station db upgrade` itself runs in the demo test."""
    (tmp_path / "var").mkdir()
    migrate_fresh(f"sqlite:///{tmp_path / 'var' / 'station.db'}")
    return tmp_path


def test_demo_walks_a_parcel_to_a_grade_with_reasons(tmp_path: Path) -> None:
    upgraded = station(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    bench = tmp_path
    result = station(bench, "demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "badge BADGE-" in out and "PIN " in out and "password " in out
    assert "grade B, open_box, partial_refund -10%" in out
    assert "[grade.B]" in out and "is completed" in out and "intact" in out
    assert (bench / "var" / "station.db").exists()
    assert station(bench, "audit", "verify").returncode == 0
    verify = station(bench, "evidence", "verify")
    assert verify.returncode == 0 and "5 photos checked, 0 problems" in verify.stdout
    second = station(bench, "demo")  # a second run on the same data works too
    assert second.returncode == 0 and "new credentials at every demo start" in second.stdout


def test_commands_refuse_an_unmigrated_database(tmp_path: Path) -> None:
    result = station(tmp_path, "user", "list")
    assert result.returncode == 2 and "station db upgrade" in result.stderr


def test_config_check_names_a_bad_key(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text("[web]\nprot = 1\n", encoding="utf-8")
    result = station(tmp_path, "config", "check")
    assert result.returncode == 2 and "station.toml: web.prot" in result.stderr


def test_config_check_prints_the_effective_config_masked(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text("[web]\nsecret_key = 'do-not-show-me'\n",
                                           encoding="utf-8")
    result = station(tmp_path, "config", "check")
    assert result.returncode == 0
    assert json.loads(result.stdout)["web"]["secret_key"] == "****"


def test_users_are_added_with_hashed_secrets_and_no_defaults(bench: Path) -> None:
    assert "demo" not in station(bench, "user", "list").stdout
    added = station(bench, "user", "add", "li.wei", "--role", "operator", "--badge", "B-77",
                    "--locale", "zh_Hans_CN")
    assert added.returncode == 0 and "PIN " in added.stdout
    weak = station(bench, "user", "add", "sam", "--role", "supervisor", stdin="short\n")
    assert weak.returncode == 2 and "at least 12" in weak.stderr
    strong = station(bench, "user", "add", "sam", "--role", "supervisor",
                     stdin="correct horse battery\n")
    assert strong.returncode == 0, strong.stderr
    listed = station(bench, "user", "list").stdout
    assert "li.wei" in listed and "B-77" in listed and "sam" in listed
    import sqlite3

    with sqlite3.connect(bench / "var" / "station.db") as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM operator "
                                                 "WHERE username='sam'")]
    assert hashes[0].startswith("$argon2id$") and "horse" not in hashes[0]


def test_a_person_disabled_from_the_command_line_cannot_sign_in_until_enabled(
        bench: Path) -> None:
    assert station(bench, "user", "add", "li.wei", "--role", "operator", "--badge", "B-77",
                   "--pin", "246810").returncode == 0
    disabled = station(bench, "user", "disable", "li.wei")
    assert disabled.returncode == 0 and "signed out everywhere" in disabled.stdout
    assert "disabled" in station(bench, "user", "list").stdout
    assert station(bench, "user", "enable", "li.wei").returncode == 0
    assert "active" in station(bench, "user", "list").stdout
    unknown = station(bench, "user", "disable", "nobody")
    assert unknown.returncode == 1 and "no user nobody" in unknown.stderr


def test_rma_import_is_all_or_nothing(bench: Path) -> None:
    good = bench / "good.json"
    good.write_text(json.dumps([rma_body("RMA-1"), rma_body("RMA-2")]), encoding="utf-8")
    bad = bench / "bad.json"
    bad.write_text(json.dumps([rma_body("RMA-3"), rma_body("RMA-4", reason="nope")]),
                   encoding="utf-8")
    assert station(bench, "rma", "import", str(bad)).returncode == 2
    first = station(bench, "rma", "import", str(good))
    assert first.returncode == 0 and "2 created" in first.stdout
    again = station(bench, "rma", "import", str(good))
    assert "2 unchanged" in again.stdout
    refused = station(bench, "rma", "import", str(bad))
    assert refused.returncode == 2 and "RMA-4: reason" in refused.stderr
    import sqlite3

    with sqlite3.connect(bench / "var" / "station.db") as conn:
        ids = sorted(r[0] for r in conn.execute("SELECT rma_id FROM return_authorization"))
    assert ids == ["RMA-1", "RMA-2"]


def test_help_is_there_for_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = station(tmp_path, "--help")  # the real process once
    assert result.returncode == 0 and "usage: station" in result.stdout
    for args in (["rma", "import", "--help"], ["audit", "verify", "--help"]):  # the same parser
        with pytest.raises(SystemExit) as done:
            main(args)
        assert done.value.code == 0 and "usage: station" in capsys.readouterr().out
