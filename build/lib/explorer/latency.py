"""Measured latency: the whole model and every layer of the table, next to their MACs.

FLOPs are not speed: depthwise and 1×1 layers are often memory-bound, so this module times a real
model and puts each layer's measured share next to its MAC share.

* **Whole model**: :func:`explorer.timing.time_call` (``torch.utils.benchmark`` with
  ``blocked_autorange``, warm-up first) under ``torch.inference_mode``: median, IQR, runs.
* **Per layer**: forward pre/post hooks with ``time.perf_counter`` on every leaf module (each
  row's conv, bn and activation; ``pool``; ``head``), median over repeated forwards. A row of the
  layer table (``stem``, ``blocks.3.expand``, …) gets the sum of its leaves, and keeps them in
  :attr:`LayerLatency.leaves`. The sum leaves out residual adds, flatten, dropout and Python
  overhead between leaves, so it covers about 70–110% of the whole-model median;
  :attr:`LatencyReport.coverage` reports the ratio as measured.
* **Isolation**: a model passed in is shared (a Streamlit cache); it is deep-copied and only the
  copy is hooked or moved. torch's thread count is per OS thread, so it is set inside the
  measuring code and restored afterwards.

torch is imported inside the functions that measure: the store, ``latency list`` and anything
that only reads reports stay torch-free and start fast.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib.metadata
import math
import platform
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import MobileNetConfig
from .counting import Cost, count
from .plan import make_plan

if TYPE_CHECKING:  # only for annotations: importing torch costs ~1 s
    import torch

    from .store import LatencyStore

DEVICES = ("cpu", "cuda")
MAX_BATCH = 256
MAX_BUDGET_S = 60.0
# Share of the time budget for the whole-model timing; the rest goes to the per-layer pass.
WHOLE_MODEL_SHARE = 0.6
# The per-layer pass runs at least one forward, then repeats while its budget lasts; the cap keeps
# small models from collecting thousands of samples that change nothing. There is no larger
# minimum on purpose: for a model that takes a second per forward, the budget matters more.
MAX_LAYER_RUNS = 500
FP32_BYTES = 4

Progress = Callable[[float, str], None]


class LatencyError(ValueError):
    """Invalid latency settings. ``field`` names the setting (``threads``, ``device``, ...)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _available_cores() -> int:
    from .timing import available_cores  # imports torch; only needed once settings are used

    return available_cores()


