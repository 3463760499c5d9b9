"""The profile view shared by the explorer pages (V1, V2, V3): headline metrics, layer table, charts, the
architecture diagram, the PyTorch module, latency.

Counts can be shown as MACs (the papers' "mult-adds") or FLOPs (= 2 × MACs, what many tools and
papers report): the switch is one setting for every page, kept outside the widgets so it
survives page changes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, make_plan, paper_config, profile
from explorer.export import export_filename, profile_csv
from explorer.quality import COVERAGE_RANGE
from explorer.units import human, mebibytes, milliseconds

from . import architecture, charts
from .measuring import conditions, measure_in_page, show_verdict
from .state import ARCH_TITLES, latency_store, shared_model, show_store_status

COUNT_UNITS = ("MACs", "FLOPs")
COUNT_HELP = ("MACs: multiply-accumulates, as the MobileNet papers count (“mult-adds”). "
              "FLOPs = 2 × MACs: each multiply-accumulate is one multiply and one add; many tools and papers report "
              "FLOPs. Both count convolutions and the classifier for one image, not batch norm, activations, pooling "
              "or residual adds.")
_UNIT_KEY = "counts.unit"  # plain key: widget state is dropped when another page renders


def count_unit_control(arch: str) -> str:
    """The MACs/FLOPs switch; returns the unit every count on the page is shown in."""
    widget = f"{arch}.count_unit"

    def keep() -> None:
        st.session_state[_UNIT_KEY] = st.session_state[widget] or st.session_state.get(_UNIT_KEY, "MACs")

    st.session_state[widget] = st.session_state.get(_UNIT_KEY, "MACs")
    st.segmented_control("Count", COUNT_UNITS, key=widget, on_change=keep, help=COUNT_HELP, label_visibility="collapsed")
    return st.session_state[widget] or "MACs"


def per_mac(unit: str) -> int:
    """How many of ``unit`` one multiply-accumulate is."""
    return 2 if unit == "FLOPs" else 1


def _kernel(layer) -> str:
    return f"{layer.kernel_size}×{layer.kernel_size}"


def layer_frame(config: MobileNetConfig, latency=None, unit: str = "MACs") -> pd.DataFrame:
    """The layer table as the page shows it (and the charts read it).

    Kernel, stride, groups and the input shape come from the plan, the counts from the profile;
    both are keyed by the module name, so the columns cannot drift apart. Shapes are C×H×W.
    """
    p, plan = profile(config), make_plan(config)
    convs = {layer.name: layer for layer in plan.conv_layers()}
    final = f"{plan.pooled_channels}×{plan.final_size}×{plan.final_size}"
    kernel, stride, groups, inputs = [], [], [], []
    for row in p.layers:
        conv = convs.get(row.name)
        if conv is not None:
            kernel.append(_kernel(conv))
            stride.append(conv.stride)
            groups.append(conv.groups)
            inputs.append(f"{conv.in_channels}×{conv.in_size}×{conv.in_size}")
        else:  # global average pooling, the linear classifier (V3: its hidden layer), V3's squeeze-and-excite
            kernel.append(f"{plan.final_size}×{plan.final_size} avg" if row.kind == "pool" else None)
            stride.append(None)
            groups.append(None)
            pooled = {"pool": final, "linear": str(plan.pooled_channels), "squeeze_excite": "×".join(map(str, row.output_shape[1:]))}
            inputs.append(pooled.get(row.kind, str(plan.features)))
    scale = per_mac(unit)
    frame = pd.DataFrame(
        {
            "layer": [r.name for r in p.layers],
            "kind": [r.kind for r in p.layers],
            "params": [r.params for r in p.layers],
            unit: [scale * r.macs for r in p.layers],
            "share (%)": [100 * r.macs / p.macs for r in p.layers],
            "kernel": kernel,
            "stride": pd.array(stride, dtype="Int64"),
            "groups": pd.array(groups, dtype="Int64"),
            "input": inputs,
            "output": ["×".join(map(str, r.output_shape[1:])) for r in p.layers],
        }
    )
    if latency is not None and latency.layers:  # a runtime may time the whole model only
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


def metrics(config: MobileNetConfig, latency=None, unit: str = "MACs") -> None:
    """Headline numbers, each with its change against the paper's default model of the family."""
    p, ref = profile(config), profile(paper_config(config.arch, num_classes=config.num_classes))
    scale = per_mac(unit)
    # A wrapping row rather than st.columns: on a phone the five numbers flow two or three to a line
    # instead of stacking into five screen-wide rows.
    row = st.container(horizontal=True, horizontal_alignment="distribute", gap="medium")
    row.metric("Params", human(p.params), _delta(p.params, ref.params, human), delta_color="inverse", width=150,
                   help=f"{p.params:,} parameters, as PyTorch counts them (batch-norm scale and shift included).")
    row.metric("Weights only", human(p.weight_params), _delta(p.weight_params, ref.weight_params, human), delta_color="inverse", width=150,
                   help=f"{p.weight_params:,} conv + linear weights: what the papers and TF-slim tables publish.")
    what = "multiply-accumulates of convolutions and the classifier, one image"
    row.metric(unit, human(scale * p.macs), _delta(scale * p.macs, scale * ref.macs, human), delta_color="inverse", width=150,
                   help=f"{p.macs:,} {what}." if unit == "MACs" else f"{scale * p.macs:,} FLOPs = 2 × {p.macs:,} {what}.")
    row.metric("fp32 size", mebibytes(p.cost.fp32_bytes), _delta(p.cost.fp32_bytes, ref.cost.fp32_bytes, mebibytes), delta_color="inverse", width=150,
                   help="Size of the fp32 state dict: parameters and batch-norm running statistics.")
    if latency is None:
        row.metric("Latency", "—", width=150, help="Press “Measure latency” below to time this model on this machine.")
    else:
        # A noisy figure keeps its verdict next to the number (grey, under it), not only in the panel below.
        per_image = f"; {latency.per_image_ms:.3f} ms per image, {latency.throughput_ips:,.0f} images/s" if latency.batch > 1 else ""
        row.metric("Latency", milliseconds(latency.median_ms), None if latency.reusable else latency.quality,
                   delta_color="off", delta_arrow="off", width=150,
                   help=f"median of {latency.runs} runs, IQR {latency.iqr_ms:.2f} ms{per_image}; {conditions(latency)}; "
                        f"quality {latency.quality}")
    st.caption(f"Deltas against the paper's {ARCH_TITLES[config.arch]} (α = 1, 224 px, paper table): "
               f"{human(ref.params)} params, {human(scale * ref.macs)} {unit}.")


