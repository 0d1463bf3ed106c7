"""A real `station run --demo` bench in a temp working directory, with what it printed at start."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from station.demo import DEMO_ITEMS, demo_rmas

_SCRIPT = Path(sys.executable).with_name("station")
#: The installed console script, as a person runs it (module form when the venv has no script).
STATION = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "station.cli"]
START_TIMEOUT_S = 60.0


def three_item_rma(run: str) -> dict[str, Any]:
    """One return of three different items, one of each (the demo's headphones, shirt, kettle)."""
    rma = demo_rmas(run)[0]
    items = [{**item, "line_id": str(n), "quantity": 1} for n, item in enumerate(DEMO_ITEMS, 1)]
    return {**rma, "rma_id": f"RMA-{run}-3U", "tracking_number": f"1Z999AA1{run[-6:]}3U",
            "order_id": f"SO-{run}-3U", "reason": "no_reason", "items": items}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Parcel:
    """A demo return waiting at the bench: its label and what kind of item it holds."""

    label: str
    rma_id: str
    description: str

    @property
    def sku(self) -> str:
        """The SKU of the parcel's (single) item, as printed on its packaging."""
        return next(str(i["sku"]) for i in DEMO_ITEMS if i["description"] == self.description)


@dataclass
class ExtraOperator:
    """An operator added with `station user add` (own locale, so tests do not share it)."""

    username: str
    badge: str
    pin: str


@dataclass
class BenchServer:
    """One running bench: URL, printed demo credentials, the parcels it has not handed out yet."""

    workdir: Path
    url: str
    badge: str
    pin: str
    parcels: list[Parcel]
    process: subprocess.Popen[bytes]
    operators: dict[str, ExtraOperator] = field(default_factory=dict)

    @property
    def db_path(self) -> Path:
        return self.workdir / "var" / "station.db"

    @property
    def photo_dir(self) -> Path:
        return self.workdir / "var" / "photos"

    def take_parcel(self, description: str = "") -> Parcel:
        """A parcel no other test uses (each test inspects its own return).

        A parcel of several items (its description joins theirs with " + ") is given only when
        asked for by "+", never for one of its items.
        """
        several = "+" in description
        for parcel in self.parcels:
            if description.lower() in parcel.description.lower() and \
                    several == (" + " in parcel.description):
                self.parcels.remove(parcel)
                return parcel
        raise AssertionError(f"no demo parcel {description!r} left; start more in conftest")

    def query(self, sql: str, *params: object) -> list[sqlite3.Row]:
        """Read the bench's own SQLite file (read-only, next to the running server)."""
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            conn.row_factory = sqlite3.Row
            return list(conn.execute(sql, params))

    def log_tail(self) -> str:
        out = (self.workdir / "stdout.log").read_text(errors="replace")[-3000:]
        err = (self.workdir / "stderr.log").read_text(errors="replace")[-3000:]
        return f"--- stdout ---\n{out}\n--- stderr ---\n{err}"

    def stop(self) -> None:
        """SIGTERM, as a service manager would; the bench closes its devices and exits."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATION_")}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def _cli(workdir: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([*STATION, *args], cwd=workdir, env=env, input=stdin, text=True,
                          capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"station {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def _wait_started(process: subprocess.Popen[bytes], log: Path, workdir: Path) -> str:
    """The printed `bench ... open URL` line means the devices run and waitress is about to serve."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"station run exited with {process.returncode}:\n"
                               f"{log.read_text()}{(workdir / 'stderr.log').read_text()}")
        match = re.search(r"^bench \S+ with \w+ devices: open (\S+)", log.read_text(), re.M)
        if match:
            return match.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"station run printed no URL in {START_TIMEOUT_S} s:\n{log.read_text()}")


def _wait_healthy(url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def start_bench(workdir: Path, *, idle_lock_s: int = 300, extra_parcels: int = 0,
                operators: tuple[ExtraOperator, ...] = (),
                extra_rmas: tuple[dict[str, Any], ...] = ()) -> BenchServer:
    """`station db upgrade`, optional extra returns and operators, then `station run --demo`."""
    env = _env({"STATION_WEB__IDLE_LOCK_S": str(idle_lock_s)})
    _cli(workdir, env, "db", "upgrade")
    imported: list[Parcel] = []
    if extra_parcels:
        rmas = [rma for n in range(0, extra_parcels, 3) for rma in demo_rmas(f"E2E{os.getpid()}{n:02d}X")]
        rmas = rmas[:extra_parcels]
    else:
        rmas = []
    rmas = [*rmas, *extra_rmas]  # e.g. a parcel of several items: its description joins theirs
    if rmas:
        (workdir / "extra-rmas.json").write_text(json.dumps(rmas))
        _cli(workdir, env, "rma", "import", "extra-rmas.json")
        imported = [Parcel(r["tracking_number"], r["rma_id"],
                           " + ".join(i["description"] for i in r["items"])) for r in rmas]
    for person in operators:
        _cli(workdir, env, "user", "add", person.username, "--role", "operator", "--badge", person.badge,
             "--pin", person.pin, "--name", "Bench Operator")
    port = free_port()
    log = workdir / "stdout.log"
    with log.open("wb") as out, (workdir / "stderr.log").open("wb") as err:
        process = subprocess.Popen([*STATION, "run", "--demo", "--port", str(port), "--host", "127.0.0.1"],
                                   cwd=workdir, env=env, stdout=out, stderr=err)
    try:
        url = _wait_started(process, log, workdir)
        _wait_healthy(url)
    except BaseException:
        process.kill()
        process.wait(timeout=10)
        raise
    printed = log.read_text()
    badge, pin = re.search(r"badge (\S+)\s+PIN (\d+)", printed).groups()  # type: ignore[union-attr]
    parcels = [Parcel(label, rma_id, description) for rma_id, description, label in
               re.findall(r"created (\S+): \w+, (.+) \(label (\S+)\)", printed)]
    assert len(parcels) == 3, printed
    return BenchServer(workdir, url, badge, pin, parcels + imported, process,
                       {p.username: p for p in operators})
