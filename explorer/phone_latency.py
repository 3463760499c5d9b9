"""Predicted phone latency: a small model per published platform, fitted to the bundled
measurements, with its leave-one-out error, a prediction interval and an extrapolation check.

**Data.** Every MobileNet row of ``assets/device_latency.csv`` and ``device_latency_more.csv``.
A *platform* is what a latency was published on: device, backend, thread count and precision,
spelled as in the CSV files (ncnn publishes 1 and 4 threads under one backend name, so the thread
count is part of it).

**Features** come from the plan, nothing is built: MACs, split into dense (stem, 1×1 and full
convolutions, classifier) and depthwise; activation values read and written by every convolution
(memory traffic: ×4 bytes in float, ×1 in int8, a constant each platform's fit absorbs); weights.

**Candidates** (:data:`CANDIDATES`): proportional to MACs; affine in MACs; a power law in MACs
(log-log); linear in MACs and activations; a power law in both; linear in dense MACs, depthwise
MACs and activations. Linear ones are fitted by least squares on relative errors, power laws on
logarithms (``numpy.linalg.lstsq``). A fit with a negative coefficient (a negative overhead, or
latency that falls as a model grows) is rejected as implausible, which keeps every prediction
monotone in width and resolution. The data are small (12 to 24 configs per platform), so small
models win; cross-validation picks among them.

**How a prediction is made** depends on what the platform published for the config's family:

1. *fitted*: at least :data:`MIN_CONFIGS` distinct configs. The candidate with the lowest
   leave-one-out error on the platform's rows is fitted to them.
2. *anchored*: one to four configs (Pixel XL, Pixel 4, iPhones, ncnn phones, NPUs, and the other
   family on Pixel 1/2/3). No model of its own: the *shape* of a fitted platform of the same family
   (the closest: same processor kind, precision and threading) is scaled to pass through the
   published row(s). Its error cannot be measured on the platform itself; what borrowing a shape
   did on platforms that have data (:attr:`PhoneLatencyModel.anchor_check`) sets the interval.
3. *other family*: no row of the config's family, but a fitted model of the other family (e.g. V2
   on Pixel 2 quantized). The features are family-agnostic, so that model applies; what it did on
   the platforms that published both families (:attr:`PhoneLatencyModel.cross_family_check`)
   sets the interval.
4. *declined*: nothing of the family and no fitted model (e.g. V1 on a Qualcomm NPU).

**Honest error.** Leave-one-out leaves out a *config* (all its rows: the V2 paper and TF-slim
both publish V2 1.0/224 on Pixel 1, and keeping one twin would leak the other), then redoes the
model *choice* and the fit on the rest and predicts it: the error is that of the whole procedure.
The interval is a 90% jackknife interval (Barber et al., "Predictive inference with the
jackknife+", 2021) on those leave-one-out log errors. A config is *extrapolating* when it is
anchored or of the other family, when its width, resolution or MACs lie outside the rows behind
its model (the interval widens by how far: log distance added to its log half-width; beyond
:data:`DECLINE_FACTOR` × the range the prediction is declined), or when it departs from the
paper's architecture (custom block table, options the papers did not publish latency for: the
interval widens to the cross-family error, the largest architectural change that was measured).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .config import ARCHS, MobileNetConfig, architecture_changes, paper_config
from .counting import conv_macs, conv_weights
from .plan import make_plan
from .reference import DeviceLatency, load_all_device_latency

MIN_CONFIGS = 5  # distinct configs of a family on a platform for a model of its own
COVERAGE = 0.9  # nominal coverage of the prediction interval
DECLINE_FACTOR = 4.0  # beyond 4× outside the measured width, resolution or MACs: no prediction
IMAGENET_CLASSES = (1000, 1001)
FAMILY_TITLES = {"mobilenet_v1": "V1", "mobilenet_v2": "V2"}

# --- features ---------------------------------------------------------------------------------

FEATURES = ("macs", "dense_macs", "depthwise_macs", "activations", "weights")
FEATURE_TITLES = {
    "macs": "MACs", "dense_macs": "dense MACs", "depthwise_macs": "depthwise MACs",
    "activations": "activations moved", "weights": "weights",
}  # fmt: skip


@lru_cache(maxsize=8192)
def features(config: MobileNetConfig) -> tuple[float, ...]:
    """The model's features, in millions, in the order of :data:`FEATURES`.

    One pass over the plan's convolutions with the counting module's pure functions: a few tens
    of microseconds once the plan is cached, so a sweep of thousands of configs stays instant.
    """
    plan = make_plan(config)
    dense = depthwise = activations = weights = 0
    for layer in plan.conv_layers():
        macs = conv_macs(layer.in_channels, layer.out_channels, layer.kernel_size, layer.out_size, layer.groups)
        if layer.kind == "depthwise":
            depthwise += macs
        else:
            dense += macs
        activations += layer.in_channels * layer.in_size**2 + layer.out_channels * layer.out_size**2
        weights += conv_weights(layer.in_channels, layer.out_channels, layer.kernel_size, layer.groups)
    head = plan.features * config.num_classes
    dense += head
    weights += head
    return ((dense + depthwise) / 1e6, dense / 1e6, depthwise / 1e6, activations / 1e6, weights / 1e6)


def feature_matrix(configs: Sequence[MobileNetConfig]) -> np.ndarray:
    return np.array([features(c) for c in configs], dtype=float).reshape(len(configs), len(FEATURES))


# --- candidate models -------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One small model of latency (ms) against some features."""

    name: str
    formula: str
    columns: tuple[str, ...]
    log: bool  # True: a power law fitted on logarithms; False: linear, fitted on relative errors
    intercept: bool

    @property
    def n_params(self) -> int:
        return len(self.columns) + self.intercept

    def design(self, F: np.ndarray) -> np.ndarray:
        """The regression matrix: the candidate's feature columns (logs for a power law), and a
        column of ones for the intercept."""
        X = F[:, [FEATURES.index(c) for c in self.columns]]
        X = np.log(X) if self.log else X
        return np.column_stack([np.ones(len(F)), X]) if self.intercept else X

    def fit(self, F: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        """Least-squares coefficients, or None when the fit is degenerate or implausible."""
        return self.fit_design(self.design(F), y)

    def fit_design(self, X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
        if self.log:
            coef, _, rank, _ = np.linalg.lstsq(X, np.log(y), rcond=None)
            slopes = coef[1:] if self.intercept else coef
        else:
            # Relative errors, not absolute: latencies span 0.3–160 ms, and a 5 ms miss matters
            # on a 6 ms model, not on a 140 ms one. Σ((y − Xb)/y)² = Σ(1 − (X/y)·b)².
            coef, _, rank, _ = np.linalg.lstsq(X / y[:, None], np.ones(len(y)), rcond=None)
            slopes = coef  # an intercept is a fixed overhead: negative is implausible too
        if rank < X.shape[1] or not np.isfinite(coef).all():
            return None
        # Negative beyond rounding noise: implausible. Rounding noise (an exact fit's −1e-17) is zeroed.
        if slopes.min() < -1e-9 * np.abs(coef).max():
            return None
        slopes[slopes < 0] = 0.0  # a view into coef
        return coef

    def predict(self, F: np.ndarray, coef: np.ndarray) -> np.ndarray:
        return self.predict_design(self.design(F), coef)

    def predict_design(self, X: np.ndarray, coef: np.ndarray) -> np.ndarray:
        out = X @ coef
        return np.exp(out) if self.log else out


CANDIDATES = (
    Candidate("proportional to MACs", "ms = k·MACs", ("macs",), log=False, intercept=False),
    Candidate("affine in MACs", "ms = c + k·MACs", ("macs",), log=False, intercept=True),
    Candidate("power law in MACs", "log ms = a + b·log MACs", ("macs",), log=True, intercept=True),
    Candidate("linear in MACs and activations", "ms = c + k₁·MACs + k₂·activations", ("macs", "activations"), log=False, intercept=True),
    Candidate("power law in MACs and activations", "log ms = a + b₁·log MACs + b₂·log activations", ("macs", "activations"), log=True, intercept=True),
    Candidate("linear in dense MACs, depthwise MACs and activations", "ms = c + k₁·dense MACs + k₂·depthwise MACs + k₃·activations",
              ("dense_macs", "depthwise_macs", "activations"), log=False, intercept=True),
)  # fmt: skip


def _groups(ids: Sequence[Any]) -> list[np.ndarray]:
    """Row masks of each distinct config (rows of the same config leave together)."""
    keys = list(dict.fromkeys(ids))
    arr = np.array([keys.index(i) for i in ids])
    return [arr == k for k in range(len(keys))]


def _loo_log_errors(candidate: Candidate, F: np.ndarray, y: np.ndarray, groups: list[np.ndarray]) -> np.ndarray | None:
    """log(predicted / measured) of every row, each predicted by a fit without its config."""
    X, out = candidate.design(F), np.empty(len(y))
    for mask in groups:
        coef = candidate.fit_design(X[~mask], y[~mask])
        if coef is None:
            return None
        out[mask] = np.log(candidate.predict_design(X[mask], coef) / y[mask])
    return out


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    coef: np.ndarray = field(repr=False, compare=False)
    score: float  # mean |log error| of its own leave-one-out, on the rows it was chosen with


def choose(F: np.ndarray, y: np.ndarray, ids: Sequence[Any]) -> Choice | None:
    """The candidate with the lowest leave-one-config-out error, fitted to all the rows given.

    A candidate needs two configs more than its parameters (so every fold still has a spare one);
    simpler candidates come first and win ties.
    """
    groups = _groups(ids)
    best = None
    for candidate in CANDIDATES:
        if len(groups) < candidate.n_params + 2:
            continue
        coef = candidate.fit(F, y)
        errors = None if coef is None else _loo_log_errors(candidate, F, y, groups)
        if errors is None:
            continue
        score = float(np.mean(np.abs(errors)))
        if best is None or score < best.score - 1e-12:
            best = Choice(candidate, coef, score)
    return best


def jackknife_half_width(log_errors: Iterable[float], coverage: float = COVERAGE) -> float:
    """Half-width, in log space, of a jackknife interval: the ⌈coverage·(n+1)⌉-th smallest
    |leave-one-out log error| (the largest when n is too small for that coverage)."""
    errs = sorted(abs(e) for e in log_errors)
    if not errs:
        return math.inf
    k = min(len(errs), math.ceil(coverage * (len(errs) + 1)))
    return errs[k - 1]


# --- platforms and samples --------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    """What a latency was published on, spelled as in the CSV files."""

    device: str
    backend: str
    threads: int | None
    quantized: bool

    @property
    def precision(self) -> str:
        return "int8" if self.quantized else "float"

    @property
    def processor(self) -> str:
        """CPU, GPU or NPU (NNAPI and vendor NPUs), read from the backend's name."""
        b = self.backend.lower()
        if any(w in b for w in ("gpu", "vulkan", "metal")):
            return "GPU"
        if "nnapi" in b or "npu" in b:
            return "NPU"
        return "CPU"

    @property
    def thread_count(self) -> int | None:
        """The thread count, from its column or the backend's name ("single large core": 1)."""
        if self.threads is not None:
            return self.threads
        b = self.backend.lower()
        if "single" in b:
            return 1
        m = re.search(r"(\d+) threads?", b)
        return int(m.group(1)) if m else None

    @property
    def label(self) -> str:
        threads = f", {self.threads} thread{'s' if self.threads != 1 else ''}" if self.threads is not None else ""
        return f"{self.device} · {self.backend}{threads} · {self.precision}"

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "backend": self.backend, "threads": self.threads, "quantized": self.quantized}


def platform_of(row: DeviceLatency) -> Platform:
    return Platform(row.device, row.backend, getattr(row, "threads", None), row.quantized)


@dataclass(frozen=True)
class Sample:
    """A published latency with the config it describes."""

    row: DeviceLatency
    platform: Platform
    config: MobileNetConfig

    @property
    def family(self) -> str:
        return self.row.family

    @property
    def latency_ms(self) -> float:
        return self.row.latency_ms

    @property
    def config_key(self) -> tuple[str, float, int]:
        return (self.row.family, round(self.row.width_multiplier, 6), self.row.resolution)


def samples_of(rows: Iterable[DeviceLatency]) -> tuple[Sample, ...]:
    """The MobileNet rows (the reference networks have no config here) with their configs."""
    out = []
    for row in rows:
        if row.family not in ARCHS:
            continue
        config = paper_config(row.family, width_multiplier=row.width_multiplier, resolution=row.resolution, num_classes=row.num_classes)
        out.append(Sample(row, platform_of(row), config))
    return tuple(out)


# --- predictors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """What the rows behind a model span: width, resolution and MACs."""

    widths: tuple[float, float]
    resolutions: tuple[int, int]
    macs: tuple[float, float]  # millions

    @staticmethod
    def of(samples: Sequence[Sample]) -> Range:
        ws = [s.config.width_multiplier for s in samples]
        rs = [s.config.resolution for s in samples]
        ms = [features(s.config)[0] for s in samples]
        return Range((min(ws), max(ws)), (min(rs), max(rs)), (min(ms), max(ms)))

    def describe(self) -> str:
        def span(lo, hi, fmt):
            return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"

        return (f"α {span(*self.widths, lambda v: f'{v:g}')}, {span(*self.resolutions, str)} px, "
                f"{span(*self.macs, lambda v: f'{v:,.0f}M')} MACs")  # fmt: skip

    def distances(self, configs: Sequence[MobileNetConfig], macs_m: np.ndarray) -> list[float]:
        """:meth:`outside`'s distance for many configs at once (0.0 inside)."""
        values = np.column_stack([[c.width_multiplier for c in configs], [c.resolution for c in configs], macs_m])
        lo = np.array([self.widths[0], self.resolutions[0], self.macs[0]]) * (1 - 1e-9)
        hi = np.array([self.widths[1], self.resolutions[1], self.macs[1]]) * (1 + 1e-9)
        above = np.log(np.maximum(values / hi, 1.0))
        below = np.log(np.maximum(lo / values, 1.0))
        return np.maximum(above, below).max(axis=1).tolist()

    def outside(self, config: MobileNetConfig, macs_m: float) -> tuple[float, list[str]]:
        """How far outside (largest log ratio; 0 inside) and why, in words."""
        reasons, distance = [], 0.0
        for value, (lo, hi), what, fmt in (
            (config.width_multiplier, self.widths, "width α", lambda v: f"{v:g}"),
            (config.resolution, self.resolutions, "resolution", lambda v: f"{v} px"),
            (macs_m, self.macs, "MACs", lambda v: f"{v:,.0f}M"),
        ):
            if value > hi * (1 + 1e-9):
                distance = max(distance, math.log(value / hi))
                reasons.append(f"{what} {fmt(value)} is above the data's {fmt(hi)}")
            elif value < lo * (1 - 1e-9):
                distance = max(distance, math.log(lo / value))
                reasons.append(f"{what} {fmt(value)} is below the data's {fmt(lo)}")
        return distance, reasons


@dataclass(frozen=True)
class LooPoint:
    """One row predicted by the whole procedure (model choice and fit) without its config."""

    sample: Sample
    predicted_ms: float
    model: str  # the candidate chosen in that fold

    @property
    def error(self) -> float:
        """predicted / published − 1."""
        return self.predicted_ms / self.sample.latency_ms - 1


@dataclass(frozen=True)
class Fitted:
    """A platform's own model for one family."""

    platform: Platform
    family: str
    samples: tuple[Sample, ...]
    choice: Choice
    loo: tuple[LooPoint, ...]
    range: Range

    @property
    def n_configs(self) -> int:
        return len({s.config_key for s in self.samples})

    @cached_property
    def log_errors(self) -> list[float]:
        return [math.log(p.predicted_ms / p.sample.latency_ms) for p in self.loo]

    @cached_property
    def half_width(self) -> float:
        return jackknife_half_width(self.log_errors)

    @cached_property
    def loo_median_pct(self) -> float:
        return 100 * float(np.median([abs(p.error) for p in self.loo]))

    @cached_property
    def loo_max_pct(self) -> float:
        return 100 * max(abs(p.error) for p in self.loo)

    def predict_ms(self, F: np.ndarray) -> np.ndarray:
        return self.choice.candidate.predict(F, self.choice.coef)

    def describe(self) -> str:
        c = self.choice.candidate
        return (f"{c.name} ({c.formula}), fitted to {len(self.samples)} published {FAMILY_TITLES[self.family]} rows "
                f"({self.n_configs} configs: {self.range.describe()})")  # fmt: skip


def fit_platform(samples: Sequence[Sample]) -> Fitted | None:
    """Choose and fit a model for one platform and family, and its nested leave-one-out: for each
    config, the choice and the fit are redone without it. None with too few configs."""
    samples = tuple(samples)
    ids = [s.config_key for s in samples]
    if len(set(ids)) < MIN_CONFIGS:
        return None
    F = feature_matrix([s.config for s in samples])
    y = np.array([s.latency_ms for s in samples])
    choice = choose(F, y, ids)
    if choice is None:
        return None
    loo: list[LooPoint | None] = [None] * len(samples)
    for mask in _groups(ids):
        inner = choose(F[~mask], y[~mask], [i for i, m in zip(ids, mask) if not m])
        if inner is None:  # the procedure has no answer without this config: counts as a failure
            return None
        predicted = inner.candidate.predict(F[mask], inner.coef)
        for idx, value in zip(np.flatnonzero(mask), predicted):
            loo[idx] = LooPoint(samples[idx], float(value), inner.candidate.name)
    return Fitted(samples[0].platform, samples[0].family, samples, choice, tuple(loo), Range.of(samples))


def _donor_score(family: str, target: Platform, donor: Fitted) -> tuple:
    p = donor.platform
    threading = (target.thread_count == 1) == (p.thread_count == 1)
    return (p.processor == target.processor, p.quantized == target.quantized, threading, donor.family == family, donor.n_configs)


def choose_donor(family: str, target: Platform, fitted: Sequence[Fitted]) -> Fitted | None:
    """The fitted model whose shape suits ``family`` on ``target`` best: same processor kind, then
    same precision, then same threading (single core or not), then the same family, then the most
    configs. The processor comes first: a GPU's fixed overhead flattens the curve whatever the
    network, so V2 on the Pixel 3 GPU takes the shape of that GPU's V1 model, not of a CPU's V2."""
    pool = [f for f in fitted if (f.platform, f.family) != (target, family)]
    return max(pool, key=lambda f: _donor_score(family, target, f), default=None)


@dataclass(frozen=True)
class Anchored:
    """A shape borrowed from a fitted platform, scaled to this platform's published row(s)."""

    platform: Platform
    family: str
    anchors: tuple[Sample, ...]
    donor: Fitted
    scale: float

    @property
    def same_processor(self) -> bool:
        return self.donor.platform.processor == self.platform.processor

    def predict_ms(self, F: np.ndarray) -> np.ndarray:
        return self.scale * self.donor.predict_ms(F)

    def describe(self) -> str:
        rows = "; ".join(f"α {s.row.width_multiplier:g} at {s.row.resolution} px: {s.latency_ms:g} ms" for s in self.anchors)
        return (f"the shape of the {FAMILY_TITLES[self.donor.family]} model of {self.donor.platform.label} "
                f"({self.donor.choice.candidate.name}), scaled ×{self.scale:.3g} "
                f"to the published {rows}")  # fmt: skip


def anchor(family: str, platform: Platform, anchors: Sequence[Sample], fitted: Sequence[Fitted]) -> Anchored | None:
    """Scale the best donor's shape by the geometric mean of published / donor-predicted."""
    donor = choose_donor(family, platform, fitted)
    if donor is None or not anchors:
        return None
    predicted = donor.predict_ms(feature_matrix([s.config for s in anchors]))
    measured = np.array([s.latency_ms for s in anchors])
    scale = float(np.exp(np.mean(np.log(measured / predicted))))
    return Anchored(platform, family, tuple(anchors), donor, scale)


# --- checks of the borrowed predictions ---------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """Errors of a way of predicting, measured where the data allow it."""

    name: str
    log_errors: tuple[float, ...]
    platforms: int
    unit: str = "predictions"  # what one error is, in words

    @property
    def n(self) -> int:
        return len(self.log_errors)

    @cached_property
    def median_pct(self) -> float | None:
        return None if not self.n else 100 * float(np.median(np.expm1(np.abs(self.log_errors))))

    @cached_property
    def max_pct(self) -> float | None:
        return None if not self.n else 100 * float(np.max(np.expm1(np.abs(self.log_errors))))

    @cached_property
    def half_width(self) -> float:
        return jackknife_half_width(self.log_errors)

    def describe(self) -> str:
        if not self.n:
            return f"{self.name}: never checked (no platform has the data)"
        return (f"{self.name} was off by {self.median_pct:.0f}% (median), {self.max_pct:.0f}% at worst, "
                f"in {self.n:,} {self.unit} on {self.platforms} platform{'s' if self.platforms != 1 else ''} with data")  # fmt: skip


def _anchor_check(fitted: Sequence[Fitted], same_processor: bool) -> Check:
    """Borrowing a shape, tried on platforms that have their own data: each config of a fitted
    platform in turn is the only anchor, the shape comes from the donor the rule picks among the
    other platforms, and the platform's other configs are predicted."""
    errors, platforms = [], set()
    for target in fitted:
        donor = choose_donor(target.family, target.platform, fitted)
        if donor is None or (donor.platform.processor == target.platform.processor) != same_processor:
            continue
        F = feature_matrix([s.config for s in target.samples])
        shape = donor.predict_ms(F)
        y = np.array([s.latency_ms for s in target.samples])
        for mask in _groups([s.config_key for s in target.samples]):
            scale = np.exp(np.mean(np.log(y[mask] / shape[mask])))
            errors += np.log(scale * shape[~mask] / y[~mask]).tolist()
        platforms.add(target.platform)
    kind = "the same" if same_processor else "another"
    return Check(f"a shape borrowed from {kind} processor kind and scaled to one published config", tuple(errors), len(platforms),
                 "predictions (each config as the anchor in turn)")


def _cross_family_check(fitted: Sequence[Fitted], samples: Sequence[Sample]) -> Check:
    """A fitted model of one family predicting the other family's rows on the same platform."""
    errors, platforms = [], set()
    for f in fitted:
        others = [s for s in samples if s.platform == f.platform and s.family != f.family]
        if others:
            predicted = f.predict_ms(feature_matrix([s.config for s in others]))
            errors += [math.log(p / s.latency_ms) for p, s in zip(predicted, others)]
            platforms.add(f.platform)
    return Check("a model fitted to one family predicting the other family", tuple(errors), len(platforms), "published rows")


# --- predictions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """A predicted latency on one platform, with its interval, its error and its caveats."""

    platform: Platform
    family: str
    ms: float | None  # None: declined
    low_ms: float | None
    high_ms: float | None
    method: str  # "fitted" | "anchored" | "other family" | "declined"
    basis: str  # the model in words: what it is and which rows are behind it
    loo_median_error_pct: float | None  # the platform's own leave-one-out (None: not measurable)
    loo_max_error_pct: float | None
    loo_n: int
    extrapolating: bool
    reason: str  # empty when not extrapolating
    published_ms: tuple[float, ...] = ()  # published on this platform for this very config

    @property
    def device(self) -> str:
        return self.platform.device

    @property
    def backend(self) -> str:
        return self.platform.backend

    @property
    def quantized(self) -> bool:
        return self.platform.quantized

    def to_dict(self) -> dict[str, Any]:
        def r(v):
            return None if v is None else round(v, 4)

        return {
            **self.platform.to_dict(), "ms": r(self.ms), "low_ms": r(self.low_ms), "high_ms": r(self.high_ms),
            "loo_median_error_pct": r(self.loo_median_error_pct), "loo_max_error_pct": r(self.loo_max_error_pct),
            "loo_n": self.loo_n, "extrapolating": self.extrapolating, "reason": self.reason,
            "method": self.method, "basis": self.basis, "published_ms": list(self.published_ms),
        }  # fmt: skip


@lru_cache(maxsize=8192)
def departures(config: MobileNetConfig) -> tuple[str, ...]:
    """How ``config`` departs from what the latency sources ran: the paper's table and options,
    an ImageNet classifier. (Dropout is a training setting: it costs nothing at inference.)"""
    out = architecture_changes(config)
    if config.num_classes not in IMAGENET_CLASSES:
        out.append(f"{config.num_classes} classes (the sources ran ImageNet's 1000/1001)")
    return tuple(out)


def _sentence(parts: Sequence[str]) -> str:
    text = "; ".join(p for p in parts if p)
    return text[:1].upper() + text[1:] + ("." if text and not text.endswith(".") else "")


@dataclass(frozen=True, eq=False)
class PhoneLatencyModel:
    """Every platform's predictor, built once from the published rows (see the module's notes)."""

    samples: tuple[Sample, ...]
    platforms: tuple[Platform, ...]
    fitted: dict[tuple[Platform, str], Fitted]
    anchored: dict[tuple[Platform, str], Anchored]
    anchor_check_same: Check
    anchor_check_other: Check
    cross_family_check: Check
    published: dict[Platform, dict[tuple, tuple[float, ...]]]  # platform → config key → published ms

    # -- one platform --------------------------------------------------------------------------

    def method_for(self, platform: Platform, family: str) -> str:
        if (platform, family) in self.fitted:
            return "fitted"
        if (platform, family) in self.anchored:
            return "anchored"
        if any((platform, f) in self.fitted for f in ARCHS if f != family):
            return "other family"
        return "declined"

    def predict_grid(self, configs: Sequence[MobileNetConfig], platforms: Sequence[Platform] | None = None) -> list[list[Prediction]]:
        """Every config on every platform (or those given): ``[platform][config]``. Features and
        architecture checks are computed once per config, then each platform's model is applied to
        all of them at once: the sweep's entry point."""
        platforms = self.platforms if platforms is None else platforms
        for platform in platforms:
            if platform not in self.platforms:
                raise ValueError(f"platform: unknown {platform.label!r}; see PhoneLatencyModel.platforms")
        F = feature_matrix(configs)
        changes = [departures(c) for c in configs]
        families = {f: [i for i, c in enumerate(configs) if c.arch == f] for f in ARCHS}
        grid = []
        for platform in platforms:
            out: list[Prediction | None] = [None] * len(configs)
            for family, idx in families.items():
                if idx:
                    predicted = self._predict_family([configs[i] for i in idx], F[idx], [changes[i] for i in idx], platform, family)
                    for i, p in zip(idx, predicted):
                        out[i] = p
            grid.append(out)
        return grid  # type: ignore[return-value]

    def predict_many(self, configs: Sequence[MobileNetConfig], platform: Platform) -> list[Prediction]:
        """Many configs on one platform (vectorized)."""
        return self.predict_grid(configs, [platform])[0]

    def predict(self, config: MobileNetConfig, platforms: Sequence[Platform] | None = None) -> list[Prediction]:
        """``config`` on every platform (or those given), in file order."""
        return [row[0] for row in self.predict_grid([config], platforms)]

    def _source(self, platform: Platform, family: str) -> tuple[str, Any]:
        method = self.method_for(platform, family)
        if method == "fitted":
            return method, self.fitted[(platform, family)]
        if method == "anchored":
            return method, self.anchored[(platform, family)]
        if method == "other family":
            other = next(f for f in ARCHS if f != family and (platform, f) in self.fitted)
            return method, self.fitted[(platform, other)]
        return method, None

    def _predict_family(self, configs: Sequence[MobileNetConfig], F: np.ndarray, changes: Sequence[tuple[str, ...]],
                        platform: Platform, family: str) -> list[Prediction]:  # fmt: skip
        method, source = self._source(platform, family)
        name = FAMILY_TITLES[family]
        if source is None:
            rows = sum(1 for s in self.samples if s.platform == platform)
            others = "its only row is" if rows == 1 else f"its {rows} rows are"
            reason = (f"No prediction: nothing published for MobileNet {name} on this platform, and {others} "
                      f"of the other family, too few for a model of its own.")  # fmt: skip
            return [Prediction(platform, family, None, None, None, method, "", None, None, 0, True, reason) for _ in configs]

        ms = source.predict_ms(F)
        published = self.published.get(platform, {})
        base_reasons: list[str] = []
        if method == "fitted":
            base_hw, data_range = source.half_width, source.range
            loo = (source.loo_median_pct, source.loo_max_pct, len(source.loo))
            basis = source.describe()
        elif method == "anchored":
            check = self.anchor_check_same if source.same_processor else self.anchor_check_other
            base_hw, data_range, loo = check.half_width, source.donor.range, (None, None, 0)
            basis = source.describe()
            rows = "one published row" if len(source.anchors) == 1 else f"{len(source.anchors)} published rows"
            base_reasons.append(f"only {rows} of {name} here, so no model of its own: {basis}. "
                                f"Its error here is unknown; {check.describe()}")  # fmt: skip
        else:
            check = self.cross_family_check
            base_hw, data_range, loo = max(source.half_width, check.half_width), source.range, (None, None, 0)
            other = FAMILY_TITLES[source.family]
            basis = f"the {other} model of this platform: {source.describe()}"
            base_reasons.append(f"no {name} row published here: predicted by the {other} model of this platform "
                                f"(its features do not depend on the family); {check.describe()}")  # fmt: skip

        out, data_text = [], data_range.describe()
        distances = data_range.distances(configs, F[:, 0])
        for config, value, row, departs, distance in zip(configs, ms, F, changes, distances):
            if not (departs or distance or base_reasons):  # the common case, kept cheap for sweeps
                value = float(value)
                pub = published.get((family, round(config.width_multiplier, 6), config.resolution), ())
                out.append(Prediction(platform, family, value, value * math.exp(-base_hw), value * math.exp(base_hw), method, basis,
                                      *loo, False, "", pub))  # fmt: skip
                continue
            reasons = list(base_reasons)
            distance, outside = data_range.outside(config, float(row[0]))
            hw = base_hw + distance
            if departs:
                reasons.append("departs from the architecture the sources ran: " + ", ".join(departs))
                hw = max(hw, self.cross_family_check.half_width + distance)
            if outside:
                reasons.append(f"outside the rows behind the model ({data_text}): " + ", ".join(outside)
                               + "; the interval widens by that distance")  # fmt: skip
            pub = published.get((family, round(config.width_multiplier, 6), config.resolution), ()) if not departs else ()
            if distance > math.log(DECLINE_FACTOR):
                reasons.append(f"more than {DECLINE_FACTOR:g}× beyond the data: no prediction")
                out.append(Prediction(platform, family, None, None, None, "declined", basis, *loo, True, _sentence(reasons), pub))
                continue
            value = float(value)
            out.append(Prediction(
                platform, family, value, value * math.exp(-hw), value * math.exp(hw), method, basis, *loo,
                bool(reasons), _sentence(reasons), pub,
            ))  # fmt: skip
        return out

    # -- tables ----------------------------------------------------------------------------------

    def loo_table(self) -> list[dict[str, Any]]:
        """Per platform and family: how predictions are made there and their leave-one-out error."""
        rows = []
        for platform in self.platforms:
            for family in ARCHS:
                n = sum(1 for s in self.samples if s.platform == platform and s.family == family)
                method = self.method_for(platform, family)
                fitted = self.fitted.get((platform, family))
                rows.append({
                    **platform.to_dict(), "family": family, "rows": n, "method": method,
                    "configs": len({s.config_key for s in self.samples if s.platform == platform and s.family == family}),
                    "model": fitted.choice.candidate.name if fitted else None,
                    "loo_median_error_pct": fitted.loo_median_pct if fitted else None,
                    "loo_max_error_pct": fitted.loo_max_pct if fitted else None,
                    "interval_pct": 100 * math.expm1(fitted.half_width) if fitted else None,
                })  # fmt: skip
        return rows

    def validation(self) -> list[ValidationRow]:
        """Every bundled MobileNet row predicted without it (and without its config's other rows
        on that platform), by the same rules a user's config gets."""
        out = []
        fitted_all = list(self.fitted.values())
        for i, s in enumerate(self.samples):
            key = (s.platform, s.family)
            if key in self.fitted:
                f = self.fitted[key]
                point = next(p for p in f.loo if p.sample is s)
                others = [e for p, e in zip(f.loo, f.log_errors) if p.sample.config_key != s.config_key]
                hw = jackknife_half_width(others)
                out.append(ValidationRow(s, point.predicted_ms, point.predicted_ms * math.exp(-hw), point.predicted_ms * math.exp(hw),
                                         "fitted", f"{point.model} (refitted without this config)"))  # fmt: skip
                continue
            anchors = [a for a in self.samples if (a.platform, a.family) == key and a.config_key != s.config_key]
            pred_f = feature_matrix([s.config])
            a = anchor(s.family, s.platform, anchors, fitted_all) if anchors else None
            if a is not None:
                check = self.anchor_check_same if a.same_processor else self.anchor_check_other
                value, hw, method, model = float(a.predict_ms(pred_f)[0]), check.half_width, "anchored", a.describe()
            elif (other := next((self.fitted[(s.platform, f)] for f in ARCHS if f != s.family and (s.platform, f) in self.fitted), None)):
                value = float(other.predict_ms(pred_f)[0])
                hw = max(other.half_width, self.cross_family_check.half_width)
                method, model = "other family", f"the {FAMILY_TITLES[other.family]} model of this platform ({other.choice.candidate.name})"
            else:
                out.append(ValidationRow(s, None, None, None, "declined", "nothing left on this platform to predict it from"))
                continue
            out.append(ValidationRow(s, value, value * math.exp(-hw), value * math.exp(hw), method, model))
        return out


@dataclass(frozen=True)
class ValidationRow:
    """A published row next to what the predictor says without it."""

    sample: Sample
    predicted_ms: float | None
    low_ms: float | None
    high_ms: float | None
    method: str
    model: str

    @property
    def error_pct(self) -> float | None:
        return None if self.predicted_ms is None else 100 * (self.predicted_ms / self.sample.latency_ms - 1)

    @property
    def inside(self) -> bool | None:
        if self.predicted_ms is None:
            return None
        return self.low_ms <= self.sample.latency_ms <= self.high_ms


def fit_phone_model(rows: Iterable[DeviceLatency]) -> PhoneLatencyModel:
    """Build every platform's predictor from published rows (see the module's notes)."""
    samples = samples_of(rows)
    platforms = tuple(dict.fromkeys(s.platform for s in samples))
    by_key: dict[tuple[Platform, str], list[Sample]] = {}
    for s in samples:
        by_key.setdefault((s.platform, s.family), []).append(s)
    fitted = {key: f for key, group in by_key.items() if (f := fit_platform(group)) is not None}
    fitted_list = list(fitted.values())
    anchored = {
        key: a for key, group in by_key.items()
        if key not in fitted and (a := anchor(key[1], key[0], group, fitted_list)) is not None
    }  # fmt: skip
    published: dict[Platform, dict[tuple, list[float]]] = {}
    for s in samples:
        published.setdefault(s.platform, {}).setdefault(s.config_key, []).append(s.latency_ms)
    return PhoneLatencyModel(
        samples, platforms, fitted, anchored,
        _anchor_check(fitted_list, same_processor=True), _anchor_check(fitted_list, same_processor=False),
        _cross_family_check(fitted_list, samples),
        {p: {k: tuple(v) for k, v in d.items()} for p, d in published.items()},
    )  # fmt: skip


@lru_cache(maxsize=1)
def phone_model() -> PhoneLatencyModel:
    """The model of the bundled data, built once per process (well under a second)."""
    return fit_phone_model(load_all_device_latency())


# --- the library's entry points ---------------------------------------------------------------


def platforms() -> tuple[Platform, ...]:
    return phone_model().platforms


def find_platform(device: str, backend: str, quantized: bool, threads: int | None = None) -> Platform:
    """The platform spelled so in the CSV files; ``threads`` only where one backend name has
    several (ncnn's 1 and 4 threads). ValueError names what exists otherwise."""
    matches = [p for p in platforms() if (p.device, p.backend, p.quantized) == (device, backend, quantized)
               and (threads is None or p.threads == threads)]  # fmt: skip
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = sorted({f"{p.device} / {p.backend}" for p in platforms()})
        raise ValueError(f"platform: no published {'int8' if quantized else 'float'} latency on {device!r} with {backend!r}; "
                         f"known: {'; '.join(known)}")  # fmt: skip
    raise ValueError(f"threads: {device!r} with {backend!r} was published at {sorted(p.threads for p in matches)} threads; say which")


def predict(config: MobileNetConfig) -> list[Prediction]:
    """``config`` on every published platform."""
    return phone_model().predict(config)


def predict_many(configs: Sequence[MobileNetConfig], device: str, backend: str, quantized: bool = False,
                 threads: int | None = None) -> list[Prediction]:  # fmt: skip
    """Many configs on one platform, for sweeps and the budget finder (vectorized: a thousand
    configs take milliseconds once their plans are counted)."""
    return phone_model().predict_many(configs, find_platform(device, backend, quantized, threads))
