"""A full or read-only photo disk (a real tmpfs): the bench says so, nothing is half-stored, /readyz fails."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from drivers.camera.capture import Still
from drivers.camera.quality import QualityMetrics
from station.context import StationContext
from station.db.models import Photo
from station.evidence.integrity import check_all
from station.evidence.store import LocalPhotoStore, PhotoStoreFull, PhotoStoreReadOnly, original_key
from station.evidence.thumbnails import cached_thumbnail
from station.returns.rules.types import ScannedItem
from station.users import add_user
from tests.conftest import make_settings
from tests.factories import HEADPHONES_GTIN, jpeg, seed_rma
from tests.support.bench import OPERATOR, add_people, csrf, html, migrated, signed_in, snapshot
from web.app import create_app
from web.bench.services import PendingPhoto, bench_services

HTML = {"Accept": "text/html"}
FULL_EN = "Photo storage is full — call a supervisor"
READ_ONLY_EN = "Photo storage is read-only — call a supervisor"
FULL_ZH = "照片存储已满——请叫主管"
READ_ONLY_ZH = "照片存储为只读——请叫主管"
ZH_BADGE, ZH_PIN = "BADGE-3001", "864200"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


class SmallDisk:
    """A 2 MB tmpfs of its own: filled for a real ENOSPC, remounted read-only for a real EROFS."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fill(self) -> None:
        """Write zeros until the kernel answers ENOSPC."""
        fd = os.open(self.path / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            while True:
                os.write(fd, b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        finally:
            os.close(fd)
        assert os.statvfs(self.path).f_bavail == 0

    def read_only(self) -> None:
        result = _mount("-o", "remount,ro", str(self.path))
        assert result.returncode == 0, result.stderr

    def temp_files(self) -> list[Path]:
        return sorted(self.path.rglob(".tmp-*"))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    point = tmp_path / "disk"
    point.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", "size=2m,mode=0755", "tmpfs", str(point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(point)
    finally:
        result = subprocess.run(["umount", str(point)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr


def station_on(tmp_path: Path, database_url: str, disk: SmallDisk, min_free_mb: int = 0) -> StationContext:
    """The database in ``tmp_path``, the photos on the small disk."""
    settings = make_settings(tmp_path, database_url, web={"secret_key": "faults-test-key"},
                             evidence={"photo_dir": str(disk.path / "photos"),
                                       "min_free_mb": min_free_mb})
    ctx = migrated(settings)
    add_people(ctx, (OPERATOR,))
    with ctx.db.transaction() as session:
        add_user(session, username="li.wei", display_name="李伟", role="operator", actor="test",
                 badge_id=ZH_BADGE, pin=ZH_PIN, locale="zh_Hans_CN")
    seed_rma(ctx)
    return ctx


@pytest.fixture
def full_station(tmp_path: Path, database_url: str, small_disk: SmallDisk) -> Iterator[StationContext]:
    ctx = station_on(tmp_path, database_url, small_disk)
    yield ctx
    ctx.close()


def at_photos(ctx: StationContext) -> str:
    """An inspection on the photos screen (weighed, its item scanned)."""
    service = ctx.inspections
    inspection = service.receive("TRKRMA-1001", "bench-test", None, "op")
    service.record_weight(inspection.id, 550_000, "scale", "op")
    service.record_scan(inspection.id, ScannedItem(raw="x", gtin=HEADPHONES_GTIN, serial="SN-001"), "op")
    service.finish_items(inspection.id, "op")
    return inspection.id


def still(seed: int = 1) -> Still:
    data = jpeg(seed)
    return Still(data, hashlib.sha256(data).hexdigest(), 320, 200,
                 QualityMetrics(sharpness=500.0, brightness=120.0, dark_fraction=0.0,
                                bright_fraction=0.0), [])


def photo_rows(ctx: StationContext) -> int:
    with ctx.db.reader() as session:
        return int(session.execute(select(func.count(Photo.id))).scalar_one())


def zh_operator(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = csrf(client)
    signed = client.post("/auth/sign-in", data={"badge": ZH_BADGE, "pin": ZH_PIN, "next": "",
                                                "csrf_token": token})
    assert signed.status_code == 302
    return client


def take_photo(app: Flask, client: FlaskClient, inspection_id: str, *, fetch: bool = False) -> TestResponse:
    """Keep a held still for the 'parcel' angle, as the bench's keep button does."""
    bench_services(app).hold(inspection_id, PendingPhoto("parcel", still()))
    token = csrf(client, f"/bench/i/{inspection_id}/photos")
    path = f"/bench/i/{inspection_id}/photo"
    if fetch:
        return client.post(path, data={"angle": "parcel", "keep": "1"}, headers={
            "X-Requested-With": "fetch", "X-CSRFToken": token, "Accept": "application/json"})
    return client.post(path, data={"angle": "parcel", "keep": "1", "csrf_token": token}, headers=HTML)


def assert_refused(app: Flask, ctx: StationContext, disk: SmallDisk, inspection_id: str,
                   english: str, chinese: str, code: str) -> None:
    """Page (en, zh) and script (problem+json 507) are told; no row, no audit event, no temp file."""
    en, zh = signed_in(app, OPERATOR), zh_operator(app)
    before = snapshot(ctx)  # after signing in (an audited event)
    response = take_photo(app, en, inspection_id)
    assert response.status_code == 302 and response.location.endswith("/photos"), response.status_code
    assert english in html(en, response.location).get_data(as_text=True)
    response = take_photo(app, zh, inspection_id)
    assert response.status_code == 302
    assert chinese in html(zh, response.location).get_data(as_text=True)
    api = take_photo(app, en, inspection_id, fetch=True)
    assert api.status_code == 507 and api.mimetype == "application/problem+json"
    body = api.get_json()
    assert body["type"].endswith("/" + code) and body["status"] == 507 and body["ok"] is False
    assert body["title"] == english.split(" — ")[0] and body["message"] == english
    assert snapshot(ctx) == before and photo_rows(ctx) == 0
    assert disk.temp_files() == []
    assert not list((disk.path / "photos").rglob("originals/*/*/*"))


def test_a_capture_on_a_full_disk_is_refused_with_the_operator_message(
        full_station: StationContext, small_disk: SmallDisk) -> None:
    app = create_app(full_station.settings, full_station, devices=None)
    inspection_id = at_photos(full_station)
    (small_disk.path / "photos").mkdir()
    small_disk.fill()
    assert_refused(app, full_station, small_disk, inspection_id, FULL_EN, FULL_ZH, "photo_store_full")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["checks"]["photo_store"].startswith("error: writable: photo storage is full")
    assert body["checks"]["database"] == "ok" and body["photo_store"]["free_space"] == "ok"
    (small_disk.path / "filler").unlink()  # the supervisor makes room: the same photo goes in
    response = take_photo(app, signed_in(app, OPERATOR), inspection_id)
    assert response.status_code == 302 and photo_rows(full_station) == 1
    assert app.test_client().get("/readyz").status_code == 200


def test_a_capture_on_a_read_only_disk_is_refused_and_readyz_says_why(
        full_station: StationContext, small_disk: SmallDisk) -> None:
    app = create_app(full_station.settings, full_station, devices=None)
    inspection_id = at_photos(full_station)
    (small_disk.path / "photos").mkdir()
    small_disk.read_only()
    assert_refused(app, full_station, small_disk, inspection_id, READ_ONLY_EN, READ_ONLY_ZH,
                   "photo_store_read_only")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    check = ready.get_json()["checks"]["photo_store"]
    assert check.startswith("error: writable: photo storage is read-only: EROFS"), check


def test_the_free_space_floor_refuses_a_capture_before_the_disk_is_full(
        tmp_path: Path, database_url: str, small_disk: SmallDisk) -> None:
    ctx = station_on(tmp_path, database_url, small_disk, min_free_mb=5)  # a 2 MB disk
    try:
        app = create_app(ctx.settings, ctx, devices=None)
        inspection_id = at_photos(ctx)
        assert_refused(app, ctx, small_disk, inspection_id, FULL_EN, FULL_ZH, "photo_store_full")
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503
        body = ready.get_json()
        assert body["photo_store"]["writable"] == "ok" and body["photo_store"]["min_free_mb"] == 5
        assert "below the 5 MB floor" in body["checks"]["photo_store"]
        assert body["checks"]["photo_store"].startswith("error: free_space: ")
        with pytest.raises(PhotoStoreFull, match="below the 5 MB floor"):  # the store itself too
            LocalPhotoStore(small_disk.path / "photos", min_free_mb=5).put_original(jpeg(7))
    finally:
        ctx.close()


def test_a_full_disk_leaves_no_temp_file_and_the_evidence_already_stored_readable(
        tmp_path: Path, small_disk: SmallDisk) -> None:
    store = LocalPhotoStore(small_disk.path / "photos")
    kept = store.put_original(jpeg(1))
    small_disk.fill()
    for seed in (2, 3):
        with pytest.raises(PhotoStoreFull, match="ENOSPC"):
            store.put_original(jpeg(seed))
        # its folder was made, so was the temp file in it (an empty file needs no room): removed
        assert (store.root / original_key(hashlib.sha256(jpeg(seed)).hexdigest())).parent.is_dir()
    assert small_disk.temp_files() == []
    assert hashlib.sha256(store.get_original(kept.storage_key)).hexdigest() == kept.sha256
    assert store.put_original(jpeg(1)) == kept  # the same bytes need no room
    thumb = cached_thumbnail(store, kept.sha256, kept.storage_key, 64)  # served, just not cached
    assert thumb[:2] == b"\xff\xd8" and store.get_derivative(f"thumb-64-{kept.sha256}.jpg") is None
    small_disk.read_only()
    with pytest.raises(PhotoStoreReadOnly, match="EROFS"):
        store.put_original(jpeg(4))
    with pytest.raises(PhotoStoreReadOnly):
        store.probe_writable()
    assert store.get_original(kept.storage_key)  # still readable on a read-only disk


def test_evidence_on_the_full_disk_still_verifies(full_station: StationContext, small_disk: SmallDisk) -> None:
    inspection_id = at_photos(full_station)
    full_station.inspections.add_photo(inspection_id, jpeg(1), angle="parcel", width=320, height=200,
                                       actor="op")
    small_disk.fill()
    with pytest.raises(PhotoStoreFull):
        full_station.inspections.add_photo(inspection_id, jpeg(2), angle="item", width=320,
                                           height=200, actor="op")
    assert photo_rows(full_station) == 1
    with full_station.db.reader() as session:
        assert [c.status for c in check_all(session, full_station.store)] == ["ok"]
