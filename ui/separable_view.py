"""Renderers of the "Why depthwise separable is cheap" page. The logic is ``explorer.separable``
(counts), ``explorer.separable_timing`` (measured), ``explorer.full_conv`` (whole model) and
``explorer.inverted_residual`` (V2 block); the formulas are typeset here.

Each function draws one section from library values. Measurements are kept in session state
under a key made of the shape and the settings, so a rerun shows them again and a change of shape
or settings never shows a stale result.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from explorer import ConfigError, MobileNetConfig
from explorer.full_conv import V1_TABLE4, full_conv_counterpart
from explorer.inverted_residual import InvertedResidualCosts
from explorer.lock import LockTimeout
from explorer.separable import ConvShape, factorization
from explorer.separable_timing import (
    IMPLEMENTATIONS,
    MAX_SWEEP_POINTS,
    SWEEP_FIELDS,
    ImplementationTiming,
    SweepRow,
    check_measurable,
    compare_outputs,
    default_sweep_values,
    measure_implementations,
    sweep,
)
from explorer.units import human, mebibytes

from . import charts
from .measuring import machine_job
from .state import ARCH_TITLES, error_text

# One colour per implementation on every chart: the standard conv is a "conv", the grouped
# depthwise a "depthwise", the loop is the one to avoid (the head's red).
IMPLEMENTATION_COLORS = {"standard": charts.KIND_COLORS["conv"], "grouped": charts.KIND_COLORS["depthwise"],
                         "loop": charts.KIND_COLORS["head"]}
SHORT_NAMES = {"standard": "standard", "grouped": "grouped depthwise + 1×1", "loop": "loop depthwise + 1×1"}
SOURCES = ("layer", "custom")
SOURCE_LABELS = {"layer": "A layer of my current model", "custom": "Custom values"}
CUSTOM_DEFAULTS = {"kernel_size": 3, "in_channels": 512, "out_channels": 512, "feature_size": 14, "stride": 1}  # V1 blocks.6


FIELD_SYMBOLS = {"kernel_size": "D_K (kernel size)", "in_channels": "M (input channels)",
                 "out_channels": "N (output channels)", "feature_size": "D_F (output feature size)"}


def problem_text(err: ConfigError) -> str:
    """A sentence for st.error, naming the paper's symbol where the field is one of the shape's."""
    if err.field in FIELD_SYMBOLS:
        return f"{FIELD_SYMBOLS[err.field]} {err.reason}"
    return error_text(err)


def config_label(config: MobileNetConfig) -> str:
    return f"{ARCH_TITLES[config.arch]} (α = {config.width_multiplier:g}, {config.resolution} px)"


def shape_text(shape: ConvShape) -> str:
    stride = f", stride {shape.stride}" if shape.stride != 1 else ""
    return f"D_K = {shape.kernel_size}, M = {shape.in_channels}, N = {shape.out_channels}, D_F = {shape.feature_size}{stride}"


# --- 1. the formulas ---------------------------------------------------------------------------

FORMULA_KEYS = ("standard_macs", "depthwise_macs", "pointwise_macs", "separable_macs", "standard_params",
                "separable_params", "ratio")


def _tex(value: int) -> str:
    return f"{value:,}".replace(",", "{,}")  # a bare comma in TeX math mode adds a space after it


def _lines(*rows: str) -> str:
    """Equal-sign-aligned lines: each formula, its numbers and its result on a line of its own, so
    a phone's width holds them (one long line would be cut off)."""
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def formula_latex(shape: ConvShape) -> dict[str, str]:
    """The paper's formulas with the user's numbers, as LaTeX for ``st.latex``, keyed by ``FORMULA_KEYS``."""
    k, m, n, f = shape.kernel_size, shape.in_channels, shape.out_channels, shape.feature_size
    c = factorization(shape)
    return {
        "standard_macs": _lines(r"& D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F",
                                rf"&= {k} \cdot {k} \cdot {m} \cdot {n} \cdot {f} \cdot {f}", rf"&= {_tex(c.standard_macs)}"),
        "depthwise_macs": _lines(r"& D_K \cdot D_K \cdot M \cdot D_F \cdot D_F",
                                 rf"&= {k} \cdot {k} \cdot {m} \cdot {f} \cdot {f}", rf"&= {_tex(c.depthwise_macs)}"),
        "pointwise_macs": _lines(r"& M \cdot N \cdot D_F \cdot D_F", rf"&= {m} \cdot {n} \cdot {f} \cdot {f}",
                                 rf"&= {_tex(c.pointwise_macs)}"),
        "separable_macs": _lines(r"& D_K \cdot D_K \cdot M \cdot D_F \cdot D_F", r"&\quad + M \cdot N \cdot D_F \cdot D_F",
                                 rf"&= {_tex(c.depthwise_macs)} + {_tex(c.pointwise_macs)}", rf"&= {_tex(c.separable_macs)}"),
        "standard_params": _lines(r"& D_K \cdot D_K \cdot M \cdot N", rf"&= {k} \cdot {k} \cdot {m} \cdot {n}",
                                  rf"&= {_tex(c.standard_params)}"),
        "separable_params": _lines(r"& D_K \cdot D_K \cdot M + M \cdot N", rf"&= {_tex(c.depthwise_params)} + {_tex(c.pointwise_params)}",
                                   rf"&= {_tex(c.separable_params)}"),
        "ratio": _lines(r"& \frac{D_K^2 \cdot M \cdot D_F^2 + M \cdot N \cdot D_F^2}{D_K^2 \cdot M \cdot N \cdot D_F^2}",
                        r"&= \frac{1}{N} + \frac{1}{D_K^2}", rf"&= \frac{{1}}{{{n}}} + \frac{{1}}{{{k * k}}} = {c.formula_ratio:.4f}"),
    }


