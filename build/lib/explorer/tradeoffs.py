"""Accuracy against cost: Pareto fronts, honest accuracy for any config, a budget finder, and the
per-stage views of the Compare page. Pure and torch-free; every answer carries its provenance.

Accuracy is never invented (issue 5). :func:`accuracy_for` returns, in this order of preference:

* **published**: the config is a published one (same family, width, resolution and architecture;
  1000 or 1001 classes alike); the figure of a TF-slim float checkpoint when there is one.
* **estimate**: the config has the paper's architecture and sits inside a cell of the published
  TF-slim α × resolution grid of its family; the value interpolates the four published corners.
* **none**: anything else (outside the grid, custom blocks, toggles off, another activation, a
  classifier that is not ImageNet's), with the reason in words.

Costs here are the project's computed counts (``explorer.count``), so published and custom points
sit on the same scale; the published figures are kept next to them.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from .config import FAMILY_DEFAULTS, PAPER_BLOCKS, Block, MobileNetConfig, paper_config
from .counting import count
from .plan import make_plan
from .reference import (
    KNOWN_DISCREPANCIES,
    MACS_TOLERANCE,
    MACS_TOLERANCE_ABS_M,
    PARAMS_TOLERANCE,
    DeviceLatency,
    PublishedResult,
    Reconciliation,
    config_for,
    counts_weights_only,
    latency_platforms,
    load_device_latency,
    load_published_results,
    reconcile,
)

FAMILIES = ("mobilenet_v1", "mobilenet_v2")
IMAGENET_CLASSES = (1000, 1001)  # ImageNet, without and with TF-slim's background class

T = TypeVar("T")


# --- Pareto fronts ----------------------------------------------------------------------------


def _getter(key: str | Callable[[Any], float | None]) -> Callable[[Any], float | None]:
    return key if callable(key) else (lambda point: getattr(point, key))


def pareto_front(
    points: Iterable[T],
    cost: str | Callable[[T], float | None] = "macs",
    accuracy: str | Callable[[T], float | None] = "top1",
) -> list[T]:
    """The points no other point beats: none is at most as costly and at least as accurate, with
    one of the two strictly. Sorted by increasing cost (so accuracy increases along it too).

    ``cost`` and ``accuracy`` are attribute names or functions, so the same front serves MACs,
    params or a device latency. Points missing either value are left out. Of exact duplicates
    (same cost and accuracy) the first is kept.
    """
    get_cost, get_acc = _getter(cost), _getter(accuracy)
    known = [(get_cost(p), get_acc(p), i, p) for i, p in enumerate(points)]
    known = [k for k in known if k[0] is not None and k[1] is not None]
    # Cheapest first; at equal cost the most accurate first, so the sweep keeps only that one.
    known.sort(key=lambda k: (k[0], -k[1], k[2]))
    front, best = [], -math.inf
    for _, acc, _, point in known:
        if acc > best:
            front.append(point)
            best = acc
    return front


# --- accuracy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccuracyEstimate:
    """ImageNet top-1 for a config, and how it was obtained."""

    value: float | None  # percent; None when nothing honest can be said
    kind: str  # "published" | "estimate" | "none"
    method: str  # a sentence: where the figure comes from, or why there is none
    sources: tuple[PublishedResult, ...] = ()  # the published rows used (the chosen one first)
    low: float | None = None  # estimates: the lowest and highest of the corners interpolated
    high: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "published":
            return f"{self.value:.1f}% (published)"
        if self.kind == "estimate":
            return f"≈{self.value:.1f}% (estimate)"
        return "no published accuracy"

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value, "kind": self.kind, "method": self.method, "label": self.label,
            "low": self.low, "high": self.high,
            "sources": [{"model": s.model, "top1": s.top1, "source": s.source, "table": s.table} for s in self.sources],
        }  # fmt: skip


def _arch_key(config: MobileNetConfig) -> MobileNetConfig:
    """What decides a trained network's accuracy here: everything but the class count (1000 vs
    1001 is the same ImageNet classifier) and dropout (a training setting; the explorer's models
    are untrained, so it cannot tell a published recipe from another). Width rounded to 1e-6 so
    a slider's 0.7500000001 still matches 0.75."""
    return dataclasses.replace(config, num_classes=1000, dropout=0.0, width_multiplier=round(config.width_multiplier, 6))


