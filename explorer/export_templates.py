"""The text templates of the exported Python files (``string.Template``: ``$name`` is filled in by
``explorer.export``; Python's own braces stay as they are). Plain data, kept apart so that
``export.py`` holds the logic only.
"""

from __future__ import annotations

from string import Template

# Every exported file counts MACs as explorer.counting does (conv + linear multiply-accumulates,
# one image), from the shapes a forward pass sees, so each file checks the explorer's numbers with
# nothing but torch.
COUNT_AND_CHECK = '''

def count_macs(model: nn.Module, resolution: int) -> int:
    """Multiply-accumulates of every Conv2d and Linear for one image (batch norm, activations,
    pooling and residual adds are not counted, as in the papers). FLOPs = 2 × MACs."""
    macs = 0

    def conv(module, inputs, output):
        nonlocal macs
        kernel = module.kernel_size[0] * module.kernel_size[1]
        macs += output[0].numel() * (module.in_channels // module.groups) * kernel

    def linear(module, inputs, output):
        nonlocal macs
        macs += module.in_features * module.out_features

    handles = [m.register_forward_hook(conv) for m in model.modules() if isinstance(m, nn.Conv2d)]
    handles += [m.register_forward_hook(linear) for m in model.modules() if isinstance(m, nn.Linear)]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, resolution, resolution))
    finally:
        for handle in handles:
            handle.remove()
    return macs


def main() -> None:
    model = build_model()
    params = sum(p.numel() for p in model.parameters())
    macs = count_macs(model, RESOLUTION)
    with torch.no_grad():
        logits = model(torch.randn(1, 3, RESOLUTION, RESOLUTION))
    print(f"{TITLE}: {params:,} params, {macs:,} MACs, output {tuple(logits.shape)}")
    if (params, macs) != (EXPECTED_PARAMS, EXPECTED_MACS):
        raise SystemExit(f"expected {EXPECTED_PARAMS:,} params and {EXPECTED_MACS:,} MACs")


if __name__ == "__main__":
    main()
'''

PLAIN_PYTORCH = Template('''"""$title in plain PyTorch, exported by MobileNet Explorer.

Needs only torch. Run it to build the model and check its counts:

    python $file_name

Expected: $params_text parameters and $macs_text MACs (multiply-accumulates of the convolutions
and the classifier for one ${resolution}×$resolution image; FLOPs = 2 × MACs). Or import it and
call build_model(). Module names and state-dict keys are the explorer's (stem.conv.weight,
blocks.3.depthwise.bn.bias, ...), so weights saved from a model that explorer.build_model()
built load here with model.load_state_dict(...).
"""

import torch
from torch import nn

TITLE = $title_literal
# The config this file was exported from (schema v1): explorer.parse_config(CONFIG) reads it back.
CONFIG = $config_literal

RESOLUTION = $resolution
NUM_CLASSES = $num_classes
DROPOUT = $dropout
FEATURES = $features
EXPECTED_PARAMS = $params
EXPECTED_MACS = $macs

# Every convolution, resolved from the config (channels after width rounding), as
# (in_channels, out_channels, kernel_size, stride, groups, activation): activation None is linear,
# groups = channels is a depthwise convolution.
STEM = $stem
# One entry per block: (residual, {child name: convolution}). A residual block adds its input to its output.
# ("se", channels, squeeze_channels) is a squeeze-and-excite unit.
BLOCKS = [
$blocks
]
LAST_CONV = $last_conv
# The hidden classifier layer (in_features, out_features, activation), or None: a Linear + activation.
PRE_LOGITS = $pre_logits
BATCH_NORM_EPS = $eps

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6, "hardswish": nn.Hardswish}


class ConvBNAct(nn.Sequential):
    """Conv (no bias: batch norm's shift replaces it), batch norm, activation (unless linear)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, groups, activation):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=(kernel_size - 1) // 2,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=BATCH_NORM_EPS)
        if activation is not None:
            self.act = ACTIVATIONS[activation](inplace=True)


class SqueezeExcite(nn.Module):
    """Pool, 1×1 conv + ReLU, 1×1 conv + hard sigmoid: a gate that scales each channel."""

    def __init__(self, channels, squeeze_channels):
        super().__init__()
        self.squeeze = nn.Conv2d(channels, squeeze_channels, 1)
        self.excite = nn.Conv2d(squeeze_channels, channels, 1)

    def forward(self, x):
        scale = nn.functional.adaptive_avg_pool2d(x, 1)
        return nn.functional.hardsigmoid(self.excite(nn.functional.relu(self.squeeze(scale)))) * x


class LinearAct(nn.Sequential):
    def __init__(self, in_features, out_features, activation):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        if activation is not None:
            self.act = ACTIVATIONS[activation](inplace=True)


class Block(nn.Module):
    """A V1 depthwise-separable layer, a V2 inverted residual or a V3 bneck: its units in order."""

    def __init__(self, residual, layers):
        super().__init__()
        self.residual = residual
        for name, spec in layers.items():
            self.add_module(name, SqueezeExcite(*spec[1:]) if spec[0] == "se" else ConvBNAct(*spec))

    def forward(self, x):
        out = x
        for layer in self.children():
            out = layer(out)
        return x + out if self.residual else out


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBNAct(*STEM)
        self.blocks = nn.Sequential(*(Block(residual, layers) for residual, layers in BLOCKS))
        self.last_conv = ConvBNAct(*LAST_CONV) if LAST_CONV else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.pre_logits = LinearAct(*PRE_LOGITS) if PRE_LOGITS else None
        self.dropout = nn.Dropout(DROPOUT)
        self.head = nn.Linear(FEATURES, NUM_CLASSES)
        for m in self.modules():  # torchvision's MobileNet initialization
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = torch.flatten(self.pool(self.last_conv(self.blocks(self.stem(x)))), 1)
        if self.pre_logits is not None:
            x = self.pre_logits(x)
        return self.head(self.dropout(x))


def build_model() -> MobileNet:
    """A freshly initialized model in eval mode."""
    return MobileNet().eval()
''' + COUNT_AND_CHECK)