# KaTeX's display blocks keep one line's width; on a narrow screen an over-wide one scrolls
# sideways instead of being clipped (a safety net: the formulas above are already split in lines).
FORMULA_CSS = "<style>.katex-display { overflow-x: auto; overflow-y: hidden; padding: 2px 0; }</style>"


def formulas(shape: ConvShape) -> None:
    """The paper's formulas with the user's numbers, the counts side by side, and the ratio."""
    c = factorization(shape)
    tex = formula_latex(shape)
    cols = st.columns(4)
    cols[0].metric("Standard conv MACs", human(c.standard_macs), help=f"{c.standard_macs:,}")
    cols[1].metric("Depthwise + pointwise MACs", human(c.separable_macs), help=f"{c.separable_macs:,}")
    cols[2].metric("Fewer MACs", f"{c.mac_reduction:.2f}×", help="standard MACs / separable MACs")
    cols[3].metric("Fewer weights", f"{1 / c.params_ratio:.2f}×",
                   help=f"{c.standard_params:,} standard against {c.separable_params:,} separable weights")
    st.html(FORMULA_CSS)
    st.markdown("**Standard convolution**: one D_K×D_K×M filter per output channel")
    st.latex(tex["standard_macs"])
    st.latex(tex["standard_params"])
    st.markdown("**Depthwise + pointwise**: one D_K×D_K filter per input channel (depthwise), then a 1×1 conv "
                "mixing the M channels into N (pointwise)")
    st.latex(tex["depthwise_macs"])
    st.latex(tex["pointwise_macs"])
    st.latex(tex["separable_macs"])
    st.latex(tex["separable_params"])
    st.caption("MACs first, then weights (bias-free, as the paper counts them).")
    st.markdown("**The ratio**")
    st.latex(tex["ratio"])
    k2 = shape.kernel_size**2
    dominant = (f"With N = {shape.out_channels} > D_K² = {k2} the 1/D_K² term dominates: the saving approaches {k2}× as N grows."
                if shape.out_channels > k2 else
                f"With N = {shape.out_channels} ≤ D_K² = {k2} the 1/N term dominates: the 1×1 step is the larger cost "
                f"and the saving can never exceed N = {shape.out_channels}×.")
    st.markdown(
        f"Counted: {c.separable_macs:,} / {c.standard_macs:,} = **{c.ratio:.4f}**, the formula gives "
        f"1/{shape.out_channels} + 1/{shape.kernel_size ** 2} = **{c.formula_ratio:.4f}**: the factorization "
        f"needs **{c.mac_reduction:.2f}× fewer MACs** and {1 / c.params_ratio:.2f}× fewer weights. " + dominant
    )


