"""Doctor's checks of what the bench talks to: the database and its schema, the label printer, the webhook endpoints.

Every network step has its own timeout (connect_timeout for PostgreSQL, the printer profile's
connect and read timeouts, the HTTP timeout), and no URL is printed with its password, user
or query string.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import make_url

from station.config import Settings, masked
from station.doctor.model import Finding, fail, ok, warn


def _first_line(exc: BaseException) -> str:
    """The driver's first line (no SQL, no parameters: they may hold secrets)."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]


def _engine(settings: Settings, timeout_s: float) -> Engine:
    url = settings.database.url
    if make_url(url).get_backend_name() == "sqlite":
        return create_engine(url, connect_args={"timeout": timeout_s})
    return create_engine(url, connect_args={"connect_timeout": max(1, int(timeout_s))},
                         pool_pre_ping=False)


def _sqlite_missing(settings: Settings) -> bool:
    """A SQLite URL whose file is not there (connecting would create an empty one)."""
    url = make_url(settings.database.url)
    database = url.database or ""
    return (url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and not Path(database).exists())


def check_database(settings: Settings, timeout_s: float = 3.0) -> list[Finding]:
    """The database answers and is at the newest migration this software ships (alembic head)."""
    from alembic.script import ScriptDirectory

    from station.db.migrate import alembic_config, current_revision

    shown = masked(settings)["database"]["url"]
    if _sqlite_missing(settings):
        return [fail("database", "db.missing", "fix.db.upgrade", url=shown)]
    engine = _engine(settings, timeout_s)
    try:
        try:
            current = current_revision(engine)
        except Exception as exc:
            return [fail("database", "db.unreachable", "fix.db.unreachable", url=shown,
                         error=_first_line(exc))]
        scripts = ScriptDirectory.from_config(alembic_config(engine))
        head = scripts.get_current_head()
    finally:
        engine.dispose()
    if current is None:
        return [fail("database", "db.empty", "fix.db.upgrade", url=shown)]
    if current == head:
        return [ok("database", "db.ok", url=shown, revision=current)]
    known = {script.revision for script in scripts.walk_revisions()}
    if current not in known:
        return [fail("database", "db.newer", "fix.db.newer", url=shown, current=current)]
    return [fail("database", "db.outdated", "fix.db.upgrade", url=shown, current=current,
                 head=head)]


def check_printer(settings: Settings) -> list[Finding]:
    """The label printer answers ~HS (ZPL II Programming Guide, "~HS Host Status Return") and
    nothing stops it printing."""
    from drivers.printer.errors import PrinterError
    from drivers.printer.session import PrinterSession

    url = settings.labels.printer_url
    if not url:
        if settings.devices.simulated:
            return [ok("printer", "simulated")]
        return [warn("printer", "printer.none", "fix.printer.none")]
    try:
        session = PrinterSession(settings.labels.printer_profile, url)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        return [fail("printer", "printer.bad", "fix.printer.bad", error=str(exc))]
    try:
        status = session.status()
    except PrinterError as exc:
        return [fail("printer", "printer.offline", "fix.printer.offline", url=url,
                     error=getattr(exc, "reason", str(exc)))]
    finally:
        session.close()
    if status is None:
        return [warn("printer", "printer.no_status", "fix.printer.no_status", url=url)]
    if status.blocking_problems():
        return [fail("printer", "printer.not_ready", "fix.printer.not_ready", url=url,
                     problems=", ".join(status.problems()))]
    return [ok("printer", "printer.ok", url=url)]


def check_s3(settings: Settings) -> list[Finding]:
    """The evidence bucket answers HeadBucket with the configured credentials (Amazon S3 API
    Reference, "HeadBucket"); nothing is written (a probe object under Object Lock would stay)."""
    from station.evidence.store import PhotoStoreError
    from station.evidence.store_s3 import S3Options, S3PhotoStore

    section = settings.evidence
    params = {"bucket": section.s3_bucket,
              "endpoint": shown_url(section.s3_endpoint_url) if section.s3_endpoint_url
              else section.s3_region}
    store = S3PhotoStore(S3Options.from_section(section), Path(section.photo_dir),
                         section.min_free_mb)
    try:
        store.probe_writable()
    except PhotoStoreError as exc:
        return [fail("s3", "s3.unreachable", "fix.s3.unreachable", error=exc.message, **params)]
    return [ok("s3", "s3.ok", **params)]


def shown_url(url: str) -> str:
    """scheme://host[:port]/path: no user, password, query or fragment (they may hold tokens)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def endpoint_urls(settings: Settings, timeout_s: float) -> list[str] | None:
    """The enabled endpoints' URLs, or None when the database cannot be read."""
    from station.db.models import WebhookEndpoint

    if _sqlite_missing(settings):
        return None
    engine = _engine(settings, timeout_s)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(WebhookEndpoint.url).where(WebhookEndpoint.enabled.is_(True))
                                .order_by(WebhookEndpoint.created_at))
            return [row[0] for row in rows]
    except Exception:
        return None
    finally:
        engine.dispose()


def check_webhooks(settings: Settings, timeout_s: float = 3.0) -> list[Finding]:
    """Each enabled endpoint answers an HTTP HEAD (any status below 500 counts as reachable);
    no event is sent and nothing is signed."""
    import httpx

    urls = endpoint_urls(settings, timeout_s)
    if urls is None:
        return [warn("webhooks", "webhooks.no_db", "fix.webhooks.no_db")]
    if not urls:
        return [ok("webhooks", "webhooks.none")]
    findings = []
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=True) as client:
        for url in urls:
            shown = shown_url(url)
            try:
                code = client.head(url).status_code
            except httpx.HTTPError as exc:
                reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                findings.append(fail("webhooks", "webhooks.unreachable", "fix.webhooks.unreachable",
                                     url=shown, error=reason.replace(url, shown)))
                continue
            if code >= 500:
                findings.append(warn("webhooks", "webhooks.server_error",
                                     "fix.webhooks.server_error", url=shown, code=code))
            else:
                findings.append(ok("webhooks", "webhooks.ok", url=shown, code=code))
    return findings
