"""The bench at warehouse speed: scanned codes in words, one/many wording in en and zh, sign-out asks first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from station.context import StationContext
from station.db.models import Inspection
from tests.factories import seed_rma
from tests.support.bench import (
    OPERATOR,
    SUPERVISOR,
    add_people,
    bench_app,
    csrf,
    html,
    migrated,
    signed_in,
    sqlite_settings,
)
from web.bench.codes import fields, readable, visible

GS = "\x1d"
#: What the issue saw: a GS1 DataMatrix with its AIM prefix, GTIN then serial (FNC1 sent as GS).
DATAMATRIX = f"]d20105012345678900{GS}21HP200-A1B2C3"
FETCH = {"Accept": "application/json", "X-Requested-With": "fetch"}


@pytest.mark.parametrize(("raw", "shown"), [
    (DATAMATRIX, "GTIN 05012345678900 · Serial HP200-A1B2C3"),
    # serial first (variable length, ended by GS), then expiry with day 00 and a lot
    (f"]d22112345{GS}0105012345678900171212001{GS}10L-77", None),
    (f"]C10105012345678900{GS}10ABC123{GS}17261231", "GTIN 05012345678900 · Lot ABC123 · Expiry 2026-12-31"),
    ("]C100350123450000000013", "SSCC 350123450000000013"),  # a GS1-128 pallet label
    (f"]C10105012345678900{GS}3005{GS}400PO-42", "GTIN 05012345678900 · Count 05 · Order number PO-42"),
    ("(01)05012345678900(21)SN-9", "GTIN 05012345678900 · Serial SN-9"),  # printed HRI form
    ("]Q3https://id.gs1.org/01/05012345678900/21/QR1", "GTIN 05012345678900 · Serial QR1"),
    ("]E05012345678900", "GTIN 05012345678900"),  # EAN-13 with its AIM id
    ("5012345678900", "GTIN 05012345678900"),
    ("]C0TRK-123456", "TRK-123456"),  # plain Code 128: only the AIM prefix goes
    ("RMA-1001", "RMA-1001"),
    ("]-SKU-1", "]-SKU-1"),  # a "]" that is no AIM id is data
])
def test_codes_read_as_their_meaning(raw: str, shown: str | None) -> None:
    text = readable(raw)
    if shown is not None:
        assert text == shown
    assert "]d2" not in text and GS not in text
    assert all(ch.isprintable() for ch in text)


def test_a_gs1_date_with_day_00_and_an_unknown_ai_still_read() -> None:
    pairs = fields(f"]C10105012345678900{GS}15271100{GS}9123X")
    assert pairs == [("GTIN", "05012345678900"), ("Best before", "2027-11-30"), ("(91)", "23X")]


@pytest.mark.parametrize(("raw", "shown"), [
    (f"]C0AB{GS}CD\x04", "AB<GS>CD<EOT>"),  # not GS1: the separators stay, as names
    (f"]d2010501234567890{GS}", None),  # a broken GS1 string (bad check digit): plain, visible
    ("bell\x07 nul\x00 esc\x1b", "bell<U+0007> nul<NUL> esc<ESC>"),
    ("caf\ufffd\ufffd", "caf<?><?>"),  # bytes the scanner's code page could not decode
    ("line\r\nbreak\ttab", "line<CR><LF>break<TAB>tab"),
    ("\u202etxt.exe", "<U+202E>txt.exe"),  # a bidi override would reorder what the operator reads
    ("zero\u200bwidth", "zero<U+200B>width"),
    ("\ud800lone", "<U+D800>lone"),  # a lone surrogate from a broken decoder
    ("📦 box 👨‍👩‍👧", "📦 box 👨‍👩‍👧"),  # emoji (with zero-width joiners) are text and stay
    ("", ""),
])
def test_control_characters_and_garbage_are_shown_never_printed(raw: str, shown: str | None) -> None:
    text = readable(raw)
    if shown is not None:
        assert text == shown
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000 for ch in text)
    assert "\ufffd" not in text and "\u202e" not in text


def test_readable_never_raises_and_stays_short() -> None:
    assert readable(None) == ""
    assert readable(12345) == "12345"
    assert readable(b"\xff\x1d") == "b'\\xff\\x1d'"
    long = readable("A" * 5000)
    assert len(long) == 160 and long.endswith("…")
    assert visible(GS * 3) == "<GS><GS><GS>"
    every_byte = "".join(chr(i) for i in range(256))
    assert all(ch.isprintable() for ch in readable(every_byte))


# ---- pages --------------------------------------------------------------------------------------

@pytest.fixture
def station(tmp_path: Path) -> Iterator[StationContext]:
    ctx = migrated(sqlite_settings(tmp_path))
    add_people(ctx, (OPERATOR, SUPERVISOR))
    yield ctx
    ctx.close()


@pytest.fixture
def app(station: StationContext) -> Flask:
    return bench_app(station)


def speak(client: FlaskClient, lang: str, page: str = "/bench/") -> None:
    answer = client.post("/auth/language", data={"lang": lang, "next": page,
                                                 "csrf_token": csrf(client, page)})
    assert answer.status_code == 302


def at_items(station: StationContext, label: str = "TRKRMA-1001") -> str:
    inspection = station.inspections.receive(label, station.settings.station.id, None, "op")
    station.inspections.record_weight(inspection.id, 550_000, "scale", "op")
    return inspection.id


def finish(station: StationContext, count: int) -> None:
    """``count`` parcels completed at this bench just now."""
    for n in range(count):
        inspection = station.inspections.receive(f"TRK-DONE-{n}", station.settings.station.id, None, "op")
        with station.db.transaction() as session:
            session.execute(update(Inspection).where(Inspection.id == inspection.id)
                            .values(state="completed", completed_at=datetime.now(UTC)))


def test_a_scan_shows_its_meaning_on_the_items_screen_and_in_the_answer(app: Flask, station: StationContext) -> None:
    seed_rma(station)
    inspection_id = at_items(station)
    client = signed_in(app, OPERATOR)
    token = csrf(client, f"/bench/i/{inspection_id}/items")
    answer = client.post(f"/bench/i/{inspection_id}/item", headers=FETCH,
                         data={"code": DATAMATRIX, "source": "scanner", "csrf_token": token})
    body = answer.get_json()
    assert body["code"] == DATAMATRIX  # kept as it was read
    assert body["readable"] == "GTIN 05012345678900 · Serial HP200-A1B2C3"
    page = html(client, f"/bench/i/{inspection_id}/items").get_data(as_text=True)
    scans = re.search(r'<ul id="scans">(.*?)</ul>', page, re.S)
    assert scans is not None
    assert "GTIN 05012345678900 · Serial HP200-A1B2C3" in scans.group(1)
    assert "]d2" not in scans.group(1) and GS not in page
    assert scans.group(1).count("HP200-A1B2C3") == 1  # the serial is not shown twice
    speak(client, "zh_Hans_CN", f"/bench/i/{inspection_id}/items")
    page = html(client, f"/bench/i/{inspection_id}/items").get_data(as_text=True)
    assert "GTIN 05012345678900 · 序列号 HP200-A1B2C3" in page


def test_the_review_page_shows_the_scan_in_words(app: Flask, station: StationContext) -> None:
    seed_rma(station)
    inspection_id = at_items(station)
    client = signed_in(app, OPERATOR)
    client.post(f"/bench/i/{inspection_id}/item", headers=FETCH, data={
        "code": f"]C10105012345678900{GS}10LOT-9", "csrf_token": csrf(client, f"/bench/i/{inspection_id}/items")})
    supervisor = signed_in(app, SUPERVISOR)
    page = html(supervisor, f"/review/inspections/{inspection_id}").get_data(as_text=True)
    assert "<code>GTIN 05012345678900 · Lot LOT-9</code>" in page and GS not in page


@pytest.mark.parametrize(("count", "lang", "words"), [
    (0, "en", "parcels done at this bench"), (1, "en", "parcel done at this bench"),
    (2, "en", "parcels done at this bench"), (1, "zh_Hans_CN", "个包裹已在本工作台完成"),
    (2, "zh_Hans_CN", "个包裹已在本工作台完成"),
])
def test_parcels_done_today_agree_with_their_number(app: Flask, station: StationContext, count: int,
                                                   lang: str, words: str) -> None:
    finish(station, count)
    client = signed_in(app, OPERATOR)
    speak(client, lang)
    page = html(client, "/bench/").get_data(as_text=True)
    assert re.search(rf'<span class="huge" id="today">{count}</span> {words}</p>', page), page[-2000:]


@pytest.mark.parametrize(("count", "lang", "words"), [
    (1, "en", "1 inspection matches; page 1 of 1."), (2, "en", "2 inspections match; page 1 of 1."),
    (1, "zh_Hans_CN", "共 1 条检验记录；第 1 / 1 页。"),
])
def test_the_inspection_list_counts_in_words_that_agree(app: Flask, station: StationContext, count: int,
                                                       lang: str, words: str) -> None:
    for n in range(count):
        station.inspections.receive(f"TRK-LIST-{n}", f"bench-{n}", None, "op")
    client = signed_in(app, SUPERVISOR)
    speak(client, lang, "/analytics/inspections")
    page = html(client, "/analytics/inspections").get_data(as_text=True)
    assert words in page


class Header(HTMLParser):
    """The header's controls in order: (kind, text, inside a <details data-confirm>), sign-out forms."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_header = False
        self.details_depth = 0
        self.confirm_depth = 0
        self.in_signout_form = False
        self.controls: list[tuple[str, str]] = []
        self.signout_buttons: list[tuple[str, bool]] = []
        self._text: list[str] | None = None
        self._kind = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "header":
            self.in_header = True
        if not self.in_header:
            return
        if tag == "details":
            self.details_depth += 1
            if "data-confirm" in a and not self.confirm_depth:
                self.confirm_depth = self.details_depth
        if tag == "form" and a.get("action", "").endswith("/auth/sign-out"):
            self.in_signout_form = True
        if tag in ("button", "summary", "a"):
            self._text, self._kind = [], tag

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self.in_header = False
        if tag in ("button", "summary", "a") and self._text is not None:
            text = "".join(self._text).strip()
            self.controls.append((self._kind, text))
            if self.in_signout_form:
                self.signout_buttons.append((text, bool(self.confirm_depth)))
            self._text = None
        if tag == "form":
            self.in_signout_form = False
        if tag == "details":
            if self.details_depth == self.confirm_depth:
                self.confirm_depth = 0
            self.details_depth -= 1


