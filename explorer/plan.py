"""Config → plan: resolve a config into the exact layers of the network, without torch.

The plan is the one place that knows the architecture. The builder (``models.py``), the analytic
counter (``counting.py``), the layer table and every page read it, so they cannot disagree.
A plan is a stem, a list of blocks (one per module under ``blocks``), an optional last 1×1 conv
(V2, V3), then global average pooling, V3's hidden linear layer ``pre_logits``, dropout and the
linear classifier ``head``. V3 blocks may hold a squeeze-and-excite unit between their depthwise
and projection convolutions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .schema import V3_HIDDEN_CHANNELS, V3_LAST_CONV_FACTOR, V3_STEM_CHANNELS

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
class SqueezeExcitePlan:
    """V3's squeeze-and-excite (paper Section 5.3; torchvision's ``SqueezeExcitation``): global
    average pool, 1×1 conv to ``squeeze_channels`` (with bias) + ReLU, 1×1 conv back (with bias)
    + hard sigmoid, and the input scaled channel by channel."""

    name: str  # "blocks.4.se"
    channels: int  # of the tensor it scales (the expanded width)
    squeeze_channels: int  # make_divisible(channels // 4, 8), as torchvision
    size: int  # spatial size of the tensor it scales
    row: int | None = None
    kind: str = "squeeze_excite"


@dataclass(frozen=True)
class LinearPlan:
    """A fully connected layer with bias: V3's hidden classifier layer (``pre_logits``)."""

    name: str
    kind: str
    in_features: int
    out_features: int
    activation: str | None


@dataclass(frozen=True)
class BlockPlan:
    """One module under ``blocks``: a V1 depthwise-separable layer, a V2 inverted residual, or a V3
    bneck (an inverted residual with optional squeeze-and-excite)."""

    index: int
    row: int
    layers: tuple[ConvPlan, ...]
    residual: bool  # V2, V3: output = input + block(input)
    squeeze_excite: SqueezeExcitePlan | None = None  # V3: between the depthwise and the projection

    def units(self) -> tuple[ConvPlan | SqueezeExcitePlan, ...]:
        """The block's modules in forward order: the convs, with squeeze-and-excite before the last."""
        if self.squeeze_excite is None:
            return self.layers
        return (*self.layers[:-1], self.squeeze_excite, self.layers[-1])


@dataclass(frozen=True)
class ModelPlan:
    config: MobileNetConfig
    stem: ConvPlan
    blocks: tuple[BlockPlan, ...]
    last_conv: ConvPlan | None
    features: int  # channels into the classifier ``head``
    final_size: int  # spatial size before global pooling
    pre_logits: LinearPlan | None = None  # V3: pooled features → hidden width, h-swish

    @property
    def pooled_channels(self) -> int:
        """Channels of the globally pooled feature vector (V3: before ``pre_logits``)."""
        return self.pre_logits.in_features if self.pre_logits else self.features

    def squeeze_excites(self) -> list[SqueezeExcitePlan]:
        return [block.squeeze_excite for block in self.blocks if block.squeeze_excite is not None]

    def row_names(self) -> list[str]:
        """The names of the layer table's rows, in forward order (module names in the built model)."""
        names = [self.stem.name] + [unit.name for block in self.blocks for unit in block.units()]
        names += [self.last_conv.name] if self.last_conv else []
        return names + ["pool"] + (["pre_logits"] if self.pre_logits else []) + ["head"]

    def io_elements(self) -> dict[str, tuple[int, int]]:
        """Input and output elements of every row of the layer table, per image."""
        io = {c.name: (c.in_channels * c.in_size**2, c.out_channels * c.out_size**2) for c in self.conv_layers()}
        io.update((se.name, (se.channels * se.size**2,) * 2) for se in self.squeeze_excites())
        io["pool"] = (self.pooled_channels * self.final_size**2, self.pooled_channels)
        if self.pre_logits:
            io["pre_logits"] = (self.pre_logits.in_features, self.pre_logits.out_features)
        io["head"] = (self.features, self.config.num_classes)
        return io

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


def _v3_blocks(config: MobileNetConfig, cin: int, size: int) -> tuple[list[BlockPlan], int, int]:
    """V3 bnecks as torchvision's ``InvertedResidual``: every width is ``make_divisible(c·α, 8)``;
    the expansion conv exists only when the expanded width differs from the input's."""
    blocks = []
    for row, spec in enumerate(config.blocks):
        name = f"blocks.{row}"
        act = "hardswish" if spec.nl == "hardswish" and config.hard_swish else "relu"
        hidden, cout = make_divisible(spec.exp * config.width_multiplier), make_divisible(spec.c * config.width_multiplier)
        layers = []
        if hidden != cin:
            layers.append(_conv(f"{name}.expand", "expand", cin, hidden, 1, 1, size, act, row))
        dw = _conv(f"{name}.depthwise", "depthwise", hidden, hidden, spec.k, spec.s, size, act, row, groups=hidden)
        layers += [dw, _conv(f"{name}.project", "project", hidden, cout, 1, 1, dw.out_size, None, row)]
        se = None
        if spec.se and config.squeeze_excite:
            se = SqueezeExcitePlan(f"{name}.se", hidden, make_divisible(hidden // 4), dw.out_size, row)
        residual = spec.s == 1 and cin == cout
        blocks.append(BlockPlan(row, row, tuple(layers), residual, se))
        cin, size = cout, dw.out_size
    return blocks, cin, size


def _make_v3_plan(config: MobileNetConfig) -> ModelPlan:
    """V3 (paper Tables 1 and 2, torchvision's ``MobileNetV3``): h-swish stem of 16·α channels, the
    bnecks, a 1×1 last conv of 6 × the last row's output, pooling, then the two-layer classifier:
    Linear to 1280·α (Large) or 1024·α (Small) + h-swish, dropout, Linear to the classes.
    torchvision scales the hidden width with α in both directions (``adjust_channels(1280)``),
    unlike V2's last conv, which never shrinks."""
    alpha, hswish = config.width_multiplier, ("hardswish" if config.hard_swish else "relu")
    stem = _conv("stem", "stem", 3, make_divisible(V3_STEM_CHANNELS * alpha), 3, 2, config.resolution, hswish)
    blocks, channels, size = _v3_blocks(config, stem.out_channels, stem.out_size)
    last_conv = _conv("last_conv", "pointwise", channels, V3_LAST_CONV_FACTOR * channels, 1, 1, size, hswish)
    hidden = make_divisible(V3_HIDDEN_CHANNELS[config.arch] * alpha)
    pre_logits = LinearPlan("pre_logits", "linear", last_conv.out_channels, hidden, hswish)
    return ModelPlan(config, stem, tuple(blocks), last_conv, hidden, size, pre_logits)


@lru_cache(maxsize=256)
def make_plan(config: MobileNetConfig) -> ModelPlan:
    """Resolve channels (after width rounding), strides and feature-map sizes of every layer."""
    if config.is_v3:
        return _make_v3_plan(config)
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
