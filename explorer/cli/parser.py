"""The command line's grammar: subcommands, options and their help, and the combinations argparse
cannot check by itself (``--config`` with arch options, latency options without ``--latency``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..config import ACTIVATIONS, V3_PRESETS
from ..measurement import DEVICES, RUNTIMES
from .arguments import ARCH_CHOICES, LATENCY_DEFAULTS
from .commands import cmd_export, cmd_latency_export, cmd_latency_list, cmd_predict, cmd_profile, cmd_validate
from .sweep_command import cmd_sweep

PRESET_NAMES = tuple(dict.fromkeys(name for presets in V3_PRESETS.values() for name in presets))
STORE_HELP = "SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)"
ARCH_OPTIONS = ("width", "resolution", "num_classes", "activation", "expansion", "preset")


def _add_arch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--width", type=float, help="width multiplier α (default 1.0)")
    p.add_argument("--resolution", type=int, help="input resolution in pixels (default 224)")
    p.add_argument("--num-classes", dest="num_classes", type=int, help="classifier outputs (default 1000)")
    p.add_argument("--activation", choices=ACTIVATIONS, help="default: relu for V1, relu6 for V2 (V3: per row)")
    p.add_argument("--expansion", type=int, help="V2: set t on every row whose paper value is not 1")
    p.add_argument("--preset", choices=PRESET_NAMES, help="V3: a published variant of the table (minimalistic: no SE, no "
                   "h-swish, 3×3 kernels; default standard)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m explorer", description="MobileNet V1/V2/V3 explorer: exact counts and real models.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("profile", help="per-layer params, MACs and shapes of one or more configs")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--arch", choices=ARCH_CHOICES, help="start from the paper's config")
    source.add_argument("--config", nargs="+", metavar="FILE", help="schema-v1 JSON config file(s)")
    _add_arch_options(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    lat = p.add_argument_group("latency", "measure the built model on this machine (results are kept in a local store)")
    lat.add_argument("--latency", action="store_true", help="measure whole-model and per-layer latency")
    d = LATENCY_DEFAULTS
    lat.add_argument("--threads", type=int, help="torch threads (default: all available cores)")
    lat.add_argument("--batch", type=int, help=f"batch size (default {d.batch})")
    lat.add_argument("--device", choices=DEVICES, help=f"default {d.device}")
    lat.add_argument("--runtime", help=f"one of {', '.join(RUNTIMES)} (default {d.runtime})")  # checked with the settings: one line
    lat.add_argument("--budget", type=float, help=f"seconds per measurement attempt (default {d.budget_s:g})")
    lat.add_argument("--remeasure", action="store_true", help="measure again even if the store has a result")
    lat.add_argument("--store", metavar="PATH", help=STORE_HELP)
    p.set_defaults(func=cmd_profile)

    p = sub.add_parser("sweep", help="analytic counts over a width × resolution grid; --latency measures every point")
    p.add_argument("--arch", choices=ARCH_CHOICES, required=True, action="append", help="repeat for several (--arch v1 --arch v2)")
    p.add_argument("--widths", required=True, help="comma-separated, e.g. 0.35,0.5,0.75,1.0")
    p.add_argument("--resolutions", required=True, help="comma-separated, e.g. 96,128,160,192,224")
    p.add_argument("--num-classes", dest="num_classes", type=int, default=1000)
    p.add_argument("--json", action="store_true")
    lat = p.add_argument_group("measured sweep", "measure every grid point the store does not hold as a good measurement, "
                               "one at a time per machine; interrupt and rerun to resume")
    lat.add_argument("--latency", action="store_true", help="measure latency of every point (results go to the store)")
    lat.add_argument("--runtime", action="append", metavar="NAME", help="runtime(s), repeated or comma-separated (default eager)")
    lat.add_argument("--threads", metavar="N[,N]", help="torch threads, comma-separated for several (default: all cores)")
    lat.add_argument("--batch", metavar="B[,B]", help="batch size(s), comma-separated (default 1)")
    lat.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default cpu")
    lat.add_argument("--budget", type=float, default=None, help="seconds per measurement (default 2)")
    lat.add_argument("--store", metavar="PATH", help=STORE_HELP)
    lat.add_argument("--ray", metavar="ADDRESS", help="measure on this Ray cluster (host:6379, 'auto' on a node of it, or 'local' "
                     "to start one here); each node needs the latency_slot resource")
    lat.add_argument("--every-node", action="store_true", help="with --ray: measure every point on every node (one result "
                     "per machine), instead of each point once on any node")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("validate", help="check config files; exit 2 if any is invalid")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("latency", help="stored latency measurements")
    latency_sub = p.add_subparsers(dest="latency_command", required=True)
    q = latency_sub.add_parser("list", help="list stored measurements")
    q.add_argument("--store", metavar="PATH", help=STORE_HELP)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_latency_list)
    q = latency_sub.add_parser("export", help="write stored measurements to a CSV file")
    q.add_argument("--csv", required=True, metavar="FILE")
    q.add_argument("--store", metavar="PATH", help=STORE_HELP)
    q.set_defaults(func=cmd_latency_export)

    p = sub.add_parser("export", help="write a config as JSON, a Python snippet or a per-layer CSV")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--arch", choices=ARCH_CHOICES, help="start from the paper's config")
    source.add_argument("--config", metavar="FILE", help="a schema-v1 JSON config file")
    _add_arch_options(p)
    p.add_argument("--format", choices=("json", "python", "csv", "onnx", "pte", "tflite", "tflite-int8"), required=True,
                   help="json: the normalized config (schema v1); python: a runnable snippet; csv: the per-layer profile; "
                        "onnx / pte / tflite: the fp32 model for ONNX Runtime / ExecuTorch / LiteRT; tflite-int8: the "
                        "full-integer LiteRT model (checked against eager; needs -o)")
    p.add_argument("-o", "--output", metavar="OUT", help="file to write; '-' or none: stdout")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("predict", help="predicted latency on every published phone platform, with its error")
    p.add_argument("files", nargs="*", metavar="CONFIG.json", help="schema-v1 JSON config file(s)")
    p.add_argument("--arch", choices=ARCH_CHOICES, help="start from the paper's config instead")
    _add_arch_options(p)
    p.add_argument("--device", help="only this device, spelled as in assets/device_latency*.csv (e.g. 'Pixel 1')")
    p.add_argument("--json", action="store_true", help="print a JSON array, one object per config")
    p.set_defaults(func=cmd_predict)
    return parser


_LATENCY_OPTIONS = ("--threads", "--batch", "--device", "--runtime", "--budget", "--remeasure", "--store")
_SWEEP_LATENCY_OPTIONS = ("--runtime", "--threads", "--batch", "--device", "--budget", "--store", "--ray", "--every-node")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The parsed arguments, once their combinations are valid (argparse exits 2 with a usage line otherwise)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "config", None) and any(getattr(args, k, None) is not None for k in ARCH_OPTIONS):
        parser.error("--config cannot be combined with --width/--resolution/--num-classes/--activation/--expansion/--preset")
    needs_latency = {"profile": _LATENCY_OPTIONS, "sweep": _SWEEP_LATENCY_OPTIONS}.get(args.command, ())
    if needs_latency and not args.latency:
        given = [flag for flag in needs_latency if getattr(args, flag.lstrip("-").replace("-", "_"), None) not in (None, False)]
        if given:
            parser.error(f"{given[0]} needs --latency")
    return args
