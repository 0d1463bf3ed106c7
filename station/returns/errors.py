"""Domain errors: a code the UI/API can translate and a message a human can act on."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """A request the returns domain refuses; nothing was changed."""

    def __init__(self, code: str, message: str, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: Facts the translated message names (e.g. the bench a return is open at).
        self.params = params


class NotFound(DomainError):
    """The thing asked for does not exist."""


class IllegalTransition(DomainError):
    """The inspection is not in a state where this step is allowed."""

    def __init__(self, inspection_id: str, state: str, target: str) -> None:
        super().__init__(
            "illegal_transition",
            f"inspection {inspection_id} is {state}; it cannot go to {target}",
        )
        self.state = state
        self.target = target


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: its dotted path and why."""

    field: str
    reason: str


class IntakeError(DomainError):
    """An RMA body that failed validation; ``problems`` lists every field at fault."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        text = "; ".join(f"{p.field}: {p.reason}" for p in problems)
        super().__init__("invalid_rma", text)
        self.problems = problems
