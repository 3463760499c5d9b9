"""The Compare page's computations: V1 and V2 side by side, per stage and per layer kind, through
depth, and the width of one family that matches the other's MACs. Pure and torch-free; every sum
equals the totals of ``explorer.count``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .config import Block, ConfigError, MobileNetConfig, check_positive, paper_config
from .counting import count


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


@dataclass(frozen=True)
class StageSummary:
    stages: tuple[GroupCost, ...]
    kinds: tuple[GroupCost, ...]
    params: int
    weight_params: int
    macs: int


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
        )

    return StageSummary(
        stages=tuple(total(name, layers, layers[0].row) for name, layers in stages.items()),
        kinds=tuple(total(kind, layers) for kind, layers in kinds.items()),
        params=cost.params, weight_params=cost.weight_params, macs=cost.macs,
    )


@dataclass(frozen=True)
class DepthPoint:
    index: int  # 0 is the input image
    name: str
    kind: str
    channels: int  # output channels (classes for the head)
    size: int  # output height = width (1 after pooling)


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
    check_positive(target_macs, "target_macs")
    base = arch if isinstance(arch, MobileNetConfig) else paper_config(arch, resolution=resolution, num_classes=num_classes)

    def closest(widths: Iterable[float]) -> tuple[float, int]:
        best = None
        for w in widths:
            try:
                macs = count(base.replace(width_multiplier=w)).macs
            except ConfigError:
                continue  # over a size limit: the answer must be a config one can build
            if best is None or abs(macs - target_macs) < abs(best[1] - target_macs):
                best = (w, macs)
        return best

    coarse, _ = closest(round(lo + 0.01 * i, 2) for i in range(int(round((hi - lo) / 0.01)) + 1))
    fine = (round(coarse + 0.001 * i, 3) for i in range(-10, 11))
    width, macs = closest(w for w in fine if lo <= w <= hi)
    return WidthMatch(width, macs, int(target_macs), base.replace(width_multiplier=width))
