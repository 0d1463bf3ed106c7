"""Every schema change is a migration: upgrade from empty gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from station.db.engine import make_engine
from station.db.migrate import alembic_config, current_revision, head_revision, upgrade
from station.db.models import Base


def test_upgrade_from_empty_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        upgrade(engine)  # running it again is harmless
    finally:
        engine.dispose()


def test_sqlite_runs_durable_and_strict(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.db'}", busy_timeout_ms=4321)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 4321
    finally:
        engine.dispose()


def test_migration_0006_downgrades_and_upgrades_again(database_url: str) -> None:
    from alembic import command

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert {"signin_session", "login_throttle"} <= set(inspect(engine).get_table_names())
        command.downgrade(alembic_config(engine), "0005")
        assert current_revision(engine) == "0005"
        assert not {"signin_session", "login_throttle"} & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert current_revision(engine) == head_revision(engine)
        assert {"signin_session", "login_throttle"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
