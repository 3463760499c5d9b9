"""MobileNet configs: the validated config object, parsing of schema v1, and the size limits.

A :class:`MobileNetConfig` is always valid: its constructor checks every field and the resource
limits, so ``dataclasses.replace`` and :meth:`MobileNetConfig.replace` validate too, and nothing
past this module ever sees an invalid config. It has no defaults: build one with
:func:`paper_config`, :func:`parse_config` (from a dict) or :func:`load_config` (from a file).
Every rejection is a :class:`ConfigError` whose message names the field, and the row for block
tables: ``blocks[3].s: stride must be 1 or 2, got 3``.

Schema v1 (see README, "Config files")::

    {"schema_version": 1, "arch": "mobilenet_v2", "width_multiplier": 1.0, "resolution": 224,
     "num_classes": 1000, "blocks": [{"t": 1, "c": 16, "n": 1, "s": 1}, ...]}

``blocks`` may be omitted: the paper's table is the default. Optional fields change the model in
ways the papers study: ``activation``, ``dropout``, V1's ``depthwise_separable`` (False gives the
full-convolution baseline of the V1 paper's Table 4), V2's ``linear_bottleneck`` and ``residual``.
The data (names, tables, limits) lives in ``schema.py``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .counting import count
from .schema import (
    ACTIVATIONS,
    ALIASES,
    ARCH_TITLES,
    ARCHS,
    COMMON_DEFAULTS,
    FAMILY_DEFAULTS,
    MAX_ACTIVATION,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_DROPOUT,
    MAX_EXPANSION,
    MAX_FILE_BYTES,
    MAX_MACS,
    MAX_NESTING,
    MAX_PARAMS,
    MAX_REPEATS,
    MAX_RESOLUTION,
    MAX_ROWS,
    MAX_WIDTH_MULTIPLIER,
    MIN_RESOLUTION,
    NEUTRAL_ACTIVATION,
    PAPER_BLOCKS,
    ROW_KEYS,
    SCHEMA_VERSION,
    SWITCHES,
    V1_PAPER_BLOCKS,
    V2_PAPER_BLOCKS,
    V3_ARCHS,
    V3_KERNELS,
    V3_NONLINEARITIES,
    V3_PRESETS,
    V3_ROW_KEYS,
    Block,
    ConfigError,
    V3Block,
    with_expansion,
    with_kernel,
)

__all__ = [
    "ACTIVATIONS", "ALIASES", "ARCH_TITLES", "ARCHS", "V3_ARCHS", "V3_PRESETS", "V3Block", "with_kernel", "v3_preset", "FAMILY_DEFAULTS", "MAX_CHANNELS", "MAX_EXPANSION", "MAX_RESOLUTION", "PAPER_BLOCKS",
    "ROW_KEYS", "SCHEMA_VERSION", "V1_PAPER_BLOCKS", "V2_PAPER_BLOCKS", "Block", "ConfigError", "MobileNetConfig",
    "architecture_changes", "check_float", "check_int", "check_positive", "load_config", "loads_config", "paper_config", "parse_config", "with_expansion",
]


@dataclass(frozen=True)
class MobileNetConfig:
    """A complete, validated MobileNet description (hashable, so it keys caches).

    Constructing one validates it (see :func:`_validate`); an invalid combination raises
    :class:`ConfigError`. A family's switches that do not apply to it (V1's ``residual``, V2's
    ``depthwise_separable``) stay at True.
    """

    arch: str
    width_multiplier: float
    resolution: int
    num_classes: int
    blocks: tuple[Block, ...]
    activation: str
    dropout: float
    # V1 only: False replaces each depthwise-separable layer by a full 3×3 convolution.
    depthwise_separable: bool
    # V2 only: the design choices the V2 paper ablates (Figure 6).
    linear_bottleneck: bool
    residual: bool
    # V3 only: squeeze-and-excite where a row says so, and h-swish where a row (and the stem, last
    # conv and classifier) says so; False for both gives the "minimalistic" variants' activations.
    squeeze_excite: bool
    hard_swish: bool

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def is_v2(self) -> bool:
        return self.arch == "mobilenet_v2"

    @property
    def is_v3(self) -> bool:
        return self.arch in V3_ARCHS

    @property
    def title(self) -> str:
        """The family's display name: "MobileNet V3-Small"."""
        return ARCH_TITLES[self.arch]

    def to_dict(self) -> dict[str, Any]:
        """The normalized schema-v1 dict: every field of the family explicit, the blocks table resolved."""
        out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "arch": self.arch}
        out.update({key: getattr(self, key) for key in (*COMMON_DEFAULTS, *FAMILY_DEFAULTS[self.arch])})
        out["blocks"] = [b.to_dict() for b in self.blocks]
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def replace(self, **changes: Any) -> MobileNetConfig:
        """A new validated config with some fields changed (``blocks`` as rows or dicts)."""
        unknown = [key for key in changes if key not in _FIELDS]
        if unknown:
            raise ConfigError(unknown[0], "unknown key")
        if changes.get("blocks") is not None:
            changes["blocks"] = _parse_blocks(changes["blocks"], changes.get("arch", self.arch))
        return dataclasses.replace(self, **changes)


