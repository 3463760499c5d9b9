"""Deployment runtimes on the explorer pages (V1, V2, V3): the same model on every runtime, side by side.

One chart with the config's median (and IQR) on each runtime, the speed-up in words, eager's
per-layer bars beside ONNX Runtime's, the layers int8 speeds up most and not at all, checked
.onnx / .pte downloads and a checker for an uploaded .onnx file. Everything heavy (exports,
imports of the runtimes) happens on a button press, never on a plain rerun.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer import ConfigError, MobileNetConfig
from explorer.export import export_filename
from explorer.runtimes import LABELS, RUNTIMES, layer_speedups, unavailable_reason
from explorer.runtimes.comparison import CALIBRATION_INPUTS, INT8_MIN_COSINE
from explorer.runtimes.names import INT8

from . import litert_files, upload_check
from .state import shared_model

BUDGET_S = 2.0  # per runtime, as the eager lab
COLORS = {"eager": "#7f7f7f", "onnxruntime": "#1f77b4", "onnxruntime-int8": "#aec7e8", "executorch": "#2ca02c",
          "executorch-int8": "#98df8a", "litert": "#ff7f0e", "litert-int8": "#ffbb78"}


def _key(config: MobileNetConfig, name: str) -> str:
    return f"{config.arch}.runtimes.{name}"


def installed() -> dict[str, str | None]:
    """Runtime → None if its packages are on disk, else which one is missing. Cheap (no imports):
    the real import is tried on "Measure", and its error, if any, is shown then."""
    return {runtime: unavailable_reason(runtime, imports=False) for runtime in RUNTIMES}


def runtimes_panel(config: MobileNetConfig) -> None:
    """The "Deployment runtimes" expander of the explorer pages (one call from ``ui.explorer_page``)."""
    # A key keeps the expander open across reruns when the elements above it change (a measurement's
    # verdict, the store's notes); without one Streamlit sees a new expander and closes it.
    with st.expander("Deployment runtimes: ONNX Runtime, ExecuTorch and LiteRT, fp32 and int8", icon=":material/rocket_launch:",
                     key=_key(config, "panel")):
        _panel(config)


def _panel(config: MobileNetConfig) -> None:
    from explorer.timing import available_cores

    st.caption("Nobody deploys a MobileNet in eager PyTorch. This times the same model, with the same weights, on "
               "ONNX Runtime (fp32, and int8 after static quantization) and on ExecuTorch with XNNPACK, the CPU kernels "
               "TFLite uses on Android, and on LiteRT (TensorFlow Lite) itself, the runtime behind the published phone "
               "figures. Each runtime's output is first compared with eager's on the same input; a runtime "
               "that disagrees is shown as failed and not timed.")
    missing = {rt: why for rt, why in installed().items() if why}
    for runtime, why in missing.items():
        st.warning(f"{LABELS[runtime]} is not available here: {why}.", icon=":material/extension_off:")
    usable = [rt for rt in RUNTIMES if rt not in missing]
    cols = st.columns([2.4, 1])
    chosen = cols[0].multiselect("Runtimes", usable, default=usable, format_func=LABELS.get, key=_key(config, "chosen"))
    threads = cols[1].number_input("Threads", 1, available_cores(), value=available_cores(), key=_key(config, "threads"))
    if st.button("Measure on these runtimes", key=_key(config, "measure"), disabled=not chosen,
                 help=f"About {BUDGET_S:g} s of timing per runtime, plus each export the first time (seconds)."):
        _measure(config, list(chosen), int(threads))
    stored = st.session_state.get(_key(config, "results"))
    if stored and stored["config"] == config and stored["threads"] == int(threads):
        _show(config, stored["results"], stored["errors"], int(threads), stored.get("reports", {}))
    else:
        st.caption(f"Batch 1, {int(threads)} thread(s), this machine's CPU; {BUDGET_S:g} s of timing per runtime.")
    st.divider()
    _downloads(config)
    litert_files.tflite_downloads(config)
    _onnx_checker(config)
    litert_files.tflite_checker(config)


def _measure(config: MobileNetConfig, runtimes: list[str], threads: int, *, remeasure: bool = False,
             keep: tuple[dict, dict, dict] | None = None) -> None:
    """Measure every chosen runtime through the latency lab: one measurement at a time on the machine
    (its lock), a quality verdict, retried when noisy, kept in the store by runtime, and a good
    stored result reused."""
    from explorer.lock import LockTimeout
    from explorer.measurement import LatencySettings
    from explorer.runtimes import RuntimeUnavailable
    from explorer.runtimes.measure import result_from_report

    from .measuring import WAITING_TEXT, measure_for
    from .state import latency_store

    # ``keep``: the results shown so far, of which only ``runtimes`` are measured again
    results, errors, reports = (dict(kept) for kept in keep) if keep else ({}, {}, {})
    bar = st.progress(0.0, text="Preparing…")
    model = shared_model(config)

    def on_wait(waiting) -> None:
        holder = waiting.holder
        detail = f"{holder.what}: {holder.message}, {holder.fraction:.0%}" if holder else "it is starting"
        bar.progress(holder.fraction if holder else 0.0, text=f"{WAITING_TEXT} ({detail}). Waited {waiting.waited_s:.1f} s.")

    store = latency_store()
    for i, runtime in enumerate(runtimes):
        def progress(fraction: float, message: str, i=i, runtime=runtime) -> None:
            bar.progress(min((i + fraction) / len(runtimes), 1.0), text=f"{LABELS[runtime]}: {message}")

        try:
            settings = LatencySettings(threads=threads, batch=1, budget_s=BUDGET_S, runtime=runtime)
            report = store.get_or_measure(config, settings, measure=measure_for(runtime), model=model, progress=progress,
                                          on_wait=on_wait, remeasure=remeasure)
        except LockTimeout as err:
            errors[runtime] = f"not measured: {err}"
        except (RuntimeUnavailable, ConfigError, RuntimeError) as err:  # RuntimeError: a failed check, or torch (out of memory)
            errors[runtime] = str(err)
        else:
            errors.pop(runtime, None)
            reports[runtime], results[runtime] = report, result_from_report(report)
    bar.empty()
    st.session_state[_key(config, "results")] = {"config": config, "threads": threads, "results": results, "errors": errors,
                                                 "reports": reports}


def _check_text(result) -> str:
    if not result.ok and result.output_max_abs_diff is None and result.output_sqnr_db is None:
        return "—"
    if result.output_sqnr_db is not None:
        return f"SQNR {result.output_sqnr_db:.1f} dB, cosine {result.output_cosine:.3f}"
    return f"max |Δ| {result.output_max_abs_diff:.1e}"


def runtime_frame(results: dict, reports: dict | None = None) -> pd.DataFrame:
    """The results table: one row per runtime, in RUNTIMES order, with the lab's verdict when measured there."""
    rows = []
    for runtime in [rt for rt in RUNTIMES if rt in results]:
        r = results[runtime]
        rows.append({
            "runtime": r.label, "status": "ok" if r.ok else "failed",
            "quality": reports[runtime].quality if reports and runtime in reports else None,
            "median (ms)": r.median_ms, "IQR (ms)": r.iqr_ms,
            "runs": r.runs, "threads": r.threads, "output vs eager": _check_text(r),
            "per-layer coverage": None if r.coverage is None else f"{r.coverage:.0%}",
            "version": r.runtime_version,
        })
    return pd.DataFrame(rows)


