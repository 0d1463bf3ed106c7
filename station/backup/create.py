"""`station backup`: the SQLite database (online backup API), the evidence it names, config and anchors, verified.

Order matters for a backup taken while the bench runs:

1. the audit anchor file is copied first: every line in it names a row already committed, so
   the database copied after it holds every anchored row (`station audit verify` passes);
2. the database is copied with SQLite's online backup API (sqlite3.Connection.backup, one
   step: SQLite documentation "Online Backup API", sqlite3_backup_step with -1 pages), a
   consistent snapshot while the bench goes on writing (WAL mode lets writers continue);
3. the evidence copied is exactly what the snapshot's rows name (every table's
   ``storage_key`` that is set; a pruned video chunk's is empty): photos taken after the
   snapshot wait for the next backup, and no file without a row lands in the backup. Each file
   is re-hashed; one already in the target with the same SHA-256 is not copied again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy.engine import make_url

from station.backup.manifest import EVIDENCE_DIR, MANIFEST, BackupError, BackupFile, Manifest, sha256_file
from station.backup.manifest import body as manifest_body
from station.backup.targets import FolderTarget, Target, copy_durably, open_target
from station.config import Settings

POSTGRES_HELP = (
    "the database is PostgreSQL: back it up with the server's own tools, e.g. "
    "`pg_dump -Fc -f station.dump \"$DATABASE_URL\"` (nightly) or `pg_basebackup` with WAL "
    "archiving (point-in-time recovery); see docs/operations.md, \"Backups\". `station backup` "
    "copies SQLite benches only")


class PostgresNotCopied(BackupError):
    """`station backup` does not copy a PostgreSQL database: the message says what does."""


@dataclass
class BackupReport:
    """Where the backup went and what happened on the way."""

    folder: str  # where the backup went (a folder, or s3://BUCKET/PREFIX<UTC time>/)
    manifest: Manifest
    copied: int = 0
    present: int = 0
    problems: list[str] = field(default_factory=list)


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file of ``database.url``; PostgresNotCopied for a PostgreSQL URL."""
    url = make_url(settings.database.url)
    if url.get_backend_name() != "sqlite":
        raise PostgresNotCopied(POSTGRES_HELP)
    if not url.database or url.database == ":memory:":
        raise BackupError("database.url names no SQLite file: nothing to back up")
    path = Path(url.database)
    if not path.is_file():
        raise BackupError(f"{path}: no database file (nothing to back up; `station db upgrade` "
                          "makes one)")
    return path


def _new_folder(root: Path, now: datetime) -> Path:
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for n in range(100):
        folder = root / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise BackupError(f"{root}: too many backups in the same second")


