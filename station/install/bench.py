"""What `station install` and `station uninstall` do to a Debian mini PC, as one list of actions each.

Install: the Debian packages, a system user for the daemon and one for the screen, the data
and config folders, the venv under /opt, the systemd units (bench daemon, webhook worker, the
central server with ``--server``), udev rules, the kiosk, journald limits, then reloads and
enables. Uninstall removes those files and units and keeps the data (database, photos, the
config, the users who own them) unless ``--purge``.
"""

from __future__ import annotations

import pwd
import re
import subprocess
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import make_url

from station.config import Settings
from station.install import kiosk, udev, units
from station.install.plan import Action, InstallError, MakeDir, RemovePath, RunCommand, WriteFile, target

#: Debian packages a bench needs (Debian 12 "bookworm" and 13 "trixie" both ship them):
#: python3-venv (the venv under /opt), libzbar0 (pyzbar's decoder), cage (Wayland kiosk
#: compositor), chromium, fonts-noto-cjk (the Chinese screens). systemd, udev and journald come
#: with the base system.
RUNTIME_PACKAGES = ("python3-venv", "libzbar0")
DEBIAN_PACKAGES = (*RUNTIME_PACKAGES, "cage", "chromium", "fonts-noto-cjk")

CONFIG_DIR = PurePosixPath("/etc/returns-station")
CONFIG_FILE = CONFIG_DIR / "station.toml"
DATA_DIR = PurePosixPath("/var/lib/returns-station")
KIOSK_HOME = PurePosixPath("/var/lib/returns-kiosk")
UDEV_FILE = PurePosixPath("/etc/udev/rules.d") / udev.RULES_NAME
#: Written into a venv this installer built; uninstall removes only a venv that has it.
VENV_MARKER = ".returns-station-install"

DEFAULT_PREFIX = PurePosixPath("/opt/returns-station")
_USER_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


@dataclass(frozen=True)
class InstallOptions:
    """The choices of one `station install` / `station uninstall` run."""

    root: Path = Path("/")
    prefix: PurePosixPath = DEFAULT_PREFIX
    user: str = "returns"
    kiosk_user: str = "returns-kiosk"
    url: str = "http://127.0.0.1:8080/"
    config_text: str | None = None  # the station.toml to install; None = keep / write a starter
    source: Path | None = None  # the project folder pip installs into the venv
    skip_venv: bool = False
    skip_packages: bool = False
    kiosk: bool = True
    server: bool = False
    writable: tuple[PurePosixPath, ...] = ()  # the config's folders outside the data folder

    @property
    def staged(self) -> bool:
        return self.root.resolve() != Path("/")

    def layout(self) -> units.Layout:
        return units.Layout(prefix=self.prefix, user=self.user, kiosk_user=self.kiosk_user,
                            config=CONFIG_FILE, data_dir=DATA_DIR, url=self.url,
                            writable=self.writable)


def writable_paths(settings: Settings) -> tuple[PurePosixPath, ...]:
    """Folders the config writes to outside the data folder (absolute data_dir, SQLite file,
    photo store, anchor file): the units' ReadWritePaths, or ProtectSystem=strict refuses them.
    Relative paths are under the data folder, the services' working directory."""
    found = [Path(settings.data_dir), settings.evidence.photo_dir,
             settings.audit.anchor_file.parent]
    if settings.database.url.startswith("sqlite"):
        database = make_url(settings.database.url).database
        if database and database != ":memory:":
            found.append(Path(database).parent)
    outside = []
    for path in found:
        posix = PurePosixPath(path.as_posix())
        if posix.is_absolute() and not posix.is_relative_to(DATA_DIR) and posix not in outside:
            outside.append(posix)
    return tuple(outside)


