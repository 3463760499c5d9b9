"""Take a config away and bring it back: JSON (schema v1), a runnable Python snippet, a per-layer
CSV, and a validated import. Torch-free: the snippet builds the model when it is run, not here.

The pages offer these as downloads and ``python -m explorer export`` writes them to a file; both
go through :func:`export`, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping

from .config import ConfigError, MobileNetConfig, loads_config
from .counting import count

FORMATS = ("json", "python", "csv")
SUFFIX = {"json": ".json", "python": ".py", "csv": ".csv"}
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


def python_snippet(config: MobileNetConfig) -> str:
    """A runnable script that rebuilds ``config`` with the explorer package and checks its counts."""
    cost = count(config)
    return f'''"""Rebuild a {config.arch} (α={config.width_multiplier:g}, {config.resolution} px) exported by MobileNet Explorer.

Run it where the explorer package is importable (the project's root, or an install):
    python this_file.py
Expected: {cost.params:,} parameters and {cost.macs:,} MACs.
"""

import torch

import explorer

config = explorer.parse_config({_python_literal(config)})
model = explorer.build_model(config)  # a torch.nn.Module in eval mode, freshly initialized
cost = explorer.count(config)  # the analytic counts, layer by layer

params = sum(p.numel() for p in model.parameters())
assert params == cost.params, (params, cost.params)
with torch.no_grad():
    logits = model(torch.randn(1, 3, config.resolution, config.resolution))
print(f"{{config.arch}} α={{config.width_multiplier:g}} {{config.resolution}}px: "
      f"{{params:,}} params, {{cost.macs:,}} MACs, output {{tuple(logits.shape)}}")
'''


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


def export_filename(config: MobileNetConfig, fmt: str) -> str:
    """A default file name that says what is inside: ``mobilenet_v2_0.75_192.json``."""
    if fmt not in SUFFIX:
        raise ValueError(f"format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return f"{config.arch}_{config.width_multiplier:g}_{config.resolution}{SUFFIX[fmt]}"
