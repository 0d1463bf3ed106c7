"""Strict typed settings: station.toml (path by --config or STATION_CONFIG) plus STATION_* overrides."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG_NAME = "station.toml"
ENV_PREFIX = "STATION_"


class ConfigError(ValueError):
    """Configuration that stops start-up; the message names the file (or variable) and key."""


class Section(BaseModel):
    """Base of every section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class StationSection(Section):
    """Which bench this is."""

    id: str = Field("bench-01", min_length=1, max_length=64, description="Station id, unique per site")
    name: str = Field("Returns bench 1", description="Name shown on screens and reports")
    timezone: str = Field("UTC", description="IANA time zone for day boundaries in reports")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value


class DatabaseSection(Section):
    """Where inspections are stored."""

    url: str = Field(
        "sqlite:///var/station.db",
        description="SQLAlchemy URL; sqlite:///path (embedded) or postgresql+psycopg://...",
    )
    busy_timeout_ms: int = Field(
        5000, ge=0,
        description="how long a write waits for a lock another writer holds (SQLite busy timeout,"
                    " PostgreSQL lock_timeout) before the bench says the database is busy",
    )
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        if value.startswith("postgresql:"):
            value = "postgresql+psycopg:" + value.removeprefix("postgresql:")
        from sqlalchemy.engine import make_url

        try:  # the message never repeats the URL: it may hold the password
            make_url(value)
        except Exception:
            raise ValueError("not a valid database URL (postgresql+psycopg://user:password@host:"
                             "port/name or sqlite:///path)") from None
        return value


class EvidenceSection(Section):
    """Where photo evidence is kept."""

    backend: Literal["local", "s3"] = "local"
    photo_dir: Path = Field(Path("var/photos"), description="Local photo store (content-addressed);"
                            " with backend s3 the thumbnail cache")
    s3_endpoint_url: str = Field("", description="S3 API endpoint (http:// or https://); empty ="
                                 " the SDK's endpoint for s3_region")
    s3_bucket: str = ""
    s3_region: str = Field("us-east-1", min_length=1, max_length=64)
    s3_prefix: str = Field("", max_length=200, description="Key prefix; an original is <prefix><sha256>")
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_addressing_style: Literal["path", "virtual", "auto"] = "path"
    s3_object_lock: Literal["none", "governance", "compliance"] = Field(
        "none", description="Object Lock retention mode set on every original uploaded")
    s3_retention_days: int = Field(0, ge=0, le=36500, description="Object Lock retention (days)")
    s3_presign_expiry_s: int = Field(300, ge=1, le=604800, description="Presigned GET lifetime")
    s3_serve: Literal["redirect", "proxy"] = Field(
        "redirect", description="Originals: a redirect to a presigned GET, or the bytes via the app")
    s3_timeout_s: float = Field(10.0, gt=0, le=120, description="Connect and read timeout per S3 call")
    thumbnail_px: int = Field(
        480, ge=64, le=1024,
        description="Long side of gallery thumbnails (a ~240 px review cell on a 2x screen)",
    )
    min_free_mb: int = Field(
        200, ge=0, description="New photos are refused (and /readyz fails) below this much free space"
    )

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("s3_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value.startswith("/") or ".." in value.split("/") or not value.isprintable():
            raise ValueError("a key prefix like site-a/ (no leading /, no .., printable)")
        return value

    @model_validator(mode="after")
    def _s3_complete(self) -> EvidenceSection:
        import re

        if self.backend == "s3" and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]",
                                                     self.s3_bucket):
            raise ValueError("backend s3 needs s3_bucket: 3-63 lowercase letters, digits, . and -")
        if (self.s3_object_lock == "none") != (self.s3_retention_days == 0):
            raise ValueError("s3_object_lock governance/compliance needs s3_retention_days >= 1 "
                             "(and none needs 0)")
        return self


