"""Why depthwise separable convolutions are cheap: the arithmetic of one convolution.

The V1 paper (arXiv:1704.04861, Section 3.1) factorizes a standard D_K×D_K convolution with M
input and N output channels, on a D_F×D_F output feature map, into

* a depthwise convolution, one D_K×D_K filter per input channel: D_K·D_K·M·D_F·D_F MACs;
* a pointwise (1×1) convolution that mixes channels:              M·N·D_F·D_F MACs;

against D_K·D_K·M·N·D_F·D_F for the standard convolution, so the cost ratio is
(D_K²·M·D_F² + M·N·D_F²) / (D_K²·M·N·D_F²) = 1/N + 1/D_K²: 8 to 9 times fewer for 3×3 kernels.

This module is torch-free: :class:`ConvShape` and :func:`factorization` (the counts, from
``explorer.counting``), and :func:`layer_shapes` / :func:`default_layer` (every depthwise layer
of a V1/V2 config as a shape). The explainer page's other parts live beside it:
``separable_timing.py`` (three implementations, checked equal, then timed), ``full_conv.py``
(the whole model with full convolutions) and ``inverted_residual.py`` (one V2 block); the
formulas as LaTeX are the page's (``ui/separable_view.py``).

Counting conventions are ``counting.py``'s: MACs of convolutions for one image; weights are
bias-free conv weights. Invalid user input raises :class:`explorer.ConfigError` naming the field,
the same error type the config loader uses, so a page needs one ``except``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from .config import MAX_CHANNELS, MAX_RESOLUTION, ConfigError, MobileNetConfig, check_int
from .counting import conv_macs, conv_weights
from .plan import make_plan

# ---------------------------------------------------------------------------------------------
# The shape and its counts
# ---------------------------------------------------------------------------------------------

MAX_KERNEL_SIZE = 11  # odd kernels 1…11 cover every MobileNet layer (3×3) and the usual 5×5, 7×7
STRIDES = (1, 2)


@dataclass(frozen=True)
class ConvShape:
    """One convolution choice in the paper's symbols (arXiv:1704.04861, Section 3.1).

    ``feature_size`` is D_F, the *output* feature map size: with 'same' padding the paper's
    formulas hold for stride 2 too when D_F is the output size. The input is D_F·stride pixels wide.
    Kernels are odd, so 'same' padding (k-1)/2 is symmetric, as in every MobileNet layer.
    """

    kernel_size: int  # D_K
    in_channels: int  # M
    out_channels: int  # N
    feature_size: int  # D_F, output height = width
    stride: int = 1

    def __post_init__(self) -> None:
        check_int(self.kernel_size, "kernel_size", 1, MAX_KERNEL_SIZE)
        check_int(self.in_channels, "in_channels", 1, MAX_CHANNELS)
        check_int(self.out_channels, "out_channels", 1, MAX_CHANNELS)
        check_int(self.feature_size, "feature_size", 1, MAX_RESOLUTION)
        if self.kernel_size % 2 == 0:
            raise ConfigError("kernel_size", f"must be odd (1, 3, 5, …) so 'same' padding is symmetric, got {self.kernel_size}")
        if self.stride not in STRIDES or isinstance(self.stride, bool):
            raise ConfigError("stride", f"must be 1 or 2, got {self.stride!r}")

    @property
    def input_size(self) -> int:
        """Input height (= width) whose 'same'-padded convolution gives ``feature_size``."""
        return self.feature_size * self.stride

    @property
    def padding(self) -> int:
        return (self.kernel_size - 1) // 2

    def replace(self, **changes: int) -> ConvShape:
        """A new, validated shape with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Factorization:
    """Counts of a standard convolution against its depthwise + pointwise factorization.

    ``ratio`` is measured from the counts (separable / standard); ``formula_ratio`` is the paper's
    1/N + 1/D_K². Both come from exact fractions, so they are equal floats, not just close ones.
    """

    shape: ConvShape
    standard_macs: int
    depthwise_macs: int
    pointwise_macs: int
    standard_params: int
    depthwise_params: int
    pointwise_params: int

    @property
    def separable_macs(self) -> int:
        return self.depthwise_macs + self.pointwise_macs

    @property
    def separable_params(self) -> int:
        return self.depthwise_params + self.pointwise_params

    @property
    def ratio_exact(self) -> Fraction:
        return Fraction(self.separable_macs, self.standard_macs)

    @property
    def formula_ratio_exact(self) -> Fraction:
        return Fraction(1, self.shape.out_channels) + Fraction(1, self.shape.kernel_size**2)

    @property
    def ratio(self) -> float:
        """separable MACs / standard MACs, from the counts."""
        return float(self.ratio_exact)

    @property
    def formula_ratio(self) -> float:
        """1/N + 1/D_K² (arXiv:1704.04861, Section 3.1)."""
        return float(self.formula_ratio_exact)

    @property
    def mac_reduction(self) -> float:
        """How many times fewer MACs the factorization needs (standard / separable)."""
        return self.standard_macs / self.separable_macs

    @property
    def params_ratio(self) -> float:
        """separable weights / standard weights: also 1/N + 1/D_K² (the D_F² factor cancels)."""
        return self.separable_params / self.standard_params


