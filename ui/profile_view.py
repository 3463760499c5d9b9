"""The profile view shared by the V1 and V2 pages: headline metrics, layer table, charts, latency."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import MobileNetConfig, paper_config, profile
from explorer.export import profile_csv
from explorer.units import human, mebibytes, milliseconds

from . import charts
from .state import latency_store, shared_model, show_store_status


def layer_frame(config: MobileNetConfig, latency=None) -> pd.DataFrame:
    """The layer table as the page shows it (and the charts read it)."""
    p = profile(config)
    frame = pd.DataFrame(
        {
            "layer": [r.name for r in p.layers],
            "kind": [r.kind for r in p.layers],
            "output": ["×".join(map(str, r.output_shape[1:])) for r in p.layers],
            "params": [r.params for r in p.layers],
            "MACs": [r.macs for r in p.layers],
            "MAC share (%)": [100 * r.macs / p.macs for r in p.layers],
        }
    )
    if latency is not None:
        by_name = {row.name: row for row in latency.layers}
        frame["latency (ms)"] = [by_name[n].latency_ms for n in frame["layer"]]
        frame["latency share (%)"] = [100 * by_name[n].latency_share for n in frame["layer"]]
        frame["GMAC/s"] = [by_name[n].gmacs_per_s for n in frame["layer"]]
        frame["MACs/byte"] = [by_name[n].arithmetic_intensity for n in frame["layer"]]
    return frame


def _delta(value: float, reference: float, fmt) -> str | None:
    if value == reference:
        return None
    # ASCII "-": st.metric reads a leading "-" as a decrease (green here, with delta_color="inverse").
    return ("+" if value > reference else "-") + fmt(abs(value - reference))


def metrics(config: MobileNetConfig, latency=None) -> None:
    """Headline numbers, each with its change against the paper's default model of the family."""
    p, ref = profile(config), profile(paper_config(config.arch, num_classes=config.num_classes))
    cols = st.columns(5)
    cols[0].metric("Params", human(p.params), _delta(p.params, ref.params, human), delta_color="inverse",
                   help=f"{p.params:,} parameters, as PyTorch counts them (batch-norm scale and shift included).")
    cols[1].metric("Weights only", human(p.weight_params), _delta(p.weight_params, ref.weight_params, human), delta_color="inverse",
                   help=f"{p.weight_params:,} conv + linear weights: what the papers and TF-slim tables publish.")
    cols[2].metric("MACs", human(p.macs), _delta(p.macs, ref.macs, human), delta_color="inverse",
                   help=f"{p.macs:,} multiply-accumulates of convolutions and the classifier, one image.")
    cols[3].metric("fp32 size", mebibytes(p.cost.fp32_bytes), _delta(p.cost.fp32_bytes, ref.cost.fp32_bytes, mebibytes), delta_color="inverse",
                   help="Size of the fp32 state dict: parameters and batch-norm running statistics.")
    if latency is None:
        cols[4].metric("Latency", "—", help="Press “Measure latency” below to time this model on this machine.")
    else:
        cols[4].metric("Latency", milliseconds(latency.median_ms),
                       help=f"median of {latency.runs} runs, IQR {latency.iqr_ms:.2f} ms, batch {latency.batch}, "
                            f"{latency.threads} thread(s), {latency.device}")
    st.caption(
        f"Deltas against the paper's {config.arch.replace('mobilenet_', 'MobileNet ').upper().replace('MOBILENET', 'MobileNet')} "
        f"(α = 1, 224 px, paper table): {human(ref.params)} params, {human(ref.macs)} MACs."
    )


def layer_table(config: MobileNetConfig, frame: pd.DataFrame, latency=None) -> None:
    column_config = {
        "params": st.column_config.NumberColumn("params", format="localized"),
        "MACs": st.column_config.NumberColumn("MACs", format="localized"),
        "MAC share (%)": st.column_config.NumberColumn("MAC share", format="%.2f%%"),
        "latency (ms)": st.column_config.NumberColumn("latency", format="%.3f ms"),
        "latency share (%)": st.column_config.NumberColumn("latency share", format="%.2f%%"),
        "GMAC/s": st.column_config.NumberColumn("GMAC/s", format="%.1f"),
        "MACs/byte": st.column_config.NumberColumn("MACs/byte", format="%.1f", help="arithmetic intensity: low values are memory-bound"),
    }
    st.dataframe(frame, column_config=column_config, hide_index=True, width="stretch", height=380)
    latency_by_layer = None if latency is None else {r.name: r.latency_ms for r in latency.layers}
    st.download_button("Download layer table (CSV)", profile_csv(config, latency_by_layer),
                       file_name=f"{config.arch}_{config.width_multiplier:g}_{config.resolution}_layers.csv", mime="text/csv",
                       key=f"{config.arch}.download_csv")