class ReturnsSection(Section):
    """Return rules the platform does not send per RMA."""

    no_reason_window_days: int = Field(7, ge=0, le=365, description="Statutory no-reason window")
    default_window_days: int = Field(30, ge=0, le=3650, description="Window for other reasons")
    weight_tolerance_g: float = Field(50.0, ge=0, description="Default absolute tolerance")
    weight_tolerance_pct: float = Field(5.0, ge=0, le=100, description="Default percent tolerance")
    packaging_allowance_g: float = Field(150.0, ge=0, description="Box and filler weight expected")
    photo_angles: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "general": ["parcel", "item", "label"],
            "electronics": ["parcel", "item_front", "item_back", "serial_label", "accessories"],
            "apparel": ["parcel", "item_front", "item_back", "care_label"],
        },
        description="Required photo angles per product category ('general' is the fallback)",
    )

    @field_validator("photo_angles")
    @classmethod
    def _has_general(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if "general" not in value:
            raise ValueError("photo_angles needs a 'general' entry (the fallback)")
        if any(not angles for angles in value.values()):
            raise ValueError("every category needs at least one photo angle")
        return value


class PolicySection(Section):
    """Which grading / disposition / refund policy applies."""

    path: Path | None = Field(None, description="Policy TOML; empty = the shipped default")


class AuditSection(Section):
    """Where the audit head is anchored outside the database."""

    anchor_file: Path = Path("var/audit-anchors.log")


class WebSection(Section):
    """The bench UI / API server."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    secret_key: SecretStr = Field(SecretStr(""), description="Session key; generated into var/ if empty")
    idle_lock_s: int = Field(300, ge=10, le=86400, description="Bench screen locks after this idle time (s)")
    public_url: str = Field("", description="Base URL used in links sent to the platform")


class ReviewSection(Section):
    """Supervisor review: the four-eyes rule and the age (time since received) SLA colours."""

    four_eyes: bool = Field(True, description="A supervisor cannot review an inspection they worked on")
    sla_warn_hours: float = Field(24.0, gt=0, description="Queue age shown amber from here")
    sla_breach_hours: float = Field(48.0, gt=0, description="Queue age shown red (SLA breached) from here")

    @model_validator(mode="after")
    def _ordered(self) -> ReviewSection:
        if self.sla_warn_hours >= self.sla_breach_hours:
            raise ValueError("sla_warn_hours must be below sla_breach_hours")
        return self


class DevicesSection(Section):
    """Which devices the bench talks to; `simulated` runs the built-in simulators."""

    simulated: bool = True
    scale_profile: str = "generic-mt-sics"
    scale_url: str = ""
    scanner_profiles: list[str] = Field(default_factory=list)
    scanner_urls: list[str] = Field(default_factory=list)
    camera_profile: str = "generic-uvc"
    camera_source: str = ""
    reconnect_base_s: float = Field(
        1.0, gt=0, le=60, description="First wait before reconnecting a failed device (doubles)"
    )
    reconnect_max_s: float = Field(
        30.0, gt=0, le=600, description="Longest wait between reconnect attempts"
    )
    camera_scan: bool = Field(True, description="Decode barcodes from the camera frames")
    sim_camera_fps: float = Field(
        10.0, gt=0, le=60, description="Frame rate of the simulated camera (simulated = true)"
    )
    sim_camera_size: tuple[int, int] = Field(
        (1280, 720),
        description="Still size [width, height] of the simulated camera (its stream is <= 640 wide)",
    )

    @field_validator("sim_camera_size")
    @classmethod
    def _frame_size(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not all(160 <= side <= 4096 for side in value):
            raise ValueError("width and height must be 160-4096 pixels")
        return value


class LabelsSection(Section):
    """License-plate labels, the label printer and the site's directed-sort rules."""

    station_code: str = Field(
        "", max_length=8, pattern=r"^([A-Z][A-Z0-9]{0,7})?$",
        description="Prefix of this bench's license plates, unique per company; empty = from station.id",
    )
    printer_profile: str = Field("zebra-zd421", description="firmware_configs/printers/<name>.toml")
    printer_url: str = Field(
        "", description="tcp://host:9100, usb:/dev/usb/lp0 or cups:<queue>; empty = simulated or none"
    )
    other_printer_urls: list[str] = Field(
        default_factory=list, description="Printers the bench offers when its own one fails"
    )
    layout: Literal["4x6", "4x2", "2x1"] = "4x2"
    dpi: Literal[203, 300] = 203
    print_at: Literal["unit", "confirm", "never"] = Field(
        "confirm", description="unit: as each unit's outcome is done; confirm: all at the parcel's confirm"
    )
    sort_rules: Path | None = Field(None, description="Site sort rules TOML; empty = the shipped default")
    gs1_company_prefix: str = Field(
        "", pattern=r"^([0-9]{6,12})?$",
        description="GS1 company prefix for tote SSCCs (AI 00); empty = totes carry their own code",
    )
    digital_link_base: str = Field("https://id.gs1.org", description="Base of GS1 Digital Link URIs")


class VideoSection(Section):
    """Unboxing video: the camera recorded while a parcel is open (docs/configuration.md)."""

    enabled: bool = Field(False, description="Record the camera from identification to confirm")
    categories: list[str] = Field(
        default_factory=list,
        description="Product categories recorded (a parcel with a line of one); empty = every category",
    )
    fps: float = Field(5.0, gt=0, le=30, description="Frame rate of the recording (below the preview's)")
    width_px: int = Field(640, ge=160, le=1920, description="Recording width; bigger frames are scaled down")
    chunk_s: float = Field(5.0, ge=1, le=60, description="Length of one chunk file: a crash loses at most one")
    max_mb_per_parcel: int = Field(100, ge=1, le=10_000, description="Recording stops before this much")
    codec: Literal["auto", "vp8", "vp9", "h264", "mjpeg"] = Field(
        "auto", description="auto: the first of vp8, vp9, h264, mjpeg this OpenCV build writes",
    )
    retention_days: int = Field(
        90, ge=1, le=3650, description="station evidence prune-video deletes chunks older than this",
    )
    spool_dir: Path = Field(Path("var/video-spool"), description="Chunks being written before the store")

    @field_validator("categories")
    @classmethod
    def _named(cls, value: list[str]) -> list[str]:
        if any(not name.strip() or len(name) > 60 for name in value):
            raise ValueError("each category is 1-60 characters")
        return value


class CentralSection(EvidenceSection):
    """A fleet bench's central PostgreSQL and evidence store (docs/deployment.md, Offline bench).

    Empty ``database_url``: not a fleet bench. Set: the bench inspects into ``[database]`` (its
    SQLite spool) and ``[evidence]`` (its local photo folder), and ``station run`` syncs finished
    inspections and their photos to this database and store whenever they can be reached. The
    store fields (``backend``, ``photo_dir``, ``s3_*``) mean what they mean in ``[evidence]``.
    """

    database_url: str = Field("", description="The central PostgreSQL (postgresql+psycopg://...);"
                              " empty = not a fleet bench")
    public_url: str = Field("", description="Base URL of the central server in webhook links")
    anchor_file: Path = Field(Path("var/central-audit-anchors.log"),
                              description="This bench's anchors of the central audit chain")
    sync_interval_s: float = Field(5.0, gt=0, le=3600,
                                   description="How often the bench retries central when idle")
    timeout_s: float = Field(3.0, gt=0, le=60,
                             description="Connect timeout to the central database (s)")
    prefetch_returns: bool = Field(True, description="Copy central's open returns into the spool "
                                   "ahead (false: each label's return is fetched when scanned)")

    @field_validator("database_url")
    @classmethod
    def _central_url(cls, value: str) -> str:
        if not value:
            return value
        try:
            if not value.startswith("sqlite:"):
                return DatabaseSection(url=value).url
        except ValidationError:  # only a fixed message: the value may hold the password
            pass
        raise ValueError("not a PostgreSQL URL (postgresql+psycopg://user:password@host:port/"
                         "name)")


class WebhooksSection(Section):
    """Delivery of events to the platform."""

    enabled: bool = True
    timeout_s: float = Field(15.0, gt=0, le=120)
    poll_interval_s: float = Field(0.1, gt=0, le=60, description="Idle dispatcher poll period (s)")


class FleetSection(Section):
    """The bench's place in the fleet: its heartbeat to the shared database (docs/deployment.md, Fleet)."""

    heartbeat_s: int = Field(15, ge=2, le=3600, description="Seconds between a bench's heartbeats"
                             " (also when it looks for a newly published policy)")


class Settings(BaseSettings):
    """Everything the station reads at start-up."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    station: StationSection = Field(default_factory=StationSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    evidence: EvidenceSection = Field(default_factory=EvidenceSection)
    returns: ReturnsSection = Field(default_factory=ReturnsSection)
    policy: PolicySection = Field(default_factory=PolicySection)
    audit: AuditSection = Field(default_factory=AuditSection)
    web: WebSection = Field(default_factory=WebSection)
    devices: DevicesSection = Field(default_factory=DevicesSection)
    webhooks: WebhooksSection = Field(default_factory=WebhooksSection)
    labels: LabelsSection = Field(default_factory=LabelsSection)
    review: ReviewSection = Field(default_factory=ReviewSection)
    video: VideoSection = Field(default_factory=VideoSection)
    fleet: FleetSection = Field(default_factory=FleetSection)
    central: CentralSection = Field(default_factory=CentralSection)
    data_dir: Path = Field(Path("var"), description="Working data folder (database, keys, anchors)")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values; environment variables override it.
        return (env_settings, init_settings)


def _config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("STATION_CONFIG")
    if from_env:
        return Path(from_env)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _origin(loc: tuple[int | str, ...], data: dict[str, Any], path: Path | None) -> str:
    node: Any = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            env_name = ENV_PREFIX + "__".join(str(p) for p in loc).upper()
            return f"environment {env_name}" if env_name in os.environ else str(path or "defaults")
    return str(path)


def _unknown_environment() -> list[str]:
    """STATION_* variables that name no setting (a typo would otherwise be ignored)."""
    unknown = []
    for name in os.environ:
        if not name.startswith(ENV_PREFIX) or name == "STATION_CONFIG":
            continue
        parts = name.removeprefix(ENV_PREFIX).lower().split("__")
        field = Settings.model_fields.get(parts[0])
        if field is None:
            unknown.append(name)
            continue
        section = field.annotation
        if len(parts) > 1 and not (
            isinstance(section, type)
            and issubclass(section, BaseModel)
            and len(parts) == 2
            and parts[1] in section.model_fields
        ):
            unknown.append(name)
    return unknown


def load_settings(config: str | os.PathLike[str] | None = None) -> Settings:
    """Read the TOML file (if any) and STATION_* overrides; raise ConfigError naming file and key."""
    unknown = _unknown_environment()
    if unknown:
        raise ConfigError(
            "; ".join(f"environment {name}: no such setting" for name in sorted(unknown))
        )
    path = _config_path(config)
    data = _read_toml(path) if path else {}
    saved = os.environ.pop("STATION_CONFIG", None)  # a path, not a setting
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            key = ".".join(str(p) for p in loc)
            lines.append(f"{_origin(loc, data, path)}: {key}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from exc
    finally:
        if saved is not None:
            os.environ["STATION_CONFIG"] = saved
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        try:
            settings.database = DatabaseSection(
                url=database_url,
                busy_timeout_ms=settings.database.busy_timeout_ms,
                echo=settings.database.echo,
            )
        except ValidationError as exc:  # only the messages: the value may hold the password
            raise ConfigError("; ".join(f"environment DATABASE_URL: {err['msg']}"
                                        for err in exc.errors())) from None
    return settings


def masked(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data with every secret replaced by ****."""
    dumped: dict[str, Any] = settings.model_dump(mode="json")
    secret_paths = [("evidence", "s3_access_key"), ("evidence", "s3_secret_key"), ("web", "secret_key"),
                    ("central", "s3_access_key"), ("central", "s3_secret_key")]
    for section, key in secret_paths:
        if dumped[section][key]:
            dumped[section][key] = "****"
    for section, key in (("database", "url"), ("central", "database_url")):
        url = dumped[section][key]
        if "@" in url and "://" in url:
            scheme, rest = url.split("://", 1)
            creds, host = rest.rsplit("@", 1)
            user = creds.split(":", 1)[0]
            dumped[section][key] = f"{scheme}://{user}:****@{host}"
    return dumped
