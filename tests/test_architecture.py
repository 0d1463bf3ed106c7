"""The layout rules of docs/architecture.md, read from the source: imports flow web -> station -> drivers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("drivers", "station", "web")


def imports_of(path: Path) -> set[str]:
    """Top-level package names and dotted modules a file imports (also inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def offenders(package: str, forbidden: tuple[str, ...], *, skip: str | None = None) -> list[str]:
    bad = []
    for path in modules(package):
        relative = path.relative_to(ROOT).as_posix()
        if skip and relative.startswith(skip):
            continue
        for name in imports_of(path):
            if name.split(".")[0] in forbidden or any(name.startswith(f) for f in forbidden if "." in f):
                bad.append(f"{relative} imports {name}")
    return bad


def test_drivers_import_neither_the_domain_nor_the_web() -> None:
    assert modules("drivers")
    assert offenders("drivers", ("station", "web")) == []


def test_only_the_cli_package_imports_the_web_floor() -> None:
    assert offenders("station", ("web",), skip="station/cli/") == []
    assert any("web" in imports_of(p) or any(n.startswith("web.") for n in imports_of(p))
               for p in modules("station/cli"))  # the composition root really is there


def test_the_web_floor_never_imports_the_cli() -> None:
    assert offenders("web", ("station.cli",)) == []


def test_only_the_unit_of_work_opens_domain_write_transactions() -> None:
    """`db.transaction()` belongs to the unit of work; besides it only bookkeeping that is no
    domain state opens one: the analytics reader's recount, the webhook dispatcher's delivery
    rows, the print spooler's job rows, an API key's last use and rate bucket, a person's
    chosen language and a bench's fleet heartbeat row (docs/architecture.md)."""
    allowed = {"station/unit_of_work.py", "station/analytics/reader.py", "station/fleet/registry.py",
               "station/printing/spooler.py", "station/api_limits.py",
               "station/webhooks/dispatcher.py", "web/api/auth.py", "web/auth/users.py"}
    opened = []
    for package in ("station", "web"):
        for path in modules(package):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in allowed and re.search(r"\.transaction\(\)", path.read_text("utf-8")):
                opened.append(relative)
    assert opened == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_module_says_what_it_is_for_and_stays_under_500_lines(package: str) -> None:
    problems = []
    for path in modules(package):
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > 500:
            problems.append(f"{path.relative_to(ROOT)}: {lines} lines")
        if text.strip() and ast.get_docstring(ast.parse(text)) is None and "migrations" not in path.parts:
            problems.append(f"{path.relative_to(ROOT)}: no one-line purpose (module docstring)")
    assert problems == []


def test_nothing_in_the_project_refers_to_files_outside_it() -> None:
    outside = re.compile(r"\.\./shared|shared/(DESIGN|STYLE|PROTOCOLS)|\b(DESIGN|PROTOCOLS|STYLE)\.md")
    hits = []
    for top in ("README.md", "docs", "station", "web", "drivers", "firmware_configs", "bench",
                "Makefile", "pyproject.toml", ".ci"):
        path = ROOT / top
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for file in files:
            if file.suffix in {".png", ".jpg", ".mo", ".pyc"}:
                continue
            for number, line in enumerate(file.read_text("utf-8", errors="replace").splitlines(), 1):
                if outside.search(line):
                    hits.append(f"{file.relative_to(ROOT)}:{number}")
    assert hits == []