def runtime_chart(results: dict) -> go.Figure:
    """Median per runtime, whiskers ± IQR/2 (the timing keeps the median and the IQR, not the quartiles)."""
    ok = [results[rt] for rt in RUNTIMES if rt in results and results[rt].ok]
    fig = go.Figure(go.Bar(
        x=[r.label for r in ok], y=[r.median_ms for r in ok], marker_color=[COLORS[r.runtime] for r in ok],
        error_y=dict(type="data", array=[(r.iqr_ms or 0) / 2 for r in ok], visible=True),
        text=[f"{r.median_ms:.2f} ms" for r in ok], textposition="outside",
        customdata=[[r.iqr_ms, r.runs, r.threads] for r in ok],
        hovertemplate="%{x}<br>median %{y:.3f} ms<br>IQR %{customdata[0]:.3f} ms<br>%{customdata[1]} runs, %{customdata[2]} thread(s)<extra></extra>",
    ))
    fig.update_layout(height=340, margin=dict(t=20, b=10, l=10, r=10), yaxis_title="median latency (ms), batch 1")
    medians = [r.median_ms for r in ok if r.median_ms]
    if medians and max(medians) > 20 * min(medians):  # a 20× spread flattens the fast bars: log axis, said on the axis
        fig.update_yaxes(type="log", title_text="median latency (ms, log scale), batch 1")
    return fig


