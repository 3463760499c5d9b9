"""Command line: ``python -m explorer profile|sweep|validate|latency|export ...``.

JSON goes to stdout, errors to stderr. Any invalid input exits with code 2 and one line naming
the file and field; no traceback reaches the user. Counting is analytic, so ``profile`` and
``sweep`` never import torch and a 1,000-config sweep takes about a second; only
``profile --latency`` and ``sweep --latency`` build and time models (torch is imported there, on demand).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .config import (
    ACTIVATIONS,
    ALIASES,
    ARCHS,
    MAX_EXPANSION,
    PAPER_BLOCKS,
    ConfigError,
    MobileNetConfig,
    load_config,
    paper_config,
    with_expansion,
)
from .lock import LockTimeout
from .measurement import DEVICES, RUNTIMES, LatencyReport, LatencySettings
from .profile import Profile, profile
from .runtimes.base import RuntimeFailure, RuntimeUnavailable
from .units import human

if TYPE_CHECKING:
    from .lock import Waiting
    from .store import LatencyStore

EXIT_INVALID = 2
EXIT_FAILED = 1  # a deployment runtime that ran but failed its check against eager
EXIT_INTERRUPTED = 130  # Ctrl-C, as the shell reports it (and as an interrupted sweep exits)
ARCH_CHOICES = (*ALIASES, *ARCHS)  # v1, v2, v3-large, v3-small, mobilenet_v1, ...


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
    if r.output_max_abs_diff is not None:
        lines.append(f"output against eager PyTorch: max |difference| {r.output_max_abs_diff:.2e}")
    if r.output_sqnr_db is not None:
        lines.append(f"output against eager PyTorch: SQNR {r.output_sqnr_db:.1f} dB, cosine {r.output_cosine:.3f} "
                     "(random weights and calibration inputs: a similarity, not an accuracy)")
    if r.runtime_note:
        lines.append(f"{r.runtime}: {r.runtime_note}")
    return "\n".join(lines)


def emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")


# --- commands -----------------------------------------------------------------------------------


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


def _csv_of(text: str, kind: Callable[[str], Any], flag: str) -> list[Any]:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{flag}: expected a comma-separated list of numbers, got {text!r}") from None
    if not values:
        raise UsageError(f"{flag}: expected at least one value")
    return values


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.latency:
        return cmd_sweep_latency(args)
    widths = _csv_of(args.widths, float, "--widths")
    resolutions = _csv_of(args.resolutions, int, "--resolutions")
    archs = list(dict.fromkeys(ALIASES.get(a, a) for a in args.arch))
    results = []
    for arch in archs:
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
        headers = ("width", "resolution", "params", "MACs", "")
        if len(archs) > 1:  # one arch keeps the table it always had
            rows = [(p.config.arch, *row) for p, row in zip(results, rows)]
            headers = ("arch", *headers)
        print(format_table(headers, rows))
    return 0


# --- measured sweeps (sweep --latency) ------------------------------------------------------------

_SWEEP_FLAG = {"batch": "--batch", "threads": "--threads", "device": "--device", "budget_s": "--budget", "runtime": "--runtime",
               "ray": "--ray", "grid": "--widths/--resolutions"}


def cmd_sweep_latency(args: argparse.Namespace) -> int:
    # Imported here: measuring needs torch, the analytic sweep does not.
    from .sweep import FAILED, SweepJob, check_settings, grid

    if args.every_node and not args.ray:
        raise UsageError("--every-node: needs --ray ADDRESS (the nodes of a cluster)")
    runtimes = list(dict.fromkeys(v.strip() for text in args.runtime or ["eager"] for v in text.split(",") if v.strip()))
    if not runtimes:
        raise UsageError("--runtime: expected at least one runtime name")
    threads = _csv_of(args.threads, int, "--threads") if args.threads is not None else [None]
    batches = _csv_of(args.batch, int, "--batch") if args.batch is not None else [1]
    try:
        points = grid(args.arch, _csv_of(args.widths, float, "--widths"), _csv_of(args.resolutions, int, "--resolutions"),
                      runtimes=runtimes, batches=batches, threads=threads, num_classes=args.num_classes,
                      device=args.device or "cpu", budget_s=2.0 if args.budget is None else args.budget)
        check_settings(points, local=args.ray is None)
        backend = None
        if args.ray:
            from .sweep_ray import ray_backend

            backend = ray_backend(args.ray)
    except ConfigError as err:
        raise UsageError(f"{_SWEEP_FLAG.get(err.field, err.field)}: {err.reason}") from None
    store = open_store(args.store)
    printer = _SweepPrinter()
    job = None
    with _terminate_as_interrupt() as signals:
        try:
            # One connection for the whole sweep (and, with --every-node, for asking the cluster its nodes first).
            with backend if backend is not None else contextlib.nullcontext():
                if args.every_node:
                    from .sweep_ray import every_node

                    nodes = backend.nodes()
                    points = every_node(points, nodes)
                    print(f"sweep: every point on each of {len(nodes)} node{'s' if len(nodes) != 1 else ''}: "
                          + "; ".join(f"{n['machine']} ({n['cpu']}, {n['cores']} cores)" for n in nodes), file=sys.stderr)
                where = f"on the Ray cluster at {args.ray}, one at a time per node" if args.ray else "one at a time on this machine"
                print(f"sweep: {len(points)} points; the store's good measurements are reused, the rest measured {where}; "
                      f"store {store.path}", file=sys.stderr)
                job = SweepJob(points, store, backend=backend, on_result=printer.on_result, on_message=printer.on_message)
                results = job.run()
        except KeyboardInterrupt:
            p = job.progress if job is not None else None
            done = (f"{p.measured} measured and stored, {p.reused} reused, {p.remaining} not measured" if p is not None
                    else "nothing measured")
            print(f"sweep interrupted: {done}; run the same command again to measure only what is missing", file=sys.stderr)
            return 128 + signals[-1] if signals else 130
        except ConfigError as err:  # the cluster could not be used (connection, no latency slot)
            raise UsageError(f"{_SWEEP_FLAG.get(err.field, err.field)}: {err.reason}") from None
        finally:
            warn_store(store)
    printer.finished(job.progress)
    if args.json:
        emit([r.to_dict() for r in results])
    else:
        print(sweep_table(results))
    failed = sum(r.status == FAILED for r in results)
    if failed:
        print(f"sweep: {failed} point{'s' if failed != 1 else ''} failed (see the {'JSON' if args.json else 'table'})", file=sys.stderr)
    return 1 if failed else 0


class _SweepPrinter:
    """Progress of a measured sweep on stderr: a line per point measured or failed, one line for the reused."""

    def __init__(self) -> None:
        self.announced_reuse = False

    def on_result(self, result: Any, progress: Any) -> None:
        from .sweep import MEASURED, REUSED

        if result.status == REUSED:
            return  # reused points are counted in one line, not listed
        self._announce_reuse(progress.reused)
        if result.status == MEASURED:
            r = result.report
            what = f"{r.median_ms:.2f} ms ({r.quality})" + ("" if result.point.node_machine else f" on {r.machine}")
        else:
            what = f"failed: {result.error}"
        print(f"[{progress.done}/{progress.total}] {result.point.label}: {what} | {progress.line()}", file=sys.stderr, flush=True)

    def on_message(self, message: str) -> None:
        print(f"sweep: {message}", file=sys.stderr, flush=True)

    def finished(self, progress: Any) -> None:
        if not self.announced_reuse and progress.reused == progress.total:
            print(f"sweep: all {progress.total} points were already in the store as good measurements: reused", file=sys.stderr)
        else:
            self._announce_reuse(progress.reused)

    def _announce_reuse(self, reused: int) -> None:
        if not self.announced_reuse and reused:
            print(f"sweep: {reused} point{'s' if reused != 1 else ''} already in the store as good measurements: reused",
                  file=sys.stderr)
        self.announced_reuse = True


def sweep_table(results: Sequence[Any]) -> str:
    rows = []
    for r in results:
        c, m = r.point.config, r.report
        threads = m.threads if m is not None else (r.point.threads or "all")
        latency = ("", "", "", r.error or "") if m is None else (f"{m.median_ms:.2f}", f"{m.iqr_ms:.2f}",
                                                                m.quality, m.machine)
        rows.append((f"{c.arch} α={c.width_multiplier:g} {c.resolution}px", r.point.runtime, r.point.batch, threads,
                     human(profile(c).macs), *latency, r.status))
    return format_table(("model", "runtime", "batch", "threads", "MACs", "median ms", "IQR ms", "quality", "machine", "result"), rows)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[list[int]]:
    """SIGTERM (a scheduler, `kill`) stops a sweep like Ctrl-C: what is stored stays, the exit says which signal."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, frame: Any) -> None:
        received.append(signum)
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
    from .export import BINARY_FORMATS, export

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
    from .runtimes import checked_export

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
    from .phones import phone_model  # numpy and the fits: loaded only for this command

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