_FIELDS = tuple(f.name for f in dataclasses.fields(MobileNetConfig))


def paper_config(arch: str, **overrides: Any) -> MobileNetConfig:
    """The paper's model for ``arch`` ("mobilenet_v1"/"v1", ...), with optional overrides."""
    return parse_config({"schema_version": SCHEMA_VERSION, "arch": ALIASES.get(arch, arch), **overrides})


def v3_preset(arch: str, preset: str, **overrides: Any) -> MobileNetConfig:
    """A published V3 variant ("standard" or "minimalistic") of ``arch`` ("v3-large", ...)."""
    arch = ALIASES.get(arch, arch)
    if arch not in V3_PRESETS:
        raise ConfigError("arch", f"presets exist for {', '.join(V3_PRESETS)}, got {_show(arch)}")
    if preset not in V3_PRESETS[arch]:
        raise ConfigError("preset", f"must be one of {', '.join(V3_PRESETS[arch])}, got {_show(preset)}")
    return paper_config(arch, **{**V3_PRESETS[arch][preset], **overrides})


def v3_preset_name(config: MobileNetConfig) -> str | None:
    """Which published V3 variant ``config`` is at its α and resolution, or None (not V3, or custom)."""
    if not config.is_v3:
        return None
    for name, fields in V3_PRESETS[config.arch].items():
        base = paper_config(config.arch, width_multiplier=config.width_multiplier, resolution=config.resolution,
                            num_classes=config.num_classes, dropout=config.dropout, **fields)
        if base == config:
            return name
    return None


def architecture_changes(config: MobileNetConfig) -> list[str]:
    """How ``config`` departs from its paper's architecture (empty: the paper's, at any α and size).

    What the published results (accuracy, phone latency) never ran, so figures for such a config
    are estimates at best.
    """
    changes = []
    if config.is_v3 and config.blocks == with_kernel(PAPER_BLOCKS[config.arch], 3):
        changes.append("3×3 kernels only")
    elif config.blocks != PAPER_BLOCKS[config.arch]:
        changes.append("custom block table")
    defaults = FAMILY_DEFAULTS[config.arch]
    if not config.squeeze_excite:
        changes.append("no squeeze-and-excite")
    if not config.hard_swish:
        changes.append("ReLU instead of h-swish")
    if "activation" in defaults and config.activation != defaults["activation"]:
        changes.append(f"activation {config.activation} instead of {defaults['activation']}")
    if not config.depthwise_separable:
        changes.append("full convolutions instead of depthwise-separable ones")
    if config.is_v2 and not config.linear_bottleneck:
        changes.append("non-linear bottleneck")
    if config.is_v2 and not config.residual:
        changes.append("no residual connections")
    return changes



# --- validation -------------------------------------------------------------------------------


def check_int(value: Any, name: str, lo: int, hi: int) -> int:
    """``value`` as an integer in [lo, hi], or a :class:`ConfigError` naming ``name``."""
    # bool is a subclass of int in Python; a JSON `true` is not a channel count.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(name, f"must be an integer, got {_show(value)}")
    if not lo <= value <= hi:
        raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def check_float(value: Any, name: str, lo: float, hi: float, lo_open: bool = False) -> float:
    """``value`` as a finite float in [lo, hi] (or (lo, hi]), or a :class:`ConfigError` naming ``name``."""
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


def _validate(config: MobileNetConfig) -> None:
    """Check every field of a new config, normalize numbers and rows, then the resource limits."""
    arch = config.arch
    if arch not in ARCHS:
        raise ConfigError("arch", f"must be one of {', '.join(ARCHS)}, got {_show(arch)}")
    # The config is frozen: normalized values (1 → 1.0, a list of rows → a tuple) go in through object.__setattr__.
    normalize = object.__setattr__
    normalize(config, "width_multiplier", check_float(config.width_multiplier, "width_multiplier", 0.0, MAX_WIDTH_MULTIPLIER, lo_open=True))
    check_int(config.resolution, "resolution", MIN_RESOLUTION, MAX_RESOLUTION)
    check_int(config.num_classes, "num_classes", 1, MAX_CLASSES)
    if config.activation not in ACTIVATIONS:
        raise ConfigError("activation", f"must be one of {', '.join(ACTIVATIONS)}, got {_show(config.activation)}")
    if "activation" not in FAMILY_DEFAULTS[arch] and config.activation != NEUTRAL_ACTIVATION:
        raise ConfigError("activation", "V3 sets activations per row (the nl column) and with hard_swish")
    normalize(config, "dropout", check_float(config.dropout, "dropout", 0.0, MAX_DROPOUT))
    for key in SWITCHES:
        _bool(getattr(config, key), key)
        if key not in FAMILY_DEFAULTS[arch] and not getattr(config, key):
            owners = [a for a in ARCHS if key in FAMILY_DEFAULTS[a]]
            raise ConfigError(key, f"only applies to {' and '.join(owners)}")
    normalize(config, "blocks", _check_blocks(config.blocks, arch))
    _check_size(config)


