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

from .accuracy import IMAGENET_CLASSES, accuracy_for, architecture_changes
from .config import ARCHS, MobileNetConfig, check_positive, paper_config
from .counting import count
from .fidelity import reconcile
from .reference import DeviceLatency, PublishedResult, all_published_results, latency_platforms, load_all_device_latency, platform_key

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

# A figure from the latency store, measured on whichever machine the caller chose (not necessarily
# this one: the page offers every machine in the store). The caller names the machine when it shows it.
MEASURED = "measured"
PREDICTED = "predicted"
PREDICTED_NOTE = ("predicted by this project's phone-latency model, not measured: a config fits only when the "
                  "interval's upper end (high_ms) is within the budget")
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
    latency_low_ms: float | None = None  # a predicted latency's interval (None: published or measured)
    latency_high_ms: float | None = None
    latency_note: str = ""  # why a prediction extrapolates (empty otherwise)


@dataclass(frozen=True)
class PredictedOn:
    """A latency budget judged by the phone-latency model's prediction on a published platform
    (``explorer.phones``): every candidate, the α × resolution sweep included, gets a predicted
    latency with its interval; the budget is checked against the interval's upper end."""

    device: str
    backend: str
    threads: int | None = None


def _published_candidate(row: PublishedResult) -> Candidate:
    rec = reconcile(row)
    return Candidate(
        label=row.model, family=row.family, width_multiplier=row.width_multiplier, resolution=row.resolution,
        macs=rec.macs, params=rec.params, top1=row.top1,
        accuracy_kind="published" if row.top1 is not None else "none",
        accuracy_method=f"Published top-1 ({row.source}, {row.table})." if row.top1 is not None else "Not published.",
        quantized=row.quantized, published=True, source=row.source, table=row.table, config=rec.config,
        published_macs_m=row.macs_m, published_params_m=row.params_m,
    )


@lru_cache(maxsize=1)
def published_candidates() -> tuple[Candidate, ...]:
    """Every published MobileNet row (float and quantized), at its computed cost."""
    return tuple(_published_candidate(r) for r in all_published_results() if r.family in ARCHS)


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
                ))
    return tuple(out)


def _published_top1(row: DeviceLatency) -> Candidate | None:
    """The published accuracy row of the same model (for device rows published without accuracy):
    same family, α, resolution and precision, the same classifier (a 1001-class TF-Lite model is
    TF-slim's checkpoint, not the paper's 1000-class model) preferred."""
    same = [c for c in published_candidates()
            if (c.family, c.width_multiplier, c.resolution, c.quantized) == (row.family, row.width_multiplier, row.resolution, row.quantized)
            and c.top1 is not None and not architecture_changes(c.config)]
    same.sort(key=lambda c: c.config.num_classes != row.num_classes)
    return same[0] if same else None


def _latency_candidate(row: DeviceLatency) -> Candidate:
    config = paper_config(row.family, width_multiplier=row.width_multiplier, resolution=row.resolution, num_classes=row.num_classes)
    cost = count(config)
    top1, kind = row.top1, "published" if row.top1 is not None else "none"
    method = f"Published top-1 next to the latency ({row.source}, {row.table})."
    if top1 is None and (twin := _published_top1(row)):
        # device_latency_more.csv publishes latency alone: the same model's published accuracy.
        top1, method = twin.top1, f"Published top-1 of the same model ({twin.source}, {twin.table}); the latency source has none."
    elif top1 is None:
        method = "No published accuracy for this model."
    threads = getattr(row, "threads", None)
    where = f"{row.device}, {row.backend}" + (f", {threads} thread{'s' if threads != 1 else ''}" if threads is not None else "")
    return Candidate(
        label=row.model, family=row.family, width_multiplier=row.width_multiplier, resolution=row.resolution,
        macs=cost.macs, params=cost.params, top1=top1, accuracy_kind="published" if top1 is not None else kind,
        accuracy_method=method,
        quantized=row.quantized, published=True, source=row.source, table=row.table, config=config,
        latency_ms=row.latency_ms, latency_source=f"{where} (published)",
    )


def _platform(source: Sequence[Any]) -> tuple[str, str, int | None]:
    """A (device, backend) or (device, backend, threads) key as the three-part platform key."""
    source = tuple(source)
    return source if len(source) == 3 else (*source, None)  # type: ignore[return-value]


@lru_cache(maxsize=16)
def device_candidates(device: str, backend: str, threads: int | None = None) -> tuple[Candidate, ...]:
    """The MobileNet rows with a published latency on (device, backend, threads) in both bundled
    files, accuracy as published beside it (or for the same model elsewhere): a device budget can
    only be judged where the source measured."""
    key = (device, backend, threads)
    return tuple(_latency_candidate(r) for r in load_all_device_latency() if platform_key(r) == key and r.family in ARCHS)


def predicted_candidates(pool: Sequence[Candidate], on: PredictedOn) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """``pool`` with predicted latencies on ``on``: (predicted, declined with the reason).

    Float candidates are predicted as float and quantized ones as int8; a precision the platform
    never published is declined for every candidate of it, with the predictor's reason.
    """
    from .phones import predict_many  # numpy only; imported here so the module stays light

    out: list[Candidate] = []
    declined: list[tuple[Candidate, str]] = []
    for quantized in (False, True):
        part = [c for c in pool if c.quantized == quantized]
        if not part:
            continue
        try:
            predictions = predict_many([c.config for c in part], on.device, on.backend, quantized, on.threads)
        except ValueError as err:  # no platform of this precision
            declined += [(c, str(err)) for c in part]
            continue
        source = f"{on.device}, {on.backend}" + (f", {on.threads} threads" if on.threads is not None else "") + " (predicted)"
        for c, p in zip(part, predictions):
            if p.ms is None:
                declined.append((c, p.reason or p.basis))
                continue
            out.append(dataclasses.replace(c, latency_ms=p.ms, latency_low_ms=p.low_ms, latency_high_ms=p.high_ms,
                                           latency_source=source, latency_note=p.reason if p.extrapolating else ""))
    return out, declined


