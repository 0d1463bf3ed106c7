"""`station restore`: a verified backup onto a fresh folder (database, evidence, anchors, a station.toml for them).

Nothing is written before every file the manifest names has been re-hashed: a backup with one
changed, missing or extra-short file is refused whole. An existing database in the target is
kept unless ``force`` (then its -wal and -shm files go too: SQLite would replay an old
write-ahead log into the restored file; SQLite documentation "Write-Ahead Logging", section
"The WAL File").
"""

from __future__ import annotations

import contextlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from station.backup.manifest import BackupError, Manifest, find, load, sha256_file
from station.backup.manifest import verify as verify_files
from station.backup.targets import copy_durably


@dataclass(frozen=True)
class RestoreReport:
    """What was restored, and the configuration file that points at it."""

    manifest: Manifest
    config: Path
    database: Path
    evidence_files: int


def _restored_config(original: bytes | None, folder: Path) -> bytes:
    """The backed-up configuration with its four paths moved into ``folder``."""
    data: dict[str, Any] = {}
    if original is not None:
        try:
            data = tomllib.loads(original.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise BackupError(f"the backed-up station.toml is not valid TOML: {exc}") from None
    data.setdefault("database", {})["url"] = f"sqlite:///{folder / 'station.db'}"
    data.setdefault("evidence", {})["photo_dir"] = str(folder / "photos")
    data.setdefault("audit", {})["anchor_file"] = str(folder / "audit-anchors.log")
    data["data_dir"] = str(folder)
    top = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    header = b"# restored by `station restore`: paths moved into this folder\n"
    return header + tomli_w.dumps({**top, **tables}).encode()


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.chmod(0o640)
        path.unlink()


def restore(source: Path, folder: Path, *, force: bool = False) -> RestoreReport:
    """Restore the backup at ``source`` (a backup folder or a root: its newest) into ``folder``."""
    manifest, root = load(find(source))
    problems = verify_files(manifest, root)
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3
                                           else "")
        raise BackupError(f"the backup at {root} does not match its manifest ({shown}): damaged or "
                          "tampered with; nothing was restored")
    databases = manifest.role("database")
    if len(databases) != 1:
        raise BackupError(f"{root}: the manifest names {len(databases)} databases, not one")
    folder = folder.resolve()
    database = folder / "station.db"
    if database.exists() and not force:
        raise BackupError(f"{database} already exists: restoring would replace it; stop the bench "
                          "and add --force to overwrite it (nothing was restored)")
    folder.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        _remove(database.with_name(database.name + suffix))
    copy_durably(root / databases[0].path, database, 0o640)
    evidence = manifest.role("evidence")
    for entry in evidence:
        target = folder / "photos" / entry.key
        if target.is_file() and sha256_file(target) == (entry.sha256, entry.size):
            continue  # content-addressed: the same bytes are already there
        if target.exists():
            _remove(target)
        copy_durably(root / entry.path, target)
    anchors = folder / "audit-anchors.log"
    for entry in manifest.role("anchors"):
        _remove(anchors)
        copy_durably(root / entry.path, anchors, 0o640)
    configs = manifest.role("config")
    original = (root / configs[0].path).read_bytes() if configs else None
    config = folder / "station.toml"
    tmp = folder / ".station.toml.tmp"
    tmp.write_bytes(_restored_config(original, folder))
    tmp.chmod(0o600)
    tmp.replace(config)
    restored = [(database, databases[0])] + [(folder / "photos" / e.key, e) for e in evidence]
    for path, entry in restored:  # read back what was written
        if sha256_file(path) != (entry.sha256, entry.size):
            raise BackupError(f"{path}: the restored copy does not match the backup")
    return RestoreReport(manifest, config, database, len(evidence))
