"""Hostile input against every route: each answer a 4xx (or a normal page), never a 5xx.

Every URL rule of the app is tried with every method it allows and some it does not, as three
callers (no credentials, a platform API key with every scope, a signed-in supervisor with a
valid CSRF token), with hostile path values, query strings and bodies: JSON nested 100 000
deep, malformed and truncated JSON, NUL and invalid UTF-8, 64 KB of random bytes, numbers
written in other scripts, 5000-digit numbers, very long strings. Counted by status class.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import seed_rma
from tests.support.bench import (
    SUPERVISOR,
    add_people,
    api_key_header,
    bench_app,
    csrf,
    migrated,
    signed_in,
    sqlite_settings,
)

PATH_VALUES = ["x", "0", "-1", "²", "9" * 5000, "%00", "..%2F..%2Fetc", "%E2%98%83", "a" * 300,
               "RMA-1001", "01J0000000000000000000000"]
QUERIES = ["", "?limit=--5", "?limit=²", "?limit=" + "5" * 5000, "?cursor=" + "W" * 400,
           "?ttl_s=-1", "?expires=²&sig=%C3%A9", "?next=//evil.example", "?lang=%00",
           "?since=2026-13-45", "?q=" + "%FF" * 50]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def bodies(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """(content type, body) pairs, hostile ones."""
    yield "application/json", b"[" * 100_000
    yield "application/json", b'{"rma_id": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    yield "application/json", b'{"url": '
    yield "application/json", b"\x00\xff\xfe"
    yield "application/json", b'{"amount": 1e999999, "status": "refunded"}'
    yield "application/json", b'{"items": [' + b'{"quantity": 9},' * 2000 + b"{}]}"
    yield "application/octet-stream", rng.randbytes(64 * 1024)
    yield "text/plain", "数量=٣".encode()
    yield "application/x-www-form-urlencoded", b"code=" + b"A" * 5000 + b"&grams=1e999999"
    yield "application/x-www-form-urlencoded", b"code=%00%FF&csrf_token=x"
    yield "multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\n"


@dataclass
class InputReport:
    """How many requests were sent and what came back."""

    requests: int = 0
    by_class: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


def _paths(app: Flask) -> list[tuple[str, set[str]]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        found.append((rule.rule, set(rule.methods or ())))
    return found


def _fill(rule: str, value: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", value, rule)


def _send(client: FlaskClient, method: str, path: str, content_type: str, body: bytes,
          headers: dict[str, str], report: InputReport) -> None:
    answer = client.open(path, method=method, data=body, headers={
        **headers, "Content-Type": content_type})
    report.requests += 1
    report.by_class[f"{answer.status_code // 100}xx"] += 1
    if answer.status_code >= 500 and answer.status_code not in (503, 507):
        report.server_errors.append(f"{method} {path[:120]} -> {answer.status_code}")


def hostile_inputs(root: Path, budget: int | None = None, seed: int = 3) -> InputReport:
    """Send the corpus (at most ``budget`` requests) and count the answers."""
    ctx = migrated(sqlite_settings(root))
    try:
        add_people(ctx)
        seed_rma(ctx)
        app = bench_app(ctx)
        api = api_key_header(ctx)
        supervisor = signed_in(app, SUPERVISOR)
        token = csrf(supervisor, "/review/")
        callers: list[tuple[FlaskClient, dict[str, str]]] = [
            (app.test_client(), {}), (app.test_client(), api),
            (supervisor, {"X-CSRFToken": token, "Accept": "text/html"}),
        ]
        rng = random.Random(seed)
        corpus = list(bodies(rng))
        report = InputReport()
        for rule, allowed in _paths(app):
            for value in PATH_VALUES if "<" in rule else ["-"]:
                path = _fill(rule, value)
                for query in QUERIES:
                    for method in METHODS:
                        if method not in allowed and rng.random() > 0.2:
                            continue
                        for client, headers in callers:
                            content_type, body = corpus[rng.randrange(len(corpus))]
                            if method == "GET":
                                content_type, body = "text/plain", b""
                            _send(client, method, path + query, content_type, body, headers,
                                  report)
                            if budget is not None and report.requests >= budget:
                                return report
        return report
    finally:
        ctx.close()
