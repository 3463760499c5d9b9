"""How far a config lies from what the rows behind a model measured.

A config is *extrapolating* when it is anchored or of the other family (decided where the
prediction is made, :mod:`explorer.phones.model`), when its width, resolution or MACs lie outside
the rows behind its model (:class:`Range`: the interval widens by how far: log distance added to
its log half-width; beyond :data:`DECLINE_FACTOR` × the range the prediction is declined), or when
it departs from the paper's architecture (:func:`departures`: custom block table, options the
papers did not publish latency for: the interval widens to the cross-family error, the largest
architectural change that was measured).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config import MobileNetConfig, architecture_changes
from .plan_features import features
from .samples import Sample

DECLINE_FACTOR = 4.0  # beyond 4× outside the measured width, resolution or MACs: no prediction
IMAGENET_CLASSES = (1000, 1001)


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
                f"{span(*self.macs, lambda v: f'{v:,.0f}M')} MACs")

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


@lru_cache(maxsize=8192)
def departures(config: MobileNetConfig) -> tuple[str, ...]:
    """How ``config`` departs from what the latency sources ran: the paper's table and options,
    an ImageNet classifier. (Dropout is a training setting: it costs nothing at inference.)"""
    out = architecture_changes(config)
    if config.num_classes not in IMAGENET_CLASSES:
        out.append(f"{config.num_classes} classes (the sources ran ImageNet's 1000/1001)")
    return tuple(out)
