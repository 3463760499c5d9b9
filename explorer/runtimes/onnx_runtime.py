"""ONNX Runtime (CPU execution provider), fp32 and int8, with per-kernel times mapped to layers.

* **Sessions**: ``intra_op_num_threads`` = the requested threads, one inter-op thread, every graph
  optimization on (ORT's defaults otherwise, as a deployment would run it).
* **int8**: static quantization in QDQ format, uint8 activations and int8 per-channel weights,
  calibrated (MinMax) on :data:`~explorer.runtimes.comparison.CALIBRATION_INPUTS` seeded random inputs,
  after ``quant_pre_process`` (shape inference and graph clean-up). ORT then runs the
  quantize/dequantize pairs as QLinearConv kernels.
* **Per layer**: a second session with ``enable_profiling``; its JSON trace has one ``Node`` event
  per kernel per run (``<kernel>_kernel_time``). ORT fuses Conv + activation (and residual adds) and
  renames the result after its output value (``hardtanh_3_nchwc``) or its node
  (``node_Conv_809_token_1``), so kernels are mapped back through the exported graph's node and
  value names, whose module paths name the layer-table row. Kernels that belong to no row (layout
  reorders, input quantization, the flatten, int8 residual adds) are reported as ``outside_ms``.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from .artifacts import Artifact, artifact_key, cached_artifact
from .comparison import calibration_inputs, reference_model
from .names import require

if TYPE_CHECKING:
    import onnxruntime as ort
    import torch

MAX_PROFILE_RUNS = 500  # as the eager lab's per-layer pass: enough for a stable median


def session(data: bytes, threads: int, *, profile_dir: str | None = None) -> ort.InferenceSession:
    """A CPU session on ``data`` (ONNX bytes) using ``threads`` intra-op threads."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: ORT's warnings about unused initializers are noise here
    if profile_dir is not None:
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(profile_dir, "ort_profile")
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, x: Any) -> Any:
    return sess.run(None, {sess.get_inputs()[0].name: _numpy(x)})[0]


def _numpy(x: Any) -> Any:
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.ascontiguousarray(x, dtype=np.float32)


# --- int8 ---------------------------------------------------------------------------------------


def quantize_onnx(config: MobileNetConfig, fp32: Artifact, model: torch.nn.Module | None = None, batch: int = 1) -> Artifact:
    """The int8 (QDQ, static) version of an fp32 ONNX export, cached like the export itself."""
    require("onnxruntime-int8")
    model = reference_model(config, model)
    return cached_artifact(artifact_key("onnx-int8", config, batch, model), lambda: _quantize(config, fp32, batch))


def _quantize(config: MobileNetConfig, fp32: Artifact, batch: int) -> Artifact:
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    started = time.perf_counter()
    inputs = [_numpy(x) for x in calibration_inputs(config, batch)]
    input_name = session(fp32.data, 1).get_inputs()[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._feeds = iter([{input_name: x} for x in inputs])

        def get_next(self) -> dict[str, Any] | None:
            return next(self._feeds, None)

    # quantize_static works on files (it writes augmented models for calibration): a private folder.
    with tempfile.TemporaryDirectory(prefix="explorer-quant-") as tmp:
        source, prepared, target = (os.path.join(tmp, name) for name in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        with open(source, "wb") as f:
            f.write(fp32.data)
        quant_pre_process(source, prepared, skip_symbolic_shape=True)
        quantize_static(prepared, target, Reader(), quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, per_channel=True, calibrate_method=CalibrationMethod.MinMax)
        with open(target, "rb") as f:
            data = f.read()
    return Artifact("onnx-int8", data, time.perf_counter() - started + fp32.export_s)  # the fp32 export is part of it


# --- per-layer profile ------------------------------------------------------------------------------

_SUFFIX = "_kernel_time"


def kernel_medians(trace: Sequence[Mapping[str, Any]]) -> tuple[dict[str, float], int]:
    """Median duration (ms) of every kernel in an ORT profile trace, and the number of runs in it."""
    durations: dict[str, list[float]] = {}
    runs = 0
    for event in trace:
        if event.get("cat") == "Session" and event.get("name") == "model_run":
            runs += 1
        elif event.get("cat") == "Node" and str(event.get("name", "")).endswith(_SUFFIX):
            durations.setdefault(event["name"][: -len(_SUFFIX)], []).append(float(event["dur"]) / 1e3)
    return {name: statistics.median(values) for name, values in durations.items()}, runs


def kernel_row(kernel: str, by_node: Mapping[str, str], by_value: Mapping[str, str]) -> str | None:
    """The layer-table row a kernel belongs to, or None (a reorder, an add, the input quantize).

    ORT names a kernel after its node, or after a fused node's output value, with suffixes of its
    own (``_nchwc``, ``_token_12``, ``_quant``): strip trailing ``_segments`` until a node or value
    name of the exported graph matches exactly.
    """
    name = kernel
    for _ in range(4):
        for table in (by_node, by_value):
            if name in table:
                return table[name]
        name, sep, _tail = name.rpartition("_")
        if not sep or not name:
            return None
    return None


def profile_layers(data: bytes, x: Any, threads: int, budget_s: float, rows: Sequence[str], by_node: Mapping[str, str],
                   by_value: Mapping[str, str]) -> tuple[dict[str, list[tuple[str, float]]], float, int]:
    """Per-row kernels with their median ms, the ms of kernels outside every row, and the runs profiled."""
    with tempfile.TemporaryDirectory(prefix="explorer-ort-profile-") as tmp:
        sess = session(data, threads, profile_dir=tmp)
        feed = {sess.get_inputs()[0].name: _numpy(x)}
        sess.run(None, feed)  # warm-up (first-run allocations); the per-kernel medians outweigh it
        runs, start = 0, time.perf_counter()
        while runs == 0 or (runs < MAX_PROFILE_RUNS and time.perf_counter() - start < budget_s):
            sess.run(None, feed)
            runs += 1
        with open(sess.end_profiling()) as f:
            trace = json.load(f)
    medians, counted = kernel_medians(trace)
    per_row: dict[str, list[tuple[str, float]]] = {row: [] for row in rows}
    outside = 0.0
    for kernel, ms in medians.items():
        row = kernel_row(kernel, by_node, by_value)
        if row is None:
            outside += ms
        else:
            per_row[row].append((kernel, ms))
    return per_row, outside, counted

