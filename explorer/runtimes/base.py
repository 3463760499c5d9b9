"""What every runtime shares: names, availability, results, errors, output comparison, the
reference model and inputs, and the cache of exported files.

torch and the runtimes' packages are imported inside functions: reading a stored result, listing
the runtimes or checking which are installed never pays for them.
"""

from __future__ import annotations

import hashlib
import importlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from ..measurement import RUNTIMES

if TYPE_CHECKING:
    import torch

LABELS = {
    "eager": "PyTorch eager",
    "onnxruntime": "ONNX Runtime fp32",
    "onnxruntime-int8": "ONNX Runtime int8",
    "executorch": "ExecuTorch + XNNPACK fp32",
    "executorch-int8": "ExecuTorch + XNNPACK int8",
    "litert": "LiteRT (TFLite) + XNNPACK fp32",
    "litert-int8": "LiteRT (TFLite) + XNNPACK int8",
}
INT8 = ("onnxruntime-int8", "executorch-int8", "litert-int8")

# The modules each runtime needs, imported to check that it works here (not only that a package
# is on disk: a wheel built for another torch fails at import, and that is what the page must say).
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "eager": ("torch",),
    "onnxruntime": ("onnx", "onnxscript", "onnxruntime"),
    "onnxruntime-int8": ("onnx", "onnxscript", "onnxruntime", "onnxruntime.quantization"),
    "executorch": ("executorch.runtime", "executorch.extension.pybindings.portable_lib"),
    "executorch-int8": ("executorch.runtime", "executorch.extension.pybindings.portable_lib", "torchao.quantization.pt2e"),
    "litert": ("ai_edge_litert.interpreter", "litert_torch"),
    "litert-int8": ("ai_edge_litert.interpreter", "litert_torch", "ai_edge_quantizer.quantizer"),
}
LITERT_INSTALL = "-r requirements-litert.txt, or pip install 'mobilenet-explorer[litert]'"
PIP_PACKAGES = {"onnx": "onnx", "onnxscript": "onnxscript", "onnxruntime": "onnxruntime", "executorch": "executorch",
                "torchao": "torchao", "torch": "torch",
                # LiteRT is an extra (its stack adds ~940 MB): README "Deployment runtimes"
                "ai_edge_litert": LITERT_INSTALL, "litert_torch": LITERT_INSTALL, "ai_edge_quantizer": LITERT_INSTALL}

# fp32 runtimes must give eager's output up to float rounding: they fold batch norm into the
# convolutions and sum in another order, which moves logits by ~1e-6 at 224 px (FIELD-NOTES). Some
# configs amplify rounding (at 32 px the last stages are 1×1 maps whose batch-norm statistics came
# from two values per channel): there eager's own fp32 output is off its fp64 value by up to 0.1.
# So the tolerance is ``FP32_ATOL + FP32_RTOL·max|eager| + FP32_ROUNDING_FACTOR·rounding``, where
# ``rounding = max|eager fp32 − eager fp64|`` is measured on the same input. A runtime outside it
# computes something else and is never timed.
FP32_ATOL = 1e-4
FP32_RTOL = 1e-4
FP32_ROUNDING_FACTOR = 4.0  # two fp32 computations, each ~rounding away from the exact value, with margin
# int8 outputs are compared by signal-to-quantization-noise ratio (SQNR) and cosine similarity.
# With this project's random weights SQNR is ~12 dB at 1.0/224 and can be below 0 dB on tiny
# configs at low resolution (noise accumulates over ~50 quantized layers), so SQNR alone cannot
# separate "imprecise" from "broken". A cosine below this floor means the int8 output is barely
# related to eager's (a wrong layout or scale, not rounding): reported as failed, never timed.
INT8_MIN_COSINE = 0.3
# Static quantization is calibrated on this many random inputs (seeded; no images are bundled).
CALIBRATION_INPUTS = 16
CHECK_SEED, CALIBRATION_SEED, WEIGHTS_SEED = 0, 1, 0


class RuntimeUnavailable(RuntimeError):
    """A runtime cannot run here: its package is missing or fails to import. ``reason`` says why."""

    def __init__(self, runtime: str, reason: str):
        super().__init__(f"{runtime}: not available here: {reason}")
        self.runtime = runtime
        self.reason = reason


class RuntimeFailure(RuntimeError):
    """A runtime ran but cannot be trusted or timed (export failed, output differs from eager)."""

    def __init__(self, runtime: str, reason: str):
        super().__init__(f"{runtime}: {reason}")
        self.runtime = runtime
        self.reason = reason


class UnknownRuntime(ValueError):
    """Not one of :data:`RUNTIMES`; the message lists the valid names."""

    def __init__(self, name: object):
        super().__init__(f"runtime: must be one of {', '.join(RUNTIMES)}, got {name!r}")
        self.field = "runtime"


def check_runtime_name(name: object) -> str:
    if name not in RUNTIMES:
        raise UnknownRuntime(name)
    return name  # type: ignore[return-value]


