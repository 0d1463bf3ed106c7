"""The API docs page: served locally, lists every operation, fetches nothing from elsewhere."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import Flask

from station.context import StationContext
from web.api.openapi import document
from web.app import create_app


@pytest.fixture
def database_url(tmp_path: object) -> str:
    """The page does not touch the database; SQLite keeps the test quick."""
    return f"sqlite:///{tmp_path}/station.db"


@pytest.fixture
def app(ctx: StationContext) -> Flask:
    return create_app(ctx.settings, ctx)


class Links(HTMLParser):
    """Every URL-bearing attribute and every <script>/<link>/<img> the page carries."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("href", "src", "action") and v]


def test_the_docs_page_lists_every_operation_without_a_key(app: Flask) -> None:
    response = app.test_client().get("/api/v1/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    doc = document()
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            assert f'id="{op["operationId"]}"' in html, f"{method} {path} missing"
            assert f"<code>{path}</code>" in html
    for event_type in doc["webhooks"]:
        assert f"<code>{event_type}</code>" in html
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html


def test_the_docs_page_needs_nothing_from_another_host(app: Flask) -> None:
    html = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    links = Links()
    links.feed(html)
    assert "script" not in links.tags and "img" not in links.tags
    assert links.urls, "the page links its schemas and the OpenAPI document"
    assert all(u.startswith(("#", "/api/v1/")) for u in links.urls), links.urls
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html), "no URL to another host"


def test_schema_names_in_the_page_link_to_their_definitions(app: Flask) -> None:
    html = app.test_client().get("/api/v1/docs").get_data(as_text=True)
    targets = set(re.findall(r'href="#(schema-[A-Za-z0-9_]+)"', html))
    assert "schema-ReturnAuthorizationIn" in targets
    assert all(f'id="{t}"' in html for t in targets)
