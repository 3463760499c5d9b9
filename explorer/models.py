"""Plan → PyTorch module. The builder reads the plan; it decides no sizes of its own.

Module names read as the architecture: ``stem``, ``blocks.3.expand``, ``blocks.3.depthwise``,
``blocks.3.project``, ``last_conv``, ``pool``, ``dropout``, ``head``. Every conv layer is the same
:class:`ConvBNAct` unit; depthwise layers are grouped convolutions with groups = channels (one
kernel launch, not a Python loop over channels). Pooling is adaptive, so any resolution works.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .config import MobileNetConfig
from .plan import BlockPlan, ConvPlan, ModelPlan, make_plan

ACTIVATION_MODULES = {"relu": nn.ReLU, "relu6": nn.ReLU6}


class ConvBNAct(nn.Sequential):
    """Conv (no bias: batch norm's shift replaces it) → BatchNorm → activation (if any)."""

    def __init__(self, layer: ConvPlan):
        modules = OrderedDict({
            "conv": nn.Conv2d(
                layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride,
                padding=(layer.kernel_size - 1) // 2, groups=layer.groups, bias=False,
            ),
            "bn": nn.BatchNorm2d(layer.out_channels),
        })
        if layer.activation is not None:
            modules["act"] = ACTIVATION_MODULES[layer.activation](inplace=True)
        super().__init__(modules)


class Block(nn.Module):
    """A V1 depthwise-separable layer or a V2 inverted residual, as its plan says.

    Children are named by kind (``expand``, ``depthwise``, ``project``, ``pointwise``, ``conv``).
    The residual joins the thin ends (V2 paper, Section 3.3) when the plan says it applies:
    stride 1 and equal input and output channels.
    """

    def __init__(self, block: BlockPlan):
        super().__init__()
        self.residual = block.residual
        for layer in block.layers:
            self.add_module(layer.name.rsplit(".", 1)[1], ConvBNAct(layer))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for layer in self.children():
            out = layer(out)
        return x + out if self.residual else out


class MobileNet(nn.Module):
    def __init__(self, plan: ModelPlan):
        super().__init__()
        config = plan.config
        self.stem = ConvBNAct(plan.stem)
        self.blocks = nn.Sequential(*(Block(block) for block in plan.blocks))
        self.last_conv = ConvBNAct(plan.last_conv) if plan.last_conv else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(plan.features, config.num_classes)
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.last_conv(self.blocks(self.stem(x)))
        return self.head(self.dropout(torch.flatten(self.pool(x), 1)))


def _init_weights(model: nn.Module) -> None:
    # torchvision's MobileNet initialization: trained-like weight scales keep activations in a
    # normal range, so latency is not distorted by denormals or all-zero ReLU outputs.
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


@torch.no_grad()
def _calibrate_batch_norm(model: nn.Module, resolution: int, seed: int = 0) -> None:
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
        m.momentum = 0.1  # PyTorch's default, for anyone who fine-tunes the model


def build_model(config: MobileNetConfig) -> MobileNet:
    """A freshly initialized PyTorch model for ``config``, in eval mode, with calibrated BN stats."""
    model = MobileNet(make_plan(config))
    _calibrate_batch_norm(model, config.resolution)
    return model.eval()