def good_results(results: dict, reports: dict) -> dict:
    """The results whose measurement the lab judged good: the only ones a claim may be computed from."""
    return {rt: r for rt, r in results.items() if r.ok and rt in reports and reports[rt].reusable}


def noisy_runtimes(results: dict, reports: dict) -> list[str]:
    """Runtimes timed, but not good enough to compare (noisy or unverified), in RUNTIMES order."""
    return [rt for rt in RUNTIMES if rt in results and results[rt].ok and not (rt in reports and reports[rt].reusable)]


def speedup_words(results: dict, reports: dict) -> list[str]:
    """"ONNX Runtime int8 runs this model 4.6× faster than PyTorch eager (2.5 vs 11.6 ms)", per runtime.

    Only good measurements make a claim: a noisy figure (eager's or the runtime's) gives no sentence.
    """
    good = good_results(results, reports)
    eager = good.get("eager")
    if eager is None:
        return []
    lines = []
    for runtime in RUNTIMES[1:]:
        r = good.get(runtime)
        if r is None:
            continue
        ratio = eager.median_ms / r.median_ms
        how = f"**{ratio:.1f}× faster** than" if ratio >= 1.05 else ("about as fast as" if ratio > 0.95 else f"**{1 / ratio:.1f}× slower** than")
        lines.append(f"{r.label} runs this model {how} PyTorch eager ({r.median_ms:.2f} vs {eager.median_ms:.2f} ms median).")
    return lines


def noisy_words(results: dict, reports: dict) -> str | None:
    """Which runtimes are left out of the comparison because their figure is not good, or None."""
    noisy = noisy_runtimes(results, reports)
    if not noisy:
        return None
    names = ", ".join(LABELS[rt] for rt in noisy)
    left_out = "no speed-up is stated" if "eager" in noisy else "they are left out of the speed-ups"
    return (f"Still noisy: {names}. A noisy figure proves nothing, so {left_out}; measure "
            f"{'it' if len(noisy) == 1 else 'them'} again when the machine is quieter.")


def per_layer_chart(results: dict) -> go.Figure | None:
    """Eager's per-layer bars beside ONNX Runtime's (fp32, and int8 when measured), in forward order."""
    shown = [results[rt] for rt in ("eager", "onnxruntime", "onnxruntime-int8") if rt in results and results[rt].ok and results[rt].layers]
    if len(shown) < 2:
        return None
    fig = go.Figure()
    for r in shown:
        fig.add_bar(x=[layer.name for layer in r.layers], y=[layer.latency_ms for layer in r.layers], name=r.label,
                    marker_color=COLORS[r.runtime], hovertemplate="%{x}<br>%{y:.3f} ms<extra>" + r.label + "</extra>")
    fig.update_layout(barmode="group", height=420, margin=dict(t=20, b=10, l=10, r=10), yaxis_title="ms per layer",
                      legend=dict(orientation="h", y=1.08), bargap=0.15)
    fig.update_xaxes(tickangle=-60, tickfont_size=9)
    return fig


