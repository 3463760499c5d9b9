"""The phone's published TF-Lite figure against this machine's LiteRT figure for the same config.

Every TF-Lite CPU phone figure bundled in ``assets/`` was measured with TensorFlow Lite's CPU
kernels; the lab measures the same configs with LiteRT (its successor, XNNPACK on this machine's
CPU). If phones and this machine slowed down alike as α and resolution grow, the ratio
``phone ms / this machine's LiteRT ms`` would be one factor per phone, and this machine's figure
times that factor would predict the phone. This module measures how steady that ratio is over the
grid of published configs, against the steadiness of the MACs-based feature the predictor starts
from (``phone ms / GMACs``), and what leave-one-out says a ratio-based prediction would do next to
the fitted predictor's own leave-one-out error.

Torch-free: the lab's figures come from the latency store (good measurements only), measured by
``benchmarks/bench_litert_phones.py`` or by anyone measuring those configs on LiteRT at 1 thread.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..config import MobileNetConfig
from ..counting import count
from .model import phone_model
from .samples import Platform, Sample

THREADS = 1  # this machine's figure: one thread (Pixel 1/2 published a single large core; the factor absorbs Pixel 3's 4)


def is_tflite_cpu(platform: Platform) -> bool:
    """A platform measured on TF-Lite's CPU kernels (what the lab's LiteRT runtime runs)."""
    return platform.processor == "CPU" and platform.backend.lower().startswith("tf-lite")


def runtime_for(platform: Platform) -> str:
    return "litert-int8" if platform.quantized else "litert"


def tflite_samples() -> tuple[Sample, ...]:
    """The bundled MobileNet rows published on a TF-Lite CPU platform."""
    return tuple(s for s in phone_model().samples if is_tflite_cpu(s.platform))


def grid() -> list[tuple[MobileNetConfig, str]]:
    """The (config, runtime) pairs to measure on this machine: every published config of a TF-Lite
    CPU platform, once per precision, smallest first."""
    pairs = {(s.config, runtime_for(s.platform)) for s in tflite_samples()}
    return sorted(pairs, key=lambda pair: (pair[1], count(pair[0]).macs))


@dataclass(frozen=True)
class RatioRow:
    """One published row beside this machine's LiteRT figure for the same config."""

    sample: Sample
    lab_ms: float
    lab_iqr_ms: float

    @property
    def ratio(self) -> float:
        return self.sample.latency_ms / self.lab_ms

    @property
    def ms_per_gmac(self) -> float:
        return self.sample.latency_ms / (count(self.sample.config).macs / 1e9)


def _spread(values: Sequence[float]) -> float:
    """Median absolute deviation of the logs, as a percentage: how far a typical config's value is
    from the platform's median value (0% = one constant factor)."""
    logs = [math.log(v) for v in values]
    centre = statistics.median(logs)
    return 100 * (math.exp(statistics.median(abs(v - centre) for v in logs)) - 1)


def _loo_ratio_errors(rows: Sequence[RatioRow]) -> list[float]:
    """Predict each config as (median ratio of the other configs) × its lab figure: % errors."""
    out = []
    for row in rows:
        others = [r.ratio for r in rows if r.sample.config_key != row.sample.config_key]
        if others:
            out.append(100 * abs(statistics.median(others) * row.lab_ms / row.sample.latency_ms - 1))
    return out


