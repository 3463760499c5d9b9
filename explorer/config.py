"""MobileNet configs: the user-facing schema v1, its validation, and the papers' defaults.

A config is plain data: one frozen :class:`MobileNetConfig` per model. It is built only through
:func:`parse_config` (from a dict) or :func:`load_config` (from JSON text, bytes or a file), so
nothing past this module ever sees an invalid config. Every rejection is a :class:`ConfigError`
whose message names the field, and the row for block tables: ``blocks[3].s: stride must be 1 or
2, got 3``.

Schema v1 (see README, "Config files")::

    {"schema_version": 1, "arch": "mobilenet_v2", "width_multiplier": 1.0, "resolution": 224,
     "num_classes": 1000, "blocks": [{"t": 1, "c": 16, "n": 1, "s": 1}, ...]}

``blocks`` may be omitted: the paper's table is the default. Optional fields change the model in
ways the papers study: ``activation``, ``dropout``, V1's ``depthwise_separable`` (False gives the
full-convolution baseline of the V1 paper's Table 4), V2's ``linear_bottleneck`` and ``residual``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ARCHS = ("mobilenet_v1", "mobilenet_v2")
ACTIVATIONS = ("relu", "relu6")

# Resource caps, checked before anything is instantiated (README, "Limits"). The bounds are wide
# enough for every published variant and for exploration around them (α up to 4, 1024 px), and
# small enough that a model fits comfortably in memory and builds in seconds on a laptop.
MAX_WIDTH_MULTIPLIER = 4.0
MIN_RESOLUTION, MAX_RESOLUTION = 16, 1024
MAX_ROWS = 32
MAX_REPEATS = 16  # n
MAX_EXPANSION = 16  # t
MAX_CHANNELS = 4096  # c
MAX_CLASSES = 100_000
MAX_MACS = 20_000_000_000  # 20 GMACs: V1 at α=2, 512 px is 11.6
MAX_PARAMS = 100_000_000  # 100 M parameters, 400 MB in fp32
MAX_ACTIVATION = 256 * 2**20  # elements of the largest feature map (1 GiB in fp32)
MAX_FILE_BYTES = 1 * 2**20  # a config file is a few hundred bytes; 1 MiB is generous
MAX_NESTING = 8  # a valid config nests 3 deep ({"blocks": [{...}]})


class ConfigError(ValueError):
    """An invalid config. ``field`` names the offending field (``blocks[3].s``), or ``file``."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Block:
    """One row of a paper's architecture table.

    V2 rows are ``(t, c, n, s)`` exactly as the V2 paper's Table 2: expansion factor, output
    channels, repeats, stride of the first repeat. V1 rows are ``(c, n, s)``; ``t`` is None.
    """

    c: int
    n: int
    s: int
    t: int | None = None

    def to_dict(self) -> dict[str, int]:
        row = {"c": self.c, "n": self.n, "s": self.s}
        return row if self.t is None else {"t": self.t, **row}


# V1 paper (arXiv:1704.04861) Table 1, rows grouped as (c, n, s): output channels of each
# depthwise-separable layer, how many in a row, stride of the first.
V1_PAPER_BLOCKS = tuple(
    Block(c, n, s)
    for c, n, s in [
        (64, 1, 1), (128, 1, 2), (128, 1, 1), (256, 1, 2), (256, 1, 1),
        (512, 1, 2), (512, 5, 1), (1024, 1, 2), (1024, 1, 1),
    ]
)  # fmt: skip

# V2 paper (arXiv:1801.04381) Table 2: t, c, n, s.
V2_PAPER_BLOCKS = tuple(
    Block(c, n, s, t)
    for t, c, n, s in [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
)  # fmt: skip

PAPER_BLOCKS = {"mobilenet_v1": V1_PAPER_BLOCKS, "mobilenet_v2": V2_PAPER_BLOCKS}

# Defaults that differ by family. V1: ReLU as the paper states; dropout 0.001 is TF-slim's
# keep_prob 0.999. V2: ReLU6 as the paper states; dropout 0.2 as torchvision.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "mobilenet_v1": {"activation": "relu", "dropout": 0.001, "depthwise_separable": True},
    "mobilenet_v2": {
        "activation": "relu6", "dropout": 0.2, "linear_bottleneck": True, "residual": True,
    },
}  # fmt: skip

ALIASES = {"v1": "mobilenet_v1", "v2": "mobilenet_v2"}