def architecture_changes(config: MobileNetConfig) -> list[str]:
    """How ``config`` departs from its paper's architecture (empty: the paper's, at any α and size)."""
    changes = []
    if config.blocks != PAPER_BLOCKS[config.arch]:
        changes.append("custom blocks table")
    defaults = FAMILY_DEFAULTS[config.arch]
    if config.activation != defaults["activation"]:
        changes.append(f"activation {config.activation} instead of {defaults['activation']}")
    if not config.depthwise_separable:
        changes.append("full convolutions instead of depthwise-separable ones")
    if config.is_v2 and not config.linear_bottleneck:
        changes.append("non-linear bottleneck")
    if config.is_v2 and not config.residual:
        changes.append("no residual connections")
    return changes


def _is_slim_float(row: PublishedResult) -> bool:
    return row.source.startswith("TF-slim") and not row.quantized


@lru_cache(maxsize=1)
def _published_by_arch() -> dict[MobileNetConfig, tuple[PublishedResult, ...]]:
    """Float published MobileNet rows with top-1, grouped by architecture, TF-slim rows first."""
    groups: dict[MobileNetConfig, list[PublishedResult]] = {}
    for row in load_published_results():
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
    points = {(row.width_multiplier, row.resolution): row for row in load_published_results()
              if row.family == family and _is_slim_float(row) and row.top1 is not None}  # fmt: skip
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


# --- candidates and the budget finder ---------------------------------------------------------

MEASURED = "measured on this machine"
SWEEP_WIDTHS = tuple(round(0.25 + 0.05 * i, 2) for i in range(24))  # 0.25 … 1.40, the published span
SWEEP_RESOLUTIONS = tuple(range(96, 321, 16))  # 96 … 320 px, every 16 px (stride-32 friendly halves)
SWEEP_SOURCE = "analytic sweep (this project): custom config, not a published model"


@dataclass(frozen=True)
class Candidate:
    """A config with its computed cost and its accuracy (with provenance): a budget-finder answer
    and a point of the trade-off scatters."""

    label: str
    family: str
    width_multiplier: float
    resolution: int
    macs: int  # computed by explorer.count (batch 1), for this config's class count
    params: int  # computed, all parameters as PyTorch counts them
    top1: float | None
    accuracy_kind: str  # "published" | "estimate" | "none"
    accuracy_method: str
    quantized: bool
    published: bool  # False: a custom point of the analytic sweep
    source: str
    table: str
    config: MobileNetConfig
    published_macs_m: float | None = None  # as the source prints them
    published_params_m: float | None = None
    latency_ms: float | None = None  # on the budget's latency source, when one was asked for
    latency_source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["config"] = self.config.to_dict()
        return out


def _published_candidate(row: PublishedResult) -> Candidate:
    rec = reconcile(row)
    return Candidate(
        label=row.model, family=row.family, width_multiplier=row.width_multiplier, resolution=row.resolution,
        macs=rec.macs, params=rec.params, top1=row.top1,
        accuracy_kind="published" if row.top1 is not None else "none",
        accuracy_method=f"Published top-1 ({row.source}, {row.table})." if row.top1 is not None else "Not published.",
        quantized=row.quantized, published=True, source=row.source, table=row.table, config=rec.config,
        published_macs_m=row.macs_m, published_params_m=row.params_m,
    )  # fmt: skip


@lru_cache(maxsize=1)
def published_candidates() -> tuple[Candidate, ...]:
    """Every published MobileNet row (float and quantized), at its computed cost."""
    return tuple(_published_candidate(r) for r in load_published_results() if r.family in FAMILIES)