@dataclass(frozen=True)
class PlatformRatio:
    """The ratio on one platform (and family) over the configs measured on both sides."""

    platform: Platform
    family: str
    rows: tuple[RatioRow, ...]
    fitted_loo_median_pct: float | None  # the predictor's own leave-one-out error on the same rows
    fitted_loo_worst_pct: float | None

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def median_ratio(self) -> float:
        return statistics.median(r.ratio for r in self.rows)

    @property
    def ratio_range(self) -> tuple[float, float]:
        return min(r.ratio for r in self.rows), max(r.ratio for r in self.rows)

    @property
    def ratio_spread_pct(self) -> float:
        return _spread([r.ratio for r in self.rows])

    @property
    def mac_spread_pct(self) -> float:
        """The same spread of ``phone ms / GMACs``: the MACs-only feature's steadiness."""
        return _spread([r.ms_per_gmac for r in self.rows])

    @property
    def loo_errors_pct(self) -> list[float]:
        return _loo_ratio_errors(self.rows)

    @property
    def loo_median_pct(self) -> float | None:
        errors = self.loo_errors_pct
        return statistics.median(errors) if errors else None

    @property
    def loo_worst_pct(self) -> float | None:
        errors = self.loo_errors_pct
        return max(errors) if errors else None

    @property
    def helps(self) -> bool:
        """Whether the ratio would beat the fitted predictor in leave-one-out (median and worst)."""
        if self.loo_median_pct is None or self.fitted_loo_median_pct is None:
            return False
        return self.loo_median_pct < self.fitted_loo_median_pct and self.loo_worst_pct <= self.fitted_loo_worst_pct


LabFigure = Callable[[MobileNetConfig, str], "tuple[float, float] | None"]


def ratios(lab_figure: LabFigure, min_configs: int = 3) -> list[PlatformRatio]:
    """Per TF-Lite CPU platform and family, its rows beside ``lab_figure(config, runtime)`` (this
    machine's good LiteRT median and IQR in ms, or None when there is none). Platforms with fewer
    than ``min_configs`` configs measured on both sides are left out (nothing steady to say)."""
    validation = {id(v.sample): v for v in phone_model().validation()}
    groups: dict[tuple[Platform, str], list[RatioRow]] = {}
    figures: dict[tuple[MobileNetConfig, str], tuple[float, float] | None] = {}
    for sample in tflite_samples():
        key = (sample.config, runtime_for(sample.platform))
        if key not in figures:
            figures[key] = lab_figure(*key)
        figure = figures[key]
        if figure is not None and figure[0] > 0:
            groups.setdefault((sample.platform, sample.family), []).append(RatioRow(sample, figure[0], figure[1]))
    out = []
    for (platform, family), rows in groups.items():
        if len({r.sample.config_key for r in rows}) < min_configs:
            continue
        fitted = [abs(v.error_pct) for r in rows if (v := validation.get(id(r.sample))) and v.method == "fitted" and v.error_pct is not None]
        out.append(PlatformRatio(platform, family, tuple(rows), statistics.median(fitted) if fitted else None,
                                 max(fitted) if fitted else None))
    return sorted(out, key=lambda p: (p.platform.device, p.platform.backend, p.platform.quantized, p.family))


def store_figures(store: object, *, include_noisy: bool = False) -> LabFigure:
    """``lab_figure`` reading the latency store's good LiteRT measurements at :data:`THREADS` thread
    (``include_noisy``: noisy ones too, for a report on a busy machine that says so; never the page)."""
    from ..measurement import LatencySettings

    def figure(config: MobileNetConfig, runtime: str) -> tuple[float, float] | None:
        settings = LatencySettings(runtime=runtime, threads=THREADS, batch=1)
        report = store.lookup(config, settings) if include_noisy else store.get(config, settings)  # type: ignore[attr-defined]
        return None if report is None else (report.per_image_ms, report.iqr_ms)

    return figure


def summary_rows(results: Iterable[PlatformRatio]) -> list[dict[str, object]]:
    """One dict per platform, for tables (the page, the benchmark, the README)."""
    rows = []
    for r in results:
        low, high = r.ratio_range
        rows.append({
            "platform": r.platform.label, "family": r.family.replace("mobilenet_", "").upper(), "configs": r.n,
            "median ratio": r.median_ratio, "ratio range": f"{low:.2f}–{high:.2f}",
            "ratio spread %": r.ratio_spread_pct, "ms/GMAC spread %": r.mac_spread_pct,
            "ratio LOO median %": r.loo_median_pct, "ratio LOO worst %": r.loo_worst_pct,
            "fitted LOO median %": r.fitted_loo_median_pct, "fitted LOO worst %": r.fitted_loo_worst_pct,
            "ratio helps": r.helps,
        })
    return rows
