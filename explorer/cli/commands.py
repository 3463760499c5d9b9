"""The CLI's commands other than sweeps: profile (and --latency), latency list/export, validate, export, predict.

Each ``cmd_*`` takes the parsed arguments and returns the exit status; bad input raises
:class:`~explorer.cli.arguments.UsageError`. Measuring and its imports (torch) happen only in the
commands that measure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..config import ConfigError, MobileNetConfig, load_config
from ..measurement import LatencyReport
from ..profile import profile
from .arguments import EXIT_INVALID, UsageError, config_from_args, latency_settings, load_configs
from .formatters import describe, emit, format_table, predict_text, profile_dict, profile_text

if TYPE_CHECKING:
    from ..lock import Waiting
    from ..store import LatencyStore


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


class WaitNotice:
    """Tells the user, on stderr, that the measurement waits for another one on this machine."""

    def __init__(self) -> None:
        self.last: str | None = None

    def __call__(self, waiting: Waiting) -> None:
        holder = waiting.holder
        who = f"{holder.what}, pid {holder.pid}" if holder else "starting"
        if who != self.last:  # once per measurement waited for, not a line per poll
            print(f"{waiting.text()}...", file=sys.stderr, flush=True)
            self.last = who


def measure_all(configs: Sequence[MobileNetConfig], args: argparse.Namespace) -> list[LatencyReport]:
    # Imported here: measuring needs torch (~1 s to import), counting does not.
    from ..latency import measure_latency

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
    from ..store import LatencyStore

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
        ]
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
    from ..export import BINARY_FORMATS, export

    config = load_configs([args.config])[0] if args.config else config_from_args(args)
    if args.format in BINARY_FORMATS:
        return write_model_file(config, args)
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


def write_model_file(config: MobileNetConfig, args: argparse.Namespace) -> int:
    """``export --format onnx|pte|tflite|tflite-int8``: the file is written only once it loads and matches eager."""
    from ..runtimes import checked_export

    if args.output in (None, "-"):
        raise UsageError(f"--format {args.format}: a binary model file needs -o FILE")
    checked = checked_export(config, args.format)
    try:
        with open(args.output, "wb") as f:
            f.write(checked.data)
    except OSError as err:
        raise UsageError(f"-o: cannot write {args.output}: {err.strerror or err}") from None
    check = (f"SQNR {checked.sqnr_db:.1f} dB, cosine {checked.cosine:.3f}" if checked.sqnr_db is not None
             else f"max abs diff {checked.max_abs_diff:.2g}")
    print(f"wrote {args.format} for {describe(config)} to {args.output} ({len(checked.data):,} bytes; loaded and checked: "
          f"{check} against eager)", file=sys.stderr)
    return 0


# --- predicted phone latency (explorer.phones) --------------------------------------------------


def cmd_predict(args: argparse.Namespace) -> int:
    from ..phones import phone_model  # numpy and the fits: loaded only for this command

    if args.files and args.arch:
        raise UsageError("CONFIG files cannot be combined with --arch; give one or the other")
    if args.files and any(getattr(args, k) is not None for k in ("width", "resolution", "num_classes", "activation", "expansion")):
        raise UsageError("CONFIG files cannot be combined with --width/--resolution/--num-classes/--activation/--expansion")
    if not args.files and not args.arch:
        raise UsageError("give CONFIG.json file(s) or --arch v1|v2|v3-large|v3-small")
    configs = load_configs(args.files) if args.files else [config_from_args(args)]
    model = phone_model()
    platforms = model.platforms
    if args.device is not None:
        platforms = tuple(p for p in platforms if p.device == args.device)
        if not platforms:
            known = ", ".join(dict.fromkeys(repr(p.device) for p in model.platforms))
            raise UsageError(f"--device: no published latency on {args.device!r}; known: {known}")
    names = args.files or [None]
    results = [(name, config, model.predict(config, platforms)) for name, config in zip(names, configs)]
    if args.json:
        emit([{"config": name, "model": describe(config), "predictions": [p.to_dict() for p in preds]} for name, config, preds in results])
    else:
        print("\n\n".join(predict_text(name, config, preds) for name, config, preds in results))
    return 0