# --- 2. measured latency -------------------------------------------------------------------------


def _measurement_problem(shape: ConvShape, batch: int) -> str | None:
    try:
        check_measurable(shape, batch)
    except ConfigError as err:
        return problem_text(err)
    return None


def timing_frame(timings: list[ImplementationTiming]) -> pd.DataFrame:
    return pd.DataFrame({
        "implementation": [t.label for t in timings],
        "MACs": [t.macs for t in timings],
        "median (ms)": [t.median_ms for t in timings],
        "IQR (ms)": [t.iqr_ms for t in timings],
        "runs": [t.runs for t in timings],
        "speedup vs standard": [t.speedup for t in timings],
        "GMAC/s": [t.gmacs_per_s for t in timings],
        "MAC reduction": [t.mac_reduction for t in timings],
        "realized (%)": [100 * t.mac_reduction_realized for t in timings],
    })


TIMING_COLUMNS = {
    "MACs": st.column_config.NumberColumn("MACs", format="localized"),
    "median (ms)": st.column_config.NumberColumn("median", format="%.3f ms"),
    "IQR (ms)": st.column_config.NumberColumn("IQR", format="%.3f ms"),
    "speedup vs standard": st.column_config.NumberColumn("speedup", format="%.2f×", help="standard time / this time"),
    "GMAC/s": st.column_config.NumberColumn("GMAC/s", format="%.1f"),
    "MAC reduction": st.column_config.NumberColumn("MAC reduction", format="%.2f×", help="standard MACs / these MACs"),
    "realized (%)": st.column_config.NumberColumn("realized", format="%.0f%%",
                                                  help="speedup / MAC reduction: the share of the saved MACs that became saved time"),
}


def latency_section(shape: ConvShape, threads: int, budget_s: float, batch: int) -> None:
    """The "Measure" button, then the stored result for exactly this shape and these settings."""
    ss = st.session_state
    problem = _measurement_problem(shape, batch)
    if problem:
        st.error(f"This shape is too large to time here: {problem}. The counts above still hold.")
        return
    result_key = ("separable.timings", shape, threads, budget_s, batch)
    if st.button("Measure the three implementations", type="primary", key="separable.measure",
                 help=f"About {3 * budget_s + 1:.0f} s: each implementation gets {budget_s:g} s after a warm-up."):
        try:
            with machine_job(f"separable explainer: timing {shape_text(shape)}"), \
                    st.spinner(f"Checking the outputs agree, then timing each implementation for {budget_s:g} s…"):
                agreement = compare_outputs(shape, batch)
                timings = measure_implementations(shape, threads=threads, budget_s=budget_s, batch=batch)
        except LockTimeout as err:
            st.error(f"Not measured: {err}")
            return
        except ConfigError as err:
            st.error(problem_text(err))
            return
        except RuntimeError as err:  # torch, e.g. out of memory
            st.error(f"The measurement failed: {err}")
            return
        ss[result_key] = (agreement, timings)
    stored = ss.get(result_key)
    if stored is None:
        st.caption(f"Times {shape_text(shape)} on this machine with {threads} thread(s), batch {batch}: the same "
                   "random input through the three implementations, with the same weights.")
        return
    agreement, timings = stored
    st.dataframe(timing_frame(timings), column_config=TIMING_COLUMNS, hide_index=True, width="stretch")
    by_name = {t.name: t for t in timings}
    grouped, loop = by_name["grouped"], by_name["loop"]
    lost = max(0.0, 1 - grouped.mac_reduction_realized)
    st.markdown(
        f"The factorization does **{grouped.mac_reduction:.2f}× fewer MACs**. As one grouped convolution it runs "
        f"**{grouped.speedup:.2f}×** as fast as the standard conv: **{grouped.mac_reduction_realized:.0%}** of the MAC "
        f"reduction became speed" + (f", **{lost:.0%}** did not" if lost else "") +
        f" ({grouped.gmacs_per_s:.1f} GMAC/s against {by_name['standard'].gmacs_per_s:.1f} for the standard conv: "
        "depthwise and 1×1 layers do few MACs per byte they move, so memory traffic, not arithmetic, sets their pace). "
        f"The per-channel Python loop runs at **{loop.speedup:.2f}×** the standard conv's speed "
        f"({loop.mac_reduction_realized:.0%} realized): {shape.in_channels} small kernel launches instead of one."
    )
    verdict = "equal" if agreement.equal else "NOT equal"
    (st.success if agreement.equal else st.error)(
        f"The two factorized outputs are **{verdict}** to float32 rounding: largest |grouped − loop| = "
        f"{agreement.grouped_vs_loop:.2e} (largest |output| {agreement.output_scale:.3g}). The standard conv was given "
        f"the factorization's product as its weights, so it computes the same function: largest difference "
        f"{agreement.standard_vs_grouped:.2e}."
    )
    t = timings[0]
    st.caption(f"Median and IQR of {', '.join(str(x.runs) for x in timings)} runs, {t.threads} thread(s), batch {t.batch}, "
               f"{budget_s:g} s per implementation, under torch.inference_mode.")


