"""The site's sort rules as data: destinations and first-match rules from a strict TOML file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from drivers.profiles import validation_problems
from station.config import ConfigError
from station.policy.model import LocaleName
from station.vocabulary import Disposition

DEFAULT_RULES_PATH = Path(__file__).with_name("default_sort_rules.toml")
#: A destination or container code as it is printed in its barcode.
Code = Annotated[str, Field(min_length=2, max_length=60, pattern=r"^[A-Z0-9][A-Z0-9._/-]*$")]
#: Kinds of place. Totes and carts are containers: one is scanned in, filled up to its capacity
#: and closed (a tote label and manifest print); bins and locations are fixed places whose own
#: barcode confirms the sort.
CONTAINERS = ("tote", "cart")


class SortRulesError(ConfigError):
    """A sort rules file that cannot be used; the message names the file and the key."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Destination(Strict):
    """One place a unit can go: a tote or cart kind (containers) or a fixed bin or location."""

    code: Code
    kind: Literal["tote", "cart", "bin", "location"]
    name: str = Field(min_length=1, max_length=80)
    name_by_locale: dict[LocaleName, str] = Field(default_factory=dict)
    #: The barcode on a fixed place (default: its code); containers carry their own codes.
    barcode: Code | None = None
    #: Units a container holds before it is closed (containers only).
    capacity: int | None = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _capacity_for_containers(self) -> Destination:
        if self.kind in CONTAINERS and self.capacity is None:
            raise ValueError(f"destination {self.code}: a {self.kind} needs a capacity")
        if self.kind not in CONTAINERS and self.capacity is not None:
            raise ValueError(f"destination {self.code}: only totes and carts have a capacity")
        if self.kind in CONTAINERS and self.barcode is not None:
            raise ValueError(f"destination {self.code}: a {self.kind} is scanned by its own code")
        return self

    @property
    def is_container(self) -> bool:
        return self.kind in CONTAINERS

    @property
    def place_barcode(self) -> str:
        """What scanning confirms a fixed place (its barcode, else its code)."""
        return self.barcode or self.code

    def name_for(self, locale: str) -> str:
        return self.name_by_locale.get(locale) or self.name


class Rule(Strict):
    """Units matching every non-empty list go to ``destination``; an empty list matches all."""

    destination: Code
    dispositions: tuple[Disposition, ...] = ()
    grades: tuple[Literal["A", "B", "C", "D"], ...] = ()
    categories: tuple[str, ...] = ()
    #: The unit (or its parcel) carries at least one of these flags.
    flags: tuple[str, ...] = ()

    @property
    def catch_all(self) -> bool:
        return not (self.dispositions or self.grades or self.categories or self.flags)

    def matches(self, disposition: str | None, grade: str | None, category: str,
                flags: set[str]) -> bool:
        return ((not self.dispositions or disposition in self.dispositions)
                and (not self.grades or grade in self.grades)
                and (not self.categories or category in self.categories)
                and (not self.flags or bool(flags & set(self.flags))))


class SortRules(Strict):
    """A site's destinations and rules; the first rule that matches a unit decides."""

    version: str = Field(min_length=1, max_length=50)
    #: Barcodes of the site's totes and carts (a scan matching it can open a new container).
    container_pattern: str = Field(r"^TOTE-[0-9]{3,8}$", min_length=1, max_length=200)
    destinations: tuple[Destination, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = Field(min_length=1)

    @field_validator("container_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SortRules:
        codes = [d.code for d in self.destinations]
        if len(set(codes)) != len(codes):
            raise ValueError("destination codes must be unique")
        barcodes = [d.place_barcode for d in self.destinations if not d.is_container]
        if len(set(barcodes)) != len(barcodes):
            raise ValueError("the barcodes of fixed places must be unique")
        for barcode in barcodes:
            if re.fullmatch(self.container_pattern, barcode):
                raise ValueError(f"barcode {barcode} of a fixed place looks like a tote code")
        unknown = sorted({r.destination for r in self.rules} - set(codes))
        if unknown:
            raise ValueError(f"rules name unknown destinations: {', '.join(unknown)}")
        if not self.rules[-1].catch_all:
            raise ValueError("the last rule must match every unit (no conditions), so that "
                             "every unit has a destination")
        return self

    def destination(self, code: str) -> Destination:
        found = self.find_destination(code)
        if found is None:
            raise KeyError(f"no destination {code!r} in sort rules {self.version}")
        return found

    def find_destination(self, code: str | None) -> Destination | None:
        """The destination ``code`` names (None: the rules no longer know it, or no code)."""
        return next((d for d in self.destinations if d.code == code), None)

    def destination_for(self, disposition: str | None, grade: str | None, category: str,
                        flags: set[str]) -> Destination:
        """Where a unit with this outcome goes (the last rule matches everything)."""
        rule = next(r for r in self.rules if r.matches(disposition, grade, category, flags))
        return self.destination(rule.destination)

    def is_container_code(self, code: str) -> bool:
        return re.fullmatch(self.container_pattern, code) is not None

    def place_with_barcode(self, code: str) -> Destination | None:
        """The fixed place whose barcode ``code`` is (None: not a fixed place's barcode)."""
        return next((d for d in self.destinations
                     if not d.is_container and d.place_barcode == code), None)


def parse_sort_rules(text: str, source: str) -> SortRules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SortRulesError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return SortRules.model_validate(data)
    except ValidationError as exc:
        raise SortRulesError(f"{source}: {validation_problems(exc)}") from exc


def load_sort_rules(path: Path | None = None) -> SortRules:
    """Read the site's sort rules (the shipped default when ``path`` is None)."""
    path = path or DEFAULT_RULES_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SortRulesError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SortRulesError(f"{path}: not UTF-8 text: {exc}") from exc
    return parse_sort_rules(text, str(path))