@lru_cache(maxsize=1)
def sweep_candidates() -> tuple[Candidate, ...]:
    """Paper architectures over SWEEP_WIDTHS × SWEEP_RESOLUTIONS, both families, 1000 classes,
    minus the points that are published (those are in :func:`published_candidates`)."""
    published = {(c.family, c.width_multiplier, c.resolution) for c in published_candidates()}
    out = []
    for family in FAMILIES:
        # Every sweep point is far inside the validated limits (README: any width 0.1–2.0 with any
        # resolution 32–512), so the validated paper config is varied directly: half the cost.
        base = paper_config(family)
        for alpha in SWEEP_WIDTHS:
            for resolution in SWEEP_RESOLUTIONS:
                if (family, alpha, resolution) in published:
                    continue
                config = dataclasses.replace(base, width_multiplier=alpha, resolution=resolution)
                cost, accuracy = count(config), accuracy_for(config)
                out.append(Candidate(
                    label=f"custom {family} α={alpha:g} {resolution}px", family=family,
                    width_multiplier=alpha, resolution=resolution, macs=cost.macs, params=cost.params,
                    top1=accuracy.value, accuracy_kind=accuracy.kind, accuracy_method=accuracy.method,
                    quantized=False, published=False, source=SWEEP_SOURCE, table="", config=config,
                ))  # fmt: skip
    return tuple(out)


def _latency_candidate(row: DeviceLatency) -> Candidate:
    config = paper_config(row.family, width_multiplier=row.width_multiplier, resolution=row.resolution, num_classes=row.num_classes)
    cost = count(config)
    return Candidate(
        label=row.model, family=row.family, width_multiplier=row.width_multiplier, resolution=row.resolution,
        macs=cost.macs, params=cost.params, top1=row.top1,
        accuracy_kind="published" if row.top1 is not None else "none",
        accuracy_method=f"Published top-1 next to the latency ({row.source}, {row.table}).",
        quantized=row.quantized, published=True, source=row.source, table=row.table, config=config,
        latency_ms=row.latency_ms, latency_source=f"{row.device}, {row.backend} (published)",
    )  # fmt: skip


@lru_cache(maxsize=8)
def device_candidates(device: str, backend: str) -> tuple[Candidate, ...]:
    """The MobileNet rows with a published latency on (device, backend), accuracy as published
    beside it: a device budget can only be judged where the source measured."""
    return tuple(_latency_candidate(r) for r in load_device_latency() if r.platform == (device, backend) and r.family in FAMILIES)


def _measured_ms(lookup: Callable[[MobileNetConfig], float | None], config: MobileNetConfig) -> float | None:
    """The caller's measurement of ``config``; for the TF-slim rows (1001 classes) a measurement of
    the same network with 1000 classes also counts: one more class is 0.0004% of V2's MACs, far
    below timing noise, and users measure 1000-class models."""
    ms = lookup(config)
    if ms is None and config.num_classes in IMAGENET_CLASSES:
        other = 1001 if config.num_classes == 1000 else 1000
        ms = lookup(dataclasses.replace(config, num_classes=other))
    return ms


def _rank_key(c: Candidate) -> tuple:
    # Published accuracy first (best first), then estimates (best first), then the rest by cost.
    tier = {"published": 0, "estimate": 1}.get(c.accuracy_kind, 2)
    return (tier, -(c.top1 or 0.0), c.macs, c.quantized, c.label)


def _check_budget(name: str, value: float | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value)):
        raise ValueError(f"{name}: must be a positive number or None, got {value!r}")


