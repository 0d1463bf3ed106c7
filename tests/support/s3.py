"""A real S3-compatible HTTP server on loopback for tests (moto's server mode) and buckets on it.

Use it in a test module through a fixture of its own (a parameter named like an imported
fixture is a lint error)::

    @pytest.fixture(scope="session")
    def s3() -> Iterator[S3Server]:
        with running_s3_server() as server:
            yield server

One server per test session (per xdist worker) is enough: every test makes its own bucket. A
test that stops the server (an outage) starts one of its own with ``running_s3_server()``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

ACCESS_KEY = "station-test-access"
SECRET_KEY = "station-test-secret-never-printed"
REGION = "us-east-1"
_names = itertools.count(1)


@dataclass
class S3Server:
    """One moto server listening on 127.0.0.1 and a client with the test credentials."""

    server: Any
    endpoint_url: str

    def client(self) -> Any:
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint_url, region_name=REGION,
            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def new_bucket(self, *, object_lock: bool = False, versioning: bool = False) -> str:
        """A new, empty bucket with a name unique to this process."""
        name = f"evidence-{os.getpid()}-{next(_names)}"
        client = self.client()
        client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=object_lock)
        if versioning and not object_lock:  # Object Lock turns versioning on by itself
            client.put_bucket_versioning(Bucket=name,
                                         VersioningConfiguration={"Status": "Enabled"})
        return name

    def evidence_settings(self, bucket: str, **extra: object) -> dict[str, object]:
        """The ``[evidence]`` s3_* settings that point at ``bucket`` on this server."""
        return {"s3_endpoint_url": self.endpoint_url, "s3_bucket": bucket,
                "s3_region": REGION, "s3_access_key": ACCESS_KEY, "s3_secret_key": SECRET_KEY,
                "s3_timeout_s": 2.0, **extra}

    def stop(self) -> None:
        self.server.stop()


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """Start moto's threaded server on a free loopback port; stopped when the block ends."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    running = S3Server(server, f"http://{host}:{port}")
    try:
        yield running
    finally:
        with contextlib.suppress(Exception):  # already stopped by an outage test
            server.stop()
