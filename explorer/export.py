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

from .config import FAMILY_DEFAULTS, PAPER_BLOCKS, ConfigError, MobileNetConfig, loads_config, v3_preset_name, with_expansion
from .counting import count
from .export_templates import PLAIN_PYTORCH, TORCHVISION_V2, TORCHVISION_V3
from .plan import ConvPlan, make_plan
from .schema import BATCH_NORM, DEFAULT_BATCH_NORM, V3_HIDDEN_CHANNELS, V3_STEM_CHANNELS

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
    family = config.title
    return f"{family} (α = {_number(config.width_multiplier)}, {config.resolution} px, {config.num_classes} classes)"


def _conv_tuple(layer) -> str:
    activation = "None" if layer.activation is None else json.dumps(layer.activation)
    return f"({layer.in_channels}, {layer.out_channels}, {layer.kernel_size}, {layer.stride}, {layer.groups}, {activation})"



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
        layers = ", ".join(f"{json.dumps(unit.name.rsplit('.', 1)[1])}: {_unit_tuple(unit)}" for unit in block.units())
        blocks.append(f"    ({block.residual}, {{{layers}}}),")
    hidden = plan.pre_logits
    pre_logits = "None" if hidden is None else f"({hidden.in_features}, {hidden.out_features}, {json.dumps(hidden.activation)})"
    return PLAIN_PYTORCH.substitute(
        _template_values(config, export_filename(config, "python"), _title(config)),
        config_literal=_python_literal(config), features=plan.features, stem=_conv_tuple(plan.stem), blocks="\n".join(blocks),
        last_conv="None" if plan.last_conv is None else _conv_tuple(plan.last_conv), pre_logits=pre_logits,
        eps=repr(BATCH_NORM.get(config.arch, DEFAULT_BATCH_NORM)[0]),
    )


def _unit_tuple(unit) -> str:
    if isinstance(unit, ConvPlan):
        return _conv_tuple(unit)
    return f'("se", {unit.channels}, {unit.squeeze_channels})'


def torchvision_unsupported(config: MobileNetConfig) -> str | None:
    """Why ``torchvision.models.MobileNetV2`` cannot express ``config``, or None when it can."""
    if config.is_v3:
        # Rows without squeeze-and-excite or h-swish are expressible; the stem, last conv and
        # classifier are always h-swish in torchvision.
        return None if config.hard_swish else "torchvision's MobileNetV3 always uses h-swish in its stem and head"
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
    if config.is_v3:
        return _torchvision_v3_snippet(config)
    rows = "\n".join(f"    [{b.t}, {b.c}, {b.n}, {b.s}]," for b in config.blocks)
    return TORCHVISION_V2.substitute(
        _template_values(config, torchvision_filename(config), _title(config) + " (torchvision)"), rows=rows,
    )


def _torchvision_v3_snippet(config: MobileNetConfig) -> str:
    """torchvision's ``MobileNetV3(inverted_residual_setting, last_channel)`` built from the rows:
    each row's input is the previous row's output (16 for the first: the stem), as in the plan."""
    rows, cin = [], V3_STEM_CHANNELS
    for b in config.blocks:
        se = b.se and config.squeeze_excite
        rows.append(f"    [{cin}, {b.k}, {b.exp}, {b.c}, {se}, {json.dumps('HS' if b.nl == 'hardswish' else 'RE')}, {b.s}],")
        cin = b.c
    return TORCHVISION_V3.substitute(
        _template_values(config, torchvision_filename(config), _title(config) + " (torchvision)"),
        rows="\n".join(rows), last_channel=V3_HIDDEN_CHANNELS[config.arch],
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
    if config.activation != family.get("activation", config.activation):
        parts.append(config.activation)
    if config.dropout != family["dropout"]:
        parts.append(f"dropout{_number(config.dropout)}")
    if not config.depthwise_separable:
        parts.append("fullconv")
    if not config.linear_bottleneck:
        parts.append("nonlinear")
    if not config.residual:
        parts.append("nores")
    preset = v3_preset_name(config)
    if preset and preset != "standard":
        parts.append(preset)
        return "_".join(parts)
    if not config.squeeze_excite:
        parts.append("nose")
    if not config.hard_swish:
        parts.append("relu")
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
