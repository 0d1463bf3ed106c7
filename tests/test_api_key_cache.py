"""A verified API key is trusted by its process for a moment: never for another secret, not after a revocation."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from station import apikeys
from station.context import StationContext
from station.db.models import ApiKey
from station.db.types import utcnow

#: The trust is this process's own memory above the key lookup (tests/test_api.py runs that
#: lookup on both backends), so SQLite alone is enough here.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _key(ctx: StationContext) -> tuple[str, str]:
    with ctx.db.transaction() as session:
        row, secret = apikeys.create_api_key(session, "platform", ["inspections:read"])
        return row.id, secret


def _check(ctx: StationContext, secret: str) -> apikeys.LiveKey | None:
    with ctx.db.reader() as session:
        return apikeys.authenticate(session, secret)


def test_a_trusted_key_never_lets_another_secret_with_its_prefix_in(ctx: StationContext) -> None:
    key_id, secret = _key(ctx)
    known = _check(ctx, secret)
    assert known is not None and known.id == key_id
    assert _check(ctx, secret[:-3] + ("xyz" if not secret.endswith("xyz") else "abc")) is None
    assert _check(ctx, secret + "x") is None


def _revoke_elsewhere(ctx: StationContext, key_id: str) -> None:
    """As another worker or node revokes: straight in the database, this process not told."""
    with ctx.db.transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=utcnow()))


def test_a_revocation_elsewhere_holds_once_the_trust_has_run_out(
    ctx: StationContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(apikeys, "VERIFIED_TTL_S", 60.0)  # a slow machine cannot outlast it
    key_id, secret = _key(ctx)
    assert _check(ctx, secret) is not None
    _revoke_elsewhere(ctx, key_id)
    assert _check(ctx, secret) is not None  # still trusted here, for VERIFIED_TTL_S at most

    monkeypatch.setattr(apikeys, "VERIFIED_TTL_S", 0.0)  # trust that has run out at once
    key_id, secret = _key(ctx)
    assert _check(ctx, secret) is not None
    _revoke_elsewhere(ctx, key_id)
    assert _check(ctx, secret) is None
    monkeypatch.setattr(apikeys, "VERIFIED_TTL_S", 60.0)
    assert _check(ctx, secret) is None  # a refused key is not kept either


def test_a_revocation_in_this_process_holds_at_once(ctx: StationContext) -> None:
    _, secret = _key(ctx)
    assert _check(ctx, secret) is not None
    with ctx.db.transaction() as session:
        apikeys.revoke_api_key(session, "_".join(secret.split("_")[:2]))  # its prefix
    assert _check(ctx, secret) is None
