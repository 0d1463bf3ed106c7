"""The bench speaks Simplified Chinese completely: every extracted string is translated, pages show no English."""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from station.context import StationContext
from station.db.models import Operator
from station.users import add_user
from tests.factories import seed_rma, walk_to_graded
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "web" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
#: The keywords the code marks strings with, besides babel's defaults (`_`, `gettext`, ...).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
#: A printf-style placeholder (`%(seconds)d`, `%(grams).0f`) or an escaped percent sign.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
#: English that may stay on a Chinese page: identifiers everyone on the floor reads as they are.
KEPT_WORDS = {"PIN", "GTIN", "SKU", "SN", "SHA", "CSV", "ZIP"}
BADGE, PIN = "BADGE-8801", "246813"
#: Rendering does not depend on the database: these run on SQLite only (the language switch,
#: which writes the operator row, runs on both).
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@functools.cache
def extracted_msgids() -> frozenset[str]:
    """What `pybabel extract -F babel.cfg` finds in web/ (the same method map, babel's API)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str] = set()
    for _path, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.update(message if isinstance(message, tuple) else (message,))
    return frozenset(m for m in found if m)


def english_words(text: str) -> set[str]:
    """English words in ``text`` besides placeholders and the identifiers that stay as they are."""
    return set(re.findall(r"[A-Za-z]{2,}", PLACEHOLDER.sub(" ", text))) - KEPT_WORDS


def zh_catalog() -> Catalog:
    with CATALOG.open("rb") as handle:
        return read_po(handle, locale="zh_Hans_CN")


def test_every_string_of_the_bench_has_a_chinese_translation_with_the_same_placeholders() -> None:
    catalog = zh_catalog()
    extracted = extracted_msgids()
    assert len(extracted) > 250  # the extraction really ran over the templates and the code
    entries = {m.id: m for m in catalog if m.id}
    untranslated = sorted(m for m in extracted if m not in entries or not entries[m].string)
    assert not untranslated, f"run the steps of docs/i18n.md; missing in zh_Hans_CN: {untranslated}"
    fuzzy = sorted(m.id for m in entries.values() if m.fuzzy)
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"
    for msgid, entry in entries.items():
        translated = entry.string
        assert isinstance(msgid, str) and isinstance(translated, str), f"no plural forms: {msgid!r}"
        assert Counter(PLACEHOLDER.findall(msgid)) == Counter(PLACEHOLDER.findall(translated)), \
            f"placeholders differ: {msgid!r} -> {translated!r}"
        # Jinja's gettext %-formats every string: a bare % (not %% or a placeholder) is a 500.
        assert "%" not in PLACEHOLDER.sub("", translated), f"bare % (write %%): {translated!r}"
        assert translated.strip() != msgid.strip() or not english_words(msgid), \
            f"left in English: {msgid!r}"


def test_the_placeholder_check_catches_a_renamed_or_lost_placeholder() -> None:
    good = "请 %(seconds)d 秒后再试。"
    assert Counter(PLACEHOLDER.findall("Try again in %(seconds)d s.")) == Counter(PLACEHOLDER.findall(good))
    assert Counter(PLACEHOLDER.findall("%(seconds)d s")) != Counter(PLACEHOLDER.findall("%(second)d 秒"))
    assert Counter(PLACEHOLDER.findall("deduct %(pct)d%%")) != Counter(PLACEHOLDER.findall("扣除 %(pct)d"))


class VisibleText(HTMLParser):
    """Text a person sees or hears (text nodes, aria-label, placeholder, title, alt), minus lang="en"."""

    VOID: ClassVar[set[str]] = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}
    SPOKEN: ClassVar[tuple[str, ...]] = ("aria-label", "placeholder", "title", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []
        self.html_lang = ""
        self.script_strings: dict[str, str] = {}
        self._script_id: str | None = None

    def english(self) -> bool:
        return any(is_en for _tag, is_en in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = values.get("lang", "")
            return
        is_en = values.get("lang", "").startswith("en")
        if not (is_en or self.english()):
            self.texts.extend(values[k].strip() for k in self.SPOKEN if values.get(k, "").strip())
        if tag not in self.VOID:
            self.stack.append((tag, is_en))
        if tag == "script":
            self._script_id = values.get("id")

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break
        if tag == "script":
            self._script_id = None

    def handle_data(self, data: str) -> None:
        if self._script_id == "i18n":
            self.script_strings = json.loads(data)
        elif self.stack and self.stack[-1][0] in ("script", "style"):
            return
        elif data.strip() and not self.english():
            self.texts.append(data.strip())


def english_left(page: str, data: set[str]) -> list[str]:
    """Pieces of ``page`` that are English UI text: a msgid as it is, or an unexpected English word.

    ``data`` holds what the page shows as data (station and person names, ids, descriptions).
    """
    parser = VisibleText()
    parser.feed(page)
    msgids = extracted_msgids()
    pieces = parser.texts + list(parser.script_strings.values())
    leftovers = [p for p in pieces if p in msgids]
    for piece in pieces:
        rest = piece
        for value in sorted(data, key=len, reverse=True):
            rest = rest.replace(value, " ")
        rest = re.sub(r"\b[0-9a-f]{64}\b", " ", rest)  # a photo's SHA-256
        if english_words(rest):
            leftovers.append(piece)
    return leftovers


def html_lang(page: str) -> str:
    parser = VisibleText()
    parser.feed(page)
    return parser.html_lang


def csrf_token(page: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found is not None
    return found.group(1)


@pytest.fixture
def app(ctx: StationContext) -> Flask:
    with ctx.db.transaction() as session:
        add_user(session, username="li.wei", display_name="李伟", role="operator", actor="test",
                 badge_id=BADGE, pin=PIN, locale="zh_Hans_CN")
    return create_app(ctx.settings, ctx)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient) -> TestResponse:
    page = client.get("/auth/sign-in").get_data(as_text=True)
    return client.post("/auth/sign-in", data={"badge": BADGE, "pin": PIN, "next": "",
                                              "csrf_token": csrf_token(page)})


def operator_locale(ctx: StationContext) -> str:
    with ctx.db.reader() as session:
        row = session.execute(select(Operator).where(Operator.username == "li.wei")).scalar_one()
        return row.locale


def data_shown(ctx: StationContext) -> set[str]:
    """What a page shows that is not UI text: the station's configured name, the person, a language."""
    return {ctx.settings.station.id, ctx.settings.station.name or "", "李伟", "English"}


