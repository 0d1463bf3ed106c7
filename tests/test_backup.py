"""`station backup` / `station restore` on real SQLite files and photo folders, a writer running during the backup."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from station.cli import main
from station.context import StationContext, build
from station.db.engine import make_engine
from station.db.migrate import upgrade
from station.demo_history import seed_history
from tests.support.s3 import SECRET_KEY, S3Server, running_s3_server
from tests.support.wait import wait_until

SECRET = "hush-hush-bench-secret"


@dataclass
class Bench:
    folder: Path
    config: Path
    ctx: StationContext


def write_config(folder: Path, evidence: dict[str, object] | None = None) -> Path:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in (evidence or {}).items())
    config = folder / "station.toml"
    config.write_text(
        f'data_dir = "{folder}"\n[database]\nurl = "sqlite:///{folder / "station.db"}"\n'
        f'[evidence]\nphoto_dir = "{folder / "photos"}"\n{extra}[audit]\nanchor_file = '
        f'"{folder / "anchors.log"}"\n[web]\nsecret_key = "{SECRET}"\n', encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bench with the demo history (photos, audit rows, anchors), made once per module."""
    from station.config import load_settings

    folder = tmp_path_factory.mktemp("seeded")
    settings = load_settings(write_config(folder))
    engine = make_engine(settings.database.url)
    upgrade(engine)
    engine.dispose()
    ctx = build(settings)
    seed_history(ctx, lambda _line: None)
    ctx.close()
    return folder


@pytest.fixture
def bench(seeded: Path, tmp_path: Path, clean_env: None) -> Iterator[Bench]:
    from station.config import load_settings

    folder = tmp_path / "bench"
    shutil.copytree(seeded, folder)
    config = write_config(folder)
    ctx = build(load_settings(config))
    yield Bench(folder, config, ctx)
    ctx.close()


def station(*args: str) -> int:
    return main(list(args))


class Writer:
    """Audited writes in a loop on its own thread, as a working bench makes them."""

    def __init__(self, ctx: StationContext) -> None:
        self.ctx, self.count, self.stop = ctx, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.ctx.work() as work:
                work.audit(actor="test", action="test.write", entity_type="bench",
                           entity_id=str(self.count))
            self.count += 1

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)


