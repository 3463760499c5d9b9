"""Take a config away and bring it back: JSON (schema v1), a runnable Python snippet, a per-layer
CSV, and a validated import. Torch-free: the snippet builds the model when it is run, not here.

The pages offer these as downloads and ``python -m explorer export`` writes them to a file; both
go through :func:`export`, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from string import Template

from .config import FAMILY_DEFAULTS, PAPER_BLOCKS, ConfigError, MobileNetConfig, loads_config, with_expansion
from .counting import count
from .plan import make_plan

FORMATS = ("json", "python", "csv")
# Model files (binary), built by explorer.runtimes: they need torch and the runtime's packages.
BINARY_FORMATS = ("onnx", "pte", "tflite", "tflite-int8")
SUFFIX = {"json": ".json", "python": ".py", "csv": ".csv", "onnx": ".onnx", "pte": ".pte", "tflite": ".tflite",
          "tflite-int8": "_int8.tflite"}
CSV_COLUMNS = ("name", "kind", "output_shape", "params", "weight_params", "macs")


def config_json(config: MobileNetConfig) -> str:
    """The normalized schema-v1 JSON: every field explicit and the blocks table written out, so
    the file means the same model whatever later versions take as defaults.

    Round trip: ``loads_config(config_json(c)) == c`` (floats are written with ``repr``, which
    Python reads back to the same bits).
    """
    return config.to_json()


def _python_literal(config: MobileNetConfig) -> str:
    """The schema-v1 dict as Python source, one field per line and one blocks row per line."""

    def value(v: object) -> str:
        # repr gives Python's True/False and round-tripping floats; strings here are plain ASCII.
        return json.dumps(v) if isinstance(v, str) else repr(v)

    data = config.to_dict()
    rows = data.pop("blocks")
    lines = [f"    {json.dumps(k)}: {value(v)}," for k, v in data.items()]
    lines.append('    "blocks": [')
    lines += ["        {" + ", ".join(f"{json.dumps(k)}: {value(v)}" for k, v in row.items()) + "}," for row in rows]
    lines.append("    ],")
    return "{\n" + "\n".join(lines) + "\n}"


def _number(value: float) -> str:
    """The shortest text that reads back to the same float: 1.0 → "1", 0.12499999 stays 0.12499999."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _title(config: MobileNetConfig) -> str:
    family = "MobileNet V2" if config.is_v2 else "MobileNet V1"
    return f"{family} (α = {_number(config.width_multiplier)}, {config.resolution} px, {config.num_classes} classes)"


def _conv_tuple(layer) -> str:
    activation = "None" if layer.activation is None else json.dumps(layer.activation)
    return f"({layer.in_channels}, {layer.out_channels}, {layer.kernel_size}, {layer.stride}, {layer.groups}, {activation})"