def predict_text(name: str | None, config: MobileNetConfig, predictions: Sequence[Any]) -> str:
    notes: dict[str, int] = {}
    rows = []
    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f}%"

    for p in predictions:
        note = f"[{notes.setdefault(p.reason, len(notes) + 1)}]" if p.reason else ""
        rows.append([
            p.device, p.backend, "" if p.platform.threads is None else p.platform.threads, p.platform.precision, p.method,
            "—" if p.ms is None else f"{p.ms:.3g}", "—" if p.ms is None else f"{p.low_ms:.3g}–{p.high_ms:.3g}",
            pct(p.loo_median_error_pct), pct(p.loo_max_error_pct), p.loo_n or "", ", ".join(f"{v:g}" for v in p.published_ms),
            ("⚠ " if p.extrapolating else "") + note,
        ])
    headers = ["device", "backend", "threads", "precision", "method", "ms", "90% interval", "LOO median", "LOO worst", "n",
               "published ms", "note"]
    title = f"{name}: {describe(config)}" if name else describe(config)
    footnotes = "\n".join(f"[{i}] {reason}" for reason, i in notes.items())
    return (f"predicted single-image latency, {title}\n{format_table(headers, rows)}\n"
            "LOO: leave-one-out error of the platform's own model (choice and fit redone without each config); "
            "⚠: extrapolating\n" + footnotes).rstrip()


