"""Backups of one SQLite bench (database, evidence, config, audit anchors) to a folder, verified, and their restore."""

from __future__ import annotations

from station.backup.create import BackupReport, PostgresNotCopied, make_backup
from station.backup.manifest import BackupError, Manifest
from station.backup.restore import RestoreReport, restore

__all__ = ["BackupError", "BackupReport", "Manifest", "PostgresNotCopied", "RestoreReport",
           "make_backup", "restore"]
