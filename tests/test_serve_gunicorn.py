"""`station serve` as a real process: gunicorn with two gthread workers, one dispatcher, clean SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from station import apikeys
from station.context import StationContext
from station.webhooks import admin, outbox
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parent.parent
START_S = 90.0  # two workers importing Flask and SQLAlchemy on a busy 2-core machine


class Receiver:
    """A webhook receiver on loopback that keeps the webhook-id of every POST."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        ids = self.ids

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                ids.append(self.headers.get("webhook-id", ""))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def answers(port: int) -> bool:
    try:
        return get(port, "/healthz")[0] == 200
    except OSError:
        return False


def test_serve_runs_two_gunicorn_workers_one_dispatcher_and_stops_on_sigterm(
    ctx: StationContext, tmp_path: Path, receiver: Receiver
) -> None:
    settings = ctx.settings
    config = tmp_path / "station.toml"
    config.write_text(
        f'data_dir = "{tmp_path}"\n[station]\nid = "central"\n'
        f'[database]\nurl = "{settings.database.url}"\n'
        f'[evidence]\nphoto_dir = "{settings.evidence.photo_dir}"\n'
        f'[audit]\nanchor_file = "{tmp_path / "central-anchors.log"}"\n', encoding="utf-8")
    with ctx.db.transaction() as session:
        _, secret = apikeys.create_api_key(session, "platform", ["inspections:read"])
        admin.create_endpoint(session, receiver.url)
        event_id = outbox.enqueue(session, "inspection.completed", "rma:RMA-SERVE",
                                  {"rma_id": "RMA-SERVE"}, (1, "0" * 64)).id
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("STATION_") and k != "DATABASE_URL"}
    server = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--config", str(config), "serve",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert wait_until(lambda: answers(port) or server.poll() is not None, START_S)
        assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        status, body = get(port, "/api/v1/inspections", {"Authorization": f"Bearer {secret}"})
        assert status == 200 and json.loads(body)["items"] == []
        assert get(port, "/api/v1/inspections")[0] == 401

        kids = children(server.pid)
        dispatchers = [pid for pid in kids if "webhooks worker" in cmdline(pid)]
        assert len(dispatchers) == 1, [cmdline(pid) for pid in kids]
        assert len(kids) == 3, [cmdline(pid) for pid in kids]  # two workers and the dispatcher
        assert wait_until(lambda: receiver.ids == [event_id], 30.0), receiver.ids
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise
    assert code == 0, server.stderr.read().decode() if server.stderr else ""
    assert all(not Path(f"/proc/{pid}").exists() or "station" not in cmdline(pid)
               for pid in kids), "a worker or the dispatcher outlived the server"
    assert not answers(port)
