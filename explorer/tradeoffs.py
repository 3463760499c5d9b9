"""Accuracy against cost: Pareto fronts and the budget finder of the Trade-offs page. Pure and
torch-free; every answer carries its provenance.

A :class:`Candidate` is a published MobileNet row or a point of an analytic α × resolution sweep,
at the project's computed cost (``explorer.count``), so published and custom points sit on the
same scale; the published figures are kept next to them. Accuracy comes from ``accuracy.py``,
the published rows from ``reference.py``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from .accuracy import IMAGENET_CLASSES, accuracy_for
from .config import ARCHS, MobileNetConfig, check_positive, paper_config
from .counting import count
from .fidelity import reconcile
from .reference import DeviceLatency, PublishedResult, latency_platforms, load_device_latency, load_published_results

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
    return tuple(_published_candidate(r) for r in load_published_results() if r.family in ARCHS)


@lru_cache(maxsize=1)
def sweep_candidates() -> tuple[Candidate, ...]:
    """Paper architectures over SWEEP_WIDTHS × SWEEP_RESOLUTIONS, both families, 1000 classes,
    minus the points that are published (those are in :func:`published_candidates`)."""
    published = {(c.family, c.width_multiplier, c.resolution) for c in published_candidates()}
    out = []
    for family in ARCHS:
        base = paper_config(family)
        for alpha in SWEEP_WIDTHS:
            for resolution in SWEEP_RESOLUTIONS:
                if (family, alpha, resolution) in published:
                    continue
                config = base.replace(width_multiplier=alpha, resolution=resolution)  # validated: far inside the limits
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
    return tuple(_latency_candidate(r) for r in load_device_latency() if r.platform == (device, backend) and r.family in ARCHS)


def _measured_ms(lookup: Callable[[MobileNetConfig], float | None], config: MobileNetConfig) -> float | None:
    """The caller's measurement of ``config``; for the TF-slim rows (1001 classes) a measurement of
    the same network with 1000 classes also counts: one more class is 0.0004% of V2's MACs, far
    below timing noise, and users measure 1000-class models."""
    ms = lookup(config)
    if ms is None and config.num_classes in IMAGENET_CLASSES:
        other = 1001 if config.num_classes == 1000 else 1000
        ms = lookup(config.replace(num_classes=other))
    return ms


def _rank_key(c: Candidate) -> tuple:
    # Published accuracy first (best first), then estimates (best first), then the rest by cost.
    tier = {"published": 0, "estimate": 1}.get(c.accuracy_kind, 2)
    return (tier, -(c.top1 or 0.0), c.macs, c.quantized, c.label)


def find_configs(
    max_macs: float | None = None,
    max_params: float | None = None,
    max_latency_ms: float | None = None,
    latency_source: str | tuple[str, str] | None = None,
    measured_latency_ms: Mapping[MobileNetConfig, float] | Callable[[MobileNetConfig], float | None] | None = None,
    families: Sequence[str] = ARCHS,
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
        if value is not None:
            check_positive(value, name)
    unknown = [f for f in families if f not in ARCHS]
    if unknown:
        raise ValueError(f"families: unknown {unknown[0]!r}; allowed: {', '.join(ARCHS)}")
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