def layer_table(config: MobileNetConfig, frame: pd.DataFrame, latency=None, unit: str = "MACs") -> None:
    column_config = {
        "layer": st.column_config.TextColumn("layer", pinned=True, help="module name in the PyTorch model"),
        "kernel": st.column_config.TextColumn("kernel", help="kernel height × width"),
        "groups": st.column_config.NumberColumn("groups", help="groups = channels: a depthwise convolution"),
        "input": st.column_config.TextColumn("input", help="input shape, channels × height × width"),
        "output": st.column_config.TextColumn("output", help="output shape, channels × height × width"),
        "params": st.column_config.NumberColumn("params", format="localized"),
        unit: st.column_config.NumberColumn(unit, format="localized", help=COUNT_HELP),
        "share (%)": st.column_config.NumberColumn(f"share of {unit}", format="%.2f%%"),
        # Explicit widths: the grid sizes columns from a sample of cells and clipped wider values
        # on the left ("183.882 ms" showed as "83.882 ms"). These fit the largest values possible.
        "latency (ms)": st.column_config.NumberColumn("latency", format="%.3f ms", width=110),
        "latency share (%)": st.column_config.NumberColumn("latency share", format="%.2f%%", width=105),
        "GMAC/s": st.column_config.NumberColumn("GMAC/s", format="%.1f", width=80),
        "MACs/byte": st.column_config.NumberColumn("MACs/byte", format="%.1f", width=85, help="arithmetic intensity: low values are memory-bound"),
    }
    st.dataframe(frame, column_config=column_config, hide_index=True, width="stretch", height=380)
    latency_by_layer = {r.name: r.latency_ms for r in latency.layers} if latency is not None and latency.layers else None
    st.download_button("Download layer table (CSV)", profile_csv(config, latency_by_layer),
                       file_name=export_filename(config, "csv").replace(".csv", "_layers.csv"), mime="text/csv",
                       key=f"{config.arch}.download_csv")


VIEW_TABS = ("Layers", "Architecture", "Cost by layer", "Cost by kind", "Latency vs MACs")


def render(config: MobileNetConfig, latency=None, unit: str = "MACs") -> None:
    """Layer table, architecture diagram and charts (the metrics row is drawn separately, above).

    Tabs are lazy (``on_change="rerun"``): only the open tab's content is computed and sent, which
    keeps Plotly's rendering off the first page load.
    """
    frame = layer_frame(config, latency, unit)
    tabs = dict(zip(VIEW_TABS, st.tabs(VIEW_TABS, key=f"{config.arch}.view", on_change="rerun")))
    with tabs["Layers"]:
        if tabs["Layers"].open:
            if latency is not None and latency.layers:
                coverage_note(latency)
            layer_table(config, frame, latency, unit)
    with tabs["Architecture"]:
        if tabs["Architecture"].open:
            architecture.show(config)
    with tabs["Cost by layer"]:
        if tabs["Cost by layer"].open:
            st.plotly_chart(charts.per_layer_bars(frame, unit), width="stretch", key=f"{config.arch}.bars")
    with tabs["Cost by kind"]:
        if tabs["Cost by kind"].open:
            st.plotly_chart(charts.share_by_kind(frame, unit), width="stretch", key=f"{config.arch}.share")
            pointwise = frame.loc[frame["kind"].isin(["pointwise", "expand", "project"]), unit].sum() / frame[unit].sum()
            st.caption(f"1×1 convolutions take **{pointwise:.1%}** of the {unit} here "
                       "(the V1 paper's Table 2: 94.86% of MACs, 74.59% of parameters, for MobileNet V1).")
    with tabs["Latency vs MACs"]:
        if not tabs["Latency vs MACs"].open:
            pass
        elif latency is None:
            st.info("Measure latency (below) to plot each layer's time against its MACs.")
        elif not latency.layers:
            st.info(f"The {latency.runtime} runtime was timed as a whole: there are no per-layer times to plot.")
        else:
            coverage_note(latency)
            st.plotly_chart(charts.latency_vs_macs(frame, unit), width="stretch", key=f"{config.arch}.latency_chart")
    module_text(config)


