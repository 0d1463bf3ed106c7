"""Strict loader for device profiles (firmware_configs/*.toml): unknown, missing or mistyped keys name file and key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

#: Where the shipped profiles live (top-level firmware_configs/ beside the packages).
PROFILE_ROOT = Path(__file__).resolve().parent.parent / "firmware_configs"


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the key."""


class StrictProfile(BaseModel):
    """Base of every profile model: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


P = TypeVar("P", bound=StrictProfile)


def load_profile(path: Path, model: type[P]) -> P:
    """Read one TOML profile into ``model``; raise ProfileError naming ``path`` and the bad key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(f"{path}: {validation_problems(exc)}") from exc


def validation_problems(exc: ValidationError) -> str:
    """Every problem of a validation error as ``dotted.key: message``, joined by "; "."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
        for err in exc.errors()
    )


def shipped_profiles(kind: str) -> list[Path]:
    """The shipped profile files of one kind (``scales``, ``scanners``, ``cameras``), sorted."""
    return sorted((PROFILE_ROOT / kind).glob("*.toml"))