def measured_ms(lookup: Callable[[MobileNetConfig], float | None], config: MobileNetConfig) -> float | None:
    """The caller's measurement of ``config``; for the TF-slim rows (1001 classes) a measurement of
    the same network with 1000 classes also counts: one more class is 0.0004% of V2's MACs, far
    below timing noise, and users measure 1000-class models."""
    ms = lookup(config)
    if ms is None and config.num_classes in IMAGENET_CLASSES:
        ms = lookup(_other_imagenet_head(config))
    return ms


@lru_cache(maxsize=8192)
def _other_imagenet_head(config: MobileNetConfig) -> MobileNetConfig:
    # Kept: a new config is validated (its size counted, ~5 ms), and the budget finder asks this of
    # every unmeasured candidate several times per rerun (seconds, before this cache). The candidates
    # are the same configs rerun after rerun.
    return config.replace(num_classes=1001 if config.num_classes == 1000 else 1000)


def _budget_ms(c: Candidate) -> float | None:
    """The latency a budget is checked against: a prediction's upper end (conservative), else the figure."""
    return c.latency_high_ms if c.latency_high_ms is not None else c.latency_ms


def _rank_key(c: Candidate) -> tuple:
    # Published accuracy first (best first), then estimates (best first), then the rest by cost.
    tier = {"published": 0, "estimate": 1}.get(c.accuracy_kind, 2)
    return (tier, -(c.top1 or 0.0), c.macs, c.quantized, c.label)


def find_configs(
    max_macs: float | None = None,
    max_params: float | None = None,
    max_latency_ms: float | None = None,
    latency_source: str | tuple | PredictedOn | None = None,
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
    without a measurement do not qualify; quantized rows do not either, since a float measurement
    is not an int8 model's latency), or :class:`PredictedOn` a published platform: every candidate
    (the sweep included) gets a predicted latency and fits only if the interval's upper end
    (``latency_high_ms``) is within the budget; declined predictions do not qualify.
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
            raise ValueError(f"measured_latency_ms: required when latency_source is {MEASURED!r}")
        lookup = measured_latency_ms if callable(measured_latency_ms) else measured_latency_ms.get
        pool = []
        for c in published_candidates() + (sweep_candidates() if include_sweep else ()):
            if c.quantized:
                continue  # a float measurement here says nothing about an int8 model's latency
            ms = measured_ms(lookup, c.config)
            if ms is not None:
                pool.append(dataclasses.replace(c, latency_ms=float(ms), latency_source=MEASURED))
    elif isinstance(latency_source, PredictedOn):
        base = [c for c in published_candidates() + (sweep_candidates() if include_sweep else ())
                if c.family in families and (include_quantized or not c.quantized)]
        pool, _ = predicted_candidates(base, latency_source)
    elif isinstance(latency_source, (tuple, list)) and _platform(latency_source) in latency_platforms():
        pool = device_candidates(*_platform(latency_source))
    else:
        raise ValueError(f"latency_source: unknown {latency_source!r}; allowed: {MEASURED!r} or one of {latency_platforms()}")

    fits = [
        c for c in pool
        if c.family in families
        and (include_quantized or not c.quantized)
        and (max_macs is None or c.macs <= max_macs)
        and (max_params is None or c.params <= max_params)
        and (max_latency_ms is None or (_budget_ms(c) is not None and _budget_ms(c) <= max_latency_ms))
    ]
    fits.sort(key=_rank_key)
    return tuple(fits[:limit] if limit is not None else fits)


# --- one row per architecture ---------------------------------------------------------------


@dataclass(frozen=True)
class MergedCandidate:
    """One architecture in the budget finder's answer, with every source that published it.

    Several sources publish the same network (the paper, TF-slim, torchvision: four V2 1.0/224
    rows); the answer lists it once, ranked by its best row, and names each source with its
    figure. ``rows`` is in rank order, so ``best`` is the row the ranking chose.
    """

    rows: tuple[Candidate, ...]

    @property
    def best(self) -> Candidate:
        return self.rows[0]

    @property
    def source_texts(self) -> tuple[str, ...]:
        """Each row by its name and source, with its published top-1:
        "MobileNetV2 (1.4) (MobileNetV2 paper arXiv:1801.04381, Table 4): 74.7%"."""
        out: list[str] = []
        for c in self.rows:
            where = f"{c.label} ({c.source}" + (f", {c.table})" if c.table else ")")
            text = where + (f": {c.top1:g}%" if c.top1 is not None and c.accuracy_kind == "published" else "")
            if text not in out:
                out.append(text)
        return tuple(out)


def architecture_key(c: Candidate) -> tuple:
    """What makes two rows the same network for the budget finder: the architecture (a 1001-class
    TF-slim checkpoint is the 1000-class paper model plus a background class, 0.0004% of V2's
    MACs), the precision, and where the latency comes from."""
    config = c.config
    if config.num_classes in IMAGENET_CLASSES:
        config = config.replace(num_classes=1000)
    return (config, c.quantized, c.latency_source)


def merge_same_architecture(found: Iterable[Candidate]) -> tuple[MergedCandidate, ...]:
    """``found`` (ranked) with the rows of one architecture merged, in the rank of the first."""
    groups: dict[tuple, list[Candidate]] = {}
    for c in found:
        groups.setdefault(architecture_key(c), []).append(c)
    return tuple(MergedCandidate(tuple(rows)) for rows in groups.values())
