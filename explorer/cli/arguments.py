"""From command-line arguments to configs and latency settings, with one clear error per bad value."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from ..config import (
    ALIASES,
    ARCHS,
    MAX_EXPANSION,
    PAPER_BLOCKS,
    V3_PRESETS,
    ConfigError,
    MobileNetConfig,
    load_config,
    paper_config,
    v3_preset,
    with_expansion,
)
from ..measurement import LatencySettings

EXIT_INVALID = 2
EXIT_FAILED = 1  # a deployment runtime that ran but failed its check against eager
EXIT_INTERRUPTED = 130  # Ctrl-C, as the shell reports it (and as an interrupted sweep exits)
ARCH_CHOICES = (*ALIASES, *ARCHS)  # v1, v2, v3-large, v3-small, mobilenet_v1, ...


class UsageError(Exception):
    """Bad command-line input, reported like a ConfigError (exit 2, one line)."""


def config_from_args(args: argparse.Namespace) -> MobileNetConfig:
    arch = ALIASES.get(args.arch, args.arch)
    overrides: dict[str, Any] = {}
    for key, attr in (("width_multiplier", "width"), ("resolution", "resolution"), ("num_classes", "num_classes"), ("activation", "activation")):
        if getattr(args, attr) is not None:
            overrides[key] = getattr(args, attr)
    if args.expansion is not None:
        if arch != "mobilenet_v2":
            raise UsageError("--expansion: only applies to mobilenet_v2 (V1 has no expansion layers)")
        if not 1 <= args.expansion <= MAX_EXPANSION:
            raise UsageError(f"--expansion: must be between 1 and {MAX_EXPANSION}, got {args.expansion}")
        overrides["blocks"] = with_expansion(PAPER_BLOCKS[arch], args.expansion)
    try:
        if getattr(args, "preset", None) is not None:  # a V3 variant, then the other options on top of it
            if arch not in V3_PRESETS:
                raise UsageError(f"--preset: only applies to {' and '.join(V3_PRESETS)} (the published V3 variants)")
            return v3_preset(arch, args.preset, **overrides)
        return paper_config(arch, **overrides)
    except ConfigError as err:
        raise UsageError(f"--{_FLAG.get(err.field, err.field)}: {err.reason}" if err.field in _FLAG else str(err)) from None


_FLAG = {"width_multiplier": "width", "resolution": "resolution", "num_classes": "num-classes", "activation": "activation",
         "preset": "preset"}


def load_configs(paths: Sequence[str]) -> list[MobileNetConfig]:
    configs = []
    for path in paths:
        try:
            configs.append(load_config(path))
        except ConfigError as err:
            raise UsageError(f"{path}: {err}") from None
    return configs


_LATENCY_FLAG = {"batch": "--batch", "threads": "--threads", "device": "--device", "budget_s": "--budget", "runtime": "--runtime"}
LATENCY_DEFAULTS = LatencySettings()  # torch-free: the CLI's defaults are the settings' own


def latency_settings(args: argparse.Namespace) -> LatencySettings:
    given = {"batch": args.batch, "threads": args.threads, "device": args.device, "budget_s": args.budget, "runtime": args.runtime}
    try:
        return LatencySettings(**{name: value for name, value in given.items() if value is not None})
    except ConfigError as err:
        raise UsageError(f"{_LATENCY_FLAG.get(err.field, err.field)}: {err.reason}") from None


def csv_of(text: str, kind: Callable[[str], Any], flag: str) -> list[Any]:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{flag}: expected a comma-separated list of numbers, got {text!r}") from None
    if not values:
        raise UsageError(f"{flag}: expected at least one value")
    return values