@sqlite_only
def test_the_sign_in_page_is_chinese_for_a_chinese_browser(ctx: StationContext,
                                                            client: FlaskClient) -> None:
    response = client.get("/auth/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html_lang(page) == "zh-CN"
    assert "请刷工牌" in page
    assert english_left(page, data_shown(ctx)) == []


@sqlite_only
def test_an_operator_with_chinese_sees_the_idle_bench_in_chinese(ctx: StationContext,
                                                                 client: FlaskClient) -> None:
    assert sign_in(client).status_code == 302
    page = client.get("/bench/").get_data(as_text=True)
    assert html_lang(page) == "zh-CN"
    assert "请扫描退货标签" in page and "未配置" in page  # heading; a device with no driver
    assert english_left(page, data_shown(ctx)) == []


@sqlite_only
def test_every_inspection_screen_and_a_refused_action_are_chinese(ctx: StationContext,
                                                                  client: FlaskClient) -> None:
    seed_rma(ctx)
    inspection_id = walk_to_graded(ctx)
    sign_in(client)
    with ctx.db.reader() as session:
        from station.db.models import ExpectedItem
        data = data_shown(ctx) | {"RMA-1001", "SO-RMA-1001", "TRKRMA-1001", "HP-200-BLK",
                                  "05012345678900", "SN-001", "cable"}
        data |= {item.description for item in session.execute(select(ExpectedItem)).scalars()}
    for step in ("parcel", "weigh", "items", "photos", "units/1", "result"):
        page = client.get(f"/bench/i/{inspection_id}/{step}").get_data(as_text=True)
        assert html_lang(page) == "zh-CN", step
        assert english_left(page, data) == [], step
    page = client.get(f"/bench/i/{inspection_id}/result").get_data(as_text=True)
    refused = client.post(f"/bench/i/{inspection_id}/complete", follow_redirects=True,
                          data={"override": "1", "grade": "B", "reason": "",
                                "csrf_token": csrf_token(page)})
    shown = refused.get_data(as_text=True)
    assert "请填写原因（必填）。" in shown
    assert english_left(shown, data) == []


def test_switching_the_language_changes_the_page_and_the_operator_row(ctx: StationContext,
                                                                      client: FlaskClient) -> None:
    sign_in(client)
    page = client.get("/bench/").get_data(as_text=True)
    assert html_lang(page) == "zh-CN"
    switched = client.post("/auth/language", data={"lang": "en", "next": "/bench/",
                                                   "csrf_token": csrf_token(page)})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/bench/")
    page = client.get("/bench/").get_data(as_text=True)
    assert html_lang(page) == "en" and "Scan the return label" in page
    assert "Scan the return label" in english_left(page, data_shown(ctx))  # the check does bite
    assert operator_locale(ctx) == "en"

    refused = client.post("/auth/language", data={"lang": "fr", "next": "/bench/",
                                                  "csrf_token": csrf_token(page)})
    assert refused.status_code == 302
    assert operator_locale(ctx) == "en"
    assert client.post("/auth/language", data={"lang": "zh_Hans_CN", "next": "/bench/"}).status_code == 400
    assert operator_locale(ctx) == "en"  # no CSRF token: refused, nothing changed

    client.post("/auth/language", data={"lang": "zh_Hans_CN", "next": "/bench/",
                                        "csrf_token": csrf_token(page)})
    assert html_lang(client.get("/bench/").get_data(as_text=True)) == "zh-CN"
    assert operator_locale(ctx) == "zh_Hans_CN"


def test_the_language_chosen_is_kept_at_the_next_sign_in(ctx: StationContext, app: Flask) -> None:
    first = app.test_client()
    sign_in(first)
    page = first.get("/bench/").get_data(as_text=True)
    first.post("/auth/language", data={"lang": "en", "next": "/bench/", "csrf_token": csrf_token(page)})
    later = app.test_client()  # another browser session, no language in it
    sign_in(later)
    assert html_lang(later.get("/bench/").get_data(as_text=True)) == "en"