VIEW_TABS = ("Layers", "Cost by layer", "Cost by kind", "Latency vs MACs")


def render(config: MobileNetConfig, latency=None) -> None:
    """Layer table and charts (the metrics row is drawn separately, above the page's columns).

    Tabs are lazy (``on_change="rerun"``): only the open tab's content is computed and sent, which
    keeps Plotly's rendering off the first page load.
    """
    frame = layer_frame(config, latency)
    tabs = dict(zip(VIEW_TABS, st.tabs(VIEW_TABS, key=f"{config.arch}.view", on_change="rerun")))
    with tabs["Layers"]:
        if tabs["Layers"].open:
            layer_table(config, frame, latency)
    with tabs["Cost by layer"]:
        if tabs["Cost by layer"].open:
            st.plotly_chart(charts.per_layer_bars(frame), width="stretch", key=f"{config.arch}.bars")
    with tabs["Cost by kind"]:
        if tabs["Cost by kind"].open:
            st.plotly_chart(charts.share_by_kind(frame), width="stretch", key=f"{config.arch}.share")
            pointwise = frame.loc[frame["kind"].isin(["pointwise", "expand", "project"]), "MACs"].sum() / frame["MACs"].sum()
            st.caption(f"1×1 convolutions take **{pointwise:.1%}** of the MACs here "
                       "(the V1 paper's Table 2: 94.86% of MACs, 74.59% of parameters, for MobileNet V1).")
    with tabs["Latency vs MACs"]:
        if not tabs["Latency vs MACs"].open:
            pass
        elif latency is None:
            st.info("Measure latency (below) to plot each layer's time against its MACs.")
        else:
            st.plotly_chart(charts.latency_vs_macs(frame), width="stretch", key=f"{config.arch}.latency_chart")
            st.caption(f"The per-layer times add up to {latency.layer_sum_ms:.2f} ms, {latency.coverage:.0%} of the "
                       f"whole-model median ({latency.median_ms:.2f} ms); the rest is Python and container overhead "
                       "and the residual adds.")


# --- latency on demand ----------------------------------------------------------------------------


def latency_panel(config: MobileNetConfig):
    """Settings and the "Measure latency" button. Returns the report for ``config``, if any."""
    import torch

    from explorer.latency import LatencyError, LatencySettings, measure_latency
    from explorer.timing import available_cores

    arch, ss = config.arch, st.session_state
    st.subheader("Measured latency")
    cols = st.columns([1, 1, 1, 1.4])
    threads = cols[0].number_input("Threads", 1, available_cores(), value=available_cores(), key=f"{arch}.threads")
    batch = cols[1].number_input("Batch", 1, 64, value=1, key=f"{arch}.batch")
    devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    device = cols[2].selectbox("Device", devices, key=f"{arch}.device")
    remeasure = cols[3].checkbox("Re-measure (ignore the stored result)", key=f"{arch}.remeasure")
    settings = LatencySettings(batch=int(batch), threads=int(threads), device=device)
    report_key = f"{arch}.latency"
    if st.button("Measure latency", type="primary", key=f"{arch}.measure",
                 help="About 2 s: the whole model with torch.utils.benchmark, then every layer with hooks."):
        bar = st.progress(0.0, text="Preparing…")
        try:
            report = measure_latency(config, settings, store=latency_store(), remeasure=remeasure,
                                     model=shared_model(config), progress=lambda f, msg: bar.progress(min(f, 1.0), text=msg))
        except (LatencyError, RuntimeError) as err:  # RuntimeError: torch, e.g. out of memory
            bar.empty()
            st.error(f"The model could not be measured: {err}")
            return None
        bar.empty()
        ss[report_key] = (config, settings, report)
    show_store_status()
    stored = ss.get(report_key)
    if stored is None or stored[0] != config or stored[1] != settings:
        st.caption(f"Times this exact model on this machine ({settings.threads} thread(s), batch {settings.batch}, "
                   f"{settings.device}). Stored results are reused when the same measurement is asked again.")
        return None
    report = stored[2]
    source = "reused from the local store (measured " + report.measured_at[:19].replace("T", " ") + ")" if report.from_store else "measured just now"
    st.success(f"**{report.median_ms:.2f} ms** median (IQR {report.iqr_ms:.2f} ms, {report.runs} runs), "
               f"batch {report.batch}, {report.threads} thread(s), {report.device}, torch {report.torch_version}, "
               f"{report.cpu}: {source}.")
    return report
