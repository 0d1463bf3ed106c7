"""Two app instances on one database share the API's rate limit and Idempotency-Key replies."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from station import api_limits, apikeys
from station.context import StationContext, build
from station.db.api_models import ApiIdempotencyKey
from station.db.models import ReturnAuthorization
from station.db.types import utcnow
from tests.conftest import make_settings
from web.app import create_app

RMA = {
    "rma_id": "RMA-SHARED-1", "order_id": "SO-1", "tracking_number": "1Z999AA10123456784",
    "reason": "size_mismatch",
    "items": [{"line_id": "1", "sku": "TS-M", "gtin": "4006381333931", "quantity": 1,
               "unit_weight_g": "180.0", "category": "apparel"}],
}


@pytest.fixture
def other(ctx: StationContext, tmp_path: Path) -> Iterator[StationContext]:
    """A second station process's services on the same database (another node or worker)."""
    second = build(make_settings(tmp_path / "node-b", ctx.settings.database.url))
    yield second
    second.close()


@pytest.fixture
def apps(ctx: StationContext, other: StationContext) -> tuple[Flask, Flask]:
    return create_app(ctx.settings, ctx), create_app(other.settings, other)


@pytest.fixture
def platform(ctx: StationContext) -> dict[str, str]:
    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, "platform", apikeys.SCOPES)
    return {"Authorization": f"Bearer {secret}"}


def js(response: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response.get_data())
    return data


def test_the_rate_limit_is_one_bucket_for_both_apps(
    apps: tuple[Flask, Flask], platform: dict[str, str]
) -> None:
    for app in apps:
        app.extensions["api_rate_limiter"] = api_limits.RateLimiter(rate_per_s=0.001, burst=3)
    a, b = (app.test_client() for app in apps)
    answers = [client.get("/api/v1/inspections", headers=platform).status_code
               for client in (a, b, a, b, a)]
    assert answers == [200, 200, 200, 429, 429]
    refused = b.get("/api/v1/inspections", headers=platform)
    assert js(refused)["title"] == "rate limited"
    assert js(refused)["retry_after_s"] > 0


def test_leased_tokens_never_add_up_to_more_than_the_bucket(
    ctx: StationContext, other: StationContext
) -> None:
    limiters = [api_limits.RateLimiter(rate_per_s=0.001, burst=200) for _ in range(2)]
    assert limiters[0].lease_tokens == 10
    allowed = sum(
        limiters[i % 2].take((ctx, other)[i % 2].db, "KEY-1") == 0 for i in range(260)
    )
    # every lease is spent within milliseconds here; one that outlived LEASE_S would be lost
    assert 180 <= allowed <= 200


def test_an_idempotent_retry_on_the_other_app_replays_the_first_answer(
    ctx: StationContext, apps: tuple[Flask, Flask], platform: dict[str, str]
) -> None:
    a, b = (app.test_client() for app in apps)
    headers = {**platform, "Idempotency-Key": "retry-1"}
    first = a.post("/api/v1/returns", json=RMA, headers=headers)
    replay = b.post("/api/v1/returns", json=RMA, headers=headers)
    assert first.status_code == 201 and js(first)["outcome"] == "created"
    # processed again it would be 200 "unchanged": the stored first answer came back
    assert replay.status_code == 201 and replay.get_data() == first.get_data()
    other_body = b.post("/api/v1/returns", json={**RMA, "order_id": "SO-2"}, headers=headers)
    assert other_body.status_code == 422 and js(other_body)["title"] == "idempotency key reused"
    with ctx.db.reader() as session:
        assert session.execute(select(func.count()).select_from(ReturnAuthorization)).scalar() == 1


def test_the_same_key_sent_to_both_apps_at_once_gets_one_answer(
    apps: tuple[Flask, Flask], platform: dict[str, str]
) -> None:
    headers = {**platform, "Idempotency-Key": "race-1"}
    start = threading.Barrier(2)
    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def push(app: Flask) -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/returns", json=RMA, headers=headers)
        with lock:
            answers.append((response.status_code, response.get_data()))

    threads = [threading.Thread(target=push, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 2 and answers[0] == answers[1]
    assert answers[0][0] == 201


def test_a_reply_expires_after_a_day_and_its_key_can_be_used_again(ctx: StationContext) -> None:
    now = utcnow()
    with ctx.db.transaction() as session:
        api_limits.store_reply(session, "KEY-1", "k", "a" * 64, 201, {"outcome": "created"}, now)
    later = now + api_limits.IDEMPOTENCY_TTL + timedelta(seconds=1)
    with ctx.db.reader() as session:
        assert api_limits.find_reply(session, "KEY-1", "k", now) is not None
        assert api_limits.find_reply(session, "KEY-1", "k", later) is None
    with ctx.db.transaction() as session:
        api_limits.store_reply(session, "KEY-1", "k", "b" * 64, 200, {"outcome": "updated"}, later)
    with ctx.db.reader() as session:
        rows = session.execute(select(ApiIdempotencyKey.body_sha256)).scalars().all()
    assert rows == ["b" * 64]
