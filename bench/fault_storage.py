"""Photo storage faults on a real small filesystem: full and read-only, nothing confirmed at risk.

A tmpfs of 3 MB is mounted (root only) as the photo folder. Captures run until the disk is
really full (ENOSPC); each refused capture must leave no row, no audit event and no temp file.
Then the folder is remounted read-only (EROFS): captures are refused the same way, every photo
stored before still verifies, and /readyz reports the photo store as failing in both states.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench.fault_kill import settings_for
from bench.fault_worker import photo
from station.context import StationContext
from station.db.models import AuditEvent, Photo
from station.evidence.integrity import check_all
from station.evidence.store import PhotoStoreFull, PhotoStoreReadOnly
from tests.factories import seed_rma
from tests.support.bench import migrated
from web.app import create_app


@dataclass
class StorageReport:
    """Captures stored and refused per fault, and what stayed intact."""

    stored: int = 0
    refused_full: int = 0
    refused_read_only: int = 0
    half_done: int = 0
    temp_left: int = 0
    verified_after: int = 0
    verify_problems: int = 0
    readyz_failed: list[str] = field(default_factory=list)
    skipped: str = ""


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


def _counts(ctx: StationContext) -> tuple[int, int]:
    with ctx.db.reader() as session:
        return (int(session.execute(select(func.count()).select_from(Photo)).scalar_one()),
                int(session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()))


def _readyz_fails(ctx: StationContext, min_free_mb: float) -> bool:
    """/readyz with the free-space floor a real bench has (the campaign fills with none)."""
    floor = ctx.settings.evidence.min_free_mb
    ctx.settings.evidence.min_free_mb = min_free_mb
    try:
        app = create_app(ctx.settings, ctx, devices=None)
        return app.test_client().get("/readyz").status_code == 503
    finally:
        ctx.settings.evidence.min_free_mb = floor


def _capture_until_refused(ctx: StationContext, inspection_id: str, report: StorageReport,
                           error: type[Exception], limit: int, first: int = 0) -> int:
    refused = 0
    for index in range(first, first + limit):
        before = _counts(ctx)
        try:
            ctx.inspections.add_photo(inspection_id, photo(10_000 + index, "item") * 40,
                                      angle="item", width=160, height=120, actor="fault")
            report.stored += 1
        except error:
            refused += 1
            if _counts(ctx) != before:
                report.half_done += 1
            if refused >= 3:
                break
    return refused


def storage_faults(root: Path) -> StorageReport:
    """Fill and then freeze a real tmpfs under the photo folder; the report."""
    report = StorageReport()
    if os.geteuid() != 0:
        report.skipped = "mounting a tmpfs needs root"
        return report
    point = Path(tempfile.mkdtemp(prefix="photos-", dir=root))
    try:
        _mount("-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", str(point))
    except (subprocess.CalledProcessError, OSError) as exc:
        report.skipped = f"cannot mount a tmpfs here: {exc}"
        return report
    try:
        settings = settings_for(root, f"sqlite:///{root / 'storage.db'}")
        settings.evidence.photo_dir = str(point)
        ctx = migrated(settings)
        try:
            seed_rma(ctx)
            inspection = ctx.inspections.receive("TRKRMA-1001", "bench-fault", None, "fault")
            ctx.inspections.record_weight(inspection.id, 550_000, "scale", "fault")
            ctx.inspections.finish_items(inspection.id, "fault")
            report.refused_full = _capture_until_refused(ctx, inspection.id, report,
                                                         PhotoStoreFull, 400)
            if _readyz_fails(ctx, 1):
                report.readyz_failed.append("full")
            _mount("-o", "remount,ro", str(point))
            report.refused_read_only = _capture_until_refused(ctx, inspection.id, report,
                                                              PhotoStoreReadOnly, 3, first=1000)
            if _readyz_fails(ctx, 0):
                report.readyz_failed.append("read_only")
            report.temp_left = sum(1 for p in point.rglob(".tmp-*"))
            with ctx.db.reader() as session:
                checks = list(check_all(session, ctx.store))
            report.verified_after = sum(1 for c in checks if c.status == "ok")
            report.verify_problems = len(checks) - report.verified_after
        finally:
            ctx.close()
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)
    return report
