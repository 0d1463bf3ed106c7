"""Configuration is strict: a wrong key or value stops start-up naming the file (or variable) and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.config import ConfigError, load_settings, masked


@pytest.fixture(autouse=True)
def _env(clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "station.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_are_the_embedded_bench() -> None:
    settings = load_settings()
    assert settings.database.url == "sqlite:///var/station.db"
    assert settings.devices.simulated and settings.returns.no_reason_window_days == 7


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[station]\nidd = 'x'\n", "station.toml: station.idd: Extra inputs are not permitted"),
        ("[web]\nport = 'eighty'\n", "station.toml: web.port: Input should be a valid integer"),
        ("[returns]\nno_reason_window_days = -1\n", "returns.no_reason_window_days"),
        ("[databse]\nurl = 'sqlite://'\n", "station.toml: databse: Extra inputs"),
        ("[database]\nurl = 'mysql://x'\n", "database.url: Value error, only sqlite"),
        ("[returns.photo_angles]\nphones = ['front']\n", "needs a 'general' entry"),
        ("this is = not toml = at all", "station.toml: not valid TOML"),
    ],
)
def test_a_bad_file_names_file_and_key(tmp_path: Path, body: str, expected: str) -> None:
    write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert expected in str(caught.value)


def test_the_file_comes_from_the_option_or_station_config(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "bench7.toml"
    other.write_text("[station]\nid = 'bench-07'\n", encoding="utf-8")
    assert load_settings(other).station.id == "bench-07"
    monkeypatch.setenv("STATION_CONFIG", str(other))
    assert load_settings().station.id == "bench-07"
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_environment_overrides_the_file_and_typos_are_errors(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[web]\nport = 8081\n")
    monkeypatch.setenv("STATION_WEB__PORT", "9090")
    assert load_settings().web.port == 9090
    monkeypatch.setenv("STATION_WEB__PROT", "1")
    with pytest.raises(ConfigError, match="STATION_WEB__PROT: no such setting"):
        load_settings()


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATION_WEB__PORT", "abc")
    with pytest.raises(ConfigError, match=r"environment STATION_WEB__PORT: web\.port"):
        load_settings()


def test_database_url_selects_postgresql_and_secrets_are_masked(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    write(tmp_path, "[web]\nsecret_key = 'hunter2hunter2'\n")
    monkeypatch.setenv("DATABASE_URL", "postgresql://station:s3cret@db.local/returns")
    settings = load_settings()
    assert settings.database.url.startswith("postgresql+psycopg://")
    shown = masked(settings)
    assert shown["web"]["secret_key"] == "****"
    assert shown["database"]["url"] == "postgresql+psycopg://station:****@db.local/returns"
    assert "s3cret" not in str(shown) and "hunter2" not in str(shown)


@pytest.mark.parametrize("url", ["mysql://station:SECRETPW@db/returns",
                                 "postgresql://station:SECRETPW@db:notaport/returns"])
def test_a_bad_database_url_is_one_error_that_never_shows_the_password(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ConfigError) as raised:
        load_settings(None)
    assert "DATABASE_URL" in str(raised.value) and "SECRETPW" not in str(raised.value)
    monkeypatch.delenv("DATABASE_URL")
    (tmp_path / "station.toml").write_text(f'[database]\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(None)
    assert "database.url" in str(raised.value) and "SECRETPW" not in str(raised.value)


def test_the_s3_photo_store_needs_a_bucket_and_a_retention_with_object_lock(
        clean_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STATION_EVIDENCE__BACKEND", "s3")
    with pytest.raises(ConfigError, match="backend s3 needs s3_bucket"):
        load_settings(None)
    monkeypatch.setenv("STATION_EVIDENCE__S3_BUCKET", "returns-evidence")
    monkeypatch.setenv("STATION_EVIDENCE__S3_OBJECT_LOCK", "compliance")
    with pytest.raises(ConfigError, match="needs s3_retention_days"):
        load_settings(None)
    monkeypatch.setenv("STATION_EVIDENCE__S3_RETENTION_DAYS", "365")
    monkeypatch.setenv("STATION_EVIDENCE__S3_SECRET_KEY", "wJalrXUtnFEMI-hunter2")
    settings = load_settings(None)
    assert settings.evidence.s3_retention_days == 365
    assert "hunter2" not in repr(settings) and masked(settings)["evidence"]["s3_secret_key"] == "****"
    monkeypatch.setenv("STATION_EVIDENCE__S3_ENDPOINT_URL", "ftp://minio.local")
    with pytest.raises(ConfigError, match=r"s3_endpoint_url.*http://"):
        load_settings(None)
