"""The CLI's output: tables and text for a terminal, JSON objects for scripts.

Pure functions of profiles, reports and results; nothing here reads arguments or measures.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig
from ..measurement import LatencyReport
from ..profile import Profile, profile
from ..units import human

if TYPE_CHECKING:
    from ..sweep import SweepResult


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


def profile_dict(p: Profile, latency: LatencyReport | None) -> dict[str, Any]:
    out = p.to_dict()
    if latency is not None:
        out["latency"] = latency.to_dict()
        for row, measured in zip(out["layers"], latency.layers):
            row["latency_ms"] = measured.latency_ms
    return out


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


def sweep_result_dict(result: SweepResult) -> dict[str, Any]:
    """A measured sweep point as JSON: ``config``, ``params``, ``macs``, ``latency`` (null when failed), ``status``..."""
    from ..sweep import MEASURED

    p = profile(result.point.config)
    out: dict[str, Any] = {"config": p.config.to_dict(), "params": p.params, "macs": p.macs}
    out["latency"] = result.report.to_dict() if result.report is not None else None
    out["status"] = result.status
    if result.error is not None:
        point = result.point
        out["error"] = result.error
        out["settings"] = {"runtime": point.runtime, "batch": point.batch, "threads": point.threads, "device": point.device,
                           "budget_s": point.budget_s}
    if result.status == MEASURED:
        out["task"] = {"node": result.node, "pid": result.pid, "started_at": result.started_at, "finished_at": result.finished_at}
    return out
