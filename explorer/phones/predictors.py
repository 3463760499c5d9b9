"""Per-platform predictors built from the published rows: a platform's own fitted model, or a
shape borrowed from another platform; and the checks that measure what borrowing costs.

1. *fitted* (:func:`fit_platform`): at least :data:`MIN_CONFIGS` distinct configs. The candidate
   with the lowest leave-one-out error on the platform's rows is fitted to them. Its leave-one-out
   redoes the model *choice* and the fit without each config and predicts it: the error is that
   of the whole procedure.
2. *anchored* (:func:`anchor`): one to four configs (Pixel XL, Pixel 4, iPhones, ncnn phones,
   NPUs, and the other family on Pixel 1/2/3). No model of its own: the *shape* of a fitted
   platform of the same family (the closest: same processor kind, precision and threading) is
   scaled to pass through the published row(s). Its error cannot be measured on the platform
   itself; what borrowing a shape did on platforms that have data (:func:`anchoring_check`) sets
   the interval.
3. *other family*: a fitted model of the other family applies, the features being
   family-agnostic; what that did on the platforms that published both families
   (:func:`cross_family_check`) sets the interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .extrapolation import Range
from .fitting import Choice, choose, config_groups, jackknife_half_width
from .plan_features import feature_matrix
from .samples import FAMILY_TITLES, Platform, Sample

MIN_CONFIGS = 5  # distinct configs of a family on a platform for a model of its own


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
                f"({self.n_configs} configs: {self.range.describe()})")


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
    for mask in config_groups(ids):
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
                f"to the published {rows}")


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
                f"in {self.n:,} {self.unit} on {self.platforms} platform{'s' if self.platforms != 1 else ''} with data")


def anchoring_check(fitted: Sequence[Fitted], same_processor: bool) -> Check:
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
        for mask in config_groups([s.config_key for s in target.samples]):
            scale = np.exp(np.mean(np.log(y[mask] / shape[mask])))
            errors += np.log(scale * shape[~mask] / y[~mask]).tolist()
        platforms.add(target.platform)
    kind = "the same" if same_processor else "another"
    return Check(f"a shape borrowed from {kind} processor kind and scaled to one published config", tuple(errors), len(platforms),
                 "predictions (each config as the anchor in turn)")


def cross_family_check(fitted: Sequence[Fitted], samples: Sequence[Sample]) -> Check:
    """A fitted model of one family predicting the other family's rows on the same platform."""
    errors, platforms = [], set()
    for f in fitted:
        others = [s for s in samples if s.platform == f.platform and s.family != f.family]
        if others:
            predicted = f.predict_ms(feature_matrix([s.config for s in others]))
            errors += [math.log(p / s.latency_ms) for p, s in zip(predicted, others)]
            platforms.add(f.platform)
    return Check("a model fitted to one family predicting the other family", tuple(errors), len(platforms), "published rows")

