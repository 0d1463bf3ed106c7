"""Doctor's device checks: configured device nodes found and openable, their groups, serial line settings.

The device list is what the bench would open (devices.scale_url, devices.scanner_urls,
devices.camera_source, labels.printer_url as usb:); wedge scanners configured by USB id only
are looked up with drivers.discovery (what `station devices list` prints). Line settings are
read with tcgetattr(3) on a port opened O_NONBLOCK|O_NOCTTY (termios(3), "Control modes":
CSIZE, CSTOPB, PARENB, PARODD; cfgetospeed(3) for the speed), never changed.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
import termios
from dataclasses import dataclass

from drivers.discovery import discover
from drivers.scanner.profile import ScannerInterface
from station.config import Settings
from station.doctor.model import Finding, fail, ok, warn

#: Speeds termios knows, by their B* constant (termios(3), "Line control").
_SPEEDS = {getattr(termios, f"B{n}"): n for n in (
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600,
    115200, 230400, 460800, 500000, 576000, 921600) if hasattr(termios, f"B{n}")}
_BYTESIZE = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}
_NETWORK = ("socket://", "rfc2217://", "loop://", "rtsp://", "http://", "https://", "tcp://",
            "cups:")


@dataclass(frozen=True)
class LineSettings:
    """Baud rate, data bits, parity and stop bits, written as ``9600 8N1``."""

    baudrate: int | None
    bytesize: int
    parity: str
    stopbits: int

    def __str__(self) -> str:
        return f"{self.baudrate or '?'} {self.bytesize}{self.parity}{self.stopbits}"


@dataclass(frozen=True)
class ConfiguredDevice:
    """One device the configuration points the bench at."""

    name: str  # scale, scanner, scanner-2, camera, printer
    key: str  # the setting that names it
    path: str  # a device node, a network address, or "USB id vvvv:pppp" when not found
    network: bool = False
    found: bool = True
    serial: LineSettings | None = None  # what the profile expects, for serial ports
    profile: str = ""


def _node_of(url: str) -> tuple[str, bool]:
    """(path or address, is a network address) of a device URL."""
    if url.startswith("hidraw://"):
        return url.removeprefix("hidraw://"), False
    if url.startswith("usb:"):
        return url.removeprefix("usb:"), False
    return url, url.startswith(_NETWORK)


def configured_devices(settings: Settings) -> list[ConfiguredDevice]:
    """What the bench opens when ``devices.simulated`` is false (the printer in any case)."""
    from station.devices.adapters import scale_profile_named, scanner_profile_named

    cfg, found = settings.devices, []
    if cfg.scale_url:
        path, network = _node_of(cfg.scale_url)
        profile = scale_profile_named(cfg.scale_profile)
        line = None if network or cfg.scale_url.startswith("hidraw://") else LineSettings(
            profile.serial.baudrate, profile.serial.bytesize, profile.serial.parity,
            profile.serial.stopbits)
        found.append(ConfiguredDevice("scale", "devices.scale_url", path, network, serial=line,
                                      profile=cfg.scale_profile))
    discovered = None
    for index, name in enumerate(cfg.scanner_profiles):
        scanner = scanner_profile_named(name)
        device = "scanner" if index == 0 else f"scanner-{index + 1}"
        key = f"devices.scanner_urls[{index}]"
        url = cfg.scanner_urls[index] if index < len(cfg.scanner_urls) else ""
        if url:
            path, network = _node_of(url)
            line = None
            if scanner.interface is ScannerInterface.SERIAL and scanner.serial and not network:
                s = scanner.serial
                line = LineSettings(s.baudrate, s.bytesize, s.parity, s.stopbits)
            found.append(ConfiguredDevice(device, key, path, network, serial=line, profile=name))
        elif scanner.usb_ids:  # a wedge found by its USB id, as the bench finds it
            discovered = discover() if discovered is None else discovered
            match = [d for d in discovered if d.kind == "evdev" and d.usb_id in scanner.usb_ids]
            found.append(ConfiguredDevice(device, key, match[0].path if match else
                                          f"USB id {', '.join(scanner.usb_ids)}",
                                          found=bool(match), profile=name))
    source = cfg.camera_source.strip()
    if not source or source.isdigit():
        source = f"/dev/video{source or 0}"
    path, network = _node_of(source)
    found.append(ConfiguredDevice("camera", "devices.camera_source", path, network))
    if settings.labels.printer_url.startswith("usb:"):
        found.append(ConfiguredDevice("printer", "labels.printer_url",
                                      settings.labels.printer_url.removeprefix("usb:")))
    return found


def _seen() -> str:
    listed = [f"{d.kind} {d.path}" for d in discover()]
    return "; ".join(listed) if listed else "nothing"


def check_devices(settings: Settings) -> list[Finding]:
    """Every configured device node exists and opens."""
    if settings.devices.simulated and not settings.labels.printer_url.startswith("usb:"):
        return [ok("devices", "simulated")]
    devices = [d for d in configured_devices(settings)
               if not settings.devices.simulated or d.name == "printer"]
    if not devices:
        return [warn("devices", "devices.none", "fix.devices.none")]
    findings = []
    for device in devices:
        params = {"name": device.name, "path": device.path, "key": device.key}
        if device.network:
            findings.append(ok("devices", "devices.network", **params))
        elif not device.found or not os.path.exists(device.path):
            findings.append(fail("devices", "devices.missing", "fix.devices.missing",
                                 seen=_seen(), **params))
        else:
            try:
                os.close(os.open(device.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY))
            except OSError as exc:
                findings.append(fail("devices", "devices.unreadable", "fix.devices.unreadable",
                                     error=exc.strerror or str(exc), **params))
            else:
                findings.append(ok("devices", "devices.ok", **params))
    return findings


def check_groups(settings: Settings, user: str) -> list[Finding]:
    """The service user may read and write every configured device node (owner, group or mode)."""
    if settings.devices.simulated and not settings.labels.printer_url.startswith("usb:"):
        return [ok("groups", "simulated")]
    nodes = [d for d in configured_devices(settings) if d.found and not d.network
             and os.path.exists(d.path)
             and (not settings.devices.simulated or d.name == "printer")]
    if not nodes:
        return [ok("groups", "groups.none")]
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return [fail("groups", "groups.no_user", "fix.groups.no_user", user=user)]
    if account.pw_uid == 0:
        return [warn("groups", "groups.root", "fix.groups.root", user=user)]
    member_of = set(os.getgrouplist(user, account.pw_gid))
    findings = []
    for device in nodes:
        info = os.stat(device.path)
        try:
            group = grp.getgrgid(info.st_gid).gr_name
        except KeyError:
            group = str(info.st_gid)
        params = {"name": device.name, "path": device.path, "group": group, "user": user,
                  "mode": stat.filemode(info.st_mode)}
        rw_owner, rw_group, rw_other = (info.st_mode & m == m for m in (0o600, 0o060, 0o006))
        if (info.st_uid == account.pw_uid and rw_owner) or rw_other:
            findings.append(ok("groups", "groups.ok", **params))
        elif info.st_gid in member_of:
            findings.append(ok("groups", "groups.ok", **params) if rw_group else
                            fail("groups", "groups.mode", "fix.groups.mode", **params))
        else:
            findings.append(fail("groups", "groups.not_member", "fix.groups.not_member", **params))
    return findings


def line_settings(path: str) -> LineSettings:
    """The port's current line settings (termios.error when it is not a terminal)."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        _iflag, _oflag, cflag, _lflag, _ispeed, ospeed, _cc = termios.tcgetattr(fd)
    finally:
        os.close(fd)
    parity = "N"
    if cflag & termios.PARENB:
        parity = "O" if cflag & termios.PARODD else "E"
    return LineSettings(_SPEEDS.get(ospeed), _BYTESIZE.get(cflag & termios.CSIZE, 8), parity,
                        2 if cflag & termios.CSTOPB else 1)


