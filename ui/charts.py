"""Plotly figures of a profile. Colours are fixed per layer kind on every page."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

KIND_COLORS = {
    "stem": "#7f7f7f", "conv": "#8c564b", "depthwise": "#1f77b4", "pointwise": "#ff7f0e",
    "expand": "#2ca02c", "project": "#9467bd", "pool": "#bcbd22", "head": "#d62728",
    "squeeze_excite": "#17becf", "linear": "#e377c2",  # V3's squeeze-and-excite and hidden classifier layer
}
KIND_ORDER = list(KIND_COLORS)


# --- log axes: labelled at 1, 2 and 5 of each decade only -----------------------------------------
# Plotly's own log labels are bare digits for every minor tick ("1, 9, 8, 7 … 0.1, 9, 8, 7" when
# they crowd); these say each tick's magnitude and leave the rest unlabelled.


def tick_text(value: float) -> str:
    """A 1-2-5 tick as people write it: 500k, 1M, 20M, 1G; 0.5, 2, 50 below a thousand."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def log_ticks(values: Sequence[float]) -> tuple[list[float], list[str]]:
    """1-2-5 ticks covering ``values`` (positive), with their labels."""
    positive = [v for v in values if v and v > 0]
    lo, hi = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    ticks = [m * 10.0**e for e in range(lo, hi + 1) for m in (1, 2, 5)]
    ticks = [t for t in ticks if min(positive) / 2.5 <= t <= max(positive) * 2.5]
    return ticks, [tick_text(t) for t in ticks]


def set_log_axis(fig: go.Figure, axis: str, values: Sequence[float]) -> None:
    """A log axis with readable 1-2-5 labels (plotly's own log labels are bare digits 2 … 9)."""
    ticks, text = log_ticks(values)
    getattr(fig, f"update_{axis}axes")(type="log", tickvals=ticks, ticktext=text, minor=dict(showgrid=False))




def per_layer_bars(layers: pd.DataFrame, count: str = "MACs") -> go.Figure:
    """MACs (or FLOPs: ``count`` names the column) and params of every layer, in forward order, coloured by kind."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=(f"{count} per layer", "Parameters per layer"))
    for kind in [k for k in KIND_ORDER if k in set(layers["kind"])]:
        part = layers[layers["kind"] == kind]
        for row, column in ((1, count), (2, "params")):
            fig.add_bar(x=part["layer"], y=part[column], name=kind, marker_color=KIND_COLORS[kind], legendgroup=kind,
                        showlegend=row == 1, row=row, col=1,
                        hovertemplate="%{x}<br>" + column + " %{y:,.0f}<extra>" + kind + "</extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=list(layers["layer"]), tickangle=-60, tickfont_size=9)
    fig.update_yaxes(tickformat="~s")
    # Legends in a row (above here: the layer names take the space below), never beside the plot,
    # where on a phone they took half the width.
    fig.update_layout(height=560, margin=dict(t=40, b=10, l=10, r=10), legend_title_text="kind", bargap=0.15,
                      legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0, xanchor="left"))
    return fig


def share_by_kind(layers: pd.DataFrame, count: str = "MACs") -> go.Figure:
    """Share of MACs (or FLOPs) and params by kind: the split of the V1 paper's Table 2."""
    totals = layers.groupby("kind")[[count, "params"]].sum()
    share = (totals / totals.sum() * 100).reindex([k for k in KIND_ORDER if k in totals.index])
    long = share.reset_index().melt(id_vars="kind", var_name="measure", value_name="percent")
    fig = px.bar(long, y="measure", x="percent", color="kind", orientation="h", color_discrete_map=KIND_COLORS,
                 category_orders={"kind": KIND_ORDER}, text=long["percent"].map(lambda p: f"{p:.1f}%" if p >= 4 else ""))
    fig.update_layout(height=260, margin=dict(t=10, b=10, l=10, r=10), xaxis_title="% of total", yaxis_title=None,
                      barmode="stack", legend_title_text="kind",
                      legend=dict(orientation="h", yanchor="top", y=-0.4, x=0, xanchor="left"))
    fig.update_traces(hovertemplate="%{fullData.name}: %{x:.2f}%<extra></extra>")
    return fig


def latency_vs_macs(layers: pd.DataFrame, count: str = "MACs") -> go.Figure:
    """Measured per-layer latency against MACs (or FLOPs): the layers far above the trend are memory-bound."""
    fig = px.scatter(layers, x=count, y="latency (ms)", color="kind", color_discrete_map=KIND_COLORS,
                     hover_name="layer", category_orders={"kind": KIND_ORDER}, log_x=True, log_y=True,
                     hover_data={"GMAC/s": ":.1f", "MACs/byte": ":.1f"})
    set_log_axis(fig, "x", list(layers[count]))
    set_log_axis(fig, "y", list(layers["latency (ms)"]))
    fig.update_layout(height=460, margin=dict(t=10, b=10, l=10, r=10), legend_title_text="kind",
                      legend=dict(orientation="h", yanchor="top", y=-0.18, x=0, xanchor="left"))
    return fig