def _torchvision_file(model_class: str, imports: str, table: str, build: str) -> Template:
    """A torchvision file: the same opening for every family, then its imports, its block table and
    its build_model()."""
    return Template(f'''"""$title as torchvision's {model_class}, exported by MobileNet Explorer.

Needs torch and torchvision. Run it to build the model and check its counts:

    python $file_name

Expected: $params_text parameters and $macs_text MACs, as in the explorer. The layers are the
explorer's, in the same order, under torchvision's names (features.0.0.weight, ...).
"""
{imports}
TITLE = $title_literal
RESOLUTION = $resolution
EXPECTED_PARAMS = $params
EXPECTED_MACS = $macs
{table}

def build_model() -> {model_class}:
    """A freshly initialized model in eval mode."""
{build}''' + COUNT_AND_CHECK)


TORCHVISION_V2 = _torchvision_file("MobileNetV2", '''
import torch
from torch import nn
from torchvision.models import MobileNetV2
''', '''# The block table as the V2 paper's Table 2 writes it: t, c, n, s.
INVERTED_RESIDUAL_SETTING = [
$rows
]
''', '''    model = MobileNetV2(num_classes=$num_classes, width_mult=$width, inverted_residual_setting=INVERTED_RESIDUAL_SETTING,
                        round_nearest=8, dropout=$dropout)
    return model.eval()
''')

TORCHVISION_V3 = _torchvision_file("MobileNetV3", '''
from functools import partial

import torch
from torch import nn
from torchvision.models.mobilenetv3 import InvertedResidualConfig, MobileNetV3
''', '''WIDTH_MULTIPLIER = $width
# The block table as the V3 paper writes it (before the width multiplier): input channels,
# kernel, expanded size, output channels, squeeze-and-excite, NL (RE: ReLU, HS: h-swish), stride.
BNECKS = [
$rows
]
LAST_CHANNEL = $last_channel  # the hidden classifier width, before the width multiplier
''', '''    row = partial(InvertedResidualConfig, dilation=1, width_mult=WIDTH_MULTIPLIER)
    setting = [row(*bneck) for bneck in BNECKS]
    last_channel = InvertedResidualConfig.adjust_channels(LAST_CHANNEL, WIDTH_MULTIPLIER)
    model = MobileNetV3(setting, last_channel, num_classes=$num_classes, dropout=$dropout)
    return model.eval()
''')
