"""Central publishing of the policy and the site's sort rules: versioned, checked, audited, never changed.

``station policy publish FILE`` stores the file's text with its version, SHA-256, time and who
published it in ``policy_publication``. Every bench reads the newest row of each kind at start
and on each heartbeat (station/fleet/heartbeat.py) and grades its next outcomes with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from station.db.fleet_models import PolicyPublication
from station.db.types import utcnow
from station.policy import Policy, PolicyError, parse_policy
from station.returns.errors import DomainError
from station.sorting.rules import SortRules, SortRulesError, parse_sort_rules
from station.unit_of_work import UnitOfWork

Kind = Literal["policy", "sort_rules"]

#: Larger files are refused before parsing (the shipped policy is about 20 kB).
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Published:
    """What a publish did: the row's sequence number and whether it was new."""

    seq: int
    version: str
    sha256: str
    new: bool


def parse(kind: Kind, text: str, source: str) -> Policy | SortRules:
    """The file as the bench's loader reads it; raises DomainError with the loader's message."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DomainError("publication_too_large", f"{source}: larger than {MAX_BYTES} bytes")
    try:
        return parse_policy(text, source) if kind == "policy" else parse_sort_rules(text, source)
    except (PolicyError, SortRulesError) as exc:
        raise DomainError(f"invalid_{kind}", str(exc)) from exc


def publish(uow: UnitOfWork, kind: Kind, text: str, source: str, actor: str) -> Published:
    """Check ``text`` with the loader and store it as the newest publication of ``kind``.

    The same version with the same content again is no change (``new`` False); the same version
    with other content is refused: a version names one text for good. Nothing is stored when a
    check fails.
    """
    parsed = parse(kind, text, source)
    try:
        return _store(uow, kind, text, parsed.version, actor)
    except IntegrityError:  # the same version published elsewhere in the same instant
        return _store(uow, kind, text, parsed.version, actor)


def _store(uow: UnitOfWork, kind: Kind, text: str, version: str, actor: str) -> Published:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    with uow() as work:
        session = work.session
        known = session.execute(select(PolicyPublication).where(
            PolicyPublication.kind == kind, PolicyPublication.version == version)).scalar_one_or_none()
        if known is not None:
            if known.sha256 != digest:
                raise DomainError("version_published", f"{kind} version {version} was published on "
                                  f"{known.published_at:%Y-%m-%d %H:%M} UTC with other content: give "
                                  "the changed file a new version")
            return Published(known.seq, version, digest, new=False)
        row = PolicyPublication(kind=kind, version=version, sha256=digest, content=text,
                                published_at=utcnow(), published_by=actor[:200])
        session.add(row)
        session.flush()
        work.audit(actor=actor, action=f"{kind}.published", entity_type="policy_publication",
                   entity_id=str(row.seq), data={"kind": kind, "version": version, "sha256": digest})
        return Published(row.seq, version, digest, new=True)


def newest(session: Session, kind: Kind) -> PolicyPublication | None:
    """The latest publication of ``kind`` (None: nothing published, benches use their own file)."""
    return session.execute(select(PolicyPublication).where(PolicyPublication.kind == kind)
                           .order_by(PolicyPublication.seq.desc()).limit(1)).scalar_one_or_none()


def newest_versions(session: Session) -> dict[str, str]:
    """Kind -> the version published last, for the kinds published at all."""
    found: dict[str, str] = {}
    for kind in ("policy", "sort_rules"):
        row = newest(session, kind)
        if row is not None:
            found[kind] = row.version
    return found
