"""Shared helpers for driver tests: waiting on a condition a device thread will make true."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.wait import wait_until


@pytest.fixture
def wait_for() -> Callable[..., bool]:
    """``wait_for(lambda: ..., timeout_s=5)``: poll until true; returns the final truth value."""
    return wait_until
