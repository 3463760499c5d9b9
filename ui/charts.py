"""Plotly figures of a profile. Colours are fixed per layer kind on every page."""

from __future__ import annotations

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
    fig.update_layout(height=560, margin=dict(t=40, b=10, l=10, r=10), legend_title_text="kind", bargap=0.15)
    return fig


def share_by_kind(layers: pd.DataFrame, count: str = "MACs") -> go.Figure:
    """Share of MACs (or FLOPs) and params by kind: the split of the V1 paper's Table 2."""
    totals = layers.groupby("kind")[[count, "params"]].sum()
    share = (totals / totals.sum() * 100).reindex([k for k in KIND_ORDER if k in totals.index])
    long = share.reset_index().melt(id_vars="kind", var_name="measure", value_name="percent")
    fig = px.bar(long, y="measure", x="percent", color="kind", orientation="h", color_discrete_map=KIND_COLORS,
                 category_orders={"kind": KIND_ORDER}, text=long["percent"].map(lambda p: f"{p:.1f}%" if p >= 4 else ""))
    fig.update_layout(height=220, margin=dict(t=10, b=10, l=10, r=10), xaxis_title="% of total", yaxis_title=None,
                      barmode="stack", legend_title_text="kind")
    fig.update_traces(hovertemplate="%{fullData.name}: %{x:.2f}%<extra></extra>")
    return fig


def latency_vs_macs(layers: pd.DataFrame, count: str = "MACs") -> go.Figure:
    """Measured per-layer latency against MACs (or FLOPs): the layers far above the trend are memory-bound."""
    fig = px.scatter(layers, x=count, y="latency (ms)", color="kind", color_discrete_map=KIND_COLORS,
                     hover_name="layer", category_orders={"kind": KIND_ORDER}, log_x=True, log_y=True,
                     hover_data={"GMAC/s": ":.1f", "MACs/byte": ":.1f"})
    fig.update_layout(height=420, margin=dict(t=10, b=10, l=10, r=10), legend_title_text="kind")
    return fig
