"""The Compare page's computations: V1 and V2 side by side, per stage and per layer kind, through
depth, and the width of one family that matches the other's MACs. Pure and torch-free; every sum
equals the totals of ``explorer.count``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .config import FAMILY_DEFAULTS, PAPER_BLOCKS, Block, ConfigError, MobileNetConfig, check_positive, paper_config
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


# --- naming a model by what differs from its paper ------------------------------------------------


def family_name(arch: str) -> str:
    """The family as the page names it: "mobilenet_v2" → "V2", "mobilenet_v3_large" → "V3 Large"."""
    first, *rest = arch.removeprefix("mobilenet_").split("_")
    return " ".join([first.upper(), *(part.capitalize() for part in rest)])


def _block_changes(config: MobileNetConfig) -> list[str]:
    """The block table against the paper's: "t = 4" when only the expanding rows' t changed
    together, else the changed cells by table row (1-based, as the table shows them), else
    "custom block table" when more than two rows differ or rows were added or removed."""
    paper = PAPER_BLOCKS.get(config.arch)
    if paper is None or config.blocks == paper:
        return []
    if len(config.blocks) != len(paper):
        return [f"custom block table ({len(config.blocks)} rows)"]
    changed = [(i, {k: v for k, v in b.to_dict().items() if p.to_dict().get(k) != v})
               for i, (b, p) in enumerate(zip(config.blocks, paper)) if b != p]
    only_t = all(set(cells) == {"t"} for _, cells in changed)
    new_ts = {cells["t"] for _, cells in changed} if only_t else set()
    expanding = [i for i, p in enumerate(paper) if p.t not in (None, 1)]
    if only_t and len(new_ts) == 1 and [i for i, _ in changed] == expanding:
        return [f"t = {new_ts.pop()}"]
    if len(changed) > 2:
        return [f"custom block table ({len(changed)} rows changed)"]
    return [f"row {i + 1} " + ", ".join(f"{k} = {v}" for k, v in cells.items()) for i, cells in changed]


def model_name(config: MobileNetConfig) -> str:
    """A config named by what differs from its paper model: "V2, t = 4, α 0.75", "V1, 160 px",
    "V2 (paper)". Width and resolution come last, the architecture's changes first."""
    defaults = FAMILY_DEFAULTS.get(config.arch, {})
    parts = _block_changes(config)
    if not config.depthwise_separable:
        parts.append("full convolutions")
    if "linear_bottleneck" in defaults and not config.linear_bottleneck:
        parts.append("non-linear bottleneck")
    if "residual" in defaults and not config.residual:
        parts.append("no residuals")
    if "activation" in defaults and config.activation != defaults["activation"]:
        parts.append({"relu": "ReLU", "relu6": "ReLU6"}.get(config.activation, config.activation))
    if "dropout" in defaults and config.dropout != defaults["dropout"]:
        parts.append(f"dropout {config.dropout:g}")
    if config.num_classes != 1000:
        parts.append(f"{config.num_classes} classes")
    if config.width_multiplier != 1.0:
        parts.append(f"α {config.width_multiplier:g}")
    if config.resolution != 224:
        parts.append(f"{config.resolution} px")
    return family_name(config.arch) + (", " + ", ".join(parts) if parts else " (paper)")
