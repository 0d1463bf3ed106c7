"""`station doctor`: checks what breaks benches and says, in English and Chinese, what to do about each failure."""

from __future__ import annotations

import getpass
import pwd
from functools import partial

from station.config import Settings
from station.doctor.devices import check_devices, check_groups, check_serial
from station.doctor.model import Check, Finding, Status, exit_code, render_json, render_text, run_checks
from station.doctor.services import check_database, check_printer, check_s3, check_webhooks
from station.doctor.system import check_clock, check_disk

__all__ = ["Finding", "Status", "checks", "diagnose", "exit_code", "render_json", "render_text"]

#: Each check's own network timeout; the runner's limit (``timeout_s``) is above it.
STEP_TIMEOUT_S = 3.0


def service_user() -> str:
    """The account the bench daemon runs as: `station install`'s system user when this PC has
    it, else whoever runs doctor."""
    from station.install.bench import InstallOptions

    installed = InstallOptions().user
    try:
        pwd.getpwnam(installed)
    except KeyError:
        return getpass.getuser()
    return installed


def checks(settings: Settings, user: str | None = None) -> list[tuple[str, Check]]:
    """The checks in the order doctor prints them (ids are station.doctor.texts.TITLES keys);
    the S3 bucket only when ``evidence.backend`` is s3."""
    account = user or service_user()
    return [
        ("devices", partial(check_devices, settings)),
        ("groups", partial(check_groups, settings, account)),
        ("serial", partial(check_serial, settings)),
        ("disk", partial(check_disk, settings)),
        ("clock", partial(check_clock, timeout_s=STEP_TIMEOUT_S)),
        ("database", partial(check_database, settings, STEP_TIMEOUT_S)),
        *([("s3", partial(check_s3, settings))] if settings.evidence.backend == "s3" else []),
        ("printer", partial(check_printer, settings)),
        ("webhooks", partial(check_webhooks, settings, STEP_TIMEOUT_S)),
    ]


def diagnose(settings: Settings, user: str | None = None, timeout_s: float = 10.0) -> list[Finding]:
    """Run every check at once; each gets at most ``timeout_s``."""
    return run_checks(checks(settings, user), timeout_s)