@dataclass(frozen=True)
class LatencySettings:
    """How to measure: batch size, threads (None: all available cores), device and time budget."""

    batch: int = 1
    threads: int | None = None
    device: str = "cpu"
    budget_s: float = 2.0

    def __post_init__(self) -> None:
        # Validate at the boundary, naming the setting and the allowed values.
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or not 1 <= self.batch <= MAX_BATCH:
            raise LatencyError("batch", f"must be an integer between 1 and {MAX_BATCH}, got {self.batch!r}")
        if self.threads is not None:
            cores = _available_cores()
            if isinstance(self.threads, bool) or not isinstance(self.threads, int) or not 1 <= self.threads <= cores:
                raise LatencyError("threads", f"must be an integer between 1 and {cores} (the available cores), got {self.threads!r}")
        if self.device not in DEVICES:
            raise LatencyError("device", f"must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise LatencyError("device", f"CUDA is not available on this machine (torch {torch.__version__}); use cpu")
        budget = self.budget_s
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not (math.isfinite(budget) and 0 < budget <= MAX_BUDGET_S):
            raise LatencyError("budget_s", f"must be a number of seconds in (0, {MAX_BUDGET_S:g}], got {budget!r}")

    @property
    def resolved_threads(self) -> int:
        """The thread count that will be used: ``threads``, or all available cores."""
        return self.threads or _available_cores()


# --- where it runs ------------------------------------------------------------------------------


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


def torch_version() -> str:
    """The installed torch version (``2.13.0+cpu``), read without importing torch."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        import torch

        return torch.__version__


def gpu_name(device: str) -> str | None:
    if device != "cuda":
        return None
    import torch

    return torch.cuda.get_device_name()


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerLatency:
    """One row of the layer table with its measured latency and the derived columns.

    ``macs`` and ``params`` are per image, as in the analytic profile; ``latency_ms`` is for the
    whole batch, and ``output_shape`` includes the batch dimension.
    """

    name: str
    kind: str
    latency_ms: float
    macs: int
    params: int
    latency_share: float  # of the per-layer sum
    mac_share: float  # of the model's MACs
    gmacs_per_s: float  # achieved: macs × batch / latency
    arithmetic_intensity: float  # MACs per byte moved, see arithmetic_intensity()
    output_shape: tuple[int, ...]
    # The leaf modules timed (conv, bn, act; or pool, head themselves) and their medians in ms:
    # latency_ms is their sum.
    leaves: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["output_shape"] = list(self.output_shape)
        out["leaves"] = [list(leaf) for leaf in self.leaves]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LayerLatency:
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["output_shape"] = tuple(values["output_shape"])
        values["leaves"] = tuple((str(name), float(ms)) for name, ms in data.get("leaves", ()))
        return cls(**values)


@dataclass(frozen=True)
class LatencyReport:
    """A latency measurement of one config: whole-model statistics, per-layer rows, provenance."""

    median_ms: float
    iqr_ms: float
    runs: int  # whole-model forwards timed
    threads: int
    batch: int
    device: str
    torch_version: str
    cpu: str
    machine: str
    measured_at: str  # ISO 8601, UTC
    layers: tuple[LayerLatency, ...]
    layer_sum_ms: float
    coverage: float  # layer_sum_ms / median_ms, as measured (expected ~0.7–1.1)
    layer_runs: int  # forwards behind each per-layer median
    budget_s: float
    elapsed_s: float = 0.0  # wall time of the whole measurement, model copy included
    gpu: str | None = None
    from_store: bool = False

    def layer(self, name: str) -> LayerLatency:
        return next(row for row in self.layers if row.name == name)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "layers"}
        out["layers"] = [row.to_dict() for row in self.layers]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatencyReport:
        """Rebuild a report from :meth:`to_dict` output (the store keeps reports as JSON)."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["layers"] = tuple(LayerLatency.from_dict(row) for row in data["layers"])
        return cls(**values)


# --- derived columns (pure functions of counts and timings) ------------------------------------


def achieved_gmacs_per_s(macs: int, batch: int, latency_ms: float) -> float:
    """Achieved throughput: ``macs × batch / latency``, in GMAC/s (0 for layers without MACs)."""
    if latency_ms <= 0:
        return 0.0
    return macs * batch / (latency_ms * 1e-3) / 1e9


def arithmetic_intensity(macs: int, params: int, input_elements: int, output_elements: int, batch: int = 1) -> float:
    """MACs per byte moved, in fp32: ``macs·batch / (4·(params + batch·(input + output)))``.

    Bytes moved are the layer's parameters, read once per forward whatever the batch, plus its
    input and output activations for every image. Low values (a few MACs per byte: depthwise,
    pooling) mean the layer waits on memory; high values (hundreds: wide 1×1 convs) mean it can
    keep the arithmetic units busy. ``macs``, ``input_elements`` and ``output_elements`` are per image.
    """
    moved = FP32_BYTES * (params + batch * (input_elements + output_elements))
    return macs * batch / moved if moved else 0.0


def layer_io_elements(config: MobileNetConfig) -> dict[str, tuple[int, int]]:
    """Input and output elements of every row of the layer table, per image, from the plan."""
    plan = make_plan(config)
    io = {c.name: (c.in_channels * c.in_size**2, c.out_channels * c.out_size**2) for c in plan.conv_layers()}
    io["pool"] = (plan.features * plan.final_size**2, plan.features)
    io["head"] = (plan.features, config.num_classes)
    return io


def layer_rows(cost: Cost, io: Mapping[str, tuple[int, int]], latencies_ms: Mapping[str, float], batch: int,
               leaves: Mapping[str, Sequence[str]] | None = None) -> tuple[LayerLatency, ...]:
    """Combine analytic counts and measured latencies into the rows of the report.

    ``latencies_ms`` holds a median per timed module. With ``leaves`` (row name → its leaf module
    names) a row's latency is the sum of its leaves' medians; without, each row was timed whole.
    """
    leaves = leaves or {row.name: [row.name] for row in cost.layers}
    row_leaves = {row.name: tuple((leaf, latencies_ms[leaf]) for leaf in leaves[row.name]) for row in cost.layers}
    row_ms = {name: sum(ms for _, ms in timed) for name, timed in row_leaves.items()}
    total_ms = sum(row_ms.values())
    rows = []
    for row in cost.layers:
        ms = row_ms[row.name]
        rows.append(LayerLatency(
            name=row.name,
            kind=row.kind,
            latency_ms=ms,
            macs=row.macs,
            params=row.params,
            latency_share=ms / total_ms if total_ms > 0 else 0.0,
            mac_share=row.macs / cost.macs if cost.macs else 0.0,
            gmacs_per_s=achieved_gmacs_per_s(row.macs, batch, ms),
            arithmetic_intensity=arithmetic_intensity(row.macs, row.params, *io[row.name], batch=batch),
            output_shape=(batch, *row.output_shape[1:]),
            leaves=row_leaves[row.name],
        ))  # fmt: skip
    return tuple(rows)


def leaf_modules(model: torch.nn.Module, row_names: Sequence[str]) -> dict[str, list[str]]:
    """Each layer-table row's leaf modules (modules without children), by full name.

    A row such as ``blocks.3.expand`` is a conv-BN-activation unit: its leaves are
    ``blocks.3.expand.conv``, ``.bn`` and ``.act``. ``pool`` and ``head`` are leaves themselves.
    """
    out = {}
    for row in row_names:
        module = model.get_submodule(row)
        leaves = [f"{row}.{name}" for name, sub in module.named_modules() if name and not any(sub.children())]
        out[row] = leaves or [row]
    return out


# --- measuring ----------------------------------------------------------------------------------


@contextmanager
def _torch_threads(threads: int) -> Iterator[None]:
    """Set torch's thread count for this OS thread only, and restore it afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def time_layers(model: torch.nn.Module, x: torch.Tensor, names: list[str], *, threads: int, budget_s: float,
                sync_cuda: bool = False) -> tuple[dict[str, float], int]:
    """Median wall time (ms) of each named submodule over repeated forwards, and the forward count.

    Hooks ``model`` itself (forward pre/post hooks + ``perf_counter``), so pass a private copy;
    the hooks are removed before returning. Call it under ``torch.inference_mode``.
    """
    import torch

    samples: dict[str, list[float]] = {name: [] for name in names}
    starts: dict[str, float] = {}

    def pre_hook(name: str):
        def hook(module, args):
            if sync_cuda:
                torch.cuda.synchronize()
            starts[name] = time.perf_counter()

        return hook

    def post_hook(name: str):
        def hook(module, args, output):
            if sync_cuda:
                torch.cuda.synchronize()
            samples[name].append(time.perf_counter() - starts[name])

        return hook

    handles = []
    try:
        for name in names:
            module = model.get_submodule(name)
            handles.append(module.register_forward_pre_hook(pre_hook(name)))
            handles.append(module.register_forward_hook(post_hook(name)))
        # No warm-up here: measure_latency has just warmed the model up in the whole-model timing.
        with _torch_threads(threads):
            runs, start = 0, time.perf_counter()
            while runs == 0 or (runs < MAX_LAYER_RUNS and time.perf_counter() - start < budget_s):
                model(x)
                runs += 1
    finally:
        for handle in handles:
            handle.remove()
    return {name: statistics.median(values) * 1e3 for name, values in samples.items()}, runs


def measure_latency(config: MobileNetConfig, settings: LatencySettings | None = None, *, store: LatencyStore | None = None,
                    remeasure: bool = False, model: torch.nn.Module | None = None, progress: Progress | None = None) -> LatencyReport:
    """Measure whole-model and per-layer latency of ``config``, within about ``settings.budget_s``.

    ``model``, when given, is treated as shared (e.g. a Streamlit cache): it is deep-copied and
    never hooked, moved or switched to training mode. Without it a model is built from ``config``.
    With a ``store``, a stored result for the same config, settings and machine is returned
    (``from_store=True``) unless ``remeasure``; new results are saved to it.
    ``progress(fraction, message)`` is called as the phases advance.
    """
    settings = settings or LatencySettings()
    report_progress = progress or (lambda fraction, message: None)
    if store is not None and not remeasure:
        stored = store.get(config, settings)
        if stored is not None:
            report_progress(1.0, "reused a stored measurement")
            return stored

    import torch

    from .timing import time_call

    started = time.perf_counter()
    threads = settings.resolved_threads
    cost = count(config)
    report_progress(0.0, "preparing a private copy of the model")
    if model is None:
        from .models import build_model

        private = build_model(config)
    else:
        private = copy.deepcopy(model)  # the shared model is never hooked, moved or mutated
    private = private.to(settings.device).eval()
    names = [row.name for row in cost.layers]
    missing = [name for name in names if not _has_submodule(private, name)]
    if missing:
        raise LatencyError("model", f"does not match the config: no module {missing[0]!r}")

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(settings.batch, 3, config.resolution, config.resolution, generator=generator).to(settings.device)
    sync = settings.device == "cuda"
    with torch.inference_mode():
        report_progress(0.05, "timing the whole model")
        # One warm-up forward (first-call allocations, kernel choice); a second would cost a
        # whole forward of budget for a large model and change nothing measurable.
        whole = time_call(lambda: private(x), threads=threads, budget_s=settings.budget_s * WHOLE_MODEL_SHARE, warmup=1,
                          sync_cuda=sync)
        report_progress(WHOLE_MODEL_SHARE, "timing every leaf layer")
        leaves = leaf_modules(private, names)
        per_leaf, layer_runs = time_layers(private, x, [leaf for row in names for leaf in leaves[row]], threads=threads,
                                           budget_s=settings.budget_s * (1 - WHOLE_MODEL_SHARE), sync_cuda=sync)
    rows = layer_rows(cost, layer_io_elements(config), per_leaf, settings.batch, leaves)
    layer_sum = sum(row.latency_ms for row in rows)
    report = LatencyReport(
        median_ms=whole.median_ms,
        iqr_ms=whole.iqr_ms,
        runs=whole.runs,
        threads=threads,
        batch=settings.batch,
        device=settings.device,
        torch_version=torch_version(),
        cpu=cpu_model(),
        machine=machine_name(),
        measured_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        layers=rows,
        layer_sum_ms=layer_sum,
        coverage=layer_sum / whole.median_ms if whole.median_ms > 0 else 0.0,
        layer_runs=layer_runs,
        budget_s=settings.budget_s,
        gpu=gpu_name(settings.device),
        elapsed_s=time.perf_counter() - started,
    )
    if store is not None:
        store.put(config, settings, report)
    report_progress(1.0, "done")
    return report


def _has_submodule(model: torch.nn.Module, name: str) -> bool:
    try:
        model.get_submodule(name)
    except AttributeError:
        return False
    return True