def test_a_backup_taken_while_the_bench_writes_restores_and_passes_both_verifies(
        bench: Bench, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backups"
    with Writer(bench.ctx) as writer:
        assert wait_until(lambda: writer.count >= 5)
        before = writer.count
        assert station("--config", str(bench.config), "backup", "--to", str(target)) == 0
        during = writer.count - before
        assert wait_until(lambda: writer.count >= before + during + 3)  # still writing after
    out = capsys.readouterr().out
    assert SECRET not in out and "files verified" in out and "problems" not in out
    manifest = json.loads(next(target.glob("*/manifest.json")).read_text(encoding="utf-8"))
    assert manifest["counts"]["photo"] > 0
    assert manifest["counts"]["evidence_files"] == manifest["counts"]["photo"]
    assert manifest["database"]["schema_revision"]
    assert {f["role"] for f in manifest["files"]} == {"anchors", "database", "config", "evidence"}
    # the config is copied as it is (secrets too), readable by its owner only
    copied = next(target.glob("*/station.toml"))
    assert SECRET in copied.read_text(encoding="utf-8") and copied.stat().st_mode & 0o077 == 0

    fresh = tmp_path / "new-machine" / "data"
    assert station("restore", "--from", str(target), "--to", str(fresh)) == 0
    assert SECRET not in capsys.readouterr().out
    config = str(fresh / "station.toml")
    assert station("--config", config, "audit", "verify") == 0
    assert "chain intact" in capsys.readouterr().out
    assert station("--config", config, "evidence", "verify") == 0
    out = capsys.readouterr().out
    assert f"{manifest['counts']['photo']} photos checked, 0 problems" in out
    assert "0 files without a row" in out


@pytest.mark.parametrize("role", ["evidence", "database", "anchors"])
def test_a_tampered_backup_is_refused_and_nothing_is_restored(
        bench: Bench, tmp_path: Path, role: str, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backups"
    assert station("--config", str(bench.config), "backup", "--to", str(target)) == 0
    manifest = json.loads(next(target.glob("*/manifest.json")).read_text(encoding="utf-8"))
    victim = target / next(f["path"] for f in manifest["files"] if f["role"] == role)
    victim.chmod(0o640)
    with victim.open("r+b") as handle:  # one byte changed, same size
        first = handle.read(1)
        handle.seek(0)
        handle.write(bytes([first[0] ^ 0xFF]))
    capsys.readouterr()
    fresh = tmp_path / "fresh"
    assert station("restore", "--from", str(target), "--to", str(fresh)) == 2
    err = capsys.readouterr().err
    assert "tampered" in err and "nothing was restored" in err and victim.name[:16] in err
    assert not fresh.exists()


def test_an_existing_database_is_kept_unless_forced(bench: Bench, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backups"
    assert station("--config", str(bench.config), "backup", "--to", str(target)) == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "station.db").write_bytes(b"somebody's database")
    (fresh / "station.db-wal").write_bytes(b"an old write-ahead log")
    capsys.readouterr()
    assert station("restore", "--from", str(target), "--to", str(fresh)) == 2
    assert "--force" in capsys.readouterr().err
    assert (fresh / "station.db").read_bytes() == b"somebody's database"
    assert station("restore", "--from", str(target), "--to", str(fresh), "--force") == 0
    assert not (fresh / "station.db-wal").exists()
    assert station("--config", str(fresh / "station.toml"), "audit", "verify") == 0


def test_a_second_backup_copies_no_evidence_again_and_reports_a_missing_photo(
        bench: Bench, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "backups"
    assert station("--config", str(bench.config), "backup", "--to", str(target)) == 0
    first = capsys.readouterr().out
    assert " 0 already there" in first
    assert station("--config", str(bench.config), "backup", "--to", str(target)) == 0
    second = capsys.readouterr().out
    assert "evidence: 0 copied" in second and len(list(target.glob("*/manifest.json"))) == 2
    photos = [p for p in (bench.folder / "photos" / "originals").rglob("*") if p.is_file()]
    assert photos
    photos[0].chmod(0o640)
    photos[0].unlink()
    assert station("--config", str(bench.config), "backup", "--to", str(target)) == 1
    assert f"PROBLEM   originals/{photos[0].name[:2]}" in capsys.readouterr().out


def test_postgresql_is_refused_with_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], clean_env: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bench:pw-not-shown@127.0.0.1:1/x")
    assert station("backup", "--to", str(tmp_path / "b")) == 2
    err = capsys.readouterr().err
    assert "pg_dump -Fc" in err and "pg_basebackup" in err and "pw-not-shown" not in err
    monkeypatch.delenv("DATABASE_URL")
    assert station("restore", "--from", str(tmp_path / "nothing"), "--to", str(tmp_path / "x")) == 2
    assert "no such backup folder" in capsys.readouterr().err


def test_a_target_that_is_a_file_or_a_damaged_manifest_is_one_line(
        bench: Bench, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_bytes(b"")
    assert station("--config", str(bench.config), "backup", "--to", str(tmp_path / "a-file")) == 2
    assert "a-file" in capsys.readouterr().err
    broken = tmp_path / "broken" / "20260101T000000Z"
    broken.mkdir(parents=True)
    (broken / "manifest.json").write_text('{"format": "returns-station-backup", "version": 1, '
                                          '"files": "no"}', encoding="utf-8")
    assert station("restore", "--from", str(tmp_path / "broken"), "--to", str(tmp_path / "x")) == 2
    assert "damaged manifest" in capsys.readouterr().err
    (broken / "manifest.json").write_text('{"format": "returns-station-backup", "version": 1, '
                                          '"created_at": "", "station_id": "", "software_version": '
                                          '"", "database": {"schema_revision": null}, "audit_head": '
                                          '{}, "counts": {}, "files": [{"role": "database", "path": '
                                          '"../../etc/passwd", "sha256": "", "size": 1}]}',
                                          encoding="utf-8")
    assert station("restore", "--from", str(tmp_path / "broken"), "--to", str(tmp_path / "x")) == 2
    assert "unsafe path" in capsys.readouterr().err and not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with running_s3_server() as server:
        yield server


def test_a_backup_to_a_bucket_synced_down_restores_and_verifies(
        bench: Bench, tmp_path: Path, s3: S3Server, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = s3.new_bucket()
    server = {k: v for k, v in s3.evidence_settings("unused").items() if k != "s3_bucket"}
    write_config(bench.folder, server)  # the server and its keys; the photos stay local
    where = f"s3://{bucket}/site-a/bench-1"
    assert station("--config", str(bench.config), "backup", "--to", where) == 0
    out = capsys.readouterr().out
    assert f"backup s3://{bucket}/site-a/bench-1/" in out and "problems" not in out
    assert SECRET_KEY not in out and SECRET not in out
    assert station("--config", str(bench.config), "backup", "--to", where) == 0
    assert "evidence: 0 copied" in capsys.readouterr().out
    client = s3.client()
    synced = tmp_path / "synced"  # what `aws s3 sync s3://BUCKET/PREFIX DIR` makes
    for item in client.list_objects_v2(Bucket=bucket, Prefix="site-a/bench-1/")["Contents"]:
        local = synced / item["Key"].removeprefix("site-a/bench-1/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
    fresh = tmp_path / "fresh"
    assert station("restore", "--from", str(synced), "--to", str(fresh)) == 0
    assert station("--config", str(fresh / "station.toml"), "audit", "verify") == 0
    assert station("--config", str(fresh / "station.toml"), "evidence", "verify") == 0
    assert station("--config", str(bench.config), "backup", "--to", "s3://no-such-bucket/x") == 2
    err = capsys.readouterr().err
    assert "no-such-bucket" in err and "PutObject failed" in err and SECRET_KEY not in err
