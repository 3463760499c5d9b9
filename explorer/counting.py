"""Exact analytic cost model: params, MACs and shapes of every layer, from the plan alone.

Conventions (the papers' and TF-slim's):

* **MACs** are multiply-accumulates of convolutions and of the linear layers, for one image.
  Batch norm, activations, pooling, biases and residual additions are not counted: they are small,
  and the papers leave them out (fvcore's total would add batch norm: 13.4M for V2 1.0/224).
* **V3**: a squeeze-and-excite unit counts its two 1×1 convs on the pooled 1×1 vector
  (2·C·C_squeeze MACs; its pooling, hard sigmoid and channel scaling are not counted); h-swish
  costs nothing, like every activation; the classifier counts both linear layers (``pre_logits``
  and ``head``). This is what fvcore counts on torchvision's models (216.6M for V3-Large 1.0).
* **params** are all parameters as PyTorch counts them (``sum(p.numel())``): conv weights, batch
  norm weight and bias, the classifier's weight and bias.
* **weight_params** count conv and linear weights only. TF-slim's tables publish this number
  (3.47M for MobileNetV2 1.0 against PyTorch's 3.50M: the difference is batch norm and bias).

Every function here is a pure function of shapes, so sweeps and tests can call them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .plan import ConvPlan, ModelPlan, SqueezeExcitePlan, make_plan
from .schema import FP32_BYTES

if TYPE_CHECKING:  # config.py imports this module to check its size limits
    from .config import MobileNetConfig


def conv_macs(in_channels: int, out_channels: int, kernel_size: int, out_size: int, groups: int = 1) -> int:
    """Multiply-accumulates of a square conv: k·k·(C_in/groups)·C_out·H_out·W_out.

    With groups = C_in = C_out (depthwise) this is the paper's D_K·D_K·M·D_F·D_F.
    """
    return kernel_size * kernel_size * (in_channels // groups) * out_channels * out_size * out_size


def conv_weights(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1) -> int:
    """Weights of a bias-free square conv: k·k·(C_in/groups)·C_out."""
    return kernel_size * kernel_size * (in_channels // groups) * out_channels


def batch_norm_params(channels: int) -> int:
    """Learnable batch-norm parameters: a scale and a shift per channel (running stats are buffers)."""
    return 2 * channels


def linear_macs(in_features: int, out_features: int) -> int:
    return in_features * out_features


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    return in_features * out_features + (out_features if bias else 0)


@dataclass(frozen=True)
class LayerCost:
    """One row of the layer table."""

    name: str
    kind: str
    output_shape: tuple[int, ...]  # with the batch dimension of 1, as PyTorch reports it
    params: int
    weight_params: int
    macs: int
    row: int | None = None  # the blocks-table row that produced this layer

    def to_dict(self) -> dict:
        return {
            "name": self.name, "kind": self.kind, "output_shape": list(self.output_shape),
            "params": self.params, "weight_params": self.weight_params, "macs": self.macs,
            "row": self.row,
        }


@dataclass(frozen=True)
class Cost:
    """Per-layer and total counts of one config. The layer rows sum exactly to the totals."""

    layers: tuple[LayerCost, ...]
    params: int
    weight_params: int
    macs: int
    buffers: int  # batch-norm running mean and variance, 2 per channel (fp32)
    batch_norms: int  # one int64 num_batches_tracked counter each, counted apart in fp32_bytes
    largest_activation: int  # elements of the largest tensor the forward pass makes, for the memory cap

    @property
    def fp32_bytes(self) -> int:
        """Size of the fp32 state dict: params and running stats at 4 bytes, BN counters at 8."""
        return FP32_BYTES * (self.params + self.buffers) + 8 * self.batch_norms


def conv_cost(layer: ConvPlan) -> LayerCost:
    weights = conv_weights(layer.in_channels, layer.out_channels, layer.kernel_size, layer.groups)
    return LayerCost(
        name=layer.name,
        kind=layer.kind,
        output_shape=(1, layer.out_channels, layer.out_size, layer.out_size),
        params=weights + batch_norm_params(layer.out_channels),
        weight_params=weights,
        macs=conv_macs(layer.in_channels, layer.out_channels, layer.kernel_size, layer.out_size, layer.groups),
        row=layer.row,
    )


def squeeze_excite_cost(unit: SqueezeExcitePlan) -> LayerCost:
    """Two 1×1 convs with bias on the pooled vector: C → C_squeeze → C."""
    weights = 2 * unit.channels * unit.squeeze_channels
    return LayerCost(unit.name, unit.kind, (1, unit.channels, unit.size, unit.size),
                     weights + unit.squeeze_channels + unit.channels, weights, weights, unit.row)


def plan_cost(plan: ModelPlan) -> Cost:
    convs = plan.conv_layers()
    classes = plan.config.num_classes
    layers = [conv_cost(plan.stem)]
    for block in plan.blocks:
        layers += [conv_cost(u) if isinstance(u, ConvPlan) else squeeze_excite_cost(u) for u in block.units()]
    if plan.last_conv:
        layers.append(conv_cost(plan.last_conv))
    layers.append(LayerCost("pool", "pool", (1, plan.pooled_channels, 1, 1), 0, 0, 0))
    if plan.pre_logits:
        hidden = plan.pre_logits
        layers.append(LayerCost(hidden.name, hidden.kind, (1, hidden.out_features),
                                linear_params(hidden.in_features, hidden.out_features),
                                linear_params(hidden.in_features, hidden.out_features, bias=False),
                                linear_macs(hidden.in_features, hidden.out_features)))
    layers.append(
        LayerCost("head", "head", (1, classes), linear_params(plan.features, classes),
                  linear_params(plan.features, classes, bias=False), linear_macs(plan.features, classes))
    )
    # Every conv's input is the image or an earlier conv's output, so the largest feature map is
    # the image or the largest conv output (an expansion's output in V2).
    largest = max([3 * plan.config.resolution**2] + [c.out_channels * c.out_size**2 for c in convs])
    return Cost(
        layers=tuple(layers),
        params=sum(layer.params for layer in layers),
        weight_params=sum(layer.weight_params for layer in layers),
        macs=sum(layer.macs for layer in layers),
        buffers=sum(2 * c.out_channels for c in convs),
        batch_norms=len(convs),
        largest_activation=largest,
    )


@lru_cache(maxsize=1024)  # a pure function of a frozen config: validation and every view share one count
def count(config: MobileNetConfig) -> Cost:
    """Analytic per-layer and total counts of ``config``; nothing is built or traced."""
    return plan_cost(make_plan(config))
