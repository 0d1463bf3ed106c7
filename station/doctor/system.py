"""Doctor's checks of the PC itself: room and a real write in the photo folder, clock synchronisation."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from station.config import Settings
from station.doctor.model import Finding, fail, ok, warn
from station.evidence.store import LocalPhotoStore, PhotoStoreError

#: Fewer free inodes than this in the photo folder's file system is a FAIL (a photo is 1-2
#: files: an original and its thumbnail).
MIN_FREE_INODES = 10_000
#: systemd-timesyncd creates this file once the clock is synchronised
#: (systemd-timesyncd.service(8), "Files").
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")


def check_disk(settings: Settings, min_inodes: int = MIN_FREE_INODES) -> list[Finding]:
    """Free space and inodes of the photo folder against evidence.min_free_mb, and a real write.

    The write is a probe file created, written, fsynced and removed (LocalPhotoStore.probe_writable).
    """
    root = Path(settings.evidence.photo_dir)
    path = str(root)
    store = LocalPhotoStore(root, settings.evidence.min_free_mb)
    try:
        store.probe_writable()
    except (PhotoStoreError, OSError) as exc:
        detail = exc.message if isinstance(exc, PhotoStoreError) else (exc.strerror or str(exc))
        return [fail("disk", "disk.not_writable", "fix.disk.not_writable", path=path, error=detail)]
    stats = os.statvfs(root)
    free_mb = stats.f_bavail * stats.f_frsize / (1024 * 1024)
    min_mb = settings.evidence.min_free_mb
    params = {"path": path, "free_mb": f"{free_mb:.0f}", "min_mb": min_mb,
              "free_inodes": stats.f_favail, "min_inodes": min_inodes}
    findings = []
    if free_mb < min_mb:
        findings.append(fail("disk", "disk.low", "fix.disk.low", **params))
    elif free_mb < 2 * min_mb:
        findings.append(warn("disk", "disk.warn", "fix.disk.low", **params))
    if stats.f_files and stats.f_favail < min_inodes:  # f_files 0: no inode limit (btrfs)
        findings.append(fail("disk", "disk.inodes", "fix.disk.inodes", **params))
    return findings or [ok("disk", "disk.ok", **params)]


def check_clock(timedatectl: str | None = "timedatectl", flag: Path = TIMESYNC_FLAG,
                timeout_s: float = 3.0) -> list[Finding]:
    """`timedatectl show -p NTPSynchronized --value` (timedatectl(1)) when it answers, else the
    timesyncd flag file; neither answering is a WARN (unknown), never a FAIL."""
    program = shutil.which(timedatectl) if timedatectl else None
    if program:
        try:
            done = subprocess.run([program, "show", "-p", "NTPSynchronized", "--value"],
                                  capture_output=True, text=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired):
            done = None
        answer = done.stdout.strip() if done is not None and done.returncode == 0 else ""
        if answer == "yes":
            return [ok("clock", "clock.ok", source="timedatectl NTPSynchronized=yes")]
        if answer == "no":
            return [fail("clock", "clock.unsynced", "fix.clock.unsynced",
                         source="timedatectl NTPSynchronized=no")]
    if flag.exists():
        return [ok("clock", "clock.ok", source=str(flag))]
    return [warn("clock", "clock.unknown", "fix.clock.unknown", flag=str(flag))]
