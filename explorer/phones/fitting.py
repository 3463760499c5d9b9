"""Candidate formulas of latency against features, their least-squares fits, and the choice among
them by leave-one-config-out error.

**Candidates** (:data:`CANDIDATES`): proportional to MACs; affine in MACs; a power law in MACs
(log-log); linear in MACs and activations; a power law in both; linear in dense MACs, depthwise
MACs and activations. Linear ones are fitted by least squares on relative errors, power laws on
logarithms (``numpy.linalg.lstsq``). A fit with a negative coefficient (a negative overhead, or
latency that falls as a model grows) is rejected as implausible, which keeps every prediction
monotone in width and resolution. The data are small (12 to 24 configs per platform), so small
models win; cross-validation picks among them.

**Leave-one-out** leaves out a *config* (all its rows: the V2 paper and TF-slim both publish V2
1.0/224 on Pixel 1, and keeping one twin would leak the other). The interval is the plain 90%
jackknife interval on the leave-one-out log errors (:func:`jackknife_half_width`): the full fit's
prediction ± a quantile of |leave-one-out error|. That is the "jackknife" of Barber et al.,
"Predictive inference with the jackknife+" (2021), not their jackknife+, which centres each
leave-one-out residual on that leave-one-out model's own prediction and is the one with a coverage
guarantee. The plain jackknife's 90% is nominal: it holds only as far as the leave-one-out errors
stand for a new config's error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .plan_features import FEATURES

COVERAGE = 0.9  # nominal coverage of the prediction interval


@dataclass(frozen=True)
class Formula:
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
    Formula("proportional to MACs", "ms = k·MACs", ("macs",), log=False, intercept=False),
    Formula("affine in MACs", "ms = c + k·MACs", ("macs",), log=False, intercept=True),
    Formula("power law in MACs", "log ms = a + b·log MACs", ("macs",), log=True, intercept=True),
    Formula("linear in MACs and activations", "ms = c + k₁·MACs + k₂·activations", ("macs", "activations"), log=False, intercept=True),
    Formula("power law in MACs and activations", "log ms = a + b₁·log MACs + b₂·log activations", ("macs", "activations"), log=True, intercept=True),
    Formula("linear in dense MACs, depthwise MACs and activations", "ms = c + k₁·dense MACs + k₂·depthwise MACs + k₃·activations",
              ("dense_macs", "depthwise_macs", "activations"), log=False, intercept=True),
)


def config_groups(ids: Sequence[Any]) -> list[np.ndarray]:
    """Row masks of each distinct config (rows of the same config leave together)."""
    keys = list(dict.fromkeys(ids))
    arr = np.array([keys.index(i) for i in ids])
    return [arr == k for k in range(len(keys))]


def _loo_log_errors(candidate: Formula, F: np.ndarray, y: np.ndarray, groups: list[np.ndarray]) -> np.ndarray | None:
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
    candidate: Formula
    coef: np.ndarray = field(repr=False, compare=False)
    score: float  # mean |log error| of its own leave-one-out, on the rows it was chosen with


def choose(F: np.ndarray, y: np.ndarray, ids: Sequence[Any]) -> Choice | None:
    """The candidate with the lowest leave-one-config-out error, fitted to all the rows given.

    A candidate needs two configs more than its parameters (so every fold still has a spare one);
    simpler candidates come first and win ties.
    """
    groups = config_groups(ids)
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
    """Half-width, in log space, of the plain jackknife interval (not jackknife+): the
    ⌈coverage·(n+1)⌉-th smallest |leave-one-out log error| (the largest when n is too small for
    that coverage), put around the full fit's prediction."""
    errs = sorted(abs(e) for e in log_errors)
    if not errs:
        return math.inf
    k = min(len(errs), math.ceil(coverage * (len(errs) + 1)))
    return errs[k - 1]