def find_configs(
    max_macs: float | None = None,
    max_params: float | None = None,
    max_latency_ms: float | None = None,
    latency_source: str | tuple[str, str] | None = None,
    measured_latency_ms: Mapping[MobileNetConfig, float] | Callable[[MobileNetConfig], float | None] | None = None,
    families: Sequence[str] = FAMILIES,
    include_quantized: bool = True,
    include_sweep: bool = True,
    limit: int | None = None,
) -> tuple[Candidate, ...]:
    """Configs within every given budget, ranked: best published accuracy first, then estimates
    (labelled), then configs without accuracy by increasing MACs.

    Candidates are the published MobileNet rows and the analytic α × resolution sweep. A latency
    budget needs ``latency_source``: a published ``(device, backend)`` (see
    :func:`explorer.reference.latency_platforms`; only rows with a latency there qualify), or
    :data:`MEASURED` with ``measured_latency_ms`` mapping a config to its median in ms (a dict or a
    function; a published 1001-class row also takes its 1000-class twin's measurement; configs
    without a measurement do not qualify).
    """
    for name, value in (("max_macs", max_macs), ("max_params", max_params), ("max_latency_ms", max_latency_ms)):
        _check_budget(name, value)
    unknown = [f for f in families if f not in FAMILIES]
    if unknown:
        raise ValueError(f"families: unknown {unknown[0]!r}; allowed: {', '.join(FAMILIES)}")
    if max_latency_ms is not None and latency_source is None:
        raise ValueError(f"latency_source: a latency budget needs one: {MEASURED!r} or a (device, backend) of {latency_platforms()}")

    if latency_source is None:
        pool = published_candidates() + (sweep_candidates() if include_sweep else ())
    elif latency_source == MEASURED:
        if measured_latency_ms is None:
            raise ValueError("measured_latency_ms: required when latency_source is 'measured on this machine'")
        lookup = measured_latency_ms if callable(measured_latency_ms) else measured_latency_ms.get
        pool = []
        for c in published_candidates() + (sweep_candidates() if include_sweep else ()):
            ms = _measured_ms(lookup, c.config)
            if ms is not None:
                pool.append(dataclasses.replace(c, latency_ms=float(ms), latency_source=MEASURED))
    elif tuple(latency_source) in latency_platforms():
        pool = device_candidates(*tuple(latency_source))
    else:
        raise ValueError(f"latency_source: unknown {latency_source!r}; allowed: {MEASURED!r} or one of {latency_platforms()}")

    fits = [
        c for c in pool
        if c.family in families
        and (include_quantized or not c.quantized)
        and (max_macs is None or c.macs <= max_macs)
        and (max_params is None or c.params <= max_params)
        and (max_latency_ms is None or (c.latency_ms is not None and c.latency_ms <= max_latency_ms))
    ]  # fmt: skip
    fits.sort(key=_rank_key)
    return tuple(fits[:limit] if limit is not None else fits)


# --- Compare page: stages, kinds, depth, width matching ---------------------------------------


@dataclass(frozen=True)
class GroupCost:
    """Summed cost of a group of layers: a stage (stem, one blocks-table row, last conv, head) or
    a layer kind."""

    name: str
    layers: int
    params: int
    weight_params: int
    macs: int
    row: int | None = None  # the blocks-table row, for stages
    block: Block | None = None
    latency_ms: float | None = None  # when per-layer latencies were given

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["block"] = self.block.to_dict() if self.block else None
        return out


@dataclass(frozen=True)
class StageSummary:
    stages: tuple[GroupCost, ...]
    kinds: tuple[GroupCost, ...]
    params: int
    weight_params: int
    macs: int

    def to_dict(self) -> dict[str, Any]:
        return {"stages": [s.to_dict() for s in self.stages], "kinds": [k.to_dict() for k in self.kinds],
                "params": self.params, "weight_params": self.weight_params, "macs": self.macs}  # fmt: skip


def _stage_name(config: MobileNetConfig, layer_name: str, row: int | None) -> str:
    if row is not None:
        return f"row {row} ({', '.join(f'{k}={v}' for k, v in config.blocks[row].to_dict().items())})"
    return {"pool": "head", "last_conv": "last conv"}.get(layer_name, layer_name)


