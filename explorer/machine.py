"""Where a measurement runs: CPU model, host, cores, torch version, GPU. Torch-free.

These probes are the "where" of every latency figure and part of the latency store's key, so
they are read without importing torch (``latency list``, the store and settings validation stay
fast); only :func:`gpu_name` imports torch, and only for ``cuda``.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU model string from /proc/cpuinfo (``AMD EPYC 7763 ...``), or the best guess elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Hardware", "Processor", "cpu model") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def machine_name() -> str:
    """This machine: host name and architecture (``vm x86_64``). Part of the store's key."""
    return f"{platform.node() or 'unknown'} {platform.machine()}".strip()


@lru_cache(maxsize=1)
def torch_version() -> str:
    """The installed torch version (``2.13.0+cpu``), read from the package metadata, not by importing torch.

    Read once per process: the metadata search walks every folder on sys.path (~20 ms, on every
    store lookup of every rerun), and a process keeps the torch it started with anyway."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        import torch

        return torch.__version__


def available_cores() -> int:
    """Cores this process may run on (respects taskset/cpuset affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def gpu_name(device: str) -> str | None:
    """The CUDA device's name for ``device == "cuda"``; None for the CPU (no torch import then)."""
    if device != "cuda":
        return None
    import torch

    return torch.cuda.get_device_name()
