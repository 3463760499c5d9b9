"""The deployment runtimes as measurers of the latency lab (loaded by :func:`explorer.latency.measurer_for`).

The lab dispatches the timing to a measurer by ``settings.runtime`` and does the rest itself
(retries, quality verdict, report, store, lock). Each measurer here takes the lab's
:class:`~explorer.latency.MeasureJob` (a private eager model, the input, threads and budget) and
runs :func:`explorer.runtimes.measure_runtime` on it: export, check against eager, time, and for
ONNX Runtime per-layer kernel times (the kernels are a row's leaves). A runtime whose output does
not match eager raises :class:`~explorer.runtimes.names.RuntimeFailure`: nothing is timed or stored.
"""

from __future__ import annotations

from collections.abc import Callable

from ..latency import MeasureJob
from .names import RUNTIMES, RuntimeFailure
from .results import RuntimeResult


def measurer(runtime: str) -> Callable[[MeasureJob], RuntimeResult]:
    """The measurer of one deployment runtime, in the lab's protocol."""

    def measure(job: MeasureJob) -> RuntimeResult:
        from .measure import measure_runtime

        result = measure_runtime(job.config, runtime, threads=job.threads, batch=job.settings.batch, budget_s=job.budget_s,
                                 model=job.model, progress=job.progress)
        if not result.ok:
            raise RuntimeFailure(runtime, f"{result.failure} (nothing was timed)")
        # The lab reads the result as it is: its notes stay apart (a threads note may itself hold "; "),
        # its kernels are the rows' leaves, and its timing_window (the timing alone, not the export and
        # the eager reference before it) is what the verdict judges.
        return result

    measure.__name__ = f"measure_{runtime.replace('-', '_')}"
    return measure


MEASURERS: dict[str, Callable[[MeasureJob], RuntimeResult]] = {name: measurer(name) for name in RUNTIMES if name != "eager"}
