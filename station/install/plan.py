"""An install plan as data (files to write, folders, commands, removals) and the one executor for it.

Dry run, a staged root (``--root DIR``) and a real run on a bench walk the same list: the
executor compares every file with what is already there, so a second run reports each one as
unchanged and runs no command whose trigger did not change.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath


class InstallError(RuntimeError):
    """An install or uninstall step that cannot go on; the message is one line for the operator."""


@dataclass(frozen=True)
class WriteFile:
    """A file the installer owns: written when its content, mode or owner differ."""

    path: PurePosixPath
    content: bytes
    purpose: str
    mode: int = 0o644
    owner: str = "root"
    group: str = "root"
    keep_on_uninstall: bool = False  # the bench's own config: kept unless --purge
    replace: bool = True  # False: written only when missing (an edited config stays as it is)


@dataclass(frozen=True)
class MakeDir:
    """A folder (the data folder, the config folder); never emptied except by --purge."""

    path: PurePosixPath
    purpose: str
    mode: int = 0o755
    owner: str = "root"
    group: str = "root"
    keep_on_uninstall: bool = False


@dataclass(frozen=True)
class RunCommand:
    """A command the installer runs on a real bench (never in a staged root or a dry run).

    ``done`` answers whether its effect is already there (the user exists, the venv is built);
    ``after`` lists files whose change makes the command needed (``systemctl daemon-reload``
    after a unit changed): with ``after`` set, it runs only when one of them changed this run.
    """

    argv: tuple[str, ...]
    purpose: str
    done: Callable[[], bool] | None = field(default=None, compare=False)
    after: tuple[PurePosixPath, ...] = ()
    may_fail: bool = False  # e.g. `systemctl stop` of a unit that is not running


@dataclass(frozen=True)
class RemovePath:
    """A file or (with ``tree``) a folder uninstall deletes."""

    path: PurePosixPath
    purpose: str
    tree: bool = False


Action = WriteFile | MakeDir | RunCommand | RemovePath


@dataclass(frozen=True)
class Outcome:
    """What became of one action: ``status`` is one word, ``detail`` the path or the command."""

    status: str  # wrote, unchanged, would-write, made, would-make, ran, already, would-run,
    #              planned (staged root: not run), skipped (no trigger changed), removed, absent,
    #              would-remove, kept
    action: Action

    @property
    def changed(self) -> bool:
        return self.status in {"wrote", "made", "ran", "removed"}

    def line(self) -> str:
        """One line for the operator: status, then the path or the command, then why."""
        action = self.action
        if isinstance(action, RunCommand):
            what = " ".join(action.argv)
        elif isinstance(action, WriteFile | MakeDir):
            what = f"{action.path} ({action.mode:04o} {action.owner}:{action.group})"
        else:
            what = str(action.path) + ("/ (whole folder)" if action.tree else "")
        return f"{self.status:<12} {what}  # {action.purpose}"


Runner = Callable[[Sequence[str]], None]


def run_checked(argv: Sequence[str]) -> None:
    """Run one command; a non-zero exit is an InstallError with its last line of output."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    except OSError as exc:
        raise InstallError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()
        raise InstallError(f"{' '.join(argv)} failed (exit {done.returncode})"
                           + (f": {tail[-1]}" if tail else ""))


def target(root: Path, path: PurePosixPath) -> Path:
    """Where ``path`` of the bench lives under ``root`` (``/`` on a real bench)."""
    return root / path.relative_to("/")


def _ids(owner: str, group: str) -> tuple[int, int] | None:
    """Numeric ids of owner and group, None while they do not exist yet (a dry run)."""
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        return None


def _same_file(path: Path, action: WriteFile, staged: bool) -> bool:
    try:
        info = path.stat()
        if not path.is_file() or path.read_bytes() != action.content:
            return False
    except OSError:
        return False
    if (info.st_mode & 0o7777) != action.mode:
        return False
    ids = None if staged else _ids(action.owner, action.group)
    return ids is None or (info.st_uid, info.st_gid) == ids


def _write(path: Path, action: WriteFile, staged: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.returns-install")
    temporary.write_bytes(action.content)
    os.chmod(temporary, action.mode)
    ids = None if staged else _ids(action.owner, action.group)
    if ids is not None:
        os.chown(temporary, *ids)
    os.replace(temporary, path)


def _make_dir(path: Path, action: MakeDir, staged: bool) -> bool:
    """Create or fix the folder; True when something changed."""
    changed = False
    if not path.is_dir():
        path.mkdir(parents=True)
        changed = True
    if (path.stat().st_mode & 0o7777) != action.mode:
        os.chmod(path, action.mode)
        changed = True
    ids = None if staged else _ids(action.owner, action.group)
    if ids is not None and (path.stat().st_uid, path.stat().st_gid) != ids:
        os.chown(path, *ids)
        changed = True
    return changed


def apply(actions: Sequence[Action], root: Path, *, dry_run: bool,
          runner: Runner = run_checked) -> list[Outcome]:
    """Carry out ``actions`` under ``root`` in order (or only say what would happen).

    Commands run only on a real bench (``root`` is ``/``); in a staged root they are listed as
    planned. A failing command stops the run with InstallError (files before it stay written;
    running the installer again carries on, since every step compares before it changes).
    """
    staged = root.resolve() != Path("/")
    changed: set[PurePosixPath] = set()
    outcomes: list[Outcome] = []
    for action in actions:
        status = _one(action, root, dry_run=dry_run, staged=staged, changed=changed,
                      runner=runner)
        outcomes.append(Outcome(status, action))
        if status in {"wrote", "would-write", "made", "would-make", "removed", "would-remove"}:
            changed.add(action.path)  # type: ignore[union-attr]
    return outcomes


def _one(action: Action, root: Path, *, dry_run: bool, staged: bool,
         changed: set[PurePosixPath], runner: Runner) -> str:
    if isinstance(action, WriteFile):
        path = target(root, action.path)
        if path.exists() and not action.replace:
            return "kept"
        if _same_file(path, action, staged):
            return "unchanged"
        if dry_run:
            return "would-write"
        _write(path, action, staged)
        return "wrote"
    if isinstance(action, MakeDir):
        path = target(root, action.path)
        if dry_run:
            return "unchanged" if path.is_dir() else "would-make"
        return "made" if _make_dir(path, action, staged) else "unchanged"
    if isinstance(action, RemovePath):
        path = target(root, action.path)
        if not path.exists() and not path.is_symlink():
            return "absent"
        if dry_run:
            return "would-remove"
        if action.tree and path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return "removed"
    if action.after and not changed.intersection(action.after):
        return "skipped"
    if staged:
        return "planned"
    if action.done is not None and action.done():
        return "already"
    if dry_run:
        return "would-run"
    try:
        runner(action.argv)
    except InstallError:
        if not action.may_fail:
            raise
    return "ran"
