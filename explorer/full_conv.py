"""The whole model with full convolutions: what depthwise separable convolutions save (V1 paper,
arXiv:1704.04861, Table 4: 4866M MACs and 29.3M params for Conv MobileNet against 569M and 4.2M).

The twin is counted from the config's own plan with its layers swapped, never through a second
config: the full-convolution twin of a valid model can be far beyond the limits for building one
(V1 at α = 2 and 512 px needs ~100 GMACs), yet counting it is pure arithmetic. The swapped plan
goes through ``counting.plan_cost``, so every counting rule (batch norm, head) is the usual one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .config import MobileNetConfig
from .counting import plan_cost
from .plan import BlockPlan, ConvPlan, ModelPlan, make_plan

# V1 paper (arXiv:1704.04861) Table 4, 1.0 MobileNet-224: the published reference point.
V1_TABLE4 = {
    "conv_mobilenet": {"macs": 4866e6, "params": 29.3e6, "imagenet_top1": 71.7},
    "mobilenet": {"macs": 569e6, "params": 4.2e6, "imagenet_top1": 70.6},
}

V1_METHOD = ("V1: the same config with depthwise_separable=False, i.e. each depthwise + pointwise pair "
             "replaced by one full 3×3 convolution with batch norm (V1 paper, Table 4), counted from its plan.")
V2_METHOD = ("V2: each 3×3 depthwise convolution replaced by a dense 3×3 convolution with the same input and "
             "output channels (expansion and projection kept), counted analytically from the plan; the papers "
             "publish no such baseline for V2.")


@dataclass(frozen=True)
class FullConvComparison:
    """A config's counts with depthwise separable convolutions and with full convolutions."""

    separable_macs: int
    separable_params: int
    full_macs: int
    full_params: int
    method: str

    @property
    def macs_ratio(self) -> float:
        """How many times more MACs the full-convolution model needs."""
        return self.full_macs / self.separable_macs

    @property
    def params_ratio(self) -> float:
        return self.full_params / self.separable_params


def _v1_full(block: BlockPlan) -> tuple[ConvPlan, ...]:
    """A V1 block as the Table 4 baseline: one full 3×3 conv, exactly as ``plan.py`` plans it
    for ``depthwise_separable=False`` (the depthwise's input and stride, the pointwise's output)."""
    if len(block.layers) == 1:  # already a full convolution
        return block.layers
    dw, pw = block.layers
    name = dw.name.rsplit(".", 1)[0] + ".conv"
    return (dataclasses.replace(dw, name=name, kind="conv", out_channels=pw.out_channels, groups=1),)


def _v1_separable(block: BlockPlan) -> tuple[ConvPlan, ...]:
    """A V1 block as a depthwise-separable pair, as ``plan.py`` plans it by default."""
    if len(block.layers) == 2:  # already separable
        return block.layers
    (conv,) = block.layers
    base = conv.name.rsplit(".", 1)[0]
    dw = dataclasses.replace(conv, name=f"{base}.depthwise", kind="depthwise", out_channels=conv.in_channels,
                             groups=conv.in_channels)
    pw = dataclasses.replace(conv, name=f"{base}.pointwise", kind="pointwise", kernel_size=1, stride=1,
                             in_size=conv.out_size)
    return (dw, pw)


def _v2_dense(block: BlockPlan) -> tuple[ConvPlan, ...]:
    """A V2 block with its depthwise conv made dense (same channels, stride and kernel)."""
    return tuple(dataclasses.replace(layer, groups=1) if layer.kind == "depthwise" else layer for layer in block.layers)


def _swapped(plan: ModelPlan, swap) -> ModelPlan:
    """``plan`` with every block's layers replaced by ``swap(block)``: a plan to count, not to build."""
    blocks = tuple(dataclasses.replace(block, layers=swap(block)) for block in plan.blocks)
    return dataclasses.replace(plan, blocks=blocks)


def full_conv_counterpart(config: MobileNetConfig) -> FullConvComparison:
    """"This MobileNet with full convolutions would cost X MACs and Y params."

    MACs as ``counting.py`` counts them (convs + classifier, one image); params are all PyTorch
    parameters, batch norm included. ``method`` states how the counterpart is defined (V1: the
    paper's Table 4 baseline; V2: a dense 3×3 conv in place of each depthwise one). For a V1 config
    that is already full-convolution, the separable figures are those of its separable twin.
    """
    plan = make_plan(config)
    if config.is_v2 or config.is_v3:
        method = V2_METHOD if config.is_v2 else V2_METHOD.replace("V2:", "V3:").replace("3×3 depthwise", "depthwise (3×3 or 5×5)")
        separable, full = plan_cost(plan), plan_cost(_swapped(plan, _v2_dense))
    else:
        separable, full, method = plan_cost(_swapped(plan, _v1_separable)), plan_cost(_swapped(plan, _v1_full)), V1_METHOD
    return FullConvComparison(separable.macs, separable.params, full.macs, full.params, method)