def header_of(page: str) -> Header:
    parser = Header()
    parser.feed(page)
    return parser


@pytest.mark.parametrize("person", [OPERATOR, SUPERVISOR], ids=["operator", "supervisor"])
def test_sign_out_asks_first_and_sits_away_from_lock(app: Flask, person: object) -> None:
    client = signed_in(app, person)  # type: ignore[arg-type]
    page = html(client, "/bench/").get_data(as_text=True)
    header = header_of(page)
    # the only submit that signs out is inside the closed confirm step, never one touch away
    assert header.signout_buttons == [("Yes, sign out", True)]
    assert '<details class="signout" id="sign-out" data-confirm>' in page  # closed: no "open"
    names = [text for _kind, text in header.controls]
    assert ("summary", "Sign out") in header.controls
    lock, sign_out = names.index("Lock"), names.index("Sign out")
    # not neighbours: the flexible gap (>= 48 px) and other controls lie between them
    assert abs(lock - sign_out) > 1 or person is OPERATOR
    between = page.index('class="topbar-gap"')
    assert page.index('id="sign-out"') < between < page.index('id="lock-now"')
    assert "window.confirm" not in page and "onclick" not in page


def test_the_yes_button_still_signs_out_as_before(app: Flask) -> None:
    client = signed_in(app, OPERATOR)
    page = html(client, "/bench/").get_data(as_text=True)
    token = re.search(r'action="/auth/sign-out">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = client.post("/auth/sign-out", data={"csrf_token": token.group(1)})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/auth/sign-in")
    assert html(client, "/bench/").status_code in (302, 401)


def test_pin_and_count_styles_are_served(app: Flask) -> None:
    css = app.test_client().get("/static/bench.css").get_data(as_text=True)
    assert re.search(r"table\.lines td\.count \{[^}]*white-space: nowrap", css)
    assert re.search(r"input#pin \{[^}]*letter-spacing[^}]*width: calc\(8 \*", css, re.S)
    assert re.search(r"\.topbar \.topbar-gap \{ flex: 1 0 48px; \}", css)
    assert re.search(r"\.topbar \{ gap: 12px;", css)
