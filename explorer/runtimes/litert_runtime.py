"""LiteRT (TensorFlow Lite) with its XNNPACK CPU delegate, fp32 and int8: the runtime behind every
TF-Lite phone figure bundled in ``assets/``.

* **fp32**: ``litert_torch.convert(model, (x,))`` (the renamed ai-edge-torch: torch.export →
  StableHLO → the LiteRT converter) → ``.model_content()``, the bytes of a ``.tflite`` flatbuffer.
  The input stays NCHW as in PyTorch (the converter adds a TRANSPOSE to NHWC inside the graph), so
  the file takes the same input as eager and the other runtimes.
* **int8**: full-integer post-training quantization of that fp32 file with **ai-edge-quantizer**
  (the quantizer that ships with the stack), recipe ``static_wi8_ai8``: int8 symmetric
  per-channel weights, int8 asymmetric activations, int8 input and output, calibrated (min/max) on
  :data:`~explorer.runtimes.comparison.CALIBRATION_INPUTS` seeded random inputs, the same ones as the
  other int8 runtimes. litert-torch's own PT2E quantizer was tried too: on V2 0.35/96 it gave
  SQNR 0.4 dB (cosine 0.78) against ai-edge-quantizer's 5.2 dB (0.89), and left float QUANTIZE /
  DEQUANTIZE pairs in the graph. The int8 file takes an int8 image: the check input is quantized
  with the file's input scale and zero point (outside the timed call, as a phone app feeds camera
  bytes), and the int8 output dequantized with the output's.
* **Running**: ``ai_edge_litert.interpreter.Interpreter(model_content=..., num_threads=n)``; its
  default delegate is XNNPACK, which takes the whole graph (one ``DELEGATE`` node).
* **Threads**: ``num_threads`` is a constructor argument; the interpreter has no getter. It is read
  back from the operating system: XNNPACK's thread pool starts ``n − 1`` worker threads beside the
  calling one, so the process's thread count before creating the interpreter and after its first
  run tells how many it uses (:func:`threads_read_back`).
* **Per layer**: not available. ai-edge-litert's Python interpreter has no profiler API (per-operator
  times need the C++ ``benchmark_model`` tool with ``--enable_op_profiling``), and XNNPACK runs the
  whole graph as one delegate node.
"""

from __future__ import annotations

import contextlib
import copy
import time
import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from .artifacts import Artifact, artifact_key, cached_artifact
from .comparison import calibration_inputs, check_input, reference_model
from .names import require
from .quiet import quiet_export
from .tflite_file import interpreter, quiet_native_output

if TYPE_CHECKING:
    import torch

PER_LAYER_NOTE = ("not available: ai-edge-litert's Python interpreter has no profiler API, and XNNPACK runs the "
                  "whole graph as one delegate node")
QUANTIZER = "ai-edge-quantizer static_wi8_ai8 (int8 per-channel weights, int8 activations, int8 input and output)"


def export_tflite(config: MobileNetConfig, model: torch.nn.Module | None = None, batch: int = 1, *, int8: bool = False) -> Artifact:
    """The model as ``.tflite`` bytes (cached per config, batch and weights), sealed with the
    explorer's config and checksum (:func:`explorer.runtimes.tflite_file.seal`). Not yet checked
    against eager: :func:`explorer.runtimes.measure_runtime` and ``checked_export`` do that."""
    require("litert-int8" if int8 else "litert")
    model = reference_model(config, model)
    fp32 = cached_artifact(artifact_key("tflite", config, batch, model), lambda: _convert(config, model, batch))
    if not int8:
        return fp32
    return cached_artifact(artifact_key("tflite-int8", config, batch, model), lambda: _quantize(config, fp32, batch))


def _convert(config: MobileNetConfig, model: torch.nn.Module, batch: int) -> Artifact:
    import litert_torch
    import torch

    from .tflite_file import seal

    started = time.perf_counter()
    private = copy.deepcopy(model).eval()  # the converter traces the module; a shared model stays untouched
    with quiet_export(), quiet_native_output(), torch.no_grad():
        data = litert_torch.convert(private, (check_input(config, batch),)).model_content()
    return Artifact("tflite", seal(bytes(data), config), time.perf_counter() - started)