# --- parser -------------------------------------------------------------------------------------


def _add_arch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--width", type=float, help="width multiplier α (default 1.0)")
    p.add_argument("--resolution", type=int, help="input resolution in pixels (default 224)")
    p.add_argument("--num-classes", dest="num_classes", type=int, help="classifier outputs (default 1000)")
    p.add_argument("--activation", choices=ACTIVATIONS, help="default: relu for V1, relu6 for V2 (V3: per row)")
    p.add_argument("--expansion", type=int, help="V2: set t on every row whose paper value is not 1")


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
    lat.add_argument("--runtime", help=f"one of {', '.join(RUNTIMES)} (default {d.runtime})")  # checked in main(): one line
    lat.add_argument("--budget", type=float, help=f"seconds per measurement attempt (default {d.budget_s:g})")
    lat.add_argument("--remeasure", action="store_true", help="measure again even if the store has a result")
    lat.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
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
    lat.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
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
    q.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_latency_list)
    q = latency_sub.add_parser("export", help="write stored measurements to a CSV file")
    q.add_argument("--csv", required=True, metavar="FILE")
    q.add_argument("--store", metavar="PATH", help="SQLite store file (default: $MOBILENET_EXPLORER_DATA or .data/)")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 with a usage line on bad flags
    if args.command == "profile" and args.runtime is not None and args.runtime not in RUNTIMES:  # one line, not argparse's usage
        print(f"error: --runtime: must be one of {', '.join(RUNTIMES)}, got {args.runtime!r}", file=sys.stderr)
        return EXIT_INVALID
    if getattr(args, "config", None) and any(getattr(args, k, None) is not None for k in ("width", "resolution", "num_classes", "activation", "expansion")):
        parser.error("--config cannot be combined with --width/--resolution/--num-classes/--activation/--expansion")
    if args.command == "profile" and not args.latency:
        given = [flag for flag in _LATENCY_OPTIONS if getattr(args, flag.lstrip("-").replace("-", "_")) not in (None, False)]
        if given:
            parser.error(f"{given[0]} needs --latency")
    if args.command == "sweep" and not args.latency:
        given = [flag for flag in _SWEEP_LATENCY_OPTIONS if getattr(args, flag.lstrip("-").replace("-", "_"), None) not in (None, False)]
        if given:
            parser.error(f"{given[0]} needs --latency")
    try:
        return args.func(args)
    except (UsageError, RuntimeUnavailable) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except RuntimeFailure as err:  # exported or checked and found wrong: reported, never timed
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    except LockTimeout as err:  # the message names the lock and who holds it
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:  # a measurement is stored only once finished: nothing half-stored to clean up
        print("interrupted: the measurement in progress was abandoned and nothing of it was stored", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0