def int8_layer_words(results: dict, reports: dict) -> str | None:
    good = good_results(results, reports)  # per-layer speed-ups from good measurements only
    fp32, int8 = good.get("onnxruntime"), good.get("onnxruntime-int8")
    if not (fp32 and int8 and fp32.ok and int8.ok and fp32.layers and int8.layers):
        return None
    rows = layer_speedups(fp32, int8)
    if not rows:
        return None
    most = ", ".join(f"`{name}` ({ratio:.1f}×)" for name, _, _, ratio in rows[:3])
    none = [f"`{name}` ({ratio:.2f}×)" for name, _, _, ratio in rows if ratio <= 1.05]
    text = f"On ONNX Runtime, int8 speeds up {most} the most."
    if none:
        text += f" Not at all (≤ 1.05×): {', '.join(none[:6])}{' and more' if len(none) > 6 else ''}."
    else:
        text += " Every layer got faster."
    return text


def _show(config: MobileNetConfig, results: dict, errors: dict, threads: int, reports: dict) -> None:
    for runtime, message in errors.items():
        st.error(f"{LABELS[runtime]}: {message}")
    for runtime, report in reports.items():  # the lab's verdict: a noisy figure is shown, never taken as a good one
        if not report.reusable:
            st.warning(f"{LABELS[runtime]}: **{report.quality} measurement**, do not rely on it: "
                       f"{'; '.join(report.quality_reasons)}", icon=":material/warning:")
    reused = [LABELS[rt] for rt, report in reports.items() if report.from_store]
    if reused:
        st.caption(f"Reused good stored measurements for {', '.join(reused)} (re-measure from the latency panel above).")
    for r in results.values():
        if not r.ok:
            st.error(f"{r.label} failed and was not timed: {r.failure}")
    if not results:
        return
    st.plotly_chart(runtime_chart(results), width="stretch", key=_key(config, "chart"))
    st.caption(f"{config.arch} α = {config.width_multiplier:g}, {config.resolution} px, batch 1, {threads} thread(s), this "
               "machine's CPU. Bars: median; whiskers: ± half the IQR. All timed with the lab's timing primitive "
               "(warm-up, then blocks of runs).")
    for line in speedup_words(results, reports):
        st.markdown(f"- {line}")
    noisy = noisy_words(results, reports)
    if noisy:
        st.warning(noisy, icon=":material/hourglass:")
        if st.button("Measure the noisy ones again", key=_key(config, "remeasure_noisy")):
            _measure(config, noisy_runtimes(results, reports), threads, remeasure=True, keep=(results, errors, reports))
            st.rerun()
    st.dataframe(runtime_frame(results, reports), hide_index=True, width="stretch",
                 column_config={"median (ms)": st.column_config.NumberColumn(format="%.3f"),
                                "IQR (ms)": st.column_config.NumberColumn(format="%.3f")})
    notes = {r.label: r.threads_note for r in results.values() if r.threads_note}
    with st.popover("How each runtime used its threads", icon=":material/memory:"):
        for label, note in notes.items():
            st.markdown(f"**{label}**: {note}")
    if any(rt in results for rt in INT8):
        st.info(f"int8 models were calibrated (static quantization) on {CALIBRATION_INPUTS} random inputs. Their output is "
                "compared with eager's as a similarity (SQNR, cosine), not as an accuracy: **accuracy after int8 "
                "quantization is not measured here**, because no labelled images are bundled (and these weights are random, "
                f"not trained). A cosine below {INT8_MIN_COSINE:g} counts as failed.", icon=":material/info:")
    figure = per_layer_chart(results)
    if figure is not None:
        st.markdown("**Per layer: eager against ONNX Runtime**")
        st.plotly_chart(figure, width="stretch", key=_key(config, "layers"))
        ort = results.get("onnxruntime") or results.get("onnxruntime-int8")
        st.caption(f"Eager: forward hooks on every leaf module. ONNX Runtime: its profiler's kernel times, mapped to the rows "
                   f"through the module paths the export keeps; after fusion a conv, its batch norm and activation (and a "
                   f"residual add) run as one kernel. The rows cover {ort.coverage:.0%} of ONNX Runtime's whole-model median; "
                   f"{ort.outside_ms:.3f} ms went to kernels outside the rows (layout reorders, input quantization). "
                   "ExecuTorch and LiteRT run the model as one XNNPACK call: no per-layer times.")
    words = int8_layer_words(results, reports)
    if words:
        st.markdown(words)


