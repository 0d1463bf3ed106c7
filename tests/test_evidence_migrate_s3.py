"""`station evidence verify` over an S3 bucket and `station evidence migrate --to s3` (killed, resumed)."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.cli import main
from station.context import StationContext
from station.db.models import Photo
from station.evidence.migrate import progress_path
from station.evidence.store import LocalPhotoStore, sha256_hex
from station.evidence.store_s3 import S3Options
from tests.conftest import make_settings
from tests.factories import jpeg, seed_rma, walk_to_graded
from tests.support.bench import migrated
from tests.support.s3 import S3Server, running_s3_server
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"(\d+) originals: (\d+) copied, (\d+) already in the bucket, (\d+) done by "
                     r"an earlier run; (\d+) verified")


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request
    with running_s3_server() as server:
        yield server


def station(tmp_path: Path, evidence: dict[str, object]) -> StationContext:
    return migrated(make_settings(tmp_path, f"sqlite:///{tmp_path / 'station.db'}",
                                  evidence={"photo_dir": str(tmp_path / "photos"), **evidence}))


def write_config(ctx: StationContext, path: Path, **evidence: object) -> Path:
    """station.toml for ``ctx`` with ``evidence`` as the [evidence] section's other keys."""
    s = ctx.settings
    lines = [f"data_dir = {json.dumps(str(s.data_dir))}",
             f"[database]\nurl = {json.dumps(s.database.url)}",
             f"[audit]\nanchor_file = {json.dumps(str(s.audit.anchor_file))}",
             "[evidence]", f"photo_dir = {json.dumps(str(s.evidence.photo_dir))}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in evidence.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_local_originals(ctx: StationContext, inspection_id: str, count: int) -> None:
    """``count`` more small originals in the local store, each with its photo row."""
    store = LocalPhotoStore(Path(ctx.settings.evidence.photo_dir))
    with ctx.db.transaction() as session:
        for index in range(count):
            stored = store.put_original(f"photo {index} ".encode() * 64)
            session.add(Photo(inspection_id=inspection_id, sha256=stored.sha256,
                              size_bytes=stored.size_bytes, width=1, height=1,
                              angle=f"extra_{index}", storage_key=stored.storage_key))


def test_verify_over_s3_finds_altered_and_missing_objects_and_deep_finds_bit_rot(
        tmp_path: Path, s3: S3Server, clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = s3.new_bucket()
    evidence = {"backend": "s3", **s3.evidence_settings(bucket, s3_prefix="site-a/")}
    ctx = station(tmp_path, evidence)
    seed_rma(ctx)
    walk_to_graded(ctx)
    config = write_config(ctx, tmp_path / "station.toml", **evidence)
    with ctx.db.reader() as session:
        altered, missing, rotten = session.query(Photo).order_by(Photo.taken_at).all()
    ctx.close()
    code, out, _ = run(config, capsys, "evidence", "verify")
    assert code == 0 and out.startswith("3 photos checked, 0 problems\n"
                                        "0 files without a row, 0 temp leftovers\n")
    client = s3.client()
    client.put_object(Bucket=bucket, Key=f"site-a/{altered.sha256}", Body=jpeg(40),
                      ChecksumAlgorithm="SHA256")  # replaced, with the checksum of its new bytes
    client.delete_object(Bucket=bucket, Key=f"site-a/{missing.sha256}")
    # Bytes changed under an unchanged checksum (storage rot): a real server refuses such a PUT,
    # moto stores it, which lets this test show what --deep adds.
    head = client.head_object(Bucket=bucket, Key=f"site-a/{rotten.sha256}", ChecksumMode="ENABLED")
    good = client.get_object(Bucket=bucket, Key=f"site-a/{rotten.sha256}")["Body"].read()
    flipped = good[:500] + bytes([good[500] ^ 0x01]) + good[501:]  # one bit, same size
    client.put_object(Bucket=bucket, Key=f"site-a/{rotten.sha256}", Body=flipped,
                      ChecksumAlgorithm="SHA256", ChecksumSHA256=head["ChecksumSHA256"])
    orphan = jpeg(42)
    client.put_object(Bucket=bucket, Key=f"site-a/{sha256_hex(orphan)}", Body=orphan)

    code, out, _ = run(config, capsys, "evidence", "verify")
    assert code == 1
    assert f"MISMATCH  photo {altered.id}" in out and f"MISSING   photo {missing.id}" in out
    assert "3 photos checked, 2 problems" in out and rotten.id not in out
    assert "newer than 600 s left alone" in out
    code, out, _ = run(config, capsys, "evidence", "verify", "--deep", "--older-than", "0",
                       "--repair")
    assert code == 1 and f"MISMATCH  photo {rotten.id}" in out and "3 photos checked, 3 problems" in out
    orphan_key = f"originals/{sha256_hex(orphan)[:2]}/{sha256_hex(orphan)[2:4]}/{sha256_hex(orphan)}"
    assert f"ORPHAN    {orphan_key}" in out and "moved 1 files to .quarantine/" in out
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert f"site-a/{sha256_hex(orphan)}" not in keys
    assert any(k.startswith("site-a/.quarantine/") and k.endswith(sha256_hex(orphan)) for k in keys)


def test_migrate_killed_partway_resumes_without_uploading_anything_twice(
        tmp_path: Path, s3: S3Server, clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = s3.new_bucket(versioning=True)  # a second upload of a key would be a second version
    ctx = station(tmp_path, {})
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    add_local_originals(ctx, inspection_id, 80)
    total = 83
    s3_keys = s3.evidence_settings(bucket)
    config = write_config(ctx, tmp_path / "station.toml", **s3_keys)
    progress = progress_path(tmp_path, S3Options(bucket=bucket,
                                                 endpoint_url=s3.endpoint_url))

    def recorded() -> int:
        return len(progress.read_text().split()) if progress.exists() else 0

    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    first = subprocess.Popen([sys.executable, "-m", "station.cli", "--config", str(config),
                              "evidence", "migrate", "--to", "s3"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: recorded() >= 10, 60.0), first.stderr and first.stderr.read()
        first.kill()  # SIGKILL: no clean-up of any kind
    finally:
        first.wait(10)
    done_before = recorded()
    assert 10 <= done_before < total, "the run ended before it was killed"

    code, out, _ = run(config, capsys, "evidence", "migrate", "--to", "s3")
    assert code == 0, out
    found = SUMMARY.search(out)
    assert found, out
    listed, copied, present, already, verified = map(int, found.groups())
    assert (listed, verified, already) == (total, total, done_before)
    assert present <= 1 and copied == total - done_before - present  # at most the one in flight
    versions = s3.client().list_object_versions(Bucket=bucket)["Versions"]
    assert len(versions) == total and len({v["Key"] for v in versions}) == total
    assert "0 problems" in out and "station-test-secret" not in out

    code, out, _ = run(config, capsys, "evidence", "migrate", "--to", "s3")  # idempotent
    assert code == 0 and f"{total} originals: 0 copied, 0 already in the bucket, {total} done" in out
    switched = write_config(ctx, tmp_path / "s3.toml", backend="s3", **s3_keys)
    code, out, _ = run(switched, capsys, "evidence", "verify", "--deep")
    assert code == 0 and f"{total} photos checked, 0 problems" in out
    ctx.close()


def test_migrate_copies_no_altered_local_file_and_an_unreachable_bucket_is_one_line(
        tmp_path: Path, s3: S3Server, clean_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    bucket = s3.new_bucket()
    ctx = station(tmp_path, {})
    seed_rma(ctx)
    walk_to_graded(ctx)
    with ctx.db.reader() as session:
        altered = session.query(Photo).order_by(Photo.taken_at).first()
    assert altered is not None
    path = Path(ctx.settings.evidence.photo_dir) / altered.storage_key
    path.chmod(0o640)
    path.write_bytes(path.read_bytes()[:-10] + b"0123456789")

    nowhere = write_config(ctx, tmp_path / "down.toml",
                           **s3.evidence_settings(bucket, s3_endpoint_url="http://127.0.0.1:9"))
    code, out, err = run(nowhere, capsys, "evidence", "migrate", "--to", "s3")
    assert (code, out) == (2, "") and err.startswith("error: photo storage cannot be reached")
    assert len(err.splitlines()) == 1 and "station-test-secret" not in err
    unset = write_config(ctx, tmp_path / "unset.toml")
    code, _, err = run(unset, capsys, "evidence", "migrate", "--to", "s3")
    assert code == 2 and "evidence.s3_bucket is not set" in err

    config = write_config(ctx, tmp_path / "station.toml", **s3.evidence_settings(bucket))
    code, out, _ = run(config, capsys, "evidence", "migrate", "--to", "s3")
    assert code == 1
    assert f"PROBLEM   {altered.storage_key}: the local file does not match its recorded SHA-256" in out
    assert "3 originals: 2 copied" in out and "1 problems" in out
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket)["Contents"]]
    assert altered.sha256 not in keys and len(keys) == 2
    ctx.close()


def test_a_progress_line_torn_by_a_kill_is_ignored_and_the_next_one_starts_afresh(
        tmp_path: Path) -> None:
    from station.evidence.migrate import Progress

    path = tmp_path / "progress.done"
    done, torn, after = "a" * 64, "b" * 30, "c" * 64
    path.write_text(f"{done}\n{torn}", encoding="ascii")
    progress = Progress(path)
    assert progress.load() == {done}
    progress.record(after)
    assert progress.load() == {done, after}
    assert path.read_text(encoding="ascii") == f"{done}\n{torn}\n{after}\n"