# The exported files are plain Python written from these templates (string.Template: $name is
# filled in; Python's own braces stay as they are). They count MACs as explorer.counting does (conv
# + linear multiply-accumulates, one image), from the shapes a forward pass sees, so each file
# checks the explorer's numbers with nothing but torch.
_COUNT_AND_CHECK = '''

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

_PLAIN_PYTORCH = Template('''"""$title in plain PyTorch, exported by MobileNet Explorer.

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
BLOCKS = [
$blocks
]
LAST_CONV = $last_conv

ACTIVATIONS = {"relu": nn.ReLU, "relu6": nn.ReLU6}


class ConvBNAct(nn.Sequential):
    """Conv (no bias: batch norm's shift replaces it), batch norm, activation (unless linear)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, groups, activation):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=(kernel_size - 1) // 2,
                              groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        if activation is not None:
            self.act = ACTIVATIONS[activation](inplace=True)


class Block(nn.Module):
    """A V1 depthwise-separable layer or a V2 inverted residual: its convolutions in order."""

    def __init__(self, residual, layers):
        super().__init__()
        self.residual = residual
        for name, spec in layers.items():
            self.add_module(name, ConvBNAct(*spec))

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
        self.dropout = nn.Dropout(DROPOUT)
        self.head = nn.Linear(FEATURES, NUM_CLASSES)
        for m in self.modules():  # torchvision's MobileNet initialization
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.last_conv(self.blocks(self.stem(x)))
        return self.head(self.dropout(torch.flatten(self.pool(x), 1)))


def build_model() -> MobileNet:
    """A freshly initialized model in eval mode."""
    return MobileNet().eval()
''' + _COUNT_AND_CHECK)

_TORCHVISION = Template('''"""$title as torchvision's MobileNetV2, exported by MobileNet Explorer.

Needs torch and torchvision. Run it to build the model and check its counts:

    python $file_name

Expected: $params_text parameters and $macs_text MACs, as in the explorer. The layers are the
explorer's, in the same order, under torchvision's names (features.0.0.weight, ...).
"""

import torch
from torch import nn
from torchvision.models import MobileNetV2

TITLE = $title_literal
RESOLUTION = $resolution
EXPECTED_PARAMS = $params
EXPECTED_MACS = $macs
# The block table as the V2 paper's Table 2 writes it: t, c, n, s.
INVERTED_RESIDUAL_SETTING = [
$rows
]


def build_model() -> MobileNetV2:
    """A freshly initialized model in eval mode."""
    model = MobileNetV2(num_classes=$num_classes, width_mult=$width, inverted_residual_setting=INVERTED_RESIDUAL_SETTING,
                        round_nearest=8, dropout=$dropout)
    return model.eval()
''' + _COUNT_AND_CHECK)


def _template_values(config: MobileNetConfig, file_name: str, title: str) -> dict[str, object]:
    cost = count(config)
    return {
        "title": title, "title_literal": json.dumps(title, ensure_ascii=False), "file_name": file_name,
        "params": cost.params, "macs": cost.macs, "params_text": f"{cost.params:,}", "macs_text": f"{cost.macs:,}",
        "resolution": config.resolution, "num_classes": config.num_classes, "dropout": repr(config.dropout),
        "width": repr(config.width_multiplier),
    }


def python_snippet(config: MobileNetConfig) -> str:
    """A standalone script that defines the model of ``config`` in plain PyTorch (it never imports
    the explorer) and checks its params and MACs against the explorer's.

    The architecture is written out resolved from the plan, one tuple per convolution, and the
    module names equal :func:`explorer.build_model`'s, so that model's state dict loads here.
    """
    plan = make_plan(config)
    blocks = []
    for block in plan.blocks:
        layers = ", ".join(f"{json.dumps(layer.name.rsplit('.', 1)[1])}: {_conv_tuple(layer)}" for layer in block.layers)
        blocks.append(f"    ({block.residual}, {{{layers}}}),")
    return _PLAIN_PYTORCH.substitute(
        _template_values(config, export_filename(config, "python"), _title(config)),
        config_literal=_python_literal(config), features=plan.features, stem=_conv_tuple(plan.stem), blocks="\n".join(blocks),
        last_conv="None" if plan.last_conv is None else _conv_tuple(plan.last_conv),
    )


def torchvision_unsupported(config: MobileNetConfig) -> str | None:
    """Why ``torchvision.models.MobileNetV2`` cannot express ``config``, or None when it can."""
    if not config.is_v2:
        return "torchvision has no MobileNet V1"
    if config.activation != "relu6":
        return "torchvision's MobileNetV2 always uses ReLU6"
    if not config.linear_bottleneck:
        return "torchvision's MobileNetV2 always has linear bottlenecks"
    if not config.residual:
        return "torchvision's MobileNetV2 always has its residual connections"
    return None


def torchvision_snippet(config: MobileNetConfig) -> str:
    """A script that builds ``config`` as ``torchvision.models.MobileNetV2(width_mult=...,
    inverted_residual_setting=...)`` and checks its counts; ValueError with the reason when
    torchvision cannot express the config (:func:`torchvision_unsupported`).

    torchvision rounds widths as the explorer does (``_make_divisible``; the last conv stays at
    1280 for α < 1), so it is the same architecture: the same state-dict shapes in the same order,
    under torchvision's names, and the same outputs for the same weights.
    """
    reason = torchvision_unsupported(config)
    if reason:
        raise ValueError(f"torchvision: {reason}")
    rows = "\n".join(f"    [{b.t}, {b.c}, {b.n}, {b.s}]," for b in config.blocks)
    return _TORCHVISION.substitute(
        _template_values(config, torchvision_filename(config), _title(config) + " (torchvision)"), rows=rows,
    )


def torchvision_filename(config: MobileNetConfig) -> str:
    """``mobilenet_v2_0.75_192_torchvision.py``: the torchvision variant's default file name."""
    return f"{config_slug(config)}_torchvision.py"


def config_slug(config: MobileNetConfig) -> str:
    """A file-name stem that tells configs apart: ``mobilenet_v2_0.75_192``, then every field that
    differs from the family's default (``_10cls_relu_nores``), and the block table when it is not
    the paper's: ``_t4`` for the paper's V2 table at another expansion, else a short hash of the
    rows (``_blocks-1a2b3c4d``). Numbers are written exactly, so two configs never share a stem."""
    parts = [config.arch, _number(config.width_multiplier), str(config.resolution)]
    if config.num_classes != 1000:
        parts.append(f"{config.num_classes}cls")
    family = FAMILY_DEFAULTS[config.arch]
    if config.activation != family["activation"]:
        parts.append(config.activation)
    if config.dropout != family["dropout"]:
        parts.append(f"dropout{_number(config.dropout)}")
    if not config.depthwise_separable:
        parts.append("fullconv")
    if not config.linear_bottleneck:
        parts.append("nonlinear")
    if not config.residual:
        parts.append("nores")
    if config.blocks != PAPER_BLOCKS[config.arch]:
        expansions = {b.t for b in config.blocks if b.t != 1}
        t = next(iter(expansions)) if config.is_v2 and len(expansions) == 1 else None
        if t is not None and config.blocks == with_expansion(PAPER_BLOCKS[config.arch], t):
            parts.append(f"t{t}")
        else:
            rows = json.dumps([b.to_dict() for b in config.blocks], separators=(",", ":"))
            parts.append("blocks-" + hashlib.sha256(rows.encode()).hexdigest()[:8])
    return "_".join(parts)


def profile_csv(config: MobileNetConfig, latency_ms_by_layer: Mapping[str, float] | None = None) -> str:
    """The per-layer profile as CSV: name, kind, output_shape (``1x32x112x112``), params,
    weight_params, macs, and latency_ms when per-layer latencies are given (blank where a layer
    has none: unknown is never 0)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = CSV_COLUMNS + (("latency_ms",) if latency_ms_by_layer is not None else ())
    writer.writerow(columns)
    for layer in count(config).layers:
        row = [layer.name, layer.kind, "x".join(map(str, layer.output_shape)), layer.params, layer.weight_params, layer.macs]
        if latency_ms_by_layer is not None:
            ms = latency_ms_by_layer.get(layer.name)
            row.append("" if ms is None else repr(float(ms)))
        writer.writerow(row)
    return out.getvalue()


def import_config(data: bytes | str) -> MobileNetConfig:
    """A config from an uploaded file's content: size-limited, UTF-8 JSON, schema-v1 validated.

    Raises :class:`ConfigError` with the same messages as the CLI (``blocks[3].s: stride must be
    1 or 2, got 3``); on error nothing is returned, so a bad file never replaces a good config.
    """
    if not isinstance(data, (bytes, bytearray, str)):
        raise ConfigError("file", f"must be the file's bytes or text, got {type(data).__name__}")
    return loads_config(bytes(data) if isinstance(data, bytearray) else data)


def export(config: MobileNetConfig, fmt: str) -> str:
    """``config`` as ``json``, ``python`` or ``csv`` text (see :data:`FORMATS`)."""
    writers = {"json": config_json, "python": python_snippet, "csv": profile_csv}
    if fmt not in writers:
        raise ValueError(f"format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return writers[fmt](config)


def export_model_file(config: MobileNetConfig, fmt: str, model=None) -> bytes:
    """The fp32 model as ``onnx``, ``pte`` or ``tflite`` bytes, or the full-integer ``tflite-int8``
    (see :data:`BINARY_FORMATS`), returned only once the file has been loaded by its runtime and
    matched eager's output (int8: SQNR and cosine)
    (:func:`explorer.runtimes.checked_export`, which raises when it cannot)."""
    from .runtimes import checked_export

    return checked_export(config, fmt, model).data


def export_filename(config: MobileNetConfig, fmt: str) -> str:
    """A default file name that says what is inside: ``mobilenet_v2_0.75_192.json``."""
    if fmt not in SUFFIX:
        raise ValueError(f"format: must be one of {', '.join(FORMATS + BINARY_FORMATS)}, got {fmt!r}")
    return config_slug(config) + SUFFIX[fmt]
