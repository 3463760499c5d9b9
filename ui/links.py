"""Shareable links: a config ↔ URL query parameters, both ways, validated like a file.

The URL holds the full config in readable form, e.g.
``?width_multiplier=0.75&resolution=192&blocks=1.16.1.1_6.24.2.2_…`` (V2 rows are t.c.n.s, V1
rows c.n.s). Decoding builds a schema-v1 dict and runs the same validation as a config file, so
a tampered link gets the same clear message naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from explorer import ConfigError, MobileNetConfig, parse_config
from explorer.config import FAMILY_DEFAULTS, PAPER_BLOCKS, SCHEMA_VERSION

ROW_SEP, CELL_SEP = "_", "."
_INT_FIELDS = ("resolution", "num_classes")
_FLOAT_FIELDS = ("width_multiplier", "dropout")
_BOOL_FIELDS = ("depthwise_separable", "linear_bottleneck", "residual")
MAX_PARAM_LENGTH = 2000  # a paper-sized table encodes in ~100 characters


def encode(config: MobileNetConfig) -> dict[str, str]:
    """Query parameters for ``config``; fields at their family default are left out to keep links short."""
    params = {
        "width_multiplier": f"{config.width_multiplier:g}",
        "resolution": str(config.resolution),
    }
    if config.num_classes != 1000:
        params["num_classes"] = str(config.num_classes)
    family = FAMILY_DEFAULTS[config.arch]
    for key, default in family.items():
        value = getattr(config, key)
        if value != default:
            params[key] = ("1" if value else "0") if isinstance(value, bool) else f"{value:g}" if isinstance(value, float) else str(value)
    if config.blocks != PAPER_BLOCKS[config.arch]:
        params["blocks"] = ROW_SEP.join(
            CELL_SEP.join(str(v) for v in row.to_dict().values()) for row in config.blocks
        )
    return params


def _number(text: str, field: str, kind: type) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise ConfigError(field, f"expected {'an integer' if kind is int else 'a number'} in the link, got {text[:20]!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(field, f"must be a finite number, got {text[:20]!r}")
    return value


def decode(arch: str, params: Mapping[str, str]) -> MobileNetConfig:
    """The config a link describes; raises ConfigError naming the field for anything wrong."""
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "arch": arch}
    keys = ("t", "c", "n", "s") if arch == "mobilenet_v2" else ("c", "n", "s")
    for field, text in params.items():
        if len(text) > MAX_PARAM_LENGTH:
            raise ConfigError(field, f"is {len(text)} characters long in the link; at most {MAX_PARAM_LENGTH}")
        if field in _INT_FIELDS:
            data[field] = _number(text, field, int)
        elif field in _FLOAT_FIELDS:
            data[field] = _number(text, field, float)
        elif field in _BOOL_FIELDS:
            if text not in ("0", "1"):
                raise ConfigError(field, f"must be 0 or 1 in the link, got {text[:20]!r}")
            data[field] = text == "1"
        elif field == "activation":
            data[field] = text
        elif field == "blocks":
            rows = []
            for i, row in enumerate(text.split(ROW_SEP)):
                cells = row.split(CELL_SEP)
                if len(cells) != len(keys):
                    raise ConfigError(f"blocks[{i}]", f"expected {len(keys)} numbers ({CELL_SEP.join(keys)}), got {row[:30]!r}")
                rows.append({k: _number(v, f"blocks[{i}].{k}", int) for k, v in zip(keys, cells)})
            data["blocks"] = rows
        else:
            data[field] = text  # unknown key: parse_config names it
    return parse_config(data)