def other_holders(path: str) -> list[int]:
    """Process ids (not this one) that have ``path`` open, from /proc/<pid>/fd (proc(5))."""
    target, holders = os.path.realpath(path), []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            links = os.listdir(f"/proc/{entry.name}/fd")
            if any(os.readlink(f"/proc/{entry.name}/fd/{fd}") == target for fd in links):
                holders.append(int(entry.name))
        except OSError:  # gone meanwhile, or not ours to look at
            continue
    return holders


def check_serial(settings: Settings) -> list[Finding]:
    """Each configured serial port is set as its profile says (baud, data bits, parity, stop bits).

    The bench sets the profile's line settings when it opens a port, so different settings
    while another process holds the port open (the bench, or a program that changed them) are a
    FAIL; with nobody holding it they are what the last program left behind: a WARN.
    """
    if settings.devices.simulated:
        return [ok("serial", "simulated")]
    ports = [d for d in configured_devices(settings) if d.serial is not None]
    if not ports:
        return [ok("serial", "serial.none")]
    findings = []
    for device in ports:
        assert device.serial is not None
        key = "devices.scale_profile" if device.name == "scale" else "devices.scanner_profiles"
        params = {"name": device.name, "path": device.path, "profile": device.profile,
                  "expected": str(device.serial), "key": key}
        try:
            actual = line_settings(device.path)
        except FileNotFoundError:
            findings.append(fail("serial", "devices.missing", "fix.devices.missing", seen=_seen(),
                                 **{**params, "key": device.key}))
            continue
        except termios.error as exc:
            findings.append(fail("serial", "serial.not_tty", "fix.serial.not_tty",
                                 error=exc.args[-1], **{**params, "key": device.key}))
            continue
        except OSError as exc:
            findings.append(fail("serial", "devices.unreadable", "fix.devices.unreadable",
                                 error=exc.strerror or str(exc), **params))
            continue
        if actual == device.serial:
            findings.append(ok("serial", "serial.ok", actual=str(actual), **params))
        elif other_holders(device.path):
            findings.append(fail("serial", "serial.mismatch", "fix.serial.mismatch",
                                 actual=str(actual), **params))
        else:
            findings.append(warn("serial", "serial.idle", "fix.serial.idle", actual=str(actual),
                                 **params))
    return findings
