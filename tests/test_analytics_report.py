"""`station report` writes the analytics of a date range as one HTML file and CSV files."""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

from sqlalchemy.orm import Session

from station.analytics.rollup import rebuild
from station.db.engine import make_engine
from tests.test_analytics import BENCH, seed
from tests.test_cli import station


def test_report_writes_html_and_csv_for_the_local_days(tmp_path: Path) -> None:
    (tmp_path / "station.toml").write_text('[station]\ntimezone = "Asia/Shanghai"\n')
    assert station(tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'station.db'}")
    with Session(engine) as session, session.begin():
        seed(session, BENCH)  # a raw load (no workflow commits): the rollup is rebuilt after it
        rebuild(session)
    engine.dispose()

    result = station(tmp_path, "report", "--from", "2026-03-01", "--to", "2026-03-03",
                     "--out", "march.html", "--csv", "csv")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "march.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "Returns report 2026-03-01 to 2026-03-03" in page
    assert "<script" not in page and 'href="http' not in page  # self-contained
    with (tmp_path / "csv" / "over_time_2026-03-01_2026-03-03.csv").open(newline="") as handle:
        days = list(csv.reader(handle))
    assert days == [["first_day", "last_day", "inspections", "flagged"],
                    ["2026-03-01", "2026-03-01", "1", "0"], ["2026-03-02", "2026-03-02", "3", "2"],
                    ["2026-03-03", "2026-03-03", "1", "1"]]
    assert len(list((tmp_path / "csv").glob("*.csv"))) == 12


def test_report_refuses_bad_dates_and_writes_nothing(tmp_path: Path) -> None:
    assert station(tmp_path, "db", "upgrade").returncode == 0
    for args in (("--from", "2026-02-30", "--to", "2026-03-01"),
                 ("--from", "2026-03-05", "--to", "2026-03-01")):
        result: subprocess.CompletedProcess[str] = station(tmp_path, "report", *args,
                                                           "--out", "r.html")
        assert result.returncode == 2 and "error: --from" in result.stderr, result.stderr
    assert not (tmp_path / "r.html").exists()


def test_analytics_rebuild_recomputes_the_rollup_after_a_raw_load(tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from station.db.models import AnalyticsHour

    assert station(tmp_path, "db", "upgrade").returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'station.db'}")
    with Session(engine) as session, session.begin():
        seed(session, BENCH)  # raw rows: no workflow hooks ran
    result = station(tmp_path, "analytics", "rebuild")
    assert result.returncode == 0 and "analytics rollup rebuilt" in result.stdout, result.stderr
    with Session(engine) as session:
        rows = session.execute(select(func.count()).select_from(AnalyticsHour)).scalar_one()
    engine.dispose()
    assert rows > 0 and f"{rows} rows" in result.stdout
