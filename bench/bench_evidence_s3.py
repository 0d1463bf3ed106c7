"""The S3 photo store against the local folder, on one machine in one run (moto's S3 server on loopback).

Per original of ~270 kB (a 1080p webcam JPEG's size; random bytes, the store does not decode):

- ``put``: ``put_original`` of new bytes. Local: temp file, fsync, rename, folder fsync. S3:
  HeadObject (is it there?) + PutObject with the SHA-256 checksum and If-None-Match.
- ``put_again``: the same bytes again (checked, never rewritten).
- ``get``: ``get_original``; ``verify_checksum``: ``attested`` (one HeadObject with
  ChecksumMode, what ``station evidence verify`` does per photo); ``verify_deep``: download and
  re-hash (``--deep``; the local folder always does this).
- ``presign``: one presigned GET URL (no network call).

moto is a Python server on the same two loaded cores: its numbers are an upper bound for the
station's own cost per call and say nothing about a real S3 server's latency or throughput.

Run: ``.venv/bin/python -m bench.bench_evidence_s3`` (also run by ``python -m bench.run_all``).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.common import summary_ms, write_result
from station.evidence.store import LocalPhotoStore, PhotoStore, StoredObject, sha256_hex
from station.evidence.store_s3 import S3Options, S3PhotoStore

PHOTOS = int(os.environ.get("BENCH_S3_PHOTOS", "100"))
SIZE = 270_000


def _timed(samples: list[float], call: Callable[[], object]) -> None:
    started = time.perf_counter()
    call()
    samples.append(time.perf_counter() - started)


def _verify(store: PhotoStore, key: str, *, deep: bool) -> str:
    """What `station evidence verify` does for one photo (with or without --deep)."""
    attested = None if deep else store.attested(key)
    return attested[0] if attested else sha256_hex(store.get_original(key))


def _measure(store: PhotoStore, originals: list[bytes]) -> dict[str, Any]:
    put: list[float] = []
    again: list[float] = []
    get: list[float] = []
    attested: list[float] = []
    deep: list[float] = []
    presign: list[float] = []
    stored: list[StoredObject] = []
    for data in originals:
        digest = sha256_hex(data)
        _timed(put, partial(lambda d, h: stored.append(store.put_original(d, h)), data, digest))
        _timed(again, partial(store.put_original, data, digest))
    for item in stored:
        key = item.storage_key
        _timed(get, partial(store.get_original, key))
        _timed(attested, partial(_verify, store, key, deep=False))
        _timed(deep, partial(_verify, store, key, deep=True))
        _timed(presign, partial(store.presigned_url, key, "image/jpeg"))
    return {"put": summary_ms(put), "put_again": summary_ms(again), "get": summary_ms(get),
            "verify_checksum": summary_ms(attested), "verify_deep": summary_ms(deep),
            "presign": summary_ms(presign)}


def main() -> dict[str, Any]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    originals = [os.urandom(SIZE) for _ in range(PHOTOS)]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        options = S3Options(bucket="bench-evidence", endpoint_url=f"http://{host}:{port}",
                            access_key="bench", secret_key="bench-secret", prefix="bench/")
        with tempfile.TemporaryDirectory(prefix="bench-s3-", dir="var") as folder:
            root = Path(folder)
            s3 = S3PhotoStore(options, root / "cache")
            s3.client.create_bucket(Bucket=options.bucket)
            local = _measure(LocalPhotoStore(root / "photos"), originals)
            remote = _measure(s3, originals)
    finally:
        server.stop()
    ratios = {name: round(remote[name]["p50_ms"] / max(local[name]["p50_ms"], 1e-6), 2)
              for name in ("put", "put_again", "get", "verify_checksum")}
    return write_result("evidence_s3", {
        "photos": PHOTOS, "size_bytes": SIZE, "local": local, "s3_moto_loopback": remote,
        "s3_over_local_p50": ratios,
        "note": "moto (a Python S3 server) on the same loaded 2-core machine: an upper bound of "
                "the station's cost per call, not a real S3 server's latency",
    })


if __name__ == "__main__":
    main()
