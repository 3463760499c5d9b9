"""A fixed allocator policy for every eager measurement, and the page-fault counter that checks it.

glibc malloc adapts two thresholds at run time: large blocks above the *mmap threshold* get
their own mapping and go back to the OS when freed, and free memory at the top of the heap
above the *trim threshold* is handed back too. Both thresholds move as the process allocates,
so a fresh process lands, by chance, in a mode where every forward of a model hands its
activation buffers back and faults them in again (~5,000–19,000 minor page faults per V2
forward, 1.6× slower), or in one where it keeps them (0 faults). Nothing in the timing
statistics shows which: both modes are steady and tight (FIELD-NOTES, "Bimodal eager latency").

:func:`fix_allocator` fixes the policy with ``mallopt`` (which also turns the adaptation off): no
block gets a mapping of its own (``M_MMAP_MAX`` 0), so every buffer comes from the heap and stays
there, and up to 1 GiB of free heap is kept (``M_TRIM_THRESHOLD``). Measured with V2 1.0/224, 1
thread, faults per forward: batch 1, 0 fixed against 18,900 with ``M_TRIM_THRESHOLD`` 0; batch 16,
0 and 230 ms fixed this way against 37,900 and 278 ms with the FIELD-NOTES' 32 MiB mmap threshold
(32 MiB is glibc's largest, and batch-16 activations are bigger), hence no mappings at all. A deployed runtime keeps its own arena, so this steady state is what "latency"
means. It is done in the process, by the measuring code, so the app, the CLI, sweeps, Ray
workers and benchmarks all get it without a wrapper script or an ``LD_PRELOAD``; jemalloc or
tcmalloc would do the same job but need a library preloaded before Python starts, which a Ray
worker or ``streamlit run`` would not have.

:func:`page_faults` is the evidence: the process's minor + major page faults so far
(``getrusage``), which :class:`explorer.quality.WatchMachine` counts over each timing window.
Torch-free.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from functools import lru_cache

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# Free heap kept rather than handed back: a batch-64 V2 forward at 224 px needs ~0.5 GB of
# activations; past this, a larger batch faults again (and the verdict says so). mallopt takes an int.
TRIM_THRESHOLD_BYTES = 1 << 30
# Set to 1 to measure without the fixed policy (benchmarks/bench_repeatability.py --no-fix).
ENV_SKIP = "MOBILENET_EXPLORER_NO_MALLOPT"

_done = threading.Lock()
_state: dict[str, bool] = {}


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallopt  # noqa: B018 - glibc only: musl and macOS have no mallopt
    except (OSError, AttributeError):
        return None
    return libc


def fix_allocator() -> bool:
    """Fix glibc's mmap use and trim threshold for this process (once; later calls are free).

    Returns True when the policy is in force; False where it cannot be (not glibc) or is
    switched off by ``MOBILENET_EXPLORER_NO_MALLOPT=1``.
    """
    with _done:
        if "fixed" not in _state:
            libc = None if os.environ.get(ENV_SKIP) == "1" else _libc()
            ok = libc is not None and libc.mallopt(M_MMAP_MAX, 0) == 1
            ok = ok and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
            _state["fixed"] = bool(ok)
        return _state["fixed"]


def force_bad_allocator() -> bool:
    """The opposite, for tests and benchmarks: hand freed heap back at once (``M_TRIM_THRESHOLD`` 0),
    so every forward faults its buffers in again. Never call it in a process that measures for real."""
    libc = _libc()
    with _done:
        _state["fixed"] = False
        return libc is not None and libc.mallopt(M_TRIM_THRESHOLD, 0) == 1


def page_faults() -> int:
    """Minor + major page faults of this process so far (all its threads)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_minflt + usage.ru_majflt
