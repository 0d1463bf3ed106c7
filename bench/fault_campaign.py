"""`make fault`: every fault the reliability work proves, with the figures printed as JSON.

1. SIGKILL at ``--kills`` random points of scripted inspections, on SQLite and on a real
   PostgreSQL server started for the run (bench/fault_kill.py);
2. the hostile-input corpus against every route (bench/fault_inputs.py), then schemathesis
   with all its checks on every API operation (tests/test_api_contract.py with many examples);
3. ``--noise-bytes`` of random bytes into every serial device (bench/fault_devices.py);
4. a real filesystem full and then read-only under the photo folder (bench/fault_storage.py);
5. the database held locked by another process (tests/test_database_busy.py: SQLite write
   lock and a PostgreSQL table lock).

Exits 1 when anything was lost, doubled, wrongly accepted or answered with a server error.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import write_result
from bench.fault_devices import device_noise
from bench.fault_inputs import hostile_inputs
from bench.fault_kill import campaign
from bench.fault_storage import storage_faults
from tests.support.postgres import PostgresServer, find_bin

ROOT = Path(__file__).resolve().parent.parent


def _as_dict(report: Any) -> dict[str, Any]:
    data = dataclasses.asdict(report)
    if hasattr(report, "ok"):
        data["ok"] = report.ok
    return data


def kill_campaigns(kills: int, rmas: int, backends: list[str], work: Path) -> list[dict[str, Any]]:
    """One kill campaign per backend; PostgreSQL gets its own throw-away server."""
    results = []
    if "sqlite" in backends:
        root = work / "kill-sqlite"
        results.append(_as_dict(campaign(root, f"sqlite:///{root / 'station.db'}", "sqlite",
                                         kills, rmas)))
    if "postgres" in backends:
        if not find_bin("initdb"):
            results.append({"backend": "postgres", "ok": False,
                            "problems": ["PostgreSQL server binaries not found"]})
        else:
            server = PostgresServer()
            server.start()
            try:
                results.append(_as_dict(campaign(work / "kill-postgres", server.url(),
                                                 "postgres", kills, rmas)))
            finally:
                server.stop()
    return results


def pytest_slice(tests: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run test files as a fault step; their exit status and output tail."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-n", "2", *tests], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    return {"tests": tests, "ok": done.returncode == 0, "seconds": round(time.monotonic() - started),
            "summary": done.stdout.strip().splitlines()[-1:] if done.stdout else []}


def contract(examples: int, work: Path) -> dict[str, Any]:
    """schemathesis, all checks, ``examples`` per operation and mode; statuses tallied."""
    tally = work / "contract-tally.txt"
    result = pytest_slice(["tests/test_api_contract.py"], {
        "STATION_CONTRACT_EXAMPLES": str(examples), "STATION_CONTRACT_TALLY": str(tally)})
    statuses = Counter(line.strip() for line in tally.read_text().splitlines()) \
        if tally.exists() else Counter()
    result["requests"] = sum(statuses.values())
    result["server_errors"] = sum(n for s, n in statuses.items() if s.startswith("5")
                                  and s not in ("503", "507"))
    result["by_status"] = dict(sorted(statuses.items()))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--rmas", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--noise-bytes", type=int, default=1 << 20)
    parser.add_argument("--contract-examples", type=int, default=100)
    parser.add_argument("--input-budget", type=int, default=0, help="0 = the whole corpus")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="station-fault-") as tmp:
        work = Path(tmp)
        inputs = hostile_inputs(work / "inputs", args.input_budget or None)
        result: dict[str, Any] = {
            "kill": kill_campaigns(args.kills, args.rmas, args.backends.split(","), work),
            "hostile_inputs": {"requests": inputs.requests, "by_class": dict(inputs.by_class),
                               "server_errors": inputs.server_errors},
            "contract": contract(args.contract_examples, work),
            "device_noise": _as_dict(device_noise(args.noise_bytes)),
            "storage": _as_dict(storage_faults(work)),
            "database_locked": pytest_slice(["tests/test_database_busy.py"], {}),
        }
    storage = result["storage"]
    ok = (all(k.get("ok") for k in result["kill"]) and not inputs.server_errors
          and result["contract"]["ok"] and result["contract"]["server_errors"] == 0
          and result["device_noise"]["ok"] and result["database_locked"]["ok"]
          and (storage["skipped"] or (storage["half_done"] == 0 and storage["temp_left"] == 0
                                      and storage["verify_problems"] == 0
                                      and storage["readyz_failed"] == ["full", "read_only"])))
    result["totals"] = {
        "faults_injected": sum(k.get("kills", 0) for k in result["kill"])
        + len(result["device_noise"]["devices"]) + 2,
        "inputs_tried": inputs.requests + result["contract"]["requests"],
        "lost": sum(k.get("lost", 0) for k in result["kill"]),
        "server_errors": len(inputs.server_errors) + result["contract"]["server_errors"],
        "seconds": round(time.monotonic() - started),
        "ok": bool(ok),
    }
    write_result("fault", result)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
