"""A runtime's result: one config checked against eager and timed, with its per-layer kernels.

The one result type of a measurement on any runtime: the lab's measurers (eager included) return
it, and the comparisons (charts, per-layer speed-ups) read it. Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .names import LABELS


@dataclass(frozen=True)
class RuntimeLayer:
    """One row of the layer table on a runtime: the kernels the runtime ran for it and their sum
    (on eager, the row's leaf modules: conv, bn, act).

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
