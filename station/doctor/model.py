"""Findings of `station doctor` and the runner that gives every check its own time limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from station.doctor.texts import TEXTS, TITLES, WORDS, Lang, text


class Status(StrEnum):
    """OK and WARN leave the exit code 0; any FAIL makes it 1."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    """One thing a check found: a status, what was found (a text key) and, unless OK, a fix."""

    check: str
    status: Status
    found: str
    fix: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.check not in TITLES:
            raise KeyError(f"doctor: no title for check {self.check!r}")
        for key in (self.found, self.fix):
            if key is not None and key not in TEXTS:
                raise KeyError(f"doctor: no text {key!r}")
        if self.status is not Status.OK and self.fix is None:
            raise ValueError(f"doctor: {self.check}/{self.found} is {self.status} without a fix")

    def render(self, lang: Lang) -> dict[str, str | None]:
        """The finding as words in ``lang``."""
        return {
            "check": self.check,
            "status": str(self.status),
            "title": TITLES[self.check][lang],
            "found": text(self.found, lang, **self.params),
            "fix": text(self.fix, lang, **self.params) if self.fix else None,
        }


def ok(check: str, found: str, **params: Any) -> Finding:
    return Finding(check, Status.OK, found, None, params)


def warn(check: str, found: str, fix: str, **params: Any) -> Finding:
    return Finding(check, Status.WARN, found, fix, params)


def fail(check: str, found: str, fix: str, **params: Any) -> Finding:
    return Finding(check, Status.FAIL, found, fix, params)


Check = Callable[[], list[Finding]]


def run_checks(checks: Sequence[tuple[str, Check]], timeout_s: float) -> list[Finding]:
    """Run every check on its own thread at once; one that has not answered after ``timeout_s``
    is a FAIL (its thread is a daemon and ends with the process), so doctor never hangs."""
    results: dict[str, list[Finding]] = {}
    lock = threading.Lock()

    def runner(name: str, check: Check) -> None:
        try:
            found = check()
        except Exception as exc:  # one broken check must not hide the others' findings
            found = [fail(name, "crashed", "fix.crashed", error=f"{type(exc).__name__}: {exc}")]
        with lock:
            results[name] = found

    threads = []
    for name, check in checks:
        thread = threading.Thread(target=runner, args=(name, check), name=f"doctor-{name}",
                                  daemon=True)
        thread.start()
        threads.append((name, thread))
    deadline = time.monotonic() + timeout_s
    findings: list[Finding] = []
    for name, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        with lock:
            done = results.get(name)
        findings.extend(done if done is not None else
                        [fail(name, "timeout", "fix.timeout", seconds=f"{timeout_s:g}")])
    return findings


def exit_code(findings: Sequence[Finding]) -> int:
    """0 when everything is OK or WARN, 1 on any FAIL."""
    return 1 if any(f.status is Status.FAIL for f in findings) else 0


def render_text(findings: Sequence[Finding], lang: Lang) -> str:
    """The report a person reads: one line per finding, its fix indented below it."""
    lines = []
    previous = None
    for finding in findings:
        words = finding.render(lang)
        if finding.check != previous:
            lines.append(f"== {words['title']}")
            previous = finding.check
        lines.append(f"{words['status']:4}  {words['found']}")
        if words["fix"]:
            lines.append(f"      {WORDS['fix'][lang]}: {words['fix']}")
    counts = {s: sum(1 for f in findings if f.status is s) for s in Status}
    lines.append(WORDS["summary"][lang].format(ok=counts[Status.OK], warn=counts[Status.WARN],
                                               fail=counts[Status.FAIL]))
    return "\n".join(lines)


def render_json(findings: Sequence[Finding], lang: Lang) -> dict[str, Any]:
    """The report for machines: every finding with its words, and the exit code."""
    return {"lang": lang, "exit_code": exit_code(findings),
            "findings": [f.render(lang) for f in findings]}
