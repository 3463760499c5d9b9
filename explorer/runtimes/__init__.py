"""Deployment runtimes: the same model on ONNX Runtime (fp32, int8), ExecuTorch + XNNPACK
(fp32, int8) and LiteRT / TensorFlow Lite (fp32, full-integer int8), checked against eager
PyTorch, then timed with the lab's one timing primitive.

::

    from explorer.runtimes import RUNTIMES, measure_runtime, available_runtimes
    result = measure_runtime(config, "onnxruntime-int8", threads=1, budget_s=2.0)
    result.status, result.median_ms, result.iqr_ms, result.output_sqnr_db, result.layers[0]

One module per runtime family: :mod:`.onnx_export` (PyTorch → single-file ONNX, layer map,
:func:`validate_onnx`), :mod:`.onnx_runtime` (sessions, int8 quantization, kernel profiling),
:mod:`.executorch_runtime` (``.pte`` with XNNPACK, thread pool), :mod:`.litert_runtime` (``.tflite``
conversion, ai-edge-quantizer int8, interpreter) and :mod:`.tflite_file` (seal, :func:`validate_tflite`);
:mod:`.measure` checks and times
them all the same way; :mod:`.measurers` makes them measurers of the latency lab (store, lock,
verdict: ``LatencySettings(runtime=...)``). A runtime whose
packages are missing is reported by :func:`available_runtimes` with the reason; the others work.

What they share, one concern a module: :mod:`.names` (names, labels, requirements, availability,
errors), :mod:`.results` (:class:`RuntimeResult`), :mod:`.comparison` (the reference model and
inputs, tolerances, SQNR and cosine), :mod:`.artifacts` (the byte-bounded cache of exported files)
and :mod:`.quiet` (the exporters' chatter silenced).
"""

from .comparison import CALIBRATION_INPUTS
from .measure import CheckedFile, checked_export, measure_runtime
from .names import (
    INT8,
    LABELS,
    RUNTIMES,
    RuntimeFailure,
    RuntimeUnavailable,
    UnknownRuntime,
    available_runtimes,
    check_runtime_name,
    unavailable_reason,
)
from .onnx_export import OnnxInfo, validate_onnx
from .results import RuntimeLayer, RuntimeResult, layer_speedups
from .seal import SEAL_NOTE, ArtifactError
from .tflite_file import TfliteInfo, validate_tflite

__all__ = [
    "CALIBRATION_INPUTS", "INT8", "LABELS", "RUNTIMES", "ArtifactError", "CheckedFile", "OnnxInfo", "RuntimeFailure",
    "RuntimeLayer", "RuntimeResult", "SEAL_NOTE", "RuntimeUnavailable", "UnknownRuntime", "available_runtimes", "check_runtime_name",
    "checked_export", "layer_speedups", "measure_runtime", "unavailable_reason", "validate_onnx", "TfliteInfo", "validate_tflite",
]