def _snapshot(db_path: Path, target: Path, busy_timeout_s: float) -> tuple[str | None, dict[str, int],
                                                                           dict[str, object], set[str]]:
    """Copy the database by the online backup API; (revision, counts, audit head, storage keys)."""
    tmp = target.with_name(f".{target.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    source = sqlite3.connect(db_path, timeout=busy_timeout_s)
    copy = sqlite3.connect(tmp)
    try:
        source.backup(copy)  # pages=-1: the whole database in one step, one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if checked != "ok":
            raise BackupError(f"the database copy fails SQLite's integrity check: {checked}")
        tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = None
        if "alembic_version" in tables:
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        counts = {name: copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                  for name in ("inspection", "photo", "audit_event", "return_authorization")
                  if name in tables}
        head: dict[str, object] = {"seq": 0, "hash": ""}
        if "audit_head" in tables:
            row = copy.execute("SELECT seq, hash FROM audit_head").fetchone()
            if row:
                head = {"seq": row[0], "hash": row[1]}
        keys: set[str] = set()
        for table in sorted(tables):
            columns = {c[1] for c in copy.execute(f'PRAGMA table_info("{table}")')}
            if "storage_key" in columns:
                keys.update(r[0] for r in copy.execute(
                    f'SELECT storage_key FROM "{table}" WHERE storage_key <> \'\''))
    finally:
        copy.close()
        source.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return revision, counts, head, keys


def _entry(role: str, local: Path, relative: str, target: Target, mode: int) -> BackupFile:
    """Put one file made locally into the target under ``relative``."""
    digest, size = sha256_file(local)
    target.put(relative, local, digest, mode)
    return BackupFile(role, relative, digest, size)


def _copy_evidence(key: str, photo_dir: Path, target: Target, report: BackupReport) -> BackupFile | None:
    """One evidence file into <target>/evidence/<key>, unless an identical one is there."""
    if ".." in key.split("/") or key.startswith("/"):
        report.problems.append(f"{key}: not a storage key; not copied")
        return None
    source = photo_dir / key
    try:
        digest, size = sha256_file(source)
    except FileNotFoundError:
        report.problems.append(f"{key}: named by the database but missing from {photo_dir}")
        return None
    if key.startswith("originals/") and key.rsplit("/", 1)[-1] != digest:
        report.problems.append(f"{key}: its SHA-256 is {digest[:16]}…: damaged in the photo "
                               "store (`station evidence verify`); not copied")
        return None
    relative = f"{EVIDENCE_DIR}/{key}"
    if target.has(relative, digest, size):
        report.present += 1
    else:
        target.put(relative, source, digest, 0o440)
        report.copied += 1
    return BackupFile("evidence", relative, digest, size, key)


@contextlib.contextmanager
def _staging(target: Target, settings: Settings, moment: datetime) -> Iterator[tuple[str, Path]]:
    """(the backup's folder name, a local folder its files are made in): the backup folder
    itself for a folder target, a temporary folder in data_dir for a bucket."""
    if isinstance(target, FolderTarget):
        folder = _new_folder(target.root, moment)
        yield folder.name, folder
        return
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=settings.data_dir) as staging:
        yield moment.strftime("%Y%m%dT%H%M%SZ"), Path(staging)


def make_backup(settings: Settings, config_file: Path | None, where: str,
                now: datetime | None = None) -> BackupReport:
    """One verified backup of this bench into ``where`` (a backup root folder or s3://BUCKET/PREFIX)."""
    db_path = sqlite_path(settings)
    if settings.evidence.backend != "local":
        raise BackupError("evidence.backend is s3: the bucket keeps the originals (use its "
                          "versioning or replication); `station backup` copies a local photo "
                          "folder only")
    if config_file is not None and not config_file.is_file():
        raise BackupError(f"{config_file}: config file not found")
    target = open_target(where, settings.evidence)
    moment = now or datetime.now(UTC)
    files: list[BackupFile] = []
    with _staging(target, settings, moment) as (name, staging):
        anchors = Path(settings.audit.anchor_file)
        if anchors.is_file():  # first: see the module text
            copy_durably(anchors, staging / "audit-anchors.log", 0o640)
            files.append(_entry("anchors", staging / "audit-anchors.log",
                                f"{name}/audit-anchors.log", target, 0o640))
        revision, counts, head, keys = _snapshot(db_path, staging / "station.db",
                                                 settings.database.busy_timeout_ms / 1000)
        files.append(_entry("database", staging / "station.db", f"{name}/station.db", target,
                            0o600))
        if config_file is not None:  # copied as it is: it may hold secrets, so owner-only
            copy_durably(config_file, staging / "station.toml", 0o600)
            files.append(_entry("config", staging / "station.toml", f"{name}/station.toml",
                                target, 0o600))
        try:
            version = metadata.version("returns-station")
        except metadata.PackageNotFoundError:
            version = "unknown"
        manifest = Manifest(moment.isoformat(timespec="seconds"), settings.station.id, version,
                            revision, head, counts, files)
        report = BackupReport(f"{target.describe().rstrip('/')}/{name}", manifest)
        photo_dir = Path(settings.evidence.photo_dir)
        for key in sorted(keys):
            entry = _copy_evidence(key, photo_dir, target, report)
            if entry is not None:
                files.append(entry)
        manifest.counts["evidence_files"] = len(manifest.role("evidence"))
        target.put_bytes(f"{name}/{MANIFEST}", manifest_body(manifest))
        report.problems.extend(target.verify(files))  # read back everything just written
    return report
