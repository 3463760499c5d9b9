"""``sweep``: analytic counts over a grid, or with ``--latency`` a measured sweep (local or on Ray)
with its progress on stderr; SIGTERM stops it like Ctrl-C, keeping what is stored."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from ..config import ALIASES, ConfigError, paper_config
from ..profile import profile
from ..units import human
from .arguments import UsageError, csv_of
from .commands import open_store, warn_store
from .formatters import emit, format_table, sweep_result_dict, sweep_table


def cmd_sweep(args: argparse.Namespace) -> int:
    if args.latency:
        return cmd_sweep_latency(args)
    widths = csv_of(args.widths, float, "--widths")
    resolutions = csv_of(args.resolutions, int, "--resolutions")
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


_SWEEP_FLAG = {"batch": "--batch", "threads": "--threads", "device": "--device", "budget_s": "--budget", "runtime": "--runtime",
               "ray": "--ray", "grid": "--widths/--resolutions"}


def cmd_sweep_latency(args: argparse.Namespace) -> int:
    # Imported here: measuring needs torch, the analytic sweep does not.
    from ..sweep import FAILED, SweepJob, check_settings, grid

    if args.every_node and not args.ray:
        raise UsageError("--every-node: needs --ray ADDRESS (the nodes of a cluster)")
    runtimes = list(dict.fromkeys(v.strip() for text in args.runtime or ["eager"] for v in text.split(",") if v.strip()))
    if not runtimes:
        raise UsageError("--runtime: expected at least one runtime name")
    threads = csv_of(args.threads, int, "--threads") if args.threads is not None else [None]
    batches = csv_of(args.batch, int, "--batch") if args.batch is not None else [1]
    try:
        points = grid(args.arch, csv_of(args.widths, float, "--widths"), csv_of(args.resolutions, int, "--resolutions"),
                      runtimes=runtimes, batches=batches, threads=threads, num_classes=args.num_classes,
                      device=args.device or "cpu", budget_s=2.0 if args.budget is None else args.budget)
        check_settings(points, local=args.ray is None)
        backend = None
        if args.ray:
            from ..sweep_ray import ray_backend

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
                    from ..sweep_ray import every_node

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
        emit([sweep_result_dict(r) for r in results])
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
        from ..sweep import MEASURED, REUSED

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