def factorization(shape: ConvShape) -> Factorization:
    """MACs and weights of the standard conv, the depthwise conv and the pointwise conv."""
    k, m, n, f = shape.kernel_size, shape.in_channels, shape.out_channels, shape.feature_size
    return Factorization(
        shape=shape,
        standard_macs=conv_macs(m, n, k, f),
        depthwise_macs=conv_macs(m, m, k, f, groups=m),
        pointwise_macs=conv_macs(m, n, 1, f),
        standard_params=conv_weights(m, n, k),
        depthwise_params=conv_weights(m, m, k, groups=m),
        pointwise_params=conv_weights(m, n, 1),
    )



# ---------------------------------------------------------------------------------------------
# The layers of a real model, as shapes
# ---------------------------------------------------------------------------------------------


def layer_shapes(config: MobileNetConfig) -> list[tuple[str, ConvShape]]:
    """Every depthwise layer of ``config`` as a (label, shape) choice, in forward order.

    V1: the depthwise + pointwise pair (M = depthwise channels, N = pointwise output).
    V2: the depthwise + projection of each inverted residual (M = expanded channels, N = project
    output): the expansion is a separate 1×1 conv, outside the factorization.
    V1 with ``depthwise_separable=False`` has a full 3×3 conv per block instead; its shape is the
    same (D_K, M, N, D_F) choice, so it is listed too. Labels read ``blocks.6 (14×14, 512→512)``.
    """
    choices = []
    for block in make_plan(config).blocks:
        spatial = next(layer for layer in block.layers if layer.kernel_size > 1)  # depthwise, or V1's full conv
        last = block.layers[-1]  # pointwise (V1), project (V2), or the full conv itself
        shape = ConvShape(spatial.kernel_size, spatial.in_channels, last.out_channels, spatial.out_size, spatial.stride)
        stride = ", stride 2" if spatial.stride == 2 else ""
        label = f"blocks.{block.index} ({shape.feature_size}×{shape.feature_size}, {shape.in_channels}→{shape.out_channels}{stride})"
        choices.append((label, shape))
    return choices


def default_layer(config: MobileNetConfig) -> tuple[str, ConvShape]:
    """The shape repeated most often in the model (first occurrence): a real, typical layer.

    For V1 1.0/224 that is ``blocks.6 (14×14, 512→512)``, the shape of five of its thirteen layers;
    for V2 1.0/224 ``blocks.7 (14×14, 384→64)``.
    """
    choices = layer_shapes(config)
    shapes = [shape for _, shape in choices]
    best = max(shapes, key=shapes.count)  # max keeps the first of equals: the earliest layer
    return choices[shapes.index(best)]