# --- availability ---------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _import_problem(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 - any import failure makes the runtime unavailable; say which
        top = module.split(".")[0]
        hint = f" (pip install {PIP_PACKAGES[top]})" if isinstance(err, ModuleNotFoundError) and top in PIP_PACKAGES else ""
        return f"import {module} failed: {type(err).__name__}: {err}{hint}"
    return None


def unavailable_reason(runtime: str) -> str | None:
    """Why ``runtime`` cannot run here, or None when it can. Imports are tried once per process."""
    check_runtime_name(runtime)
    for module in REQUIREMENTS[runtime]:
        problem = _import_problem(module)
        if problem:
            return problem
    return None


def available_runtimes() -> dict[str, str | None]:
    """Every runtime name → None when it works here, or the reason it does not."""
    return {name: unavailable_reason(name) for name in RUNTIMES}


def require(runtime: str) -> None:
    reason = unavailable_reason(runtime)
    if reason:
        raise RuntimeUnavailable(runtime, reason)


def package_version(runtime: str) -> str:
    import importlib.metadata as md

    package = {"eager": "torch", "executorch": "executorch", "executorch-int8": "executorch", "litert": "ai-edge-litert",
               "litert-int8": "ai-edge-litert"}.get(runtime, "onnxruntime")
    try:
        return f"{package} {md.version(package)}"
    except md.PackageNotFoundError:
        return package


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeLayer:
    """One row of the layer table on a runtime: the kernels the runtime ran for it and their sum.

    After graph fusion one kernel can stand for a whole conv + batch norm + activation row; a row
    can also have no kernel of its own (folded into a neighbour), which is 0 ms, measured.
    """

    name: str
    latency_ms: float
    kernels: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "latency_ms": self.latency_ms, "kernels": [list(k) for k in self.kernels]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuntimeLayer:
        return cls(str(data["name"]), float(data["latency_ms"]), tuple((str(k), float(ms)) for k, ms in data.get("kernels", ())))


@dataclass(frozen=True)
class RuntimeResult:
    """One config measured on one runtime: correctness first, then the timing statistics.

    ``status`` is ``"ok"`` or ``"failed"``; a failed runtime has ``failure`` and no timing (its
    output did not match eager, or it could not be exported or loaded). fp32 runtimes report
    ``output_max_abs_diff`` against eager on the same input; int8 runtimes ``output_sqnr_db`` and
    ``output_cosine`` (a similarity, not an accuracy: no labelled images are bundled).
    """

    runtime: str
    status: str
    batch: int
    threads: int  # the thread count the runtime actually used (read back where it can be)
    budget_s: float
    median_ms: float | None = None
    iqr_ms: float | None = None
    runs: int = 0
    samples: int = 0  # timing samples (blocks) behind median and IQR
    failure: str | None = None
    output_max_abs_diff: float | None = None
    output_tolerance: float | None = None
    eager_rounding: float | None = None  # max |eager fp32 − eager fp64|: how much rounding this model amplifies
    output_sqnr_db: float | None = None
    output_cosine: float | None = None
    calibration_inputs: int | None = None
    layers: tuple[RuntimeLayer, ...] = ()
    layer_sum_ms: float | None = None
    coverage: float | None = None  # layer_sum_ms / median_ms, as measured
    outside_ms: float | None = None  # kernels that belong to no row (layout reorders, adds, input quantize)
    layer_runs: int = 0
    per_layer: str = ""  # how per-layer times were obtained, or why there are none
    threads_note: str = ""  # how the thread count was set on this runtime
    runtime_version: str = ""
    artifact_bytes: int | None = None
    export_s: float | None = None
    elapsed_s: float = 0.0
    page_faults_per_run: float | None = None  # during the whole-model timing
    timing_window: Any = None  # explorer.quality.MachineWindow of the whole-model timing alone (not export, not eager)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def label(self) -> str:
        return LABELS[self.runtime]

    def layer_ms(self) -> dict[str, float]:
        return {row.name: row.latency_ms for row in self.layers}

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["layers"] = [row.to_dict() for row in self.layers]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuntimeResult:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["layers"] = tuple(RuntimeLayer.from_dict(row) for row in data.get("layers", ()))
        if isinstance(values.get("timing_window"), Mapping):
            from ..quality import MachineWindow

            values["timing_window"] = MachineWindow(**values["timing_window"])
        return cls(**values)


def layer_speedups(slow: RuntimeResult, fast: RuntimeResult) -> list[tuple[str, float, float, float]]:
    """Per row: ``(name, slow_ms, fast_ms, slow_ms / fast_ms)``, largest speed-up first.

    Rows timed on both sides only (a row without a kernel of its own on either side is left out).
    """
    a, b = slow.layer_ms(), fast.layer_ms()
    rows = [(name, a[name], b[name], a[name] / b[name]) for name in a if name in b and a[name] > 0 and b[name] > 0]
    return sorted(rows, key=lambda r: r[3], reverse=True)