def check_options(options: InstallOptions) -> None:
    """Refuse options that cannot make a bench, with one line naming the option."""
    if not options.prefix.is_absolute() or ".." in options.prefix.parts:
        raise InstallError(f"--prefix must be an absolute path, not {str(options.prefix)!r}")
    if len(options.prefix.parts) < 3:  # uninstall deletes the venv: never /opt or / itself
        raise InstallError(f"--prefix {options.prefix} is a system folder: give the venv its "
                           "own, such as /opt/returns-station")
    for flag, name in (("--user", options.user), ("--kiosk-user", options.kiosk_user)):
        if not _USER_NAME.fullmatch(name):
            raise InstallError(f"{flag} {name!r} is not a system user name (a-z, 0-9, _ and -, "
                               "at most 32, starting with a letter)")
    if options.user == options.kiosk_user:
        raise InstallError("--user and --kiosk-user must differ (the screen gets no device access)")
    if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(:[0-9]{1,5})?(/[^\s'\"]*)?", options.url):
        raise InstallError(f"--url must be an http:// or https:// address, not {options.url!r}")
    if options.root.exists() and not options.root.is_dir():
        raise InstallError(f"--root {options.root} is not a folder")


def check_privileges(uid: int, options: InstallOptions) -> None:
    """Installing onto the machine itself needs root; a staged tree (--root DIR) does not."""
    if uid != 0 and not options.staged:
        raise InstallError("station install changes the system: run it as root (sudo station "
                           "install ...), or stage the files into a folder with --root DIR")


def bench_url(host: str, port: int) -> str:
    """The URL the kiosk opens for a bench listening on ``host:port``."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def starter_config() -> str:
    """The station.toml written when the bench has none (never overwritten afterwards)."""
    return f"""\
# The bench's configuration, written once by `station install` (an edited file is kept).
# Every key: docs/configuration.md. The udev rules give the devices stable names
# (/dev/returns-scale, /dev/returns-scanner, /dev/returns-scanner-kbd, /dev/returns-camera,
# /dev/returns-printer0): set the profiles and urls below, then `systemctl restart
# returns-station`.
data_dir = "{DATA_DIR}"

[station]
id = "bench-01"
name = "Returns bench 1"

[database]
url = "sqlite:///{DATA_DIR}/station.db"

[evidence]
photo_dir = "{DATA_DIR}/photos"

[audit]
anchor_file = "{DATA_DIR}/audit-anchors.log"

[web]
host = "127.0.0.1"
port = 8080

[devices]
simulated = false
# scale_profile = "dymo-m25"
# scale_url = "/dev/returns-scale"
# scanner_profiles = ["zebra-ds2208"]
# scanner_urls = ["/dev/returns-scanner-kbd"]
# camera_profile = "logitech-c920"
camera_source = "/dev/returns-camera"

[labels]
# printer_profile = "zebra-gk420d"
# printer_url = "usb:/dev/returns-printer0"
"""


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _user_gone(name: str) -> bool:
    return not _user_exists(name)


def _absent(path: Path) -> bool:
    return not path.exists()


def _packages_installed(names: tuple[str, ...]) -> bool:
    try:
        done = subprocess.run(["dpkg-query", "-W", "-f=${Status}\\n", *names],
                              capture_output=True, text=True, check=False)
    except OSError:
        return False
    lines = done.stdout.splitlines()
    return done.returncode == 0 and len(lines) == len(names) and \
        all(line.endswith("install ok installed") for line in lines)


def _enabled(root: Path, unit: str) -> bool:
    return target(root, units.UNIT_DIR / "multi-user.target.wants" / unit).exists()


def _service_units(options: InstallOptions) -> list[tuple[str, str, str]]:
    """(unit name, content, what it is) of every unit this bench gets."""
    layout = options.layout()
    worker = (units.WEBHOOKS_UNIT, units.webhooks_unit(layout),
              "webhook worker: station webhooks worker")
    if options.server:  # the central server: no devices, no screen
        return [(units.SERVER_UNIT, units.server_unit(layout), "central server: station serve"),
                worker]
    found = [(units.BENCH_UNIT, units.bench_unit(layout), "bench daemon: station run"), worker]
    if options.kiosk:
        found.append((kiosk.KIOSK_UNIT, kiosk.kiosk_unit(layout),
                      "bench screen: Chromium in cage on tty1"))
    return found


def _useradd(options: InstallOptions) -> list[Action]:
    groups = ",".join(units.DEVICE_GROUPS)
    actions: list[Action] = [RunCommand(
        ("useradd", "--system", "--user-group", "--home-dir", str(DATA_DIR), "--no-create-home",
         "--shell", "/usr/sbin/nologin", "--groups", groups, options.user),
        f"system user of the bench daemon, in {groups} for the devices",
        done=lambda: _user_exists(options.user))]
    if options.kiosk:
        actions.append(RunCommand(
            ("useradd", "--system", "--user-group", "--home-dir", str(KIOSK_HOME),
             "--no-create-home", "--shell", "/usr/sbin/nologin", options.kiosk_user),
            "system user of the bench screen (no device or data access)",
            done=lambda: _user_exists(options.kiosk_user)))
    return actions


def _venv(options: InstallOptions) -> list[Action]:
    if options.skip_venv:
        return []
    source = options.source or Path(__file__).resolve().parents[2]
    bin_dir = target(options.root, options.prefix / "bin")
    return [
        RunCommand(("python3", "-m", "venv", str(options.prefix)), "the station's own Python",
                   done=lambda: (bin_dir / "python").exists()),
        RunCommand((str(options.prefix / "bin" / "pip"), "install", "--quiet", str(source)),
                   f"the station software from {source}",
                   done=lambda: (bin_dir / "station").exists()),
        WriteFile(options.prefix / VENV_MARKER, b"built by station install\n",
                  "marks the venv as the installer's (station uninstall removes it)"),
    ]


def install_plan(options: InstallOptions) -> list[Action]:
    """Every action of `station install`, in order."""
    rules = udev.render_rules()
    problems = udev.check_rules(rules)
    if problems:
        raise InstallError(f"generated udev rules are not valid: {problems[0]}")
    actions: list[Action] = []
    if not options.skip_packages:
        needed = DEBIAN_PACKAGES if options.kiosk else RUNTIME_PACKAGES
        actions.append(RunCommand(("apt-get", "install", "--yes", "--no-install-recommends",
                                   *needed), "Debian packages the bench needs",
                                  done=lambda: _packages_installed(needed)))
    actions += _useradd(options)
    actions += [
        MakeDir(DATA_DIR, "data folder: database, photos, audit anchors", 0o750,
                options.user, options.user, keep_on_uninstall=True),
        MakeDir(CONFIG_DIR, "configuration folder", 0o750, "root", options.user,
                keep_on_uninstall=True),
    ]
    config = options.config_text if options.config_text is not None else starter_config()
    actions.append(WriteFile(CONFIG_FILE, config.encode(),
                             "the bench's station.toml" + ("" if options.config_text
                                                           else " (starter; an existing one stays)"),
                             0o640, "root", options.user, keep_on_uninstall=True,
                             replace=options.config_text is not None))
    if options.kiosk:
        actions.append(MakeDir(KIOSK_HOME, "the screen's browser profile", 0o700,
                               options.kiosk_user, options.kiosk_user, keep_on_uninstall=True))
    actions += _venv(options)
    unit_paths: list[PurePosixPath] = []
    for name, content, what in _service_units(options):
        path = units.UNIT_DIR / name
        unit_paths.append(path)
        actions.append(WriteFile(path, content.encode(), what))
    actions += [
        WriteFile(UDEV_FILE, rules.encode(), "stable /dev/returns-* names and group access"),
        WriteFile(units.JOURNALD_DROPIN, units.journald_dropin().encode(),
                  "journal size and age limits"),
    ]
    kiosk_files: list[PurePosixPath] = []
    if options.kiosk:
        kiosk_files = [kiosk.LAUNCHER, kiosk.PAM_FILE]
        actions += [
            WriteFile(kiosk.LAUNCHER, kiosk.launcher_script(options.layout()).encode(),
                      f"opens {options.url} in Chromium, full screen", 0o755),
            WriteFile(kiosk.PAM_FILE, kiosk.pam_config().encode(),
                      "automatic login of the bench screen"),
        ]
    actions += _activate(options, unit_paths, kiosk_files)
    return actions


def _activate(options: InstallOptions, unit_paths: list[PurePosixPath],
              kiosk_files: list[PurePosixPath]) -> list[Action]:
    """Reloads, enables and restarts, each only when something it depends on changed."""
    actions: list[Action] = [
        RunCommand(("systemctl", "daemon-reload"), "systemd reads the new units",
                   after=tuple(unit_paths)),
        RunCommand(("udevadm", "control", "--reload"), "udev reads the new rules",
                   after=(UDEV_FILE,)),
        RunCommand(("udevadm", "trigger", "--action=add"), "plugged devices get their names",
                   after=(UDEV_FILE,)),
        RunCommand(("systemctl", "restart", "systemd-journald"), "journald takes the limits",
                   after=(units.JOURNALD_DROPIN,)),
    ]
    for path in unit_paths:
        name = path.name
        actions.append(RunCommand(("systemctl", "enable", name), f"{name} starts at boot",
                                  done=partial(_enabled, options.root, name)))
        triggers = (path, CONFIG_FILE) + (tuple(kiosk_files) if name == kiosk.KIOSK_UNIT else ())
        actions.append(RunCommand(("systemctl", "restart", name), f"{name} runs the new files",
                                  after=triggers))
    return actions


def uninstall_plan(options: InstallOptions, *, purge: bool) -> list[Action]:
    """Every action of `station uninstall`; the data stays unless ``purge``."""
    names = [units.BENCH_UNIT, units.WEBHOOKS_UNIT, units.SERVER_UNIT, kiosk.KIOSK_UNIT]
    unit_paths = tuple(units.UNIT_DIR / name for name in names)
    actions: list[Action] = []
    for path in unit_paths:
        present = target(options.root, path)
        actions.append(RunCommand(("systemctl", "disable", "--now", path.name),
                                  f"{path.name} stopped and no longer started at boot",
                                  done=partial(_absent, present),
                                  may_fail=True))
    actions += [RemovePath(path, "systemd unit") for path in unit_paths]
    files = (UDEV_FILE, units.JOURNALD_DROPIN, kiosk.LAUNCHER, kiosk.PAM_FILE)
    actions += [RemovePath(path, "installed file") for path in files]
    actions += [
        RunCommand(("systemctl", "daemon-reload"), "systemd forgets the units", after=unit_paths),
        RunCommand(("udevadm", "control", "--reload"), "udev forgets the rules",
                   after=(UDEV_FILE,)),
        RunCommand(("systemctl", "restart", "systemd-journald"), "journald default limits",
                   after=(units.JOURNALD_DROPIN,)),
    ]
    if target(options.root, options.prefix / VENV_MARKER).exists():
        actions.append(RemovePath(options.prefix, "the venv the installer built", tree=True))
    if purge:
        actions += [RemovePath(DATA_DIR, "data: database, photos, anchors (--purge)", tree=True),
                    RemovePath(CONFIG_DIR, "configuration (--purge)", tree=True),
                    RemovePath(KIOSK_HOME, "the screen's browser profile (--purge)", tree=True)]
        for user in (options.user, options.kiosk_user):
            actions.append(RunCommand(("userdel", user), f"system user {user} (--purge)",
                                      done=partial(_user_gone, user)))
    return actions
