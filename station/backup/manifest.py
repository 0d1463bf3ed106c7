"""The backup manifest: what a backup holds, each file's SHA-256 and size, and the check that every file still matches.

A backup root holds the evidence shared by every backup made into it (content-addressed, as in
the photo store) and one folder per backup::

    ROOT/evidence/originals/ab/cd/abcd...       photos (and other originals), by SHA-256
    ROOT/<UTC time>/station.db                  the database (SQLite online backup)
    ROOT/<UTC time>/station.toml                the configuration file, as it was
    ROOT/<UTC time>/audit-anchors.log           the audit anchors
    ROOT/<UTC time>/manifest.json               this manifest (paths relative to ROOT)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "returns-station-backup"
VERSION = 1
MANIFEST = "manifest.json"
EVIDENCE_DIR = "evidence"
CHUNK = 1024 * 1024


class BackupError(ValueError):
    """A backup that cannot be made or restored; the message says why and what to do."""


def sha256_file(path: Path) -> tuple[str, int]:
    """(SHA-256 hex, size) of a file, read in 1 MB chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class BackupFile:
    """One file of a backup: its role, where it is under the root, and what it must hash to."""

    role: str  # database, config, anchors, evidence
    path: str  # relative to the backup root, / separated
    sha256: str
    size: int
    key: str = ""  # evidence: its storage key in the photo store

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"role": self.role, "path": self.path, "sha256": self.sha256,
                                "size": self.size}
        if self.key:
            data["key"] = self.key
        return data


@dataclass
class Manifest:
    """What one backup holds."""

    created_at: str
    station_id: str
    software_version: str
    schema_revision: str | None
    audit_head: dict[str, Any]
    counts: dict[str, int]
    files: list[BackupFile] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "created_at": self.created_at,
                "station_id": self.station_id, "software_version": self.software_version,
                "database": {"dialect": "sqlite", "schema_revision": self.schema_revision},
                "audit_head": self.audit_head, "counts": self.counts,
                "files": [f.to_json() for f in self.files]}

    def role(self, role: str) -> list[BackupFile]:
        return [f for f in self.files if f.role == role]


def _safe(relative: str) -> str:
    parts = relative.split("/")
    if not relative or relative.startswith("/") or ".." in parts or "" in parts:
        raise BackupError(f"manifest names an unsafe path {relative!r}: not a station backup")
    return relative


def parse(data: Any, where: Path) -> Manifest:
    """A manifest from its JSON; BackupError naming the file for anything else."""
    try:
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise BackupError(f"{where}: not a version {VERSION} station backup manifest")
        files = [BackupFile(str(f["role"]), _safe(str(f["path"])), str(f["sha256"]),
                            int(f["size"]), str(f.get("key", ""))) for f in data["files"]]
        return Manifest(str(data["created_at"]), str(data["station_id"]),
                        str(data["software_version"]), data["database"]["schema_revision"],
                        dict(data["audit_head"]), {k: int(v) for k, v in data["counts"].items()},
                        files)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"{where}: damaged manifest ({type(exc).__name__}: {exc})") from None


def body(manifest: Manifest) -> bytes:
    """The manifest as the JSON file a backup holds."""
    return json.dumps(manifest.to_json(), indent=2, sort_keys=True).encode()


def find(source: Path) -> Path:
    """The manifest of the backup at ``source``: a backup folder, or a root (its newest backup)."""
    if (source / MANIFEST).is_file():
        return source / MANIFEST
    if not source.is_dir():
        raise BackupError(f"{source}: no such backup folder")
    candidates = sorted(p for p in source.glob(f"*/{MANIFEST}") if p.is_file())
    if not candidates:
        raise BackupError(f"{source}: no {MANIFEST} here or in a folder below: not a station backup")
    return candidates[-1]


def load(manifest_path: Path) -> tuple[Manifest, Path]:
    """(the manifest, the backup root its paths are relative to)."""
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{manifest_path}: cannot read the manifest: {exc}") from None
    return parse(data, manifest_path), manifest_path.parent.parent


def verify(manifest: Manifest, root: Path) -> list[str]:
    """Every file the manifest names is there with its size and SHA-256; the problems found."""
    problems = []
    for entry in manifest.files:
        path = root / entry.path
        try:
            digest, size = sha256_file(path)
        except FileNotFoundError:
            problems.append(f"{entry.path}: missing")
            continue
        except OSError as exc:
            problems.append(f"{entry.path}: cannot be read ({exc.strerror or exc})")
            continue
        if size != entry.size or digest != entry.sha256:
            problems.append(f"{entry.path}: SHA-256 {digest[:16]}… ({size} B) does not match the "
                            f"manifest's {entry.sha256[:16]}… ({entry.size} B)")
    return problems
