"""The bench daemon caps glibc's malloc arenas: threads started after the cap share two arenas."""

from __future__ import annotations

import platform
import re
import subprocess
import sys

import pytest

#: A child process: optionally the cap, then six threads that each malloc; glibc's malloc_stats()
#: (malloc_stats(3)) prints one "Arena N:" block per arena to stderr.
CHILD = """
import ctypes, ctypes.util, sys, threading
from station.process_memory import cap_malloc_arenas
if sys.argv[1] == "cap":
    assert cap_malloc_arenas(2)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
started, go = threading.Barrier(7), threading.Event()
def work():
    libc.malloc(64)  # a new thread's first malloc picks (or makes) its arena
    started.wait()
    go.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads: t.start()
started.wait()  # all six alive at once, each holding its arena
libc.malloc_stats()
go.set()
for t in threads: t.join()
"""


def arenas(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True,
                         check=True, timeout=60)
    return len(re.findall(r"^Arena \d+:", out.stderr, re.MULTILINE))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's M_ARENA_MAX is glibc's")
def test_threads_started_after_the_cap_share_two_arenas() -> None:
    assert arenas("free") > 2  # without the cap, each new thread makes an arena of its own
    assert arenas("cap") == 2
