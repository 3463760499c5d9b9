"""Command line: ``python -m explorer profile|sweep|validate|latency|export ...``.

JSON goes to stdout, errors to stderr. Any invalid input exits with code 2 and one line naming
the file and field; no traceback reaches the user. Counting is analytic, so ``profile`` and
``sweep`` never import torch and a 1,000-config sweep takes about a second; only
``profile --latency`` builds and times models (torch is imported there, on demand).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .config import ALIASES, MAX_EXPANSION, PAPER_BLOCKS, ConfigError, MobileNetConfig, load_config, paper_config, with_expansion
from .measurement import DEVICES, RUNTIMES, LatencyReport, LatencySettings
from .profile import Profile, profile
from .units import human

if TYPE_CHECKING:
    from .lock import Waiting
    from .store import LatencyStore

EXIT_INVALID = 2


class UsageError(Exception):
    """Bad command-line input, reported like a ConfigError (exit 2, one line)."""


# --- formatting ---------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = [str.ljust if i < 2 else str.rjust for i in range(len(headers))]
    lines = ["  ".join(align[i](c, widths[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def describe(config: MobileNetConfig) -> str:
    return f"{config.arch} α={config.width_multiplier:g} {config.resolution}px {config.num_classes} classes"


def profile_text(p: Profile, latency: LatencyReport | None = None) -> str:
    headers = ["layer", "kind", "output", "params", "MACs"]
    rows = [
        [layer.name, layer.kind, "×".join(map(str, layer.output_shape[1:])), f"{layer.params:,}", f"{layer.macs:,}"]
        for layer in p.layers
    ]
    if latency is not None and latency.layers:  # a runtime without per-layer times has whole-model figures only
        headers += ["ms", "time %", "MAC %", "GMAC/s"]
        for row, measured in zip(rows, latency.layers):
            row += [f"{measured.latency_ms:.3f}", f"{100 * measured.latency_share:.1f}", f"{100 * measured.mac_share:.1f}",
                    f"{measured.gmacs_per_s:.2f}"]
    table = format_table(headers, rows)
    totals = (
        f"params {p.params:,} ({human(p.params)}; conv+linear weights {p.weight_params:,})  "
        f"MACs {p.macs:,} ({human(p.macs)})  fp32 size {p.cost.fp32_bytes / 2**20:.2f} MiB"
    )
    text = f"{describe(p.config)}\n{table}\n{totals}"
    return text if latency is None else f"{text}\n{latency_text(latency)}"


def latency_text(r: LatencyReport) -> str:
    where = f"{r.device}" + (f" ({r.gpu})" if r.gpu else "") + f", {r.runtime}, {r.cpu}, torch {r.torch_version}"
    lines = [
        f"latency: median {r.median_ms:.2f} ms (IQR {r.iqr_ms:.2f} ms, {r.runs} runs), batch {r.batch}, "
        f"{r.threads} thread{'s' if r.threads != 1 else ''}, {where}",
    ]
    if r.batch > 1:
        lines.append(f"per image {r.per_image_ms:.3f} ms, throughput {r.throughput_ips:,.1f} images/s")
    if r.quality == "good":
        lines.append("quality: good")
    else:
        lines.append(f"quality: {r.quality.upper()}" + ("" if r.from_store else f" after {r.attempts} attempt{'s' if r.attempts != 1 else ''}")
                     + ": do not rely on this figure")
        lines += [f"  - {reason}" for reason in r.quality_reasons]
    if r.coverage is not None:
        lines.append(f"per-layer sum {r.layer_sum_ms:.2f} ms = {100 * r.coverage:.0f}% of the whole-model median "
                     f"(median of {r.layer_runs} hooked forwards; residual adds and Python overhead are outside the layers)")
    when = f"{r.started_at} to {r.finished_at}"
    if r.from_store:
        lines.append(f"reused the measurement stored for {when} (--remeasure to measure again)")
    else:
        waited = f", after waiting {r.waited_s:.1f} s for another measurement" if r.waited_s > 0 else ""
        kept = "saved to the store" if r.reusable else "kept in the store for the record, never reused"
        lines.append(f"measured {when} in {r.elapsed_s:.1f} s (budget {r.budget_s:g} s per attempt, "
                     f"{r.attempts} attempt{'s' if r.attempts != 1 else ''}){waited}; {kept}")
    return "\n".join(lines)


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
        if not 1 <= args.expansion <= MAX_EXPANSION:
            raise UsageError(f"--expansion: must be between 1 and {MAX_EXPANSION}, got {args.expansion}")
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
    reports = measure_all(configs, args) if args.latency else [None] * len(profiles)
    if args.json:
        payload = [profile_dict(p, r) for p, r in zip(profiles, reports)]
        emit(payload if args.config and len(args.config) > 1 else payload[0])
    else:
        print("\n\n".join(profile_text(p, r) for p, r in zip(profiles, reports)))
    return 0


def profile_dict(p: Profile, latency: LatencyReport | None) -> dict[str, Any]:
    out = p.to_dict()
    if latency is not None:
        out["latency"] = latency.to_dict()
        for row, measured in zip(out["layers"], latency.layers):
            row["latency_ms"] = measured.latency_ms
    return out


_LATENCY_FLAG = {"batch": "--batch", "threads": "--threads", "device": "--device", "budget_s": "--budget", "runtime": "--runtime"}
LATENCY_DEFAULTS = LatencySettings()  # torch-free: the CLI's defaults are the settings' own


def latency_settings(args: argparse.Namespace) -> LatencySettings:
    given = {"batch": args.batch, "threads": args.threads, "device": args.device, "budget_s": args.budget, "runtime": args.runtime}
    try:
        return LatencySettings(**{name: value for name, value in given.items() if value is not None})
    except ConfigError as err:
        raise UsageError(f"{_LATENCY_FLAG.get(err.field, err.field)}: {err.reason}") from None


class WaitNotice:
    """Tells the user, on stderr, that the measurement waits for another one on this machine."""

    def __init__(self) -> None:
        self.last: str | None = None

    def __call__(self, waiting: Waiting) -> None:
        holder = waiting.holder
        what = f"{holder.what}, pid {holder.pid}" if holder else "starting"
        if what != self.last:  # once per measurement waited for, not a line per poll
            print(f"waiting for another latency measurement on this machine ({what})...", file=sys.stderr, flush=True)
            self.last = what


def measure_all(configs: Sequence[MobileNetConfig], args: argparse.Namespace) -> list[LatencyReport]:
    # Imported here: measuring needs torch (~1 s to import), counting does not.
    from .latency import measure_latency

    settings = latency_settings(args)
    store = open_store(args.store)
    reports = []
    for config in configs:
        notice = WaitNotice()
        reports.append(store.get_or_measure(config, settings, measure=measure_latency, remeasure=args.remeasure, on_wait=notice))
        if notice.last is not None:
            then = "reused the good result it made" if reports[-1].from_store else "then measured alone"
            print(f"waited {reports[-1].waited_s:.1f} s; {then}", file=sys.stderr)
    warn_store(store)
    return reports


def open_store(path: str | None) -> LatencyStore:
    from .store import LatencyStore

    store = LatencyStore(path)
    warn_store(store)
    return store


def warn_store(store: LatencyStore) -> None:
    # A damaged store is set aside and replaced, never fatal: say so once, on stderr.
    if store.warning:
        print(f"warning: {store.warning}", file=sys.stderr)
        store.warning = None


def cmd_latency_list(args: argparse.Namespace) -> int:
    store = open_store(args.store)
    rows = store.list_results()
    if args.json:
        emit(rows)
    elif not rows:
        print(f"no stored measurements in {store.path}")
    else:
        table = [
            (r["measured_at"][:19].replace("T", " "), f"{r['arch']} α={r['width_multiplier']:g} {r['resolution']}px", r["runtime"],
             r["batch"], r["threads"], r["device"], r["quality"], f"{r['median_ms']:.2f}", f"{r['iqr_ms']:.2f}",
             f"{r['per_image_ms']:.3f}", "-" if r["coverage"] is None else f"{100 * r['coverage']:.0f}%", r["cpu"])
            for r in rows
        ]  # fmt: skip
        print(format_table(("measured at (UTC)", "model", "runtime", "batch", "threads", "device", "quality", "median ms", "IQR ms",
                            "ms/image", "layer sum", "cpu"), table))
        if any(r["quality"] != "good" for r in rows):
            print("noisy and unverified measurements are never reused: measuring the same model again replaces them")
        print(f"{len(rows)} measurement{'s' if len(rows) != 1 else ''} in {store.path}")
    return 0


def cmd_latency_export(args: argparse.Namespace) -> int:
    store = open_store(args.store)
    try:
        written = store.export_csv(args.csv)
    except OSError as err:
        raise UsageError(f"--csv: cannot write {args.csv}: {err.strerror or err}") from None
    print(f"wrote {written} measurement{'s' if written != 1 else ''} to {args.csv}")
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


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export

    config = load_configs([args.config])[0] if args.config else config_from_args(args)
    text = export(config, args.format)
    if args.output in (None, "-"):
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as err:
        raise UsageError(f"-o: cannot write {args.output}: {err.strerror or err}") from None
    print(f"wrote {args.format} for {describe(config)} to {args.output}", file=sys.stderr)
    return 0


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
    lat = p.add_argument_group("latency", "measure the built model on this machine (results are kept in a local store)")
    lat.add_argument("--latency", action="store_true", help="measure whole-model and per-layer latency")
    d = LATENCY_DEFAULTS
    lat.add_argument("--threads", type=int, help="torch threads (default: all available cores)")
    lat.add_argument("--batch", type=int, help=f"batch size (default {d.batch})")
    lat.add_argument("--device", choices=DEVICES, help=f"default {d.device}")
    lat.add_argument("--runtime", choices=RUNTIMES, help=f"default {d.runtime}")
    lat.add_argument("--budget", type=float, help=f"seconds per measurement attempt (default {d.budget_s:g})")
    lat.add_argument("--remeasure", action="store_true", help="measure again even if the store has a result")
    lat.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
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

    p = sub.add_parser("latency", help="stored latency measurements")
    latency_sub = p.add_subparsers(dest="latency_command", required=True)
    q = latency_sub.add_parser("list", help="list stored measurements")
    q.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_latency_list)
    q = latency_sub.add_parser("export", help="write stored measurements to a CSV file")
    q.add_argument("--csv", required=True, metavar="FILE")
    q.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
    q.set_defaults(func=cmd_latency_export)

    p = sub.add_parser("export", help="write a config as JSON, a Python snippet or a per-layer CSV")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--arch", choices=("v1", "v2", "mobilenet_v1", "mobilenet_v2"), help="start from the paper's config")
    source.add_argument("--config", metavar="FILE", help="a schema-v1 JSON config file")
    _add_arch_options(p)
    p.add_argument("--format", choices=("json", "python", "csv"), required=True,
                   help="json: the normalized config (schema v1); python: a runnable snippet; csv: the per-layer profile")
    p.add_argument("-o", "--output", metavar="OUT", help="file to write; '-' or none: stdout")
    p.set_defaults(func=cmd_export)
    return parser


_LATENCY_OPTIONS = ("--threads", "--batch", "--device", "--runtime", "--budget", "--remeasure", "--store")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage line on bad flags
    if getattr(args, "config", None) and any(getattr(args, k, None) is not None for k in ("width", "resolution", "num_classes", "activation", "expansion")):
        parser.error("--config cannot be combined with --width/--resolution/--num-classes/--activation/--expansion")
    if args.command == "profile" and not args.latency:
        given = [flag for flag in _LATENCY_OPTIONS if getattr(args, flag.lstrip("-").replace("-", "_")) not in (None, False)]
        if given:
            parser.error(f"{given[0]} needs --latency")
    try:
        return args.func(args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0