def stage_summary(config: MobileNetConfig, latency_ms_by_layer: Mapping[str, float] | None = None) -> StageSummary:
    """Per-stage and per-kind sums of params and MACs (and latency, if given per layer name).

    Stages are the stem, each blocks-table row, V2's last conv, and the head (pooling + linear).
    Both groupings sum exactly to the totals of ``explorer.count(config)``.
    """
    cost = count(config)
    stages: dict[str, list] = {}
    kinds: dict[str, list] = {}
    for layer in cost.layers:
        for groups, key in ((stages, _stage_name(config, layer.name, layer.row)), (kinds, layer.kind)):
            groups.setdefault(key, []).append(layer)

    def total(name: str, layers: list, row: int | None = None) -> GroupCost:
        latency = None
        if latency_ms_by_layer is not None:
            known = [latency_ms_by_layer[la.name] for la in layers if la.name in latency_ms_by_layer]
            latency = sum(known) if known else None
        return GroupCost(
            name, len(layers), sum(la.params for la in layers), sum(la.weight_params for la in layers),
            sum(la.macs for la in layers), row, config.blocks[row] if row is not None else None, latency,
        )  # fmt: skip

    return StageSummary(
        stages=tuple(total(name, layers, layers[0].row) for name, layers in stages.items()),
        kinds=tuple(total(kind, layers) for kind, layers in kinds.items()),
        params=cost.params, weight_params=cost.weight_params, macs=cost.macs,
    )  # fmt: skip


@dataclass(frozen=True)
class DepthPoint:
    index: int  # 0 is the input image
    name: str
    kind: str
    channels: int  # output channels (classes for the head)
    size: int  # output height = width (1 after pooling)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def depth_profile(config: MobileNetConfig) -> tuple[DepthPoint, ...]:
    """Feature-map size and channel count after every layer, from the input image to the head."""
    points = [DepthPoint(0, "input", "input", 3, config.resolution)]
    for i, layer in enumerate(count(config).layers, start=1):
        shape = layer.output_shape
        points.append(DepthPoint(i, layer.name, layer.kind, shape[1], shape[2] if len(shape) == 4 else 1))
    return tuple(points)


@dataclass(frozen=True)
class WidthMatch:
    width_multiplier: float
    macs: int
    target_macs: int
    config: MobileNetConfig

    @property
    def relative_error(self) -> float:
        return self.macs / self.target_macs - 1

    def to_dict(self) -> dict[str, Any]:
        return {"width_multiplier": self.width_multiplier, "macs": self.macs, "target_macs": self.target_macs,
                "relative_error": self.relative_error, "config": self.config.to_dict()}  # fmt: skip


@lru_cache(maxsize=256)  # pages rerun often; every argument is hashable
def match_width(
    target_macs: float,
    arch: str | MobileNetConfig,
    resolution: int = 224,
    num_classes: int = 1000,
    lo: float = 0.1,
    hi: float = 4.0,
) -> WidthMatch:
    """The width multiplier of ``arch`` whose MACs are closest to ``target_macs``.

    ``arch`` is a family ("v1", "mobilenet_v2", ...: the paper's config at ``resolution``) or a
    config whose width alone is varied. Channel rounding makes MACs a staircase, not strictly
    monotone in α, so this scans α on a 0.01 grid over [lo, hi], then every 0.001 around the best;
    ties go to the smaller width.
    """
    if not (isinstance(target_macs, (int, float)) and target_macs > 0 and math.isfinite(target_macs)):
        raise ValueError(f"target_macs: must be a positive number, got {target_macs!r}")
    base = arch if isinstance(arch, MobileNetConfig) else paper_config(arch, resolution=resolution, num_classes=num_classes)

    def closest(widths: Iterable[float]) -> tuple[float, int]:
        best = None
        for w in widths:
            macs = count(dataclasses.replace(base, width_multiplier=w)).macs
            if best is None or abs(macs - target_macs) < abs(best[1] - target_macs):
                best = (w, macs)
        return best

    coarse, _ = closest(round(lo + 0.01 * i, 2) for i in range(int(round((hi - lo) / 0.01)) + 1))
    fine = (round(coarse + 0.001 * i, 3) for i in range(-10, 11))
    width, macs = closest(w for w in fine if lo <= w <= hi)
    return WidthMatch(width, macs, int(target_macs), base.replace(width_multiplier=width))


# --- published against computed ---------------------------------------------------------------


