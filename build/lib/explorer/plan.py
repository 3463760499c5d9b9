"""Config → plan: resolve a config into the exact layers of the network, without torch.

The plan is the one place that knows the architecture. The builder (``models.py``), the analytic
counter (``counting.py``), the layer table and every page read it, so they cannot disagree.
A plan is a stem, a list of blocks (one per module under ``blocks``), an optional last 1×1 conv
(V2), then global average pooling, dropout and the linear classifier ``head``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the config validates itself by counting its plan: at run time plan needs only its attributes
    from .config import MobileNetConfig


def make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, never dropping over 10%.

    From the TF-slim MobileNet code (``_make_divisible``), as torchvision and timm use it: V2
    channel counts stay multiples of 8, which suits vectorized kernels.
    """
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def v1_channels(c: int, alpha: float) -> int:
    """V1 width rounding, as TF-slim's ``depth`` function: ``max(8, int(c·α))``."""
    return max(8, int(c * alpha))


def conv_output_size(size: int, kernel: int, stride: int) -> int:
    """Spatial size after a 'same'-padded convolution (padding (k-1)//2), as all layers here use."""
    padding = (kernel - 1) // 2
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True)
class ConvPlan:
    """One conv + batch norm (+ activation) unit: a row of the layer table."""

    name: str  # module path in the built model, e.g. "blocks.3.depthwise"
    kind: str  # stem / conv / depthwise / pointwise / expand / project
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int
    groups: int
    in_size: int  # input height (= width)
    out_size: int
    activation: str | None  # None: linear (V2's projection)
    row: int | None = None  # which row of the blocks table produced it


@dataclass(frozen=True)
class BlockPlan:
    """One module under ``blocks``: a V1 depthwise-separable layer or a V2 inverted residual."""

    index: int
    row: int
    layers: tuple[ConvPlan, ...]
    residual: bool  # V2: output = input + block(input)


@dataclass(frozen=True)
class ModelPlan:
    config: MobileNetConfig
    stem: ConvPlan
    blocks: tuple[BlockPlan, ...]
    last_conv: ConvPlan | None
    features: int  # channels into the classifier
    final_size: int  # spatial size before global pooling

    def conv_layers(self) -> list[ConvPlan]:
        layers = [self.stem] + [layer for block in self.blocks for layer in block.layers]
        return layers + ([self.last_conv] if self.last_conv else [])


def _conv(name, kind, cin, cout, k, s, size, act, row=None, groups=1) -> ConvPlan:
    return ConvPlan(name, kind, cin, cout, k, s, groups, size, conv_output_size(size, k, s), act, row)


def _v1_blocks(config: MobileNetConfig, cin: int, size: int) -> tuple[list[BlockPlan], int, int]:
    blocks, act = [], config.activation
    for row, spec in enumerate(config.blocks):
        cout = v1_channels(spec.c, config.width_multiplier)
        for i in range(spec.n):
            stride, name = (spec.s if i == 0 else 1), f"blocks.{len(blocks)}"
            if config.depthwise_separable:
                dw = _conv(f"{name}.depthwise", "depthwise", cin, cin, 3, stride, size, act, row, groups=cin)
                pw = _conv(f"{name}.pointwise", "pointwise", cin, cout, 1, 1, dw.out_size, act, row)
                layers = (dw, pw)
            else:  # the V1 paper's Table 4 baseline: one full 3×3 convolution per layer
                layers = (_conv(f"{name}.conv", "conv", cin, cout, 3, stride, size, act, row),)
            blocks.append(BlockPlan(len(blocks), row, layers, residual=False))
            cin, size = cout, layers[-1].out_size
    return blocks, cin, size


def _v2_blocks(config: MobileNetConfig, cin: int, size: int) -> tuple[list[BlockPlan], int, int]:
    blocks, act = [], config.activation
    project_act = None if config.linear_bottleneck else act
    for row, spec in enumerate(config.blocks):
        cout = make_divisible(spec.c * config.width_multiplier)
        for i in range(spec.n):
            stride, name = (spec.s if i == 0 else 1), f"blocks.{len(blocks)}"
            hidden = int(round(cin * spec.t))  # torchvision: round(inp * expand_ratio)
            layers = []
            if spec.t != 1:  # the paper's first block (t = 1) has no expansion layer
                layers.append(_conv(f"{name}.expand", "expand", cin, hidden, 1, 1, size, act, row))
            dw = _conv(f"{name}.depthwise", "depthwise", hidden, hidden, 3, stride, size, act, row, groups=hidden)
            layers += [dw, _conv(f"{name}.project", "project", hidden, cout, 1, 1, dw.out_size, project_act, row)]
            residual = config.residual and stride == 1 and cin == cout
            blocks.append(BlockPlan(len(blocks), row, tuple(layers), residual))
            cin, size = cout, dw.out_size
    return blocks, cin, size


@lru_cache(maxsize=256)
def make_plan(config: MobileNetConfig) -> ModelPlan:
    """Resolve channels (after width rounding), strides and feature-map sizes of every layer."""
    alpha = config.width_multiplier
    if config.is_v2:
        stem_channels = make_divisible(32 * alpha)
    else:
        stem_channels = v1_channels(32, alpha)
    stem = _conv("stem", "stem", 3, stem_channels, 3, 2, config.resolution, config.activation)
    build_blocks = _v2_blocks if config.is_v2 else _v1_blocks
    blocks, channels, size = build_blocks(config, stem.out_channels, stem.out_size)
    last_conv = None
    if config.is_v2:
        # The V2 paper keeps the last conv at 1280 channels for α < 1 ("we do not apply width
        # multiplier to the last convolutional layer"), and widens it for α > 1.
        last = make_divisible(1280 * max(1.0, alpha))
        last_conv = _conv("last_conv", "pointwise", channels, last, 1, 1, size, config.activation)
        channels = last
    return ModelPlan(config, stem, tuple(blocks), last_conv, channels, size)
