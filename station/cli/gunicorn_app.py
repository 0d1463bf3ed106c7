"""`station serve` under gunicorn: gthread workers that each build their own app after fork, one dispatcher.

The arbiter (the gunicorn master) checks the schema, then closes its database engine before
any worker is forked: every worker builds its own ``StationContext`` and Flask app in ``load()``
(``preload_app`` is off), so no connection, pool or lock crosses a fork; ``post_fork`` disposes
anything that still did as a second line of defence. The webhook dispatcher runs exactly once,
as a child process of the arbiter (`station webhooks worker`), started when the arbiter is
ready and stopped when it exits; it is not forked with the workers, so a restarted worker never
starts a second one (several would still be safe: claims use ``FOR UPDATE SKIP LOCKED``).

SIGTERM / SIGINT stop gracefully (gunicorn: workers finish their requests within
``graceful_timeout``); SIGHUP reloads the workers. Sizing (docs/deployment.md): on PostgreSQL
workers = cores, threads 4-8 per worker; on SQLite one worker.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication

from station.config import Settings
from station.fleet.heartbeat import FleetHeartbeat

if TYPE_CHECKING:
    from flask import Flask

    from station.context import StationContext

#: How long a stopping worker may take to finish its requests (gunicorn graceful_timeout).
GRACEFUL_TIMEOUT_S = 20
DISPATCHER_STOP_S = 15.0


def default_workers(settings: Settings) -> int:
    """One worker per core this process may run on; one on SQLite (one writer at a time).

    Several processes writing one SQLite file queue on its write lock and can wait past the
    busy timeout ("database is locked", measured in bench/bench_api.py); more threads in one
    process serve a SQLite central server better.
    """
    if settings.database.url.startswith("sqlite"):
        return 1
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


class StationServer(BaseApplication):
    """A gunicorn application whose workers each build the station's services and Flask app."""

    def __init__(self, settings: Settings, options: dict[str, Any],
                 dispatcher_command: list[str] | None) -> None:
        self.settings = settings
        self.options = options
        self.dispatcher_command = dispatcher_command
        self._dispatcher: subprocess.Popen[bytes] | None = None
        self._ctx: StationContext | None = None
        self._follower: FleetHeartbeat | None = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_fork", self._post_fork)
        self.cfg.set("worker_exit", self._worker_exit)
        self.cfg.set("when_ready", self._when_ready)
        self.cfg.set("on_exit", self._on_exit)

    def load(self) -> Flask:
        """Runs in each worker after fork: its own engine, pool, anchor writer and app."""
        from station.context import build
        from web.app import create_app

        self._ctx = build(self.settings)
        # the worker grades (bench pages, reviews) with the newest published policy, followed
        # every fleet.heartbeat_s; it sends no heartbeat of its own (it is not a bench)
        self._follower = FleetHeartbeat(self._ctx, report=False).start()
        return create_app(self.settings, self._ctx)

    # -- hooks (gunicorn calls them with the arbiter and, for workers, the worker) ----------

    def _post_fork(self, server: Any, worker: Any) -> None:
        if self._ctx is not None:  # never set in the arbiter; a fork must not share a pool
            self._ctx.db.dispose()
            self._ctx = None

    def _worker_exit(self, server: Any, worker: Any) -> None:
        if self._follower is not None:
            self._follower.stop()
            self._follower = None
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None

    def _when_ready(self, server: Any) -> None:
        if self.dispatcher_command and self._dispatcher is None:
            self._dispatcher = subprocess.Popen(self.dispatcher_command)
            server.log.info("webhook dispatcher running as process %s", self._dispatcher.pid)

    def _on_exit(self, server: Any) -> None:
        proc, self._dispatcher = self._dispatcher, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(DISPATCHER_STOP_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def dispatcher_command(args: argparse.Namespace) -> list[str]:
    """`station webhooks worker` with this command's --config (the environment is inherited)."""
    command = [sys.executable, "-m", "station.cli"]
    if getattr(args, "config", None):
        command += ["--config", args.config]
    return [*command, "webhooks", "worker"]


def serve(args: argparse.Namespace, settings: Settings, host: str, port: int) -> None:
    """Run gunicorn in this process (the arbiter) until it is stopped."""
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options: dict[str, Any] = {
        "bind": [bind],
        "workers": args.workers or default_workers(settings),
        "threads": args.threads,
        "worker_class": "gthread",
        "preload_app": False,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "timeout": 60,
        "keepalive": 5,
        "backlog": 1024,
        "proc_name": "station-serve",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        # a reverse proxy in front sets X-Forwarded-*; trust only the local one by default
        "forwarded_allow_ips": "127.0.0.1,::1",
    }
    wants_dispatcher = settings.webhooks.enabled and not args.no_dispatcher
    StationServer(settings, options, dispatcher_command(args) if wants_dispatcher else None).run()
