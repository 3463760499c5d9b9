"""Command line: ``python -m explorer profile|sweep|validate ...``.

JSON goes to stdout, errors to stderr. Any invalid input exits with code 2 and one line naming
the file and field; no traceback reaches the user. Counting is analytic, so ``profile`` and
``sweep`` never import torch and a 1,000-config sweep takes about a second.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .config import ALIASES, PAPER_BLOCKS, ConfigError, MobileNetConfig, load_config, paper_config, with_expansion
from .profile import Profile, profile

EXIT_INVALID = 2


class UsageError(Exception):
    """Bad command-line input, reported like a ConfigError (exit 2, one line)."""


# --- formatting ---------------------------------------------------------------------------------


def human(n: float, unit: str = "") -> str:
    """3,504,872 → '3.50M'; readable scales for tables."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{suffix}{unit}"
    return f"{n:g}{unit}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = [str.ljust if i < 2 else str.rjust for i in range(len(headers))]
    lines = ["  ".join(align[i](c, widths[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def describe(config: MobileNetConfig) -> str:
    return f"{config.arch} α={config.width_multiplier:g} {config.resolution}px {config.num_classes} classes"


def profile_text(p: Profile) -> str:
    rows = [
        (layer.name, layer.kind, "×".join(map(str, layer.output_shape[1:])), f"{layer.params:,}", f"{layer.macs:,}")
        for layer in p.layers
    ]
    table = format_table(("layer", "kind", "output", "params", "MACs"), rows)
    totals = (
        f"params {p.params:,} ({human(p.params)}; conv+linear weights {p.weight_params:,})  "
        f"MACs {p.macs:,} ({human(p.macs)})  fp32 size {p.cost.fp32_bytes / 2**20:.2f} MiB"
    )
    return f"{describe(p.config)}\n{table}\n{totals}"


def emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


# --- commands -----------------------------------------------------------------------------------


def config_from_args(args: argparse.Namespace) -> MobileNetConfig:
    arch = ALIASES[args.arch]
    overrides: dict[str, Any] = {}
    for key, attr in (("width_multiplier", "width"), ("resolution", "resolution"), ("num_classes", "num_classes"), ("activation", "activation")):
        if getattr(args, attr) is not None:
            overrides[key] = getattr(args, attr)
    if args.expansion is not None:
        if arch != "mobilenet_v2":
            raise UsageError("--expansion: only applies to mobilenet_v2 (V1 has no expansion layers)")
        overrides["blocks"] = with_expansion(PAPER_BLOCKS[arch], args.expansion)
    try:
        return paper_config(arch, **overrides)
    except ConfigError as err:
        raise UsageError(f"--{_FLAG.get(err.field, err.field)}: {err.reason}" if err.field in _FLAG else str(err)) from None


_FLAG = {"width_multiplier": "width", "resolution": "resolution", "num_classes": "num-classes", "activation": "activation"}


def load_configs(paths: Sequence[str]) -> list[MobileNetConfig]:
    configs = []
    for path in paths:
        try:
            configs.append(load_config(path))
        except ConfigError as err:
            raise UsageError(f"{path}: {err}") from None
    return configs


def cmd_profile(args: argparse.Namespace) -> int:
    configs = load_configs(args.config) if args.config else [config_from_args(args)]
    profiles = [profile(c) for c in configs]
    if args.json:
        payload = [p.to_dict() for p in profiles]
        emit(payload if args.config and len(args.config) > 1 else payload[0])
    else:
        print("\n\n".join(profile_text(p) for p in profiles))
    return 0


def _csv_of(text: str, kind: Callable[[str], Any], flag: str) -> list[Any]:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{flag}: expected a comma-separated list of numbers, got {text!r}") from None
    if not values:
        raise UsageError(f"{flag}: expected at least one value")
    return values


def cmd_sweep(args: argparse.Namespace) -> int:
    widths = _csv_of(args.widths, float, "--widths")
    resolutions = _csv_of(args.resolutions, int, "--resolutions")
    arch = ALIASES[args.arch]
    results = []
    for w in widths:
        for r in resolutions:
            try:
                config = paper_config(arch, width_multiplier=w, resolution=r, num_classes=args.num_classes)
            except ConfigError as err:
                raise UsageError(f"width {w:g}, resolution {r}: {err}") from None
            results.append(profile(config))
    if args.json:
        emit([p.to_dict(layers=False) for p in results])
    else:
        rows = [(f"{p.config.width_multiplier:g}", p.config.resolution, f"{p.params:,}", f"{p.macs:,}", human(p.macs)) for p in results]
        print(format_table(("width", "resolution", "params", "MACs", ""), rows))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            load_config(path)
            print(f"{path}: ok")
        except ConfigError as err:
            print(f"{path}: error: {err}")
            status = EXIT_INVALID
    return status


# --- parser -------------------------------------------------------------------------------------


def _add_arch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--width", type=float, help="width multiplier α (default 1.0)")
    p.add_argument("--resolution", type=int, help="input resolution in pixels (default 224)")
    p.add_argument("--num-classes", dest="num_classes", type=int, help="classifier outputs (default 1000)")
    p.add_argument("--activation", choices=("relu", "relu6"), help="default: relu for V1, relu6 for V2")
    p.add_argument("--expansion", type=int, help="V2: set t on every row whose paper value is not 1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer", description="MobileNet V1/V2 explorer: exact counts and real models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("profile", help="per-layer params, MACs and shapes of one or more configs")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--arch", choices=("v1", "v2", "mobilenet_v1", "mobilenet_v2"), help="start from the paper's config")
    source.add_argument("--config", nargs="+", metavar="FILE", help="schema-v1 JSON config file(s)")
    _add_arch_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("sweep", help="analytic counts over a width × resolution grid")
    p.add_argument("--arch", choices=("v1", "v2", "mobilenet_v1", "mobilenet_v2"), required=True)
    p.add_argument("--widths", required=True, help="comma-separated, e.g. 0.35,0.5,0.75,1.0")
    p.add_argument("--resolutions", required=True, help="comma-separated, e.g. 96,128,160,192,224")
    p.add_argument("--num-classes", dest="num_classes", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("validate", help="check config files; exit 2 if any is invalid")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage line on bad flags
    if getattr(args, "config", None) and any(getattr(args, k, None) is not None for k in ("width", "resolution", "num_classes", "activation", "expansion")):
        parser.error("--config cannot be combined with --width/--resolution/--num-classes/--activation/--expansion")
    try:
        return args.func(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0
