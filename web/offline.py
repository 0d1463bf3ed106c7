"""The fleet bench's sync banner: "Offline — N waiting" on every page while central is unreachable or work waits."""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _


def init_app(app: Flask) -> None:
    """Every page gets ``sync_banner`` (None on a bench that is not a fleet bench, or all synced)."""

    @app.context_processor
    def _sync_banner() -> dict[str, object]:
        sync = app.extensions["station"].sync
        if sync is None:
            return {"sync_banner": None}
        status = sync.status()
        if not status.shown:
            return {"sync_banner": None}
        if status.online is False:
            text = _("Offline — %(n)s waiting", n=status.waiting)
        else:
            text = _("Syncing with central — %(n)s waiting", n=status.waiting)
        return {"sync_banner": {"offline": status.online is False, "text": text}}