def _check_blocks(blocks: Any, arch: str) -> tuple[Block, ...]:
    if not isinstance(blocks, (list, tuple)):
        raise ConfigError("blocks", f"must be a list of rows, got {_show(blocks)}")
    if not blocks:
        raise ConfigError("blocks", "must have at least one row")
    if len(blocks) > MAX_ROWS:
        raise ConfigError("blocks", f"at most {MAX_ROWS} rows are supported, got {len(blocks)}")
    if arch in V3_ARCHS:
        return tuple(_check_v3_row(row, f"blocks[{i}]") for i, row in enumerate(blocks))
    for i, row in enumerate(blocks):
        where = f"blocks[{i}]"
        if not isinstance(row, Block):
            raise ConfigError(where, f"must be a row with keys {', '.join(ROW_KEYS[arch])}, got {_show(row)}")
        check_int(row.c, f"{where}.c", 1, MAX_CHANNELS)
        check_int(row.n, f"{where}.n", 1, MAX_REPEATS)
        if isinstance(row.s, bool) or row.s not in (1, 2) or not isinstance(row.s, int):
            raise ConfigError(f"{where}.s", f"stride must be 1 or 2, got {_show(row.s)}")
        if arch == "mobilenet_v2":
            check_int(row.t, f"{where}.t", 1, MAX_EXPANSION)
        elif row.t is not None:
            raise ConfigError(f"{where}.t", "unknown key (V1 rows have no expansion factor)")
    return tuple(blocks)


def _check_v3_row(row: Any, where: str) -> V3Block:
    if not isinstance(row, V3Block):
        raise ConfigError(where, f"must be a row with keys {', '.join(V3_ROW_KEYS)}, got {_show(row)}")
    if isinstance(row.k, bool) or row.k not in V3_KERNELS or not isinstance(row.k, int):
        raise ConfigError(f"{where}.k", f"kernel must be 3 or 5, got {_show(row.k)}")
    check_int(row.exp, f"{where}.exp", 1, MAX_CHANNELS)
    check_int(row.c, f"{where}.c", 1, MAX_CHANNELS)
    _bool(row.se, f"{where}.se")
    if row.nl not in V3_NONLINEARITIES or not isinstance(row.nl, str):
        raise ConfigError(f"{where}.nl", f"must be one of {', '.join(V3_NONLINEARITIES)}, got {_show(row.nl)}")
    if isinstance(row.s, bool) or row.s not in (1, 2) or not isinstance(row.s, int):
        raise ConfigError(f"{where}.s", f"stride must be 1 or 2, got {_show(row.s)}")
    return row


def _parse_blocks(rows: Any, arch: str) -> Any:
    """Rows given as dicts (a JSON table) become :class:`Block` s; their values are checked by the config."""
    if not isinstance(rows, (list, tuple)):
        return rows  # _check_blocks names the problem
    keys = ROW_KEYS.get(arch, ())
    blocks = []
    for i, row in enumerate(rows):
        if isinstance(row, (Block, V3Block)):
            blocks.append(row)
            continue
        where = f"blocks[{i}]"
        if not isinstance(row, dict):
            raise ConfigError(where, f"must be an object with keys {', '.join(keys)}, got {_show(row)}")
        for key in row:
            if key not in keys:
                hint = " (V1 rows have no expansion factor)" if key == "t" and arch == "mobilenet_v1" else ""
                raise ConfigError(f"{where}.{key}", f"unknown key{hint}; allowed: {', '.join(keys)}")
        for key in keys:
            if key not in row:
                raise ConfigError(f"{where}.{key}", "missing")
        if arch in V3_ARCHS:
            blocks.append(V3Block(*(row[key] for key in V3_ROW_KEYS)))
        else:
            blocks.append(Block(row["c"], row["n"], row["s"], row.get("t")))
    return blocks


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
        if key not in ("schema_version", "arch", "blocks", *COMMON_DEFAULTS) and key not in family:
            other = [a for a in ARCHS if key in FAMILY_DEFAULTS[a]]
            hint = f" (only for {other[0]})" if other else ""
            if key == "activation" and arch in V3_ARCHS:
                hint = " (V3 sets activations per row, in the nl column, and with hard_swish)"
            raise ConfigError(key, f"unknown key{hint}")
    values = {**dict.fromkeys(SWITCHES, True), "activation": NEUTRAL_ACTIVATION, **COMMON_DEFAULTS, **family}
    values.update((key, value) for key, value in data.items() if key != "schema_version")
    values["blocks"] = _parse_blocks(data["blocks"], arch) if "blocks" in data else PAPER_BLOCKS[arch]
    return MobileNetConfig(**values)


def _check_size(config: MobileNetConfig) -> None:
    """Reject configs beyond the resource caps, from the analytic counts (nothing is built)."""
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


def check_positive(value: Any, name: str) -> float:
    """A positive, finite number (int or float, not a bool), e.g. a budget; else a
    :class:`ConfigError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, f"must be a number, got {_show(value)}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(name, f"must be a positive number, got {value:g}")
    return float(value)
