"""ImageNet accuracy for any config, honestly: published, estimated inside the published grid, or
none, with the reason (issue 5). Accuracy is never invented. :func:`accuracy_for` returns, in this
order of preference:

* **published**: the config is a published one (same family, width, resolution and architecture;
  1000 or 1001 classes alike); the figure of a TF-slim float checkpoint when there is one.
* **estimate**: the config has the paper's architecture and sits inside a cell of the published
  TF-slim α × resolution grid of its family; the value interpolates the four published corners.
* **none**: anything else (outside the grid, custom blocks, toggles off, another activation, a
  classifier that is not ImageNet's), with the reason in words.

Pure and torch-free.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from .config import MobileNetConfig, architecture_changes
from .reference import PublishedResult, all_published_results, config_for

IMAGENET_CLASSES = (1000, 1001)  # ImageNet, without and with TF-slim's background class


@dataclass(frozen=True)
class AccuracyEstimate:
    """ImageNet top-1 for a config, and how it was obtained."""

    value: float | None  # percent; None when nothing honest can be said
    kind: str  # "published" | "estimate" | "none"
    method: str  # a sentence: where the figure comes from, or why there is none
    sources: tuple[PublishedResult, ...] = ()  # the published rows used (the chosen one first)
    low: float | None = None  # estimates: the lowest and highest of the corners interpolated
    high: float | None = None


def _arch_key(config: MobileNetConfig) -> tuple:
    """What decides a trained network's accuracy here: every field but the class count (1000 vs
    1001 is the same ImageNet classifier) and dropout (a training setting; the explorer's models
    are untrained, so it cannot tell a published recipe from another). Width rounded to 1e-6 so
    a slider's 0.7500000001 still matches 0.75. A plain tuple: no second config is made."""
    fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    del fields["num_classes"], fields["dropout"]
    fields["width_multiplier"] = round(config.width_multiplier, 6)
    return tuple(fields.items())


def _is_slim_float(row: PublishedResult) -> bool:
    return row.source.startswith("TF-slim") and not row.quantized


@lru_cache(maxsize=1)
def _published_by_arch() -> dict[tuple, tuple[PublishedResult, ...]]:
    """Float published MobileNet rows with top-1, grouped by architecture, TF-slim rows first."""
    groups: dict[tuple, list[PublishedResult]] = {}
    for row in all_published_results():
        config = config_for(row)
        if config is None or row.quantized or row.top1 is None:
            continue
        groups.setdefault(_arch_key(config), []).append(row)
    # Prefer the TF-slim float checkpoint (a downloadable model, 1001 classes); then file order.
    return {key: tuple(sorted(rows, key=lambda r: not _is_slim_float(r))) for key, rows in groups.items()}


@dataclass(frozen=True)
class _Grid:
    """The TF-slim float checkpoints of one family, by (α, resolution)."""

    family: str
    points: dict[tuple[float, int], PublishedResult]
    widths: tuple[float, ...]
    resolutions: tuple[int, ...]

    def describe(self) -> str:
        """The grid in words: its full rectangle, then the points published beyond it."""
        core = [w for w in self.widths if all((w, r) in self.points for r in self.resolutions)]
        sizes = f"{self.resolutions[0]}–{self.resolutions[-1]} px"
        text = f"{self.family} float TF-slim checkpoints cover α {core[0]:g}–{core[-1]:g} at {sizes}"
        extra: dict[int, list[float]] = {}
        for w, r in sorted(self.points):
            if w not in core:
                extra.setdefault(r, []).append(w)
        for r, ws in extra.items():
            text += f", and α {' and '.join(f'{w:g}' for w in ws)} at {r} px only"
        return text


@lru_cache(maxsize=2)
def _grid(family: str) -> _Grid:
    # The paper's architecture only: V3's minimalistic checkpoints share (α, resolution) with the standard ones.
    points = {(row.width_multiplier, row.resolution): row for row in all_published_results()
              if row.family == family and _is_slim_float(row) and row.top1 is not None
              and not architecture_changes(config_for(row))}
    return _Grid(family, points, tuple(sorted({w for w, _ in points})), tuple(sorted({r for _, r in points})))


def _bracket(values: Sequence[float], x: float) -> tuple[float, float] | None:
    """The published values either side of x (equal when x is one), or None outside them."""
    if not values or x < values[0] - 1e-9 or x > values[-1] + 1e-9:
        return None
    i = bisect.bisect_left(values, x - 1e-9)
    if abs(values[i] - x) <= 1e-9:
        return values[i], values[i]
    return values[i - 1], values[i]


def _weight(lo: float, hi: float, x: float) -> float:
    """Position of x between lo and hi, in logarithms (0 at lo, 1 at hi)."""
    return 0.0 if hi == lo else (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))


def interpolation_method(family: str) -> str:
    return (
        f"Estimate, not a measurement: bilinear interpolation in (log α, log resolution) between "
        f"the four published {family} float TF-slim checkpoints around this config. MACs grow as "
        f"α²·resolution², and accuracy is close to linear in their logarithms across the grid."
    )


def accuracy_for(config: MobileNetConfig) -> AccuracyEstimate:
    """ImageNet top-1 for ``config``: published, estimated inside the published grid, or none."""
    if config.num_classes not in IMAGENET_CLASSES:
        reason = f"ImageNet accuracy is published for 1000-class classifiers; this config has {config.num_classes} classes."
        return AccuracyEstimate(None, "none", reason)
    rows = _published_by_arch().get(_arch_key(config))
    if rows:
        chosen, others = rows[0], rows[1:]
        method = f"Published top-1 of {chosen.model} ({chosen.source}, {chosen.table})."
        if others:
            method += " Also published: " + "; ".join(f"{r.top1:g}% ({r.source}, {r.table})" for r in others) + "."
        return AccuracyEstimate(chosen.top1, "published", method, rows)
    changes = architecture_changes(config)
    if changes:
        reason = f"No published accuracy for a modified architecture ({', '.join(changes)}); none is estimated."
        return AccuracyEstimate(None, "none", reason)
    grid = _grid(config.arch)
    alpha, resolution = round(config.width_multiplier, 6), config.resolution
    widths, sizes = _bracket(grid.widths, alpha), _bracket(grid.resolutions, resolution)
    corners = None
    if widths and sizes:
        corners = [grid.points.get((w, r)) for w in widths for r in sizes]
    if not corners or None in corners:
        return AccuracyEstimate(None, "none", f"Outside the published grid: the {grid.describe()}; no accuracy is estimated outside it.")
    (w0, w1), (r0, r1) = widths, sizes
    u, v = _weight(w0, w1, alpha), _weight(r0, r1, resolution)
    a00, a01, a10, a11 = (c.top1 for c in corners)  # (w0,r0) (w0,r1) (w1,r0) (w1,r1)
    value = (1 - u) * (1 - v) * a00 + (1 - u) * v * a01 + u * (1 - v) * a10 + u * v * a11
    used = tuple(dict.fromkeys(corners))  # degenerate cells repeat a corner
    tops = [c.top1 for c in used]
    return AccuracyEstimate(round(value, 2), "estimate", interpolation_method(config.arch), used, min(tops), max(tops))