# --- comparing outputs ----------------------------------------------------------------------------


def max_abs_diff(reference: Any, output: Any) -> float:
    import numpy as np

    return float(np.max(np.abs(np.asarray(reference, dtype=np.float64) - np.asarray(output, dtype=np.float64))))


def sqnr_db(reference: Any, output: Any) -> float:
    """Signal-to-quantization-noise ratio, ``10·log10(Σref² / Σ(ref − out)²)``, in dB (inf if equal)."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64)
    noise = float(np.sum((ref - np.asarray(output, dtype=np.float64)) ** 2))
    signal = float(np.sum(ref**2))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def cosine(reference: Any, output: Any) -> float:
    import numpy as np

    a, b = np.asarray(reference, dtype=np.float64).ravel(), np.asarray(output, dtype=np.float64).ravel()
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denom) if denom > 0 else 0.0


def fp32_tolerance(reference: Any, rounding: float = 0.0) -> float:
    """How far an fp32 runtime may be from eager's ``reference`` output (see :data:`FP32_ATOL`)."""
    import numpy as np

    return FP32_ATOL + FP32_RTOL * float(np.max(np.abs(reference))) + FP32_ROUNDING_FACTOR * rounding


def eager_reference(model: torch.nn.Module, x: torch.Tensor) -> tuple[Any, float]:
    """Eager's fp32 output on ``x`` and its own rounding error: max |fp32 − fp64| of the same model."""
    import copy

    import numpy as np
    import torch

    with torch.inference_mode():
        expected = model(x).numpy()
        exact = copy.deepcopy(model).double()(x.double()).numpy()
    return expected, float(np.max(np.abs(expected - exact)))


# --- reference model and inputs ---------------------------------------------------------------------


def reference_model(config: MobileNetConfig, model: torch.nn.Module | None = None) -> torch.nn.Module:
    """The eager model every runtime is compared with: ``model`` itself (never mutated: exports work
    on copies) or, without one, a model built from ``config`` with seeded weights, so two calls
    give the same weights and the exported files can be cached."""
    import torch

    from ..models import build_model

    if model is not None:
        if model.training:  # never switch a shared model's mode: work on a copy
            import copy

            return copy.deepcopy(model).eval()
        return model
    with torch.random.fork_rng():
        torch.manual_seed(WEIGHTS_SEED)
        return build_model(config)


def check_input(config: MobileNetConfig, batch: int) -> torch.Tensor:
    """The input every runtime is checked and timed on (the same as the eager lab's)."""
    import torch

    generator = torch.Generator().manual_seed(CHECK_SEED)
    return torch.randn(batch, 3, config.resolution, config.resolution, generator=generator)


def calibration_inputs(config: MobileNetConfig, batch: int, count: int = CALIBRATION_INPUTS) -> list[torch.Tensor]:
    """Seeded random inputs for static int8 calibration (another seed than the check input)."""
    import torch

    generator = torch.Generator().manual_seed(CALIBRATION_SEED)
    return [torch.randn(batch, 3, config.resolution, config.resolution, generator=generator) for _ in range(count)]


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A hash of the model's state dict: cached exports are reused only for the same weights."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


# --- cache of exported files ------------------------------------------------------------------------


@dataclass(frozen=True)
class Artifact:
    """An exported model file (``.onnx`` or ``.pte``) with how long the export took."""

    kind: str  # onnx, onnx-int8, pte, pte-int8, tflite, tflite-int8
    data: bytes
    export_s: float


_CACHE: OrderedDict[tuple, Artifact] = OrderedDict()
_CACHE_ENTRIES = 12  # a few MB each; enough for two pages' configs on every runtime
# Exports take seconds of CPU each: one at a time, so a second caller waiting for the same file
# gets the cached one instead of exporting it again.
_EXPORT_LOCK = threading.RLock()


def cached_artifact(key: tuple, build: Callable[[], Artifact]) -> Artifact:
    with _EXPORT_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        artifact = build()
        _CACHE[key] = artifact
        while len(_CACHE) > _CACHE_ENTRIES:
            _CACHE.popitem(last=False)
        return artifact


def artifact_key(kind: str, config: MobileNetConfig, batch: int, model: torch.nn.Module) -> tuple:
    return (kind, config, batch, weights_fingerprint(model))


def quiet_export() -> Any:
    """Silence the exporters' chatter (torchvision op registration, pytree deprecations) that would
    otherwise land on the CLI's stderr for every export; real errors still raise."""
    import contextlib
    import logging
    import warnings

    @contextlib.contextmanager
    def context():
        loggers = [logging.getLogger(name) for name in ("torch.onnx._internal.exporter._registration", "torch.onnx")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", UserWarning)
                yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)

    return context()


def row_names(config: MobileNetConfig) -> Sequence[str]:
    from ..counting import count

    return [row.name for row in count(config).layers]
