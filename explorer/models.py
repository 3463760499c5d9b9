"""Plan → PyTorch module. The builder reads the plan; it decides no sizes of its own.

Module names read as the architecture: ``stem``, ``blocks.3.expand``, ``blocks.3.depthwise``,
``blocks.3.project``, ``last_conv``, ``pool``, ``dropout``, ``head``; V3 adds ``blocks.3.se``
(squeeze-and-excite) and ``pre_logits`` (the hidden classifier layer). Registration order equals
torchvision's MobileNetV2/V3, so their state dicts line up with ours position by position. Every conv layer is the same
:class:`ConvBNAct` unit; depthwise layers are grouped convolutions with groups = channels (one
kernel launch, not a Python loop over channels). Pooling is adaptive, so any resolution works.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .config import MobileNetConfig
from .plan import BlockPlan, ConvPlan, LinearPlan, ModelPlan, SqueezeExcitePlan, make_plan
from .schema import BATCH_NORM, DEFAULT_BATCH_NORM

ACTIVATION_MODULES = {"relu": nn.ReLU, "relu6": nn.ReLU6, "hardswish": nn.Hardswish}


class ConvBNAct(nn.Sequential):
    """Conv (no bias: batch norm's shift replaces it) → BatchNorm → activation (if any)."""

    def __init__(self, layer: ConvPlan, eps: float = DEFAULT_BATCH_NORM[0]):
        modules = OrderedDict({
            "conv": nn.Conv2d(
                layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                padding=(layer.kernel_size - 1) // 2, groups=layer.groups, bias=False,
            ),
            "bn": nn.BatchNorm2d(layer.out_channels, eps=eps),
        })
        if layer.activation is not None:
            modules["act"] = ACTIVATION_MODULES[layer.activation](inplace=True)
        super().__init__(modules)


class SqueezeExcite(nn.Module):
    """Scale each channel by a gate computed from the pooled tensor (V3 paper, Section 5.3), as
    torchvision's ``SqueezeExcitation``: pool → 1×1 conv + ReLU → 1×1 conv + hard sigmoid → scale."""

    def __init__(self, unit: SqueezeExcitePlan):
        super().__init__()
        self.squeeze = nn.Conv2d(unit.channels, unit.squeeze_channels, 1)
        self.excite = nn.Conv2d(unit.squeeze_channels, unit.channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = nn.functional.adaptive_avg_pool2d(x, 1)
        scale = nn.functional.hardsigmoid(self.excite(nn.functional.relu(self.squeeze(scale))))
        return scale * x


class LinearAct(nn.Sequential):
    """Linear (with bias) → activation: V3's hidden classifier layer."""

    def __init__(self, layer: LinearPlan):
        modules = OrderedDict({"linear": nn.Linear(layer.in_features, layer.out_features)})
        if layer.activation is not None:
            modules["act"] = ACTIVATION_MODULES[layer.activation](inplace=True)
        super().__init__(modules)


class BlockModule(nn.Module):
    """A V1 depthwise-separable layer, a V2 inverted residual or a V3 bneck, as its plan says.

    Children are named by kind (``expand``, ``depthwise``, ``se``, ``project``, ``pointwise``,
    ``conv``). The residual joins the thin ends (V2 paper, Section 3.3) when the plan says it
    applies: stride 1 and equal input and output channels.
    """

    def __init__(self, block: BlockPlan, eps: float = DEFAULT_BATCH_NORM[0]):
        super().__init__()
        self.residual = block.residual
        for unit in block.units():
            module = ConvBNAct(unit, eps) if isinstance(unit, ConvPlan) else SqueezeExcite(unit)
            self.add_module(unit.name.rsplit(".", 1)[1], module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for layer in self.children():
            out = layer(out)
        return x + out if self.residual else out


class MobileNet(nn.Module):
    def __init__(self, plan: ModelPlan):
        super().__init__()
        config = plan.config
        eps = BATCH_NORM.get(config.arch, DEFAULT_BATCH_NORM)[0]
        self.stem = ConvBNAct(plan.stem, eps)
        self.blocks = nn.Sequential(*(BlockModule(block, eps) for block in plan.blocks))
        self.last_conv = ConvBNAct(plan.last_conv, eps) if plan.last_conv else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        # V3 only (V1/V2 models have no such module, so their state dicts are unchanged).
        self.pre_logits = LinearAct(plan.pre_logits) if plan.pre_logits else None
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(plan.features, config.num_classes)
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.pool(self.last_conv(self.blocks(self.stem(x)))), 1)
        if self.pre_logits is not None:
            x = self.pre_logits(x)
        return self.head(self.dropout(x))


def _init_weights(model: nn.Module) -> None:
    # torchvision's MobileNet initialization: trained-like weight scales keep activations in a
    # normal range, so latency is not distorted by denormals or all-zero ReLU outputs.
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
            if m.bias is not None:  # squeeze-and-excite convs
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


@torch.no_grad()
def _calibrate_batch_norm(model: nn.Module, resolution: int, seed: int = 0, momentum: float = DEFAULT_BATCH_NORM[1]) -> None:
    """Set batch-norm running stats from one random batch, as a trained network's would be.

    With fresh stats (mean 0, variance 1) eval-mode batch norm is the identity, and activations of
    a randomly initialized MobileNet shrink layer after layer (to ~1e-22 at the V2 output).
    Denormal-range values slow CPU kernels, so latency would be measured on unrealistic data.
    One forward pass in training mode with cumulative averaging fixes the scales.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, running stats = batch stats
    x = torch.randn(2, 3, resolution, resolution, generator=torch.Generator().manual_seed(seed))
    model.train()(x)
    for m in norms:
        m.momentum = momentum  # the family's training momentum, for anyone who fine-tunes the model


def build_model(config: MobileNetConfig) -> MobileNet:
    """A freshly initialized PyTorch model for ``config``, in eval mode, with calibrated BN stats."""
    model = MobileNet(make_plan(config))
    _calibrate_batch_norm(model, config.resolution, momentum=BATCH_NORM.get(config.arch, DEFAULT_BATCH_NORM)[1])
    return model.eval()