def _quantize(config: MobileNetConfig, fp32: Artifact, batch: int) -> Artifact:
    from ai_edge_quantizer import quantizer, recipe

    from .tflite_file import seal, unsealed

    started = time.perf_counter()
    source = unsealed(fp32.data)  # quantize the converter's own file; the int8 one gets a seal of its own
    signature, input_name = _signature(source)
    samples = [{input_name: x.numpy()} for x in calibration_inputs(config, batch)]
    with quiet_native_output(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors.*")  # its calibration interpreter
        qt = quantizer.Quantizer(source)
        qt.load_quantization_recipe(recipe.static_wi8_ai8())
        data = qt.quantize(qt.calibrate({signature: samples})).quantized_model
    # The fp32 conversion is part of making the int8 file.
    return Artifact("tflite-int8", seal(bytes(data), config), time.perf_counter() - started + fp32.export_s)


def _signature(data: bytes) -> tuple[str, str]:
    """The file's one signature and its one input's name (``serving_default``, ``args_0``)."""
    signatures = interpreter(data, 1).get_signature_list()
    key = next(iter(signatures))
    return key, signatures[key]["inputs"][0]


# --- running ------------------------------------------------------------------------------------------


class LoadedModel:
    """A ``.tflite`` file in an interpreter: ``run(x)`` gives float logits for a float input, whether
    the file is fp32 or full-integer int8; ``timed(x)`` is the call to time (set the input, invoke,
    read the output)."""

    def __init__(self, data: bytes, threads: int):
        import numpy as np

        self._np = np
        self.interpreter = interpreter(data, threads)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]

    def feed(self, x: Any) -> Any:
        """``x`` (a tensor or array) as the file's input: float32, or quantized to its int8 scale."""
        np = self._np
        value = np.ascontiguousarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float32)
        if self.input["dtype"] == np.float32:
            return value
        scale, zero_point = self.input["quantization"]
        info = np.iinfo(self.input["dtype"])
        return np.clip(np.round(value / scale) + zero_point, info.min, info.max).astype(self.input["dtype"])

    def run(self, x: Any) -> Any:
        np = self._np
        self.interpreter.set_tensor(self.input["index"], self.feed(x))
        self.interpreter.invoke()
        out = self.interpreter.get_tensor(self.output["index"])  # a copy
        if self.output["dtype"] == np.float32:
            return out
        scale, zero_point = self.output["quantization"]
        return (out.astype(np.float32) - zero_point) * scale

    def timed(self, x: Any) -> Callable[[], Any]:
        it, index, out, value = self.interpreter, self.input["index"], self.output["index"], self.feed(x)

        def call() -> Any:
            it.set_tensor(index, value)
            it.invoke()
            return it.get_tensor(out)

        return call


def load(data: bytes, threads: int) -> LoadedModel:
    return LoadedModel(data, threads)


def os_threads() -> int:
    import psutil

    return psutil.Process().num_threads()


def threads_read_back(data: bytes, threads: int) -> int:
    """How many threads an interpreter on ``data`` asked for ``threads`` runs with: the calling
    thread plus the worker threads that appeared in the process when it was created and first run
    (XNNPACK's pool starts its workers then). Another thread of the process starting or ending in
    that instant would be miscounted; measurements hold the machine's lock, so little else runs."""
    before = os_threads()
    model = LoadedModel(data, threads)
    model.run(model._np.zeros(model.input["shape"], dtype=model._np.float32))
    used = os_threads() - before + 1
    del model
    return used


@contextlib.contextmanager
def threads_set(data: bytes | None, threads: int) -> Iterator[tuple[int, str]]:
    """The thread count in force and how it was set (the measure module's protocol)."""
    if data is None:
        yield threads, f"LiteRT Interpreter(num_threads={threads}); not read back"
        return
    try:
        used = threads_read_back(data, threads)
    except Exception as err:  # noqa: BLE001 - a file that does not load fails in the check that follows, with its reason
        yield threads, f"LiteRT Interpreter(num_threads={threads}); not read back ({type(err).__name__})"
        return
    yield used, (f"LiteRT Interpreter(num_threads={threads}) with the XNNPACK delegate; read back {used} from the "
                 f"operating system ({used - 1} worker thread{'s' if used != 2 else ''} appeared beside the calling one)")
