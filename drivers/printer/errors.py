"""Typed printer failures: each carries a reason a person at the bench can act on."""

from __future__ import annotations


class PrinterError(Exception):
    """Base of every printer failure; ``reason`` is one readable sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PrinterOffline(PrinterError):
    """The printer cannot be reached (connection refused, timed out, device gone, no queue)."""


class PrinterNotReady(PrinterError):
    """The printer answered but a condition stops it printing (paper out, head open, paused)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"printer not ready: {', '.join(problems)}")
        self.problems = list(problems)


class PrinterSendFailed(PrinterError):
    """The connection broke while a job was being sent; the label may not have printed."""


class PrinterStatusError(PrinterError):
    """The printer's host status reply was malformed, truncated or garbage."""


class TransportSpecError(ValueError):
    """A transport spec that is none of tcp://host[:port], usb:/dev/usb/lpN, cups:queue[@server]."""
