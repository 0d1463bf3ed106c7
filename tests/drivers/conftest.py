"""Shared helpers for driver tests: waiting on a condition a device thread will make true."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest


def _wait_for(condition: Callable[[], object], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


@pytest.fixture
def wait_for() -> Callable[..., bool]:
    """``wait_for(lambda: ..., timeout_s=5)``: poll until true; returns the final truth value."""
    return _wait_for
