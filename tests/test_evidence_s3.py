"""The S3-compatible photo store against a real S3 HTTP server on loopback (moto's server mode).

Captures land under <prefix><sha256> with the SHA-256 checksum; presigned GETs work and expire;
Object Lock retention is set when configured; an endpoint that is down refuses the capture
with a clear message and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from station.context import StationContext
from station.db.models import Photo
from station.evidence.store import EvidenceError, PhotoStoreUnavailable, original_key
from station.evidence.store_s3 import S3PhotoStore
from station.evidence.thumbnails import cached_thumbnail
from tests.conftest import make_settings
from tests.factories import jpeg, seed_rma, walk_to_graded
from tests.support.bench import (
    OPERATOR,
    SUPERVISOR,
    add_people,
    api_key_header,
    bench_app,
    csrf,
    html,
    migrated,
    signed_in,
    snapshot,
)
from tests.support.s3 import S3Server, running_s3_server
from tests.test_evidence_faults import at_photos, still
from web.bench.services import PendingPhoto, bench_services

UNREACHABLE_EN = "Photo storage cannot be reached — call a supervisor"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request
    with running_s3_server() as server:
        yield server


def s3_station(tmp_path: Path, server: S3Server, bucket: str, **evidence: object) -> StationContext:
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path / 'station.db'}",
        evidence={"backend": "s3", "photo_dir": str(tmp_path / "cache"),
                  **server.evidence_settings(bucket, **evidence)},
        web={"secret_key": "test-session-key"},
    )
    return migrated(settings)


@pytest.fixture
def station(tmp_path: Path, s3: S3Server) -> Iterator[StationContext]:
    ctx = s3_station(tmp_path, s3, s3.new_bucket(), s3_prefix="site-a/")
    yield ctx
    ctx.close()


def photos(ctx: StationContext) -> list[Photo]:
    with ctx.db.reader() as session:
        return list(session.execute(select(Photo).order_by(Photo.taken_at)).scalars())


def test_a_capture_lands_under_its_sha256_with_the_checksum_the_server_keeps(
        station: StationContext, s3: S3Server) -> None:
    seed_rma(station)
    walk_to_graded(station)
    stored = photos(station)
    assert len(stored) == 3
    store = station.store
    assert isinstance(store, S3PhotoStore)
    assert "station-test-secret" not in repr(store.options) + store.describe()
    client = s3.client()
    for photo in stored:
        assert photo.storage_key == original_key(photo.sha256)  # rows look as they always did
        head = client.head_object(Bucket=store.bucket, Key=f"site-a/{photo.sha256}",
                                  ChecksumMode="ENABLED")
        digest = bytes.fromhex(photo.sha256)
        assert head["ChecksumSHA256"] == base64.b64encode(digest).decode()
        assert head["ContentLength"] == photo.size_bytes and head["ContentType"] == "image/jpeg"
        body = client.get_object(Bucket=store.bucket, Key=f"site-a/{photo.sha256}")["Body"].read()
        assert hashlib.sha256(body).digest() == digest
        assert store.attested(photo.storage_key) == (photo.sha256, photo.size_bytes)
    listed = client.list_objects_v2(Bucket=store.bucket)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(f"site-a/{p.sha256}" for p in stored)
    assert not (Path(station.settings.evidence.photo_dir) / "originals").exists()

    # the same bytes again: checked, not rewritten (one version in a versioned bucket)
    versioned = S3PhotoStore(replace(store.options, bucket=s3.new_bucket(versioning=True)),
                             Path(station.settings.evidence.photo_dir))
    data = jpeg(7)
    first = versioned.put_original(data)
    assert versioned.put_original(data) == first
    versions = client.list_object_versions(Bucket=versioned.bucket)["Versions"]
    assert len(versions) == 1


def test_an_object_with_other_bytes_under_the_key_is_refused_not_overwritten(
        station: StationContext, s3: S3Server) -> None:
    store = station.store
    assert isinstance(store, S3PhotoStore)
    data = jpeg(3)
    digest = hashlib.sha256(data).hexdigest()
    s3.client().put_object(Bucket=store.bucket, Key=f"site-a/{digest}", Body=b"not the photo")
    with pytest.raises(EvidenceError, match="differs from its SHA-256"):
        store.put_original(data, digest)
    body = s3.client().get_object(Bucket=store.bucket, Key=f"site-a/{digest}")["Body"].read()
    assert body == b"not the photo"  # left for `station evidence verify` to report


def test_a_presigned_get_works_over_http_and_carries_the_configured_expiry(
        tmp_path: Path, s3: S3Server) -> None:
    """The URL is SigV4 (X-Amz-Expires, enforced by the server: moto 5.2.5 does not check
    it, see docs/operations.md) and fetches the exact original without credentials."""
    ctx = s3_station(tmp_path, s3, s3.new_bucket(), s3_presign_expiry_s=120)
    try:
        seed_rma(ctx)
        walk_to_graded(ctx)
        photo = photos(ctx)[0]
        url = ctx.store.presigned_url(photo.storage_key, photo.content_type)
        assert url is not None and "station-test-secret" not in url
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Expires"] == ["120"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        signed_at = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - signed_at).total_seconds()) < 60
        got = httpx.get(url)
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == photo.sha256
        assert got.headers["content-type"] == "image/jpeg"
    finally:
        ctx.close()


def test_the_review_and_api_photo_routes_redirect_to_a_presigned_get_after_the_role_check(
        station: StationContext) -> None:
    seed_rma(station)
    walk_to_graded(station)
    add_people(station)
    photo = photos(station)[0]
    app = bench_app(station)
    anonymous = app.test_client().get(f"/review/photos/{photo.id}")
    assert anonymous.status_code in (302, 401) and "X-Amz" not in (anonymous.location or "")
    operator = signed_in(app, OPERATOR).get(f"/review/photos/{photo.id}")
    assert operator.status_code == 403
    supervisor = signed_in(app, SUPERVISOR).get(f"/review/photos/{photo.id}")
    assert supervisor.status_code == 302 and supervisor.headers["Cache-Control"] == "no-store"
    fetched = httpx.get(supervisor.location)
    assert hashlib.sha256(fetched.content).hexdigest() == photo.sha256
    assert app.test_client().get(f"/api/v1/photos/{photo.id}").status_code == 401
    api = app.test_client().get(f"/api/v1/photos/{photo.id}?expires=1&sig=00")
    assert api.status_code == 403
    # a webhook receiver's signed link: checked by the app, then sent on to the bucket
    signed = app.test_client().post(f"/api/v1/photos/{photo.id}/signed-url?ttl_s=60",
                                    headers=api_key_header(station))
    assert signed.status_code == 200
    link = urlsplit(signed.get_json()["url"])
    moved = app.test_client().get(f"{link.path}?{link.query}")
    assert moved.status_code == 302 and moved.headers["X-Content-SHA256"] == photo.sha256
    assert hashlib.sha256(httpx.get(moved.location).content).hexdigest() == photo.sha256
    # thumbnails come from the local cache, made once from the bucket's original
    thumb = signed_in(app, SUPERVISOR).get(f"/review/photos/{photo.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    cached = list((Path(station.settings.evidence.photo_dir) / "derived").iterdir())
    assert [p.name for p in cached] == [f"thumb-480-{photo.sha256}.jpg"]
    assert cached_thumbnail(station.store, photo.sha256, photo.storage_key, 480) == thumb.data


def test_with_serve_proxy_the_review_route_sends_the_bytes_itself(tmp_path: Path, s3: S3Server) -> None:
    """For an http:// endpoint the pages' Content-Security-Policy (img-src 'self' https:) would
    block a redirected image: s3_serve = "proxy" reads the original through the app."""
    ctx = s3_station(tmp_path, s3, s3.new_bucket(), s3_serve="proxy")
    try:
        seed_rma(ctx)
        walk_to_graded(ctx)
        add_people(ctx)
        photo = photos(ctx)[0]
        assert ctx.store.presigned_url(photo.storage_key, photo.content_type) is None
        response = signed_in(bench_app(ctx), SUPERVISOR).get(f"/review/photos/{photo.id}")
        assert response.status_code == 200
        assert hashlib.sha256(response.data).hexdigest() == photo.sha256
        assert response.headers["X-Content-SHA256"] == photo.sha256
    finally:
        ctx.close()


def test_object_lock_retention_is_set_on_every_original_when_configured(
        tmp_path: Path, s3: S3Server) -> None:
    bucket = s3.new_bucket(object_lock=True)
    ctx = s3_station(tmp_path, s3, bucket, s3_object_lock="governance", s3_retention_days=30)
    try:
        before = datetime.now(UTC)
        seed_rma(ctx)
        walk_to_graded(ctx)
        for photo in photos(ctx):
            head = s3.client().head_object(Bucket=bucket, Key=photo.sha256)
            assert head["ObjectLockMode"] == "GOVERNANCE"
            until = head["ObjectLockRetainUntilDate"]
            assert before + timedelta(days=30) - timedelta(seconds=5) <= until
            assert until <= datetime.now(UTC) + timedelta(days=30, seconds=5)
    finally:
        ctx.close()


def test_an_s3_outage_refuses_the_capture_clearly_and_changes_nothing(tmp_path: Path) -> None:
    with running_s3_server() as own:
        ctx = s3_station(tmp_path, own, own.new_bucket())
        try:
            seed_rma(ctx)
            add_people(ctx)
            inspection_id = at_photos(ctx)
            app = bench_app(ctx)
            client = signed_in(app, OPERATOR)
            assert app.test_client().get("/readyz").status_code == 200
            own.stop()
            before = snapshot(ctx)
            with pytest.raises(PhotoStoreUnavailable, match="photo storage cannot be reached"):
                ctx.inspections.add_photo(inspection_id, jpeg(1), angle="parcel", width=320,
                                          height=200, actor="op")
            bench_services(app).hold(inspection_id, PendingPhoto("parcel", still()))
            token = csrf(client, f"/bench/i/{inspection_id}/photos")
            page = client.post(f"/bench/i/{inspection_id}/photo",
                               data={"angle": "parcel", "keep": "1", "csrf_token": token},
                               headers={"Accept": "text/html"})
            assert page.status_code == 302
            assert UNREACHABLE_EN in html(client, page.location).get_data(as_text=True)
            bench_services(app).hold(inspection_id, PendingPhoto("parcel", still()))
            api = client.post(f"/bench/i/{inspection_id}/photo", data={"angle": "parcel", "keep": "1"},
                              headers={"X-Requested-With": "fetch", "X-CSRFToken": token,
                                       "Accept": "application/json"})
            assert api.status_code == 503 and api.get_json()["message"] == UNREACHABLE_EN
            assert api.get_json()["type"].endswith("/photo_store_unavailable")
            assert snapshot(ctx) == before
            with ctx.db.reader() as session:
                assert session.execute(select(func.count(Photo.id))).scalar_one() == 0
            ready = app.test_client().get("/readyz")
            assert ready.status_code == 503
            assert "cannot be reached" in ready.get_json()["checks"]["photo_store"]
            assert "station-test-secret" not in ready.get_data(as_text=True)
        finally:
            ctx.close()