def module_text(config: MobileNetConfig) -> None:
    """``print(model)`` of the built PyTorch model, built only when the expander is opened."""
    with st.expander("PyTorch module: `print(model)`", key=f"{config.arch}.module", on_change="rerun") as box:
        if box.open:
            st.caption("The module this config builds (`explorer.build_model`); its names are the layer table's. "
                       "The standalone Python export (below) defines the same modules in plain PyTorch.")
            st.code(str(shared_model(config)), language=None)


def coverage_note(latency) -> None:
    """Say how far the per-layer times add up to the whole; a warning when they do not, or are noisy."""
    low, high = COVERAGE_RANGE
    sums = (f"their sum is {latency.layer_sum_ms:.2f} ms, {latency.coverage:.0%} of the whole-model median "
            f"({latency.median_ms:.2f} ms)")
    if not low <= latency.coverage <= high:
        st.warning(f"**These per-layer times do not add up to the whole model**: {sums}; expected {low:.0%}–{high:.0%}. "
                   "Read them as rough relative figures at most, not as a breakdown of the total.", icon=":material/warning:")
    elif not latency.reusable:
        st.warning(f"**These per-layer times come from a {latency.quality} measurement** ({sums}): read them as rough "
                   "relative figures at most.", icon=":material/warning:")
    else:
        st.caption(f"The per-layer times add up to {latency.layer_sum_ms:.2f} ms, {latency.coverage:.0%} of the "
                   f"whole-model median ({latency.median_ms:.2f} ms); the rest is Python and container overhead "
                   "and the residual adds.")


# --- latency on demand ----------------------------------------------------------------------------


def latency_panel(config: MobileNetConfig):
    """Settings and the "Measure latency" button. Returns the report for ``config``, if any."""
    import torch

    from explorer.machine import available_cores
    from explorer.measurement import RUNTIMES, LatencySettings

    arch, ss = config.arch, st.session_state
    defaults = LatencySettings()
    st.subheader("Measured latency")
    cols = st.columns([1, 1, 1, 1, 1.4])
    threads = cols[0].number_input("Threads", 1, available_cores(), value=available_cores(), key=f"{arch}.threads")
    batch = cols[1].number_input("Batch", 1, 64, value=defaults.batch, key=f"{arch}.batch")
    devices = ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]
    device = cols[2].selectbox("Device", devices, key=f"{arch}.device")
    runtime = cols[3].selectbox("Runtime", RUNTIMES, key=f"{arch}.runtime")
    remeasure = cols[4].checkbox("Re-measure (ignore the stored result)", key=f"{arch}.remeasure")
    try:
        settings = LatencySettings(batch=int(batch), threads=int(threads), device=device, runtime=runtime)
    except ConfigError as err:
        st.error(f"Latency settings: {err}")
        return None
    report_key = f"{arch}.latency"
    if st.button("Measure latency", type="primary", key=f"{arch}.measure",
                 help="About 2 s: the whole model with torch.utils.benchmark, then every layer with hooks; "
                      "measured again (up to 3 attempts) if the machine was busy. One measurement at a time on this machine."):
        report = measure_in_page(config, settings, remeasure=remeasure, model=shared_model(config))
        if report is not None:
            ss[report_key] = (config, settings, report)
    stored = ss.get(report_key)
    current = stored is not None and stored[0] == config and stored[1] == settings
    earlier = None if current else latency_store().lookup(config, settings)
    show_store_status()  # after this run's store operations: what they met is this session's to see
    lock = latency_store().lock
    # Before pressing, say the wait ahead. The holder's status file first: it exists only while a
    # job holds the lock, so the usual rerun skips reading /proc/locks (is_held).
    if (holder := lock.holder()) is not None and lock.is_held():
        st.caption(f"Another latency measurement is running on this machine ({holder.what}, {holder.fraction:.0%}): "
                   "a new one waits for it to end.")
    if not current:
        if earlier is not None and not earlier.reusable:
            st.info(f"The store holds a {earlier.quality} measurement of this model with these settings "
                    f"({earlier.median_ms:.2f} ms): it is not reused. “Measure latency” measures it again.")
        st.caption(f"Times this exact model on this machine ({settings.resolved_threads} thread(s), batch {settings.batch}, "
                   f"{settings.device}, {settings.runtime}). Good stored results are reused when the same measurement is asked again.")
        return None
    report = stored[2]
    show_verdict(report)
    return report
