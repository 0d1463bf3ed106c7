"""The analytics filters: one validated set of conditions applied the same way to every query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from station.returns.states import InspectionState
from station.vocabulary import Disposition, Grade, Recommendation, ReturnReason

#: Returns without an RMA (unexpected parcels) have this pseudo reason.
UNEXPECTED = "unexpected"
#: Flag reasons the workflow and the default policy write into inspection.flags.
FLAG_REASONS = (
    "verification_failed", "window_unknown", "outside_window", "unexpected_parcel",
    "manual_weight", "operator_override", "operator_flag", "claimed_defect_not_found",
)
#: Issues an inspection can be drilled down by: every flag reason plus these.
EXTRA_ISSUES = ("flagged", "wrong_item", "weight_mismatch", "supervisor_override")
ISSUES = (*EXTRA_ISSUES, *FLAG_REASONS)
REFUND_STATUSES = ("refunded", "partially_refunded", "denied", "exchanged", "none")
#: Longest date range a query may cover (ten years).
MAX_RANGE_DAYS = 3660
#: Default range: the last 30 local days including today.
DEFAULT_DAYS = 30
#: GET parameters that are not filters but are allowed next to them.
VIEW_PARAMS = frozenset({"bucket", "format", "page", "top"})
MAX_TEXT = 100


class FilterError(ValueError):
    """A filter value that cannot be used; ``field`` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Filters:
    """Which inspections a view counts: received on local days ``date_from``..``date_to``.

    The first six are the dashboard's form; the rest come from clicking a chart (drill-down).
    """

    date_from: date
    date_to: date
    station: str | None = None
    category: str | None = None
    reason: str | None = None
    grade: str | None = None
    operator: str | None = None
    sku: str | None = None
    disposition: str | None = None
    recommendation: str | None = None
    refund: str | None = None
    issue: str | None = None
    state: str | None = None
    age_from_h: float | None = None
    age_to_h: float | None = None

    def utc_bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of ``date_from`` to local midnight after ``date_to``."""
        start = datetime.combine(self.date_from, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.date_to + timedelta(days=1), time(0), zone).astimezone(UTC)
        return start, end

    def params(self, **changes: object) -> dict[str, str]:
        """URL parameters for these filters (with ``changes``); unset ones are left out."""
        merged = replace(self, **changes) if changes else self  # type: ignore[arg-type]
        out: dict[str, str] = {}
        for key, value in asdict(merged).items():
            if value is None:
                continue
            if isinstance(value, float):
                out[key] = f"{value:g}"
            else:
                out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def describe(self) -> list[tuple[str, str]]:
        """The set filters as (name, value) pairs, dates first (for page headings and reports)."""
        return [(k, v) for k, v in self.params().items()]


CHOICES: dict[str, tuple[str, ...]] = {
    "reason": (*(r.value for r in ReturnReason), UNEXPECTED),
    "grade": tuple(g.value for g in Grade),
    # "missing": a unit that never came (unit views count it apart from the graded ones)
    "disposition": (*(d.value for d in Disposition), "missing"),
    "recommendation": (*(r.value for r in Recommendation), "missing"),
    "refund": REFUND_STATUSES,
    "issue": ISSUES,
    "state": tuple(s.value for s in InspectionState),
}
TEXT_FIELDS = ("station", "category", "operator", "sku")
HOUR_FIELDS = ("age_from_h", "age_to_h")
FILTER_FIELDS = frozenset(f.name for f in fields(Filters))


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone).date()


def _date(field: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(field, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def parse_filters(
    args: Mapping[str, str], zone: ZoneInfo, now: datetime | None = None
) -> Filters:
    """Filters from GET parameters (or CLI options); raises FilterError on the first bad value.

    Empty values mean "not set"; unknown parameters are refused so a typo is not silently ignored.
    """
    unknown = sorted(set(args) - FILTER_FIELDS - VIEW_PARAMS)
    if unknown:
        raise FilterError(unknown[0], "unknown filter")
    raw = {k: v.strip() for k, v in args.items() if k in FILTER_FIELDS and v.strip()}
    today = today_in(zone, now)
    date_to = _date("date_to", raw.pop("date_to")) if "date_to" in raw else today
    date_from = _date("date_from", raw.pop("date_from")) if "date_from" in raw \
        else date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise FilterError("date_from", "the start date is after the end date")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise FilterError("date_from", f"a range of at most {MAX_RANGE_DAYS} days")
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key in CHOICES:
            if value not in CHOICES[key]:
                raise FilterError(key, f"{value!r} is not one of {', '.join(CHOICES[key])}")
            values[key] = value
        elif key in TEXT_FIELDS:
            if len(value) > MAX_TEXT or not value.isprintable():
                raise FilterError(key, f"at most {MAX_TEXT} printable characters")
            values[key] = value
        elif key in HOUR_FIELDS:
            try:
                hours = float(value)
            except ValueError:
                raise FilterError(key, f"{value!r} is not a number of hours") from None
            if not 0 <= hours < 1e6:
                raise FilterError(key, "hours from 0 up to 1,000,000")
            values[key] = hours
    return Filters(date_from=date_from, date_to=date_to, **values)  # type: ignore[arg-type]