def sweep_figure(rows: list[SweepRow], vary: str) -> go.Figure:
    """ms of the three implementations against the swept value, and the MAC ratio on a second axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    x = [row.value for row in rows]
    for name in IMPLEMENTATIONS:
        fig.add_scatter(x=x, y=[row.timing(name).median_ms for row in rows], name=SHORT_NAMES[name], mode="lines+markers",
                        line_color=IMPLEMENTATION_COLORS[name],
                        error_y=dict(type="data", array=[row.timing(name).iqr_ms for row in rows], thickness=1),
                        hovertemplate=vary + " %{x}<br>%{y:.3f} ms<extra>" + SHORT_NAMES[name] + "</extra>")
    fig.add_scatter(x=x, y=[row.factorization.ratio for row in rows], name="MAC ratio (separable / standard)",
                    mode="lines+markers", line=dict(color="#444", dash="dot"), secondary_y=True,
                    hovertemplate=vary + " %{x}<br>ratio %{y:.4f}<extra></extra>")
    fig.update_xaxes(title_text=vary, type="log", tickvals=x, ticktext=[str(v) for v in x])
    top = max(row.factorization.ratio for row in rows)
    fig.update_yaxes(title_text="median latency (ms)", type="log", dtick=1, secondary_y=False)
    fig.update_yaxes(title_text="MAC ratio", range=[0, top * 1.15], tickformat=".2f", nticks=6, secondary_y=True, showgrid=False)
    fig.update_layout(height=420, margin=dict(t=30, b=10, l=10, r=10), legend=dict(orientation="h", y=1.12))
    return fig


def sweep_section(shape: ConvShape, threads: int, batch: int) -> None:
    ss = st.session_state
    cols = st.columns([1, 2.4, 1])
    vary = cols[0].radio("Sweep", list(SWEEP_FIELDS), horizontal=True, key="separable.vary",
                         format_func={"N": "N (output channels)", "D_F": "D_F (feature size)"}.get)
    own = shape.out_channels if vary == "N" else shape.feature_size
    options = sorted(set(default_sweep_values(shape, vary)) | {own})
    measurable = [v for v in options if _measurement_problem(shape.replace(**{SWEEP_FIELDS[vary]: v}), batch) is None]
    values = cols[1].multiselect(f"Values of {vary}", options, default=measurable, key=f"separable.sweep_values.{vary}",
                                 max_selections=MAX_SWEEP_POINTS)
    budget_s = cols[2].number_input("Seconds per point and implementation", 0.02, 1.0, value=0.15, step=0.05,
                                    key="separable.sweep_budget")
    skipped = [v for v in options if v not in measurable]
    if skipped:
        st.caption(f"Left out by default, too large to time here with this shape: {vary} = {', '.join(map(str, skipped))}.")
    result_key = ("separable.sweep", shape, vary, tuple(sorted(values)), threads, budget_s, batch)
    if st.button("Run the sweep", key="separable.run_sweep", disabled=not values,
                 help=f"At least {3 * len(values) * (budget_s + 0.05):.0f} s; more when M is large, since the loop "
                      "version's warm-up calls alone take a while."):
        try:
            with machine_job(f"separable explainer: sweeping {vary} of {shape_text(shape)}"), \
                    st.spinner(f"Timing {len(values)} points × 3 implementations…"):
                ss[result_key] = sweep(shape, vary, sorted(values), threads=threads, budget_s=budget_s, batch=batch)
        except LockTimeout as err:
            st.error(f"Not measured: {err}")
            return
        except ConfigError as err:
            st.error(problem_text(err))
            return
        except RuntimeError as err:  # torch, e.g. out of memory
            st.error(f"The sweep failed: {err}")
            return
    rows = ss.get(result_key)
    if rows is None:
        st.caption(f"Keeps the other sizes of {shape_text(shape)} and varies {vary}.")
        return
    st.plotly_chart(sweep_figure(rows, vary), width="stretch", key="separable.sweep_chart")
    st.caption("The MAC ratio (dotted, right axis) is what the arithmetic promises; the gap between the standard and "
               "the grouped lines is what this machine delivers. Error bars: IQR.")


# --- 3. the whole model ---------------------------------------------------------------------------


def whole_model(configs: list[MobileNetConfig]) -> None:
    """Each current config against its full-convolution counterpart, with V1's Table 4 beside it."""
    table4 = V1_TABLE4
    cols = st.columns([1] * len(configs) + [1.2], gap="medium")
    for col, config in zip(cols, configs):
        c = full_conv_counterpart(config)
        with col:
            st.markdown(f"**{config_label(config)}**")
            st.markdown(f"This MobileNet with full convolutions would cost **{c.full_macs:,} MACs** and "
                        f"**{c.full_params:,} params**: {c.macs_ratio:.1f}× the MACs and {c.params_ratio:.1f}× the "
                        f"params of its depthwise separable version ({c.separable_macs:,} MACs, {c.separable_params:,} params).")
            st.caption(c.method)
    with cols[-1]:
        st.markdown("**Reference: V1 paper, Table 4** (1.0 MobileNet-224)")
        st.dataframe(pd.DataFrame({
            "model": ["Conv MobileNet", "MobileNet"],
            "MACs": [f'{table4[m]["macs"] / 1e6:.0f}M' for m in ("conv_mobilenet", "mobilenet")],  # as printed in the paper
            "params": [f'{table4[m]["params"] / 1e6:.1f}M' for m in ("conv_mobilenet", "mobilenet")],
            "top-1 (%)": [table4["conv_mobilenet"]["imagenet_top1"], table4["mobilenet"]["imagenet_top1"]],
        }), hide_index=True, width="stretch",
           column_config={"top-1 (%)": st.column_config.NumberColumn("top-1", format="%.1f%%", help="ImageNet accuracy")})
        ratio = table4["conv_mobilenet"]["macs"] / table4["mobilenet"]["macs"]
        st.caption(f"{ratio:.1f}× the MACs for 1.1 points of accuracy. The counts here give 4,867,293,184 and "
                   "568,740,352 MACs for V1 at α = 1, 224 px: the paper's 4866M and 569M, rounded.")