def _downloads(config: MobileNetConfig) -> None:
    from explorer.runtimes import RuntimeFailure, RuntimeUnavailable, checked_export

    st.markdown("**Download the model**")
    st.caption("The fp32 model as ONNX (one file, weights inline; opens in [Netron](https://netron.app) to see the graph) "
               "and as an ExecuTorch program (.pte, lowered to XNNPACK). Each file is offered only after it has been "
               "loaded by its runtime and matched eager's output. The weights are this page's random ones, not trained.")
    files_key = _key(config, "files")
    stored = st.session_state.get(files_key)
    if not (stored and stored["config"] == config):
        slot = st.empty()  # the button, replaced by the files once they are ready
        if not slot.button("Prepare .onnx and .pte files", key=_key(config, "prepare"), help="Exports take a few seconds each."):
            return
        slot.empty()
        from explorer.lock import LockTimeout

        from .measuring import machine_job

        files, problems = {}, {}
        try:
            # Exports burn the CPU for seconds: under the machine's lock, so a measurement is never disturbed by them.
            with machine_job(f"{config.arch} α={config.width_multiplier:g} {config.resolution}px: exporting .onnx and .pte"), \
                    st.spinner("Exporting and checking…"):
                for fmt in ("onnx", "pte"):
                    try:
                        files[fmt] = checked_export(config, fmt, shared_model(config))
                    except (RuntimeUnavailable, RuntimeFailure) as err:
                        problems[fmt] = str(err)
        except LockTimeout as err:
            problems = {fmt: f"not prepared: {err}" for fmt in ("onnx", "pte")}
        st.session_state[files_key] = stored = {"config": config, "files": files, "problems": problems}
    cols = st.columns(2)
    labels = {"onnx": ("ONNX (.onnx)", "Opens in Netron; runs in ONNX Runtime"), "pte": ("ExecuTorch (.pte)", "Runs with ExecuTorch's runtime (XNNPACK delegate)")}
    for col, fmt in zip(cols, ("onnx", "pte")):
        if fmt in stored["files"]:
            checked = stored["files"][fmt]
            label, help_text = labels[fmt]
            col.download_button(f"Download {label}", checked.data, file_name=export_filename(config, fmt),
                                mime="application/octet-stream", key=_key(config, f"download_{fmt}"), on_click="ignore",
                                icon=":material/download:", width="stretch",
                                help=f"{help_text}. Checked: max abs diff {checked.max_abs_diff:.1e} against eager.")
            col.caption(f"{len(checked.data) / 2**20:.1f} MiB, max |Δ| {checked.max_abs_diff:.1e} against eager")
        else:
            col.error(f"No .{fmt} file: {stored['problems'].get(fmt, 'not prepared')}")


def _onnx_checker(config: MobileNetConfig) -> None:
    from explorer.runtimes import ArtifactError, RuntimeUnavailable, validate_onnx

    limit_mb = st.get_option("server.maxUploadSize")
    checked = upload_check.checked_upload(
        "onnx", "Check an ONNX file", _key(config, "onnx_upload"),
        f"Up to {limit_mb} MB, enough for any model the explorer exports (at most 100 M parameters, "
        "4 bytes each). Validated with the ONNX checker and loaded in ONNX Runtime; a file exported "
        "here also carries a checksum, so an edited copy is recognised.",
        validate_onnx, (ArtifactError, RuntimeUnavailable))
    if checked is None:
        return
    name, info = checked
    shape = " × ".join(map(str, info.inputs[0][1])) if info.inputs else "?"
    st.success(f"{name} is a valid ONNX model: opset {info.opset}, {info.nodes} nodes, {info.parameters:,} "
               f"parameters, input {shape}; {upload_check.origin_text(info)}.")
