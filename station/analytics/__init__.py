"""Returns analytics: SQL aggregations over inspections, the same filters for every view."""

from station.analytics.filters import FilterError, Filters, parse_filters
from station.analytics.scope import Scope
from station.analytics.tables import TABLES, Options, Table

__all__ = ["TABLES", "FilterError", "Filters", "Options", "Scope", "Table", "parse_filters"]
