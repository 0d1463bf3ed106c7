"""Builds the station's services from settings: database, unit of work, photo store, policy, workflow, review, sort."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from station.audit import AnchorFile
from station.config import Settings
from station.db.engine import Database
from station.evidence.store import LocalPhotoStore, PhotoStore
from station.policy import Policy, default_policy, load_policy
from station.returns.workflow import InspectionService, ReturnSettings
from station.review import ReviewService
from station.sorting.rules import SortRules, load_sort_rules
from station.sorting.service import SortService
from station.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from station.sync.worker import SpoolSync


@dataclass
class StationContext:
    """Everything a command or the web app needs, built once per process."""

    settings: Settings
    db: Database
    store: PhotoStore
    anchors: AnchorFile
    policy: Policy
    work: UnitOfWork
    inspections: InspectionService
    reviews: ReviewService
    sorting: SortService
    #: A fleet bench's sync with central (`station run` sets it; station/sync/worker.py).
    sync: SpoolSync | None = None

    def adopt_policy(self, policy: Policy) -> None:
        """Grade from the next grading step on with ``policy`` (a published one, station/fleet)."""
        self.policy = policy
        self.inspections.policy = policy
        self.reviews.policy = policy

    def adopt_sort_rules(self, rules: SortRules) -> None:
        """Send units to ``rules``' destinations from the next confirm on (published, station/fleet)."""
        self.sorting.rules = rules

    def close(self) -> None:
        self.db.dispose()


def make_store(settings: Settings) -> PhotoStore:
    """The configured photo store: a local folder, or an S3-compatible bucket (whose thumbnails
    are cached in the local folder)."""
    section = settings.evidence
    if section.backend == "s3":
        from station.evidence.store_s3 import S3Options, S3PhotoStore

        return S3PhotoStore(S3Options.from_section(section), Path(section.photo_dir),
                            section.min_free_mb)
    return LocalPhotoStore(Path(section.photo_dir), section.min_free_mb)


def return_settings(settings: Settings) -> ReturnSettings:
    section = settings.returns
    return ReturnSettings(
        no_reason_window_days=section.no_reason_window_days,
        default_window_days=section.default_window_days,
        weight_tolerance_g=section.weight_tolerance_g,
        weight_tolerance_pct=section.weight_tolerance_pct,
        packaging_allowance_g=section.packaging_allowance_g,
        photo_angles={k: tuple(v) for k, v in section.photo_angles.items()},
    )


def build(settings: Settings) -> StationContext:
    """Open the database and wire the services (the schema must be migrated: db upgrade)."""
    db = Database.from_url(
        settings.database.url, settings.database.busy_timeout_ms, settings.database.echo
    )
    store = make_store(settings)
    anchors = AnchorFile(Path(settings.audit.anchor_file))
    policy = load_policy(settings.policy.path) if settings.policy.path else default_policy()
    work = UnitOfWork(db, anchors)
    public_url = settings.web.public_url
    inspections = InspectionService(work, store, policy, return_settings(settings), public_url)
    reviews = ReviewService(work, policy, public_url)
    rules: SortRules = load_sort_rules(settings.labels.sort_rules)
    sorting = SortService(work, rules, settings.labels, settings.station.id,
                          settings.station.timezone)
    inspections.on_confirm = sorting.label_units
    return StationContext(settings, db, store, anchors, policy, work, inspections, reviews,
                          sorting)