# --- 4. V2's inverted residual block -------------------------------------------------------------


def block_row_label(config: MobileNetConfig, index: int) -> str:
    b = config.blocks[index]
    return f"row {index + 1}: t = {b.t}, c = {b.c}, n = {b.n}, s = {b.s}"


def residual_sentence(config: MobileNetConfig, costs: InvertedResidualCosts) -> str:
    """Why this block does or does not add its input, for the cases that occur."""
    if costs.residual:
        return "This block adds its input to its output: the residual joins the thin ends."
    if not config.residual:
        return "Residual connections are switched off in this config (V2 page, design choices), so no block adds its input."
    later = "the next repeat of the row has one" if config.blocks[costs.row].n > 1 else "this row has no second repeat"
    return f"This block has no residual (its stride or channel count changes); {later}."


def inverted_residual(config: MobileNetConfig, costs: InvertedResidualCosts) -> None:
    """Costs of expansion, depthwise and projection; memory of the four tensors."""
    layers = pd.DataFrame({
        "layer": [layer.name for layer in costs.layers],
        "output": ["×".join(map(str, layer.output_shape[1:])) for layer in costs.layers],
        "MACs": [layer.macs for layer in costs.layers],
        "MAC share (%)": [100 * layer.macs / costs.macs for layer in costs.layers],
        "params": [layer.params for layer in costs.layers],
    })
    tensors = pd.DataFrame({
        "tensor": [t.name for t in costs.tensors],
        "shape": [f"{t.channels}×{t.size}×{t.size}" for t in costs.tensors],
        "fp32 bytes": [t.fp32_bytes for t in costs.tensors],
    })
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(f"**Costs of {costs.block_name}** (t = {costs.t}, stride {costs.stride}, "
                    f"{'with' if costs.residual else 'without'} residual)")
        st.dataframe(layers, hide_index=True, width="stretch", column_config={
            "MACs": st.column_config.NumberColumn("MACs", format="localized"),
            "MAC share (%)": st.column_config.NumberColumn("MAC share", format="%.1f%%"),
            "params": st.column_config.NumberColumn("params", format="localized"),
        })
        kinds = [layer.kind for layer in costs.layers]
        fig = go.Figure(go.Bar(x=kinds, y=layers["MACs"], marker_color=[charts.KIND_COLORS[k] for k in kinds],
                               text=[human(m) for m in layers["MACs"]], textposition="outside",
                               hovertemplate="%{x}: %{y:,} MACs<extra></extra>"))
        fig.update_layout(height=300, margin=dict(t=30, b=10, l=10, r=10), yaxis_title="MACs", yaxis_tickformat="~s")
        st.plotly_chart(fig, width="stretch", key="separable.block_macs")
    with right:
        st.markdown("**Activation memory** (batch 1, fp32)")
        st.dataframe(tensors, hide_index=True, width="stretch",
                     column_config={"fp32 bytes": st.column_config.NumberColumn("fp32 bytes", format="localized")})
        thin = "#9467bd"
        colors = [thin if t.name in ("input", "output") else charts.KIND_COLORS["expand"] for t in costs.tensors]
        fig = go.Figure(go.Bar(x=tensors["tensor"], y=tensors["fp32 bytes"] / 2**20, marker_color=colors,
                               text=[mebibytes(b) for b in tensors["fp32 bytes"]], textposition="outside",
                               customdata=tensors["fp32 bytes"], hovertemplate="%{x}: %{customdata:,} bytes<extra></extra>"))
        fig.update_layout(height=300, margin=dict(t=30, b=10, l=10, r=10), yaxis_title="MiB (fp32)")
        st.plotly_chart(fig, width="stretch", key="separable.block_memory")
    inp, expanded = costs.tensor("input"), costs.tensor("expanded")
    residual = residual_sentence(config, costs)
    st.markdown(
        f"The expanded tensor ({expanded.channels}×{expanded.size}×{expanded.size}, {mebibytes(expanded.fp32_bytes)}) is "
        f"**{costs.expansion_memory_ratio:.1f}×** the bottleneck input ({inp.channels}×{inp.size}×{inp.size}, "
        f"{mebibytes(inp.fp32_bytes)}). The shortcut carries the thin bottleneck tensors, which are small, while the "
        "wide expanded one lives only inside the block and never has to be kept for the addition; the V2 paper "
        "(Section 5.1) notes that inference memory is then set by the bottlenecks. " + residual
    )
