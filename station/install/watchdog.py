"""sd_notify(3) for the bench daemon under its systemd unit: READY=1, then WATCHDOG=1 while /healthz answers.

Protocol per sd_notify(3) (NOTIFY_SOCKET names an AF_UNIX datagram socket, "@" standing for
the abstract namespace; one datagram of newline-separated assignments) and
sd_watchdog_enabled(3) (WATCHDOG_USEC is the timeout, WATCHDOG_PID the process meant; ping
at half the timeout). Without NOTIFY_SOCKET (a terminal, `make run`) every call does nothing.
The ping is sent only when the bench's own web server answers /healthz on loopback, so a
process that is alive but no longer serves its screen is restarted by systemd.
"""

from __future__ import annotations

import os
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit


def health_url(url: str) -> str:
    """The /healthz beside a bench URL (``http://127.0.0.1:8080/`` -> ``.../healthz``)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/healthz"


def notify(message: str, env: Mapping[str, str] = os.environ) -> bool:
    """Send one sd_notify datagram; False when not run by systemd or the socket is gone."""
    address = env.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        return False  # the manager went away: nothing a bench can do about it
    return True


def ping_interval(env: Mapping[str, str] = os.environ, pid: int | None = None) -> float | None:
    """Seconds between pings (half of WATCHDOG_USEC), None when no watchdog is asked for."""
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
        meant = int(env.get("WATCHDOG_PID", "0"))
    except ValueError:
        return None
    if usec <= 0 or (meant and meant != (pid or os.getpid())):
        return None
    return usec / 2_000_000


#: Loopback requests never go through an http_proxy the environment may name.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Watchdog:
    """A daemon thread that pings systemd while ``url`` answers 200 (``checks`` counts tries)."""

    def __init__(self, url: str, interval_s: float, env: Mapping[str, str] = os.environ) -> None:
        self.url = url
        self.interval_s = interval_s
        self.env = env
        self.checks = 0
        self.pings = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="systemd-watchdog", daemon=True)

    def healthy(self) -> bool:
        try:
            with _DIRECT.open(self.url, timeout=min(5.0, self.interval_s)) as answer:
                return bool(answer.status == 200)
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def _run(self) -> None:
        while not self._stop.is_set():
            ok = self.healthy()
            self.checks += 1
            if ok and notify("WATCHDOG=1", self.env):
                self.pings += 1
            self._stop.wait(self.interval_s)

    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def serving(url: str, env: Mapping[str, str] = os.environ) -> Watchdog | None:
    """Tell systemd the bench is ready and start the watchdog pings if the unit asks for them."""
    if not notify("READY=1", env):
        return None
    interval = ping_interval(env)
    return Watchdog(health_url(url), interval, env).start() if interval else None


def stopping(watchdog: Watchdog | None, env: Mapping[str, str] = os.environ) -> None:
    """The bench is shutting down: no more pings, and systemd is told so."""
    if watchdog is not None:
        watchdog.stop()
    notify("STOPPING=1", env)
