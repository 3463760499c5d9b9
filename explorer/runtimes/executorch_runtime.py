"""ExecuTorch with the XNNPACK delegate (the CPU kernel library TFLite uses on Android), fp32 and int8.

* **fp32**: ``torch.export.export`` → ``to_edge_transform_and_lower(partitioner=[XnnpackPartitioner()])``
  → ``.to_executorch().buffer``: the bytes of a ``.pte`` program, run with
  ``executorch.runtime.Runtime``.
* **int8**: PT2E static quantization with the XNNPACK quantizer (symmetric, per-channel weights),
  calibrated on :data:`~explorer.runtimes.comparison.CALIBRATION_INPUTS` seeded random inputs, then
  exported and lowered as above.
* **Threads**: ExecuTorch's thread pool ignores ``torch.set_num_threads`` and starts with every
  core. ``_unsafe_reset_threadpool(n)`` sets it ("unsafe": never while a program runs, hence the
  lock), ``_threadpool_get_thread_count()`` reads back what is used, and the previous size is
  restored afterwards.
* **Per layer**: not available. The whole graph runs as one XNNPACK delegate call; per-operator
  times would need an ExecuTorch runtime built with its event tracer (ETDump), which the PyPI
  wheel's pybindings do not switch on.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from .artifacts import Artifact, artifact_key, cached_artifact
from .comparison import calibration_inputs, check_input, reference_model
from .names import require
from .quiet import quiet_export

if TYPE_CHECKING:
    import torch

PER_LAYER_NOTE = ("not available: ExecuTorch runs the whole graph as one XNNPACK delegate call, and the PyPI "
                  "runtime has no per-operator event tracer switched on")
_THREADPOOL_LOCK = threading.Lock()


def export_pte(config: MobileNetConfig, model: torch.nn.Module | None = None, batch: int = 1, *, int8: bool = False) -> Artifact:
    """The model as ExecuTorch ``.pte`` bytes lowered to XNNPACK (cached per config, batch and weights)."""
    require("executorch-int8" if int8 else "executorch")
    model = reference_model(config, model)
    kind = "pte-int8" if int8 else "pte"
    return cached_artifact(artifact_key(kind, config, batch, model), lambda: _lower(config, model, batch, int8))


def _lower(config: MobileNetConfig, model: torch.nn.Module, batch: int, int8: bool) -> Artifact:
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    started = time.perf_counter()
    private = copy.deepcopy(model).eval()
    example = (check_input(config, batch),)
    with quiet_export(), torch.no_grad():
        if int8:
            from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config
            from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

            quantizer = XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
            prepared = prepare_pt2e(torch.export.export(private, example).module(), quantizer)
            for x in calibration_inputs(config, batch):
                prepared(x)
            private = convert_pt2e(prepared)
        program = torch.export.export(private, example)
        data = to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).to_executorch().buffer
    return Artifact("pte-int8" if int8 else "pte", bytes(data), time.perf_counter() - started)


def load(data: bytes) -> Any:
    """The ``forward`` method of a ``.pte`` program, ready to execute."""
    from executorch.runtime import Runtime

    return Runtime.get().load_program(data).load_method("forward")


def run(method: Any, x: torch.Tensor) -> torch.Tensor:
    return method.execute([x])[0]


def thread_count() -> int:
    from executorch.extension.pybindings import portable_lib

    return int(portable_lib._threadpool_get_thread_count())


@contextlib.contextmanager
def threads_set(threads: int) -> Iterator[int]:
    """Resize ExecuTorch's (process-wide) thread pool to ``threads`` and yield the size read back.

    Holds a lock, so two measurements in one process (two Streamlit sessions) never resize the pool
    under each other; the previous size is restored on exit.
    """
    from executorch.extension.pybindings import portable_lib

    with _THREADPOOL_LOCK:
        previous = thread_count()
        portable_lib._unsafe_reset_threadpool(threads)
        try:
            yield thread_count()
        finally:
            portable_lib._unsafe_reset_threadpool(previous)


def timed(method: Any, x: torch.Tensor) -> Callable[[], Any]:
    return lambda: method.execute([x])
