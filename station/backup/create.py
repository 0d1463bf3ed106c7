"""`station backup`: the SQLite database (online backup API), the evidence it names, config and anchors, verified.

Order matters for a backup taken while the bench runs:

1. the audit anchor file is copied first: every line in it names a row already committed, so
   the database copied after it holds every anchored row (`station audit verify` passes);
2. the database is copied with SQLite's online backup API (sqlite3.Connection.backup, one
   step: SQLite documentation "Online Backup API", sqlite3_backup_step with -1 pages), a
   consistent snapshot while the bench goes on writing (WAL mode lets writers continue);
3. the evidence copied is exactly what the snapshot's rows name (every table's
   ``storage_key``): photos taken after the snapshot wait for the next backup, and no file
   without a row lands in the backup. Each file is re-hashed; one already in the target with
   the same SHA-256 is not copied again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy.engine import make_url

from station.backup.manifest import EVIDENCE_DIR, MANIFEST, BackupError, BackupFile, Manifest, sha256_file
from station.backup.manifest import verify as verify_files
from station.backup.manifest import write as write_manifest
from station.config import Settings
from station.evidence.store import TEMP_PREFIX

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

    folder: Path
    manifest: Manifest
    copied: int = 0
    present: int = 0
    problems: list[str] = field(default_factory=list)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_durably(source: Path, target: Path, mode: int = 0o440) -> None:
    """Copy to a temp file beside ``target``, fsync, rename into place, fsync the folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{TEMP_PREFIX}{target.name}")
    try:
        with source.open("rb") as src, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _fsync_dir(target.parent)


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
                    f'SELECT storage_key FROM "{table}" WHERE storage_key IS NOT NULL'))
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


def _entry(role: str, path: Path, root: Path, key: str = "") -> BackupFile:
    digest, size = sha256_file(path)
    return BackupFile(role, path.relative_to(root).as_posix(), digest, size, key)


def _copy_evidence(key: str, photo_dir: Path, root: Path, report: BackupReport) -> BackupFile | None:
    """One evidence file into ROOT/evidence/<key>, unless an identical one is there."""
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
    target = root / EVIDENCE_DIR / key
    if target.is_file() and sha256_file(target) == (digest, size):
        report.present += 1
    else:
        if target.exists():  # a damaged copy from an earlier backup
            target.chmod(0o640)
            target.unlink()
        copy_durably(source, target)
        report.copied += 1
    return BackupFile("evidence", f"{EVIDENCE_DIR}/{key}", digest, size, key)


def make_backup(settings: Settings, config_file: Path | None, root: Path,
                now: datetime | None = None) -> BackupReport:
    """One verified backup of this bench into the backup root ``root``."""
    db_path = sqlite_path(settings)
    if settings.evidence.backend != "local":
        raise BackupError("evidence.backend is s3: the bucket keeps the originals (use its "
                          "versioning or replication); `station backup` copies a local photo "
                          "folder only")
    if str(root).startswith("s3://"):
        raise BackupError("backups to S3 are not available: back up to a folder (a mounted "
                          "network share or USB disk), then copy that folder")
    folder = _new_folder(root, now or datetime.now(UTC))
    files: list[BackupFile] = []
    anchors = Path(settings.audit.anchor_file)
    if anchors.is_file():  # first: see the module text
        copy_durably(anchors, folder / "audit-anchors.log", 0o640)
        files.append(_entry("anchors", folder / "audit-anchors.log", root))
    revision, counts, head, keys = _snapshot(db_path, folder / "station.db",
                                             settings.database.busy_timeout_ms / 1000)
    files.append(_entry("database", folder / "station.db", root))
    if config_file is not None:
        if not config_file.is_file():
            raise BackupError(f"{config_file}: config file not found")
        copy_durably(config_file, folder / "station.toml", 0o600)  # it may hold secrets
        files.append(_entry("config", folder / "station.toml", root))
    try:
        version = metadata.version("returns-station")
    except metadata.PackageNotFoundError:
        version = "unknown"
    manifest = Manifest((now or datetime.now(UTC)).isoformat(timespec="seconds"),
                        settings.station.id, version, revision, head, counts, files)
    report = BackupReport(folder, manifest)
    photo_dir = Path(settings.evidence.photo_dir)
    for key in sorted(keys):
        entry = _copy_evidence(key, photo_dir, root, report)
        if entry is not None:
            files.append(entry)
    manifest.counts["evidence_files"] = len(manifest.role("evidence"))
    write_manifest(manifest, folder / MANIFEST)
    report.problems.extend(verify_files(manifest, root))  # re-read everything just written
    return report
