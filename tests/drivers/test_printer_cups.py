"""A real CUPS scheduler in a temp directory with a raw queue (socket:// backend) pointing at the simulator.

Needs the Debian packages ``cups`` (cupsd, the socket backend) and ``cups-client`` (lp, lpadmin,
lpstat). Without them this fails and says so; set STATION_NO_CUPS=1 to skip it on purpose.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drivers.printer.errors import PrinterOffline
from drivers.printer.session import PrinterSession
from drivers.printer.transport import CUPS_NO_STATUS
from drivers.sim.printer import SimulatedPrinter
from tests.support.wait import wait_until

LABEL = b"^XA^FO40,40^A0N,40,40^FDvia CUPS^FS^XZ"
CUPSD = "/usr/sbin/cupsd"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cups:
    server: str
    sim: SimulatedPrinter
    queue: str = "returns-zebra"


def _write_config(root: Path, port: int) -> None:
    for sub in ("spool", "cache", "state", "tmp", "log"):
        (root / sub).mkdir(parents=True)
    root.chmod(0o755)
    for sub in ("spool", "tmp"):
        (root / sub).chmod(0o1777)  # the backend runs as the unprivileged lp user
    (root / "cupsd.conf").write_text(f"""Listen 127.0.0.1:{port}
Browsing No
WebInterface No
LogLevel warn
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
    Allow all
  </Limit>
</Policy>
""")
    (root / "cups-files.conf").write_text(f"""ServerRoot {root}
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
FileDevice No
Printcap {root}/state/printcap
Sandboxing Relaxed
""")


@pytest.fixture
def cups_root() -> Iterator[Path]:
    """A scheduler directory the unprivileged backend can reach (pytest's tmp_path is 0700)."""
    with tempfile.TemporaryDirectory(prefix="station-cups-") as name:
        Path(name).chmod(0o755)
        yield Path(name) / "cups"


@pytest.fixture
def cups(cups_root: Path) -> Iterator[Cups]:
    if os.environ.get("STATION_NO_CUPS") == "1":
        pytest.skip("STATION_NO_CUPS=1: CUPS tests switched off on purpose")
    missing = [tool for tool in (CUPSD, "lp", "lpadmin", "lpstat") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"CUPS is not installed ({', '.join(missing)} missing): "
                    "apt-get install -y --no-install-recommends cups cups-client")
    root, port = cups_root, _free_port()
    _write_config(root, port)
    server = f"127.0.0.1:{port}"
    proc = subprocess.Popen([CUPSD, "-f", "-c", str(root / "cupsd.conf"),
                             "-s", str(root / "cups-files.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sim = SimulatedPrinter("zebra-zd421")
    try:
        def scheduler_up() -> bool:
            done = subprocess.run(["lpstat", "-h", server, "-r"], capture_output=True, check=False)
            return b"is running" in done.stdout

        assert wait_until(scheduler_up, 15), (root / "log" / "error_log").read_text() \
            if (root / "log" / "error_log").exists() else "cupsd did not start"
        subprocess.run(["lpadmin", "-h", server, "-p", "returns-zebra", "-E",
                        "-v", f"socket://127.0.0.1:{sim.port}"], check=True, capture_output=True)
        yield Cups(server, sim)
    finally:
        sim.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_job_through_a_raw_cups_queue_reaches_the_printer_unchanged(cups: Cups) -> None:
    with PrinterSession("zebra-zd421", f"cups:{cups.queue}@{cups.server}") as session:
        assert session.status() is None  # CUPS hands back no ~HS answer
        session.send(LABEL)
    assert cups.sim.wait_for_labels(1, 30)
    assert [label.zpl for label in cups.sim.labels] == [LABEL]
    assert "not available through a CUPS raw queue" in CUPS_NO_STATUS


def test_an_unknown_queue_is_offline_with_the_cups_reason(cups: Cups) -> None:
    with PrinterSession("zebra-zd421", f"cups:no-such-queue@{cups.server}") as session, \
            pytest.raises(PrinterOffline, match="CUPS refused the job"):
        session.send(LABEL)


def test_no_scheduler_is_offline_with_a_reason() -> None:
    if shutil.which("lp") is None:
        pytest.fail("lp is not installed: apt-get install -y cups-client")
    with PrinterSession("zebra-zd421", f"cups:returns-zebra@127.0.0.1:{_free_port()}") as session, \
            pytest.raises(PrinterOffline, match="cups:returns-zebra"):
        session.send(LABEL)
