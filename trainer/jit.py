"""One place that decides how numba compiles our kernels.

Every kernel is `@kernel`: nopython, cached on disk, and releasing the GIL so a thread pool can use both cores.
Numba writes its cache beside the source (`__pycache__`) and, where the package is installed read-only, falls
back by itself to the user's cache folder ($XDG_CACHE_HOME/numba or ~/.cache/numba); `tests/test_jit_cache.py`
checks that this really happens. NUMBA_CACHE_DIR, when set, wins over both.
"""
from __future__ import annotations

from numba import njit


def kernel(function=None, **options):
    """`@kernel` or `@kernel(fastmath=...)`: numba.njit with cache=True and nogil=True."""
    options.setdefault("cache", True)
    options.setdefault("nogil", True)
    if function is None:
        return lambda f: njit(**options)(f)
    return njit(**options)(function)
