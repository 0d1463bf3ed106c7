"""`station backup --to DIR` and `station restore --from DIR --to FOLDER`: verified copies of a SQLite bench."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from station.cli.base import Subparsers, command
from station.config import DEFAULT_CONFIG_NAME, Settings


def config_file(args: argparse.Namespace) -> Path | None:
    """The configuration file this command read (--config, $STATION_CONFIG, ./station.toml)."""
    chosen = getattr(args, "config", None) or os.environ.get("STATION_CONFIG")
    if chosen:
        return Path(chosen)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from station.backup import BackupError, PostgresNotCopied, make_backup

    try:
        report = make_backup(settings, config_file(args), args.to)
    except PostgresNotCopied as exc:
        print(f"not copied: {exc}", file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or args.to}: {exc.strerror or exc} (no backup was made, or "
              "it is incomplete: its folder has no verified manifest)", file=sys.stderr)
        return 2
    manifest = report.manifest
    for problem in report.problems:
        print(f"PROBLEM   {problem}")
    counts = ", ".join(f"{n} {name}" for name, n in sorted(manifest.counts.items()))
    print(f"backup {report.folder}: schema {manifest.schema_revision}, audit head "
          f"{manifest.audit_head.get('seq')}, {counts}; evidence: {report.copied} copied, "
          f"{report.present} already there; {len(manifest.files)} files verified"
          + (f", {len(report.problems)} problems" if report.problems else ""))
    return 1 if report.problems else 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from station.backup import BackupError, restore

    try:
        report = restore(Path(args.source), Path(args.to), force=args.force)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc.filename or args.to}: {exc.strerror or exc} (the restore stopped: "
              "run it again into an empty folder)", file=sys.stderr)
        return 2
    manifest = report.manifest
    print(f"restored the backup of {manifest.station_id} made {manifest.created_at} (schema "
          f"{manifest.schema_revision}): {report.database}, {report.evidence_files} evidence "
          f"files; configuration {report.config}")
    print(f"check it: station --config {report.config} audit verify; "
          f"station --config {report.config} evidence verify")
    return 0


def register(sub: Subparsers) -> None:
    """Add this module's commands to the `station` parser."""
    backup = command(sub, "backup", cmd_backup, "copy the SQLite database (online backup API), "
                     "the evidence it names, the config file and the audit anchors into a "
                     "folder, verified by SHA-256 (PostgreSQL: use pg_dump, see docs/operations.md)")
    backup.add_argument("--to", required=True, metavar="DIR", help="backup root folder (each "
                        "backup goes in DIR/<UTC time>/, evidence in DIR/evidence/, shared) or "
                        "s3://BUCKET/PREFIX (same layout; server and keys from [evidence] s3_*)")
    restore = command(sub, "restore", cmd_restore, "restore a verified backup onto a fresh folder "
                      "(database, photos, anchors, a station.toml pointing at them)")
    restore.add_argument("--from", dest="source", required=True, metavar="DIR",
                         help="a backup folder, or a backup root (its newest backup)")
    restore.add_argument("--to", required=True, metavar="FOLDER", help="the new data folder")
    restore.add_argument("--force", action="store_true", help="replace a database already in "
                         "FOLDER (stop the bench first)")