@dataclass(frozen=True)
class MobileNetConfig:
    """A complete, validated MobileNet description (hashable, so it keys caches)."""

    arch: str
    width_multiplier: float = 1.0
    resolution: int = 224
    num_classes: int = 1000
    blocks: tuple[Block, ...] = field(default=())
    activation: str = "relu"
    dropout: float = 0.0
    # V1 only: False replaces each depthwise-separable layer by a full 3×3 convolution.
    depthwise_separable: bool = True
    # V2 only: the design choices the V2 paper ablates (Figure 6).
    linear_bottleneck: bool = True
    residual: bool = True

    @property
    def is_v2(self) -> bool:
        return self.arch == "mobilenet_v2"

    def to_dict(self) -> dict[str, Any]:
        """The normalized schema-v1 dict: every field explicit, the blocks table resolved."""
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "arch": self.arch,
            "width_multiplier": self.width_multiplier,
            "resolution": self.resolution,
            "num_classes": self.num_classes,
            "activation": self.activation,
            "dropout": self.dropout,
        }
        for key in FAMILY_DEFAULTS[self.arch]:
            out.setdefault(key, getattr(self, key))
        out["blocks"] = [b.to_dict() for b in self.blocks]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def replace(self, **changes: Any) -> MobileNetConfig:
        """A new validated config with some fields changed (``blocks`` as rows or dicts)."""
        data = self.to_dict()
        if "blocks" in changes and changes["blocks"] is not None:
            changes["blocks"] = [b.to_dict() if isinstance(b, Block) else b for b in changes["blocks"]]
        data.update(changes)
        return parse_config(data)


def paper_config(arch: str, **overrides: Any) -> MobileNetConfig:
    """The paper's model for ``arch`` ("mobilenet_v1"/"v1", ...), with optional overrides."""
    return parse_config({"schema_version": SCHEMA_VERSION, "arch": ALIASES.get(arch, arch), **overrides})


def with_expansion(blocks: tuple[Block, ...], t: int) -> list[dict[str, int]]:
    """Set the expansion factor of every V2 row whose t is not 1 (the paper keeps t=1 in row 0)."""
    return [replace(b, t=t if b.t != 1 else 1).to_dict() for b in blocks]


# --- validation -------------------------------------------------------------------------------

_COMMON_KEYS = ("schema_version", "arch", "width_multiplier", "resolution", "num_classes", "blocks",
                "activation", "dropout")  # fmt: skip
_ROW_KEYS = {"mobilenet_v1": ("c", "n", "s"), "mobilenet_v2": ("t", "c", "n", "s")}