@dataclass(frozen=True)
class PublishedComparison:
    """A published MobileNet row next to the computed figures, with the difference explained."""

    result: PublishedResult
    config: MobileNetConfig
    macs: int
    params: int  # all parameters (PyTorch)
    weight_params: int  # conv + linear weights
    comparable_params: int  # the count that matches the source's convention
    params_counted_as: str  # "weights only" | "all parameters"
    macs_diff_m: float | None  # computed − published, millions
    params_diff_m: float | None
    macs_error: float | None  # relative
    params_error: float | None
    within_tolerance: bool
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        out = {"model": r.model, "family": r.family, "width_multiplier": r.width_multiplier, "resolution": r.resolution,
               "quantized": r.quantized, "source": r.source, "table": r.table,
               "published_macs_m": r.macs_m, "published_params_m": r.params_m}  # fmt: skip
        out.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("result", "config")})
        return out


def _decimals(value: float) -> int:
    """Decimals the source printed (4.2 → 1, 1.32 → 2): the precision it rounded to."""
    text = repr(value)
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _explain(rec: Reconciliation, weights_only: bool) -> str:
    """Why computed and published differ, as short sentences; KNOWN_DISCREPANCIES first."""
    r = rec.result
    if r.key in KNOWN_DISCREPANCIES:
        return KNOWN_DISCREPANCIES[r.key]
    notes = []
    features = make_plan(rec.config).features  # the classifier's inputs: one weight per class each
    if r.num_classes == 1001:
        notes.append(
            f"Computed with 1001 classes (TF-slim's background class); 1000 classes would give "
            f"{features:,} fewer MACs and {features + 1:,} fewer params."
        )
    if weights_only:
        notes.append(f"The source counts conv and linear weights only (no batch norm, no bias); with them PyTorch counts {rec.params:,}.")
    if r.macs_m is not None:
        diff_m = rec.macs / 1e6 - r.macs_m
        if abs(diff_m) <= MACS_TOLERANCE_ABS_M:
            notes.append("MACs agree up to the source's rounding to 1M.")
        elif rec.macs_ok:
            notes.append(
                f"MACs differ by {diff_m:+.1f}M ({rec.macs_error:+.2%}), more than rounding but within "
                f"the {MACS_TOLERANCE:.0%} tolerance."
            )
        else:
            notes.append(f"MACs differ by {diff_m:+.1f}M ({rec.macs_error:+.2%}): no known cause.")
    if r.params_m is not None:
        unit = 10.0 ** -_decimals(r.params_m)
        diff_m = rec.comparable_params / 1e6 - r.params_m
        if rec.comparable_params == round(r.params_m * 1e6):
            notes.append("Params match exactly.")
        elif abs(diff_m) <= unit / 2 + 1e-9:
            notes.append(f"Params agree up to the source's rounding to {unit:g}M.")
        elif rec.params_ok:
            notes.append(
                f"Params differ by {diff_m:+.3f}M ({rec.params_error:+.2%}), more than rounding but within "
                f"the {PARAMS_TOLERANCE:.0%} tolerance."
            )
        else:
            notes.append(f"Params differ by {diff_m:+.3f}M ({rec.params_error:+.2%}): no known cause.")
    return " ".join(notes)


@lru_cache(maxsize=1)
def published_vs_computed() -> tuple[PublishedComparison, ...]:
    """Every published MobileNet row with the computed MACs and params, the differences, whether
    they agree within ``reference``'s tolerances, and why they differ where that is known."""
    rows = []
    for result in load_published_results():
        rec = reconcile(result)
        if rec is None:
            continue
        weights_only = counts_weights_only(result)
        rows.append(PublishedComparison(
            result=result, config=rec.config, macs=rec.macs, params=rec.params, weight_params=rec.weight_params,
            comparable_params=rec.comparable_params,
            params_counted_as="weights only" if weights_only else "all parameters",
            macs_diff_m=None if result.macs_m is None else rec.macs / 1e6 - result.macs_m,
            params_diff_m=None if result.params_m is None else rec.comparable_params / 1e6 - result.params_m,
            macs_error=rec.macs_error, params_error=rec.params_error,
            within_tolerance=rec.macs_ok and rec.params_ok, explanation=_explain(rec, weights_only),
        ))  # fmt: skip
    return tuple(rows)
