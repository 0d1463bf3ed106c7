"""Languages of the browser UI (Flask-Babel): English and Simplified Chinese, per operator.

The catalogs are kept as .po files in web/translations; they are compiled into a per-process
folder at start-up, so no generated .mo file is committed and a changed .po is never stale.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, format_timedelta
from flask_login import current_user

TRANSLATIONS = Path(__file__).parent / "translations"
#: Locale ids as stored on the operator row -> the short tag the page's lang attribute uses.
LANGUAGES = {"en": "en", "zh_Hans_CN": "zh-CN"}
LANGUAGE_NAMES = {"en": "English", "zh_Hans_CN": "简体中文"}
DEFAULT_LOCALE = "en"


def compiled_catalogs(source: Path = TRANSLATIONS) -> Path:
    """The compiled catalogs of ``source``, compiled once per process and again when a .po changes
    (every app the process builds, e.g. one per test, shares them)."""
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in sorted(source.glob("*/LC_MESSAGES/*.po")))
    return _compiled(source, stamp)


@functools.cache
def _compiled(source: Path, stamp: tuple[tuple[str, int], ...]) -> Path:
    del stamp  # part of the cache key only
    return compile_catalogs(source)


def compile_catalogs(source: Path = TRANSLATIONS) -> Path:
    """Compile every ``<locale>/LC_MESSAGES/messages.po`` under ``source`` into a temp folder."""
    target = Path(tempfile.mkdtemp(prefix="station-i18n-"))
    atexit.register(shutil.rmtree, target, True)
    for po_path in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        out = target / locale / "LC_MESSAGES"
        out.mkdir(parents=True)
        with (out / "messages.mo").open("wb") as handle:
            write_mo(handle, catalog)
    return target


def normalise_locale(value: str | None) -> str | None:
    """``zh``, ``zh-CN``, ``zh_Hans_CN`` -> ``zh_Hans_CN``; ``en*`` -> ``en``; else None."""
    if not value:
        return None
    lowered = value.replace("-", "_").lower()
    if lowered.startswith("zh"):
        return "zh_Hans_CN"
    if lowered.startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    """The language switched on screen, else the operator's, else the browser's."""
    chosen = normalise_locale(session.get("lang"))
    if chosen:
        return chosen
    if current_user and current_user.is_authenticated:
        return normalise_locale(getattr(current_user, "locale", None)) or DEFAULT_LOCALE
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"])
    return normalise_locale(best) or DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled_catalogs())
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LOCALE
    Babel(app, locale_selector=select_locale)

    @app.context_processor
    def _languages() -> dict[str, object]:
        from flask_babel import get_locale

        locale = str(get_locale() or DEFAULT_LOCALE)
        return {"languages": LANGUAGE_NAMES, "current_locale": locale,
                "html_lang": LANGUAGES.get(locale, "en"), "format_date": format_date,
                "format_datetime": format_datetime, "format_grams": format_grams,
                "format_timedelta": format_timedelta}


def format_grams(milligrams: int | None, digits: int = 1) -> str:
    """A weight in grams with the locale's separators ("1,234.5 g"); an en dash when unknown."""
    if milligrams is None:
        return "–"
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return f"{format_decimal(milligrams / 1000, format=pattern)} g"
