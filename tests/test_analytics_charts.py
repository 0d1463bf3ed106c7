"""Server-side SVG charts: whole-number axes for counts, an empty donut says so, labels do not collide."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from web.analytics.charts import Datum, _nice_max, donut_chart, line_chart


@pytest.mark.parametrize(("value", "top"), [(0, 4), (1, 4), (3, 4), (5, 8), (9, 20), (41, 80), (1234, 2000)])
def test_the_axis_top_gives_four_whole_steps(value: float, top: float) -> None:
    assert _nice_max(value) == top and (top / 4).is_integer()


def test_small_counts_get_whole_number_ticks() -> None:
    svg = str(line_chart([Datum("d1", 1, "/x"), Datum("d2", 0, "/y")], "t"))
    ticks = re.findall(r'<text class="axis" x="42" y="[\d.]+" text-anchor="end">([^<]+)</text>', svg)
    assert ticks == ["0", "1", "2", "3", "4"]


def test_an_empty_donut_says_no_data() -> None:
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        svg = str(donut_chart([Datum("A", 0, "/a")], "grades"))
    assert "No data" in svg and "circle" in svg


def test_the_last_date_label_is_not_drawn_on_top_of_the_one_before() -> None:
    points = [Datum(f"day{i}", i, f"/{i}") for i in range(17)]  # every 3rd labelled; 16 follows 15
    labels = re.findall(r'text-anchor="middle">(day\d+)</text>', str(line_chart(points, "t")))
    assert labels[-1] == "day15" and "day16" not in labels
