"""Keeps a long-running bench daemon's memory small: caps glibc's malloc arenas before threads start."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

#: mallopt(3) (Linux man-pages, "mallopt", M_ARENA_MAX, glibc 2.10+): the parameter number is
#: -8 in glibc's <malloc.h>. Each thread that contends for malloc otherwise gets an arena of its
#: own (up to 8 per core), and each arena keeps freed memory of its own: the bench's device,
#: camera, stream and request threads held about 12 MB more resident memory idle.
M_ARENA_MAX = -8
BENCH_ARENAS = 2


def cap_malloc_arenas(arenas: int = BENCH_ARENAS) -> bool:
    """Limit glibc malloc to ``arenas`` arenas for threads started from now on; False where the C
    library is not glibc (musl, macOS) or refuses, and then nothing changed."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    done = mallopt(M_ARENA_MAX, arenas) == 1  # mallopt returns 1 on success
    if not done:
        log.info("malloc arena cap not applied (mallopt refused M_ARENA_MAX)")
    return done
