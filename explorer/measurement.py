"""What a latency measurement is: its settings and its report. Torch-free value objects.

The measuring code (:mod:`explorer.latency`) makes reports; the store (:mod:`explorer.store`)
keeps them; the CLI and the pages print them. All of them import these types from here, so the
store never imports the measuring code, and the measuring code never imports the store.

A report carries its conditions (runtime, threads, batch, device, machine, torch) and its
quality verdict (:mod:`explorer.quality`): only a ``good`` report is reused as a stored answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .config import ConfigError, MobileNetConfig
from .machine import available_cores
from .quality import GOOD, UNVERIFIED, MachineWindow

DEVICES = ("cpu", "cuda")
# Runtimes a model can be timed in. Each has a measurer in explorer.latency.MEASURERS; eager
# PyTorch is the reference the others are checked against.
RUNTIMES = ("eager", "onnxruntime", "onnxruntime-int8", "executorch", "executorch-int8", "litert", "litert-int8")
MAX_BATCH = 256
MAX_BUDGET_S = 60.0
# Reports stored before quality checks existed are migrated with this reason.
UNVERIFIED_REASON = "measured before quality checks existed: measure again to verify"


@dataclass(frozen=True)
class LatencySettings:
    """How to measure: batch size, threads (None: all available cores), device, runtime and time budget.

    Invalid values raise :class:`~explorer.config.ConfigError` naming the setting (``threads: ...``).
    """

    batch: int = 1
    threads: int | None = None
    device: str = "cpu"
    budget_s: float = 2.0
    runtime: str = "eager"

    def __post_init__(self) -> None:
        # Validate at the boundary, naming the setting and the allowed values.
        if isinstance(self.batch, bool) or not isinstance(self.batch, int) or not 1 <= self.batch <= MAX_BATCH:
            raise ConfigError("batch", f"must be an integer between 1 and {MAX_BATCH}, got {self.batch!r}")
        if self.threads is not None:
            cores = available_cores()
            if isinstance(self.threads, bool) or not isinstance(self.threads, int) or not 1 <= self.threads <= cores:
                raise ConfigError("threads", f"must be an integer between 1 and {cores} (the available cores), got {self.threads!r}")
        if self.device not in DEVICES:
            raise ConfigError("device", f"must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if self.runtime not in RUNTIMES:
            raise ConfigError("runtime", f"must be one of {', '.join(RUNTIMES)}, got {self.runtime!r}")
        if self.device != "cpu" and self.runtime != "eager":
            # The deployment runtimes here are their CPU builds (ONNX Runtime's CPU provider, ExecuTorch's
            # XNNPACK): there is no such thing as timing them on another device.
            raise ConfigError("device", f"{self.runtime} runs on the CPU only here (choose cpu, or the eager "
                                        f"runtime to time on {self.device}), got {self.device!r}")
        if self.device == "cuda":
            import torch  # only here: a CPU setting never imports torch

            if not torch.cuda.is_available():
                raise ConfigError("device", f"CUDA is not available on this machine (torch {torch.__version__}); use cpu")
        budget = self.budget_s
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not (math.isfinite(budget) and 0 < budget <= MAX_BUDGET_S):
            raise ConfigError("budget_s", f"must be a number of seconds in (0, {MAX_BUDGET_S:g}], got {budget!r}")

    @property
    def resolved_threads(self) -> int:
        """The thread count that will be used: ``threads``, or all available cores."""
        return self.threads or available_cores()


def describe_measurement(config: MobileNetConfig, settings: LatencySettings) -> str:
    """One line naming what is measured: ``mobilenet_v2 α=1 224px, batch 1, 2 threads, cpu, eager``."""
    threads = settings.resolved_threads
    return (f"{config.arch} α={config.width_multiplier:g} {config.resolution}px, batch {settings.batch}, "
            f"{threads} thread{'s' if threads != 1 else ''}, {settings.device}, {settings.runtime}")


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
    arithmetic_intensity: float  # MACs per byte moved, see latency.arithmetic_intensity()
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
    """A latency measurement of one config: whole-model statistics, per-layer rows, conditions, verdict.

    ``median_ms`` and ``iqr_ms`` are for one forward of the whole batch; :attr:`per_image_ms` and
    :attr:`throughput_ips` divide by the batch. ``started_at``/``finished_at`` (ISO 8601, UTC,
    microseconds) bound the measuring itself, after ``waited_s`` seconds of waiting for another
    measurement on the machine; ``attempts`` counts the tries (a noisy one is retried).
    """

    median_ms: float
    iqr_ms: float
    runs: int  # whole-model forwards timed
    threads: int
    batch: int
    device: str
    torch_version: str
    cpu: str
    machine: str
    started_at: str
    finished_at: str
    layers: tuple[LayerLatency, ...]
    layer_sum_ms: float
    coverage: float | None  # layer_sum_ms / median_ms, as measured; None without per-layer times
    layer_runs: int  # forwards behind each per-layer median
    budget_s: float
    quality: str = UNVERIFIED  # "good", "noisy" or (stored before verdicts existed) "unverified"
    quality_reasons: tuple[str, ...] = ()
    runtime: str = "eager"
    samples: int | None = None  # whole-model timing samples behind median and IQR (None: not recorded)
    attempts: int = 1
    waited_s: float = 0.0
    elapsed_s: float = 0.0  # wall time of the whole measurement, model copy and retries included
    gpu: str | None = None
    window: MachineWindow | None = None  # what the machine did during the last attempt
    output_max_abs_diff: float | None = None  # against eager PyTorch, for the fp32 deployment runtimes
    output_sqnr_db: float | None = None  # int8 runtimes: signal-to-quantization-noise ratio against eager
    output_cosine: float | None = None  # int8 runtimes: cosine similarity with eager's output
    # How a deployment runtime was run, kept apart (not joined into one string: a note may hold "; "):
    threads_note: str = ""  # how its thread count was set, and read back where it can be
    per_layer_note: str = ""  # where per-layer times come from, or why there are none
    calibration_inputs: int | None = None  # int8: random inputs the static quantization was calibrated on
    # Minor + major page faults per timed run (None: measured before they were counted). Far above
    # zero means the allocator hands memory back between runs: not the steady state (quality.py).
    page_faults_per_run: float | None = None
    # When this figure was checked against an earlier good one of the same key and they disagreed
    # (explorer.store): what was compared and what was kept. Empty when there was nothing to say.
    cross_check: str = ""
    from_store: bool = False

    @property
    def per_image_ms(self) -> float:
        return self.median_ms / self.batch

    @property
    def throughput_ips(self) -> float:
        """Images per second at this batch size."""
        return self.batch / (self.median_ms * 1e-3) if self.median_ms > 0 else 0.0

    @property
    def reusable(self) -> bool:
        """Only a good measurement is reused as a stored answer."""
        return self.quality == GOOD

    @property
    def measured_at(self) -> str:
        return self.finished_at

    @property
    def runtime_note(self) -> str:
        """The runtime's notes in one line, for display (empty for eager)."""
        calibration = f"int8 calibrated on {self.calibration_inputs} random inputs" if self.calibration_inputs else ""
        return "; ".join(text for text in (self.threads_note, self.per_layer_note, calibration) if text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; derived figures (per image, throughput) included for readers of the JSON."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "layers":
                value = [row.to_dict() for row in value]
            elif f.name == "quality_reasons":
                value = list(value)
            elif f.name == "window" and value is not None:
                value = value.to_dict()
            out[f.name] = value
        out.update(per_image_ms=self.per_image_ms, throughput_ips=self.throughput_ips, measured_at=self.measured_at,
                   runtime_note=self.runtime_note,
                   precision="int8" if self.runtime.endswith("-int8") else "fp32")  # the JSON contract names it
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatencyReport:
        """Rebuild a report from :meth:`to_dict` output, or from a report stored before verdicts
        and timestamps existed (schema 1 of the store): that one comes back ``unverified``."""
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["layers"] = tuple(LayerLatency.from_dict(row) for row in data["layers"])
        if "quality" not in data:  # an old report: no verdict, one timestamp
            values["quality"], values["quality_reasons"] = UNVERIFIED, (UNVERIFIED_REASON,)
            values.setdefault("started_at", data["measured_at"])
            values.setdefault("finished_at", data["measured_at"])
        values["quality_reasons"] = tuple(values.get("quality_reasons", ()))
        if data.get("runtime_note") and "threads_note" not in data:
            # Stored before the notes were kept apart: one joined text, which cannot be split back reliably.
            values["threads_note"] = str(data["runtime_note"])
        if values.get("window") is not None:
            values["window"] = MachineWindow(**values["window"])
        return cls(**values)
