"""The cache of exported model files (``.onnx``, ``.pte``, ``.tflite``), shared by the pages and the CLI.

Bounded by bytes, not by count: a MobileNet file is 1–30 MB depending on the config, so a count
says little about memory. The least recently used files are dropped once the total passes
:data:`MAX_BYTES`; a file larger than the bound on its own is returned but not kept.

Exports take seconds of CPU each, so they run one at a time (:data:`_EXPORT_LOCK`), and a second
caller waiting for the same file gets the cached one instead of exporting it again. A cache *hit*
never waits for an export: the cache itself has its own lock (:data:`_GUARD`), held only to read
or update the table.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import MobileNetConfig
from .comparison import weights_fingerprint

if TYPE_CHECKING:
    import torch

MAX_BYTES = 256 * 2**20  # ~10 large fp32 files or dozens of small ones; the app's model cache holds the same configs


@dataclass(frozen=True)
class Artifact:
    """An exported model file with how long the export took."""

    kind: str  # onnx, onnx-int8, pte, pte-int8, tflite, tflite-int8
    data: bytes
    export_s: float


_CACHE: OrderedDict[tuple, Artifact] = OrderedDict()
_GUARD = threading.Lock()  # the table only: never held while exporting
# One export at a time. Re-entrant: an int8 export builds on the cached fp32 file of the same model.
_EXPORT_LOCK = threading.RLock()


def _cached(key: tuple) -> Artifact | None:
    with _GUARD:
        artifact = _CACHE.get(key)
        if artifact is not None:
            _CACHE.move_to_end(key)
        return artifact


def _keep(key: tuple, artifact: Artifact, max_bytes: int) -> None:
    with _GUARD:
        if len(artifact.data) > max_bytes:
            return
        _CACHE[key] = artifact
        _CACHE.move_to_end(key)
        total = sum(len(a.data) for a in _CACHE.values())
        while total > max_bytes:
            _, dropped = _CACHE.popitem(last=False)
            total -= len(dropped.data)


def cached_bytes() -> int:
    """The bytes the cache holds now."""
    with _GUARD:
        return sum(len(a.data) for a in _CACHE.values())


def cached_artifact(key: tuple, build: Callable[[], Artifact]) -> Artifact:
    """The cached file for ``key``, or ``build()``'s, kept within :data:`MAX_BYTES`."""
    if (artifact := _cached(key)) is not None:
        return artifact
    with _EXPORT_LOCK:
        if (artifact := _cached(key)) is not None:  # exported by the caller this one waited for
            return artifact
        artifact = build()
        _keep(key, artifact, MAX_BYTES)
        return artifact


def artifact_key(kind: str, config: MobileNetConfig, batch: int, model: torch.nn.Module) -> tuple:
    return (kind, config, batch, weights_fingerprint(model))