def _int(value: Any, name: str, lo: int, hi: int) -> int:
    # bool is a subclass of int in Python; a JSON `true` is not a channel count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"must be an integer, got {_show(value)}")
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _float(value: Any, name: str, lo: float, hi: float, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, f"must be a number, got {_show(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ConfigError(name, f"must be a finite number, got {value}")
    if value > hi or value < lo or (lo_open and value == lo):
        bound = f"greater than {lo:g}" if lo_open else f"at least {lo:g}"
        raise ConfigError(name, f"must be {bound} and at most {hi:g}, got {value:g}")
    return value


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(name, f"must be true or false, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, (str, bool, type(None))) else repr(value)
    kind = {bool: "boolean", str: "string", list: "list", dict: "object"}.get(type(value))
    text = text if len(text) <= 40 else text[:37] + "..."
    return f"{kind} {text}" if kind else text


def _parse_blocks(rows: Any, arch: str) -> tuple[Block, ...]:
    if not isinstance(rows, list):
        raise ConfigError("blocks", f"must be a list of rows, got {_show(rows)}")
    if not rows:
        raise ConfigError("blocks", "must have at least one row")
    if len(rows) > MAX_ROWS:
        raise ConfigError("blocks", f"at most {MAX_ROWS} rows are supported, got {len(rows)}")
    keys = _ROW_KEYS[arch]
    blocks = []
    for i, row in enumerate(rows):
        where = f"blocks[{i}]"
        if not isinstance(row, dict):
            raise ConfigError(where, f"must be an object with keys {', '.join(keys)}, got {_show(row)}")
        for key in row:
            if key not in keys:
                hint = " (V1 rows have no expansion factor)" if key == "t" else ""
                raise ConfigError(f"{where}.{key}", f"unknown key{hint}; allowed: {', '.join(keys)}")
        for key in keys:
            if key not in row:
                raise ConfigError(f"{where}.{key}", "missing")
        c = _int(row["c"], f"{where}.c", 1, MAX_CHANNELS)
        n = _int(row["n"], f"{where}.n", 1, MAX_REPEATS)
        s = row["s"]
        if isinstance(s, bool) or s not in (1, 2) or not isinstance(s, int):
            raise ConfigError(f"{where}.s", f"stride must be 1 or 2, got {_show(s)}")
        t = _int(row["t"], f"{where}.t", 1, MAX_EXPANSION) if arch == "mobilenet_v2" else None
        blocks.append(Block(c, n, s, t))
    return tuple(blocks)


def parse_config(data: Any) -> MobileNetConfig:
    """Validate a schema-v1 dict and return the config; raises :class:`ConfigError`."""
    if not isinstance(data, dict):
        raise ConfigError("config", f"must be a JSON object, got {_show(data)}")
    if "schema_version" not in data:
        raise ConfigError("schema_version", f"missing (this program reads version {SCHEMA_VERSION})")
    version = data["schema_version"]
    if isinstance(version, bool) or version != SCHEMA_VERSION:
        raise ConfigError("schema_version", f"unsupported version {_show(version)}; this program reads {SCHEMA_VERSION}")
    if "arch" not in data:
        raise ConfigError("arch", f"missing; one of {', '.join(ARCHS)}")
    arch = data["arch"]
    if arch not in ARCHS:
        raise ConfigError("arch", f"must be one of {', '.join(ARCHS)}, got {_show(arch)}")
    family = FAMILY_DEFAULTS[arch]
    for key in data:
        if key not in _COMMON_KEYS and key not in family:
            other = [a for a in ARCHS if key in FAMILY_DEFAULTS[a]]
            hint = f" (only for {other[0]})" if other else ""
            raise ConfigError(key, f"unknown key{hint}")

    kwargs: dict[str, Any] = {"arch": arch}
    kwargs["width_multiplier"] = _float(data.get("width_multiplier", 1.0), "width_multiplier", 0.0, MAX_WIDTH_MULTIPLIER, lo_open=True)
    kwargs["resolution"] = _int(data.get("resolution", 224), "resolution", MIN_RESOLUTION, MAX_RESOLUTION)
    kwargs["num_classes"] = _int(data.get("num_classes", 1000), "num_classes", 1, MAX_CLASSES)
    activation = data.get("activation", family["activation"])
    if activation not in ACTIVATIONS:
        raise ConfigError("activation", f"must be one of {', '.join(ACTIVATIONS)}, got {_show(activation)}")
    kwargs["activation"] = activation
    # Dropout 1.0 would zero every feature in training: a probability in [0, 1).
    kwargs["dropout"] = _float(data.get("dropout", family["dropout"]), "dropout", 0.0, 0.99)
    for key in ("depthwise_separable", "linear_bottleneck", "residual"):
        if key in family:
            kwargs[key] = _bool(data.get(key, family[key]), key)
    kwargs["blocks"] = _parse_blocks(data["blocks"], arch) if "blocks" in data else PAPER_BLOCKS[arch]
    config = MobileNetConfig(**kwargs)
    _check_size(config)
    return config


def _check_size(config: MobileNetConfig) -> None:
    """Reject configs beyond the resource caps, from the analytic counts (nothing is built)."""
    from .counting import count  # counting depends on plan, which depends on this module

    cost = count(config)
    if cost.macs > MAX_MACS:
        raise ConfigError("config", f"{cost.macs / 1e9:.1f} GMACs is over the limit of {MAX_MACS / 1e9:g} GMACs; reduce width, resolution or blocks")
    if cost.params > MAX_PARAMS:
        raise ConfigError("config", f"{cost.params / 1e6:.1f}M parameters is over the limit of {MAX_PARAMS / 1e6:g}M; reduce width, channels or num_classes")
    if cost.largest_activation > MAX_ACTIVATION:
        raise ConfigError("config", f"the largest feature map has {cost.largest_activation / 2**20:.0f}M elements, over the limit of {MAX_ACTIVATION / 2**20:.0f}M; reduce resolution or early channels")


# --- files ------------------------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ConfigError(key, "appears twice in the same object")
        seen[key] = value
    return seen


def _nesting_depth(text: str) -> int:
    """Deepest bracket nesting outside strings: checked before json.loads, which recurses."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_config(raw: str | bytes) -> MobileNetConfig:
    """Parse a config from JSON text or bytes, rejecting binary, empty, huge or nested input."""
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError("file", f"is {len(raw):,} bytes; a config file must be under {MAX_FILE_BYTES:,} bytes")
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise ConfigError("file", "is binary, not a JSON text file")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ConfigError("file", "is not UTF-8 text (binary file?)") from None
    if not raw.strip():
        raise ConfigError("file", "is empty")
    if _nesting_depth(raw) > MAX_NESTING:
        raise ConfigError("file", f"nests deeper than {MAX_NESTING} levels; a config is a flat object with a blocks list")
    try:
        # parse_constant rejects NaN/Infinity, which Python's json accepts but JSON does not.
        data = json.loads(raw, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as err:
        raise ConfigError("file", f"is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    return parse_config(data)


def _reject_constant(name: str) -> Any:
    raise ConfigError("file", f"contains {name}, which is not valid JSON; numbers must be finite")


def load_config(path: str | Path) -> MobileNetConfig:
    """Read and validate a schema-v1 JSON file."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError("file", f"is {path.stat().st_size:,} bytes; a config file must be under {MAX_FILE_BYTES:,} bytes")
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError("file", f"cannot be read: {err.strerror or err}") from None
    return loads_config(raw)


# --- the same rules for inputs that are not config fields -------------------------------------


def check_int(value: Any, name: str, lo: int, hi: int) -> int:
    """The schema's integer rule for other inputs (a layer shape, a table row, a batch size): an
    int, not a bool, in [lo, hi]; else a :class:`ConfigError` naming ``name``."""
    return _int(value, name, lo, hi)


def check_positive(value: Any, name: str) -> float:
    """A positive, finite number (int or float, not a bool), e.g. a budget; else a
    :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, f"must be a number, got {_show(value)}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(name, f"must be a positive number, got {value:g}")
    return float(value)
