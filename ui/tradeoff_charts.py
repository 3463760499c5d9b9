"""Plotly figures of the Trade-offs and Compare pages. V1, V2 and the reference networks keep one
colour and one marker symbol everywhere; layer kinds keep the colours of ``charts.KIND_COLORS``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go

from explorer.config import ARCHS
from explorer.tradeoffs import Candidate, pareto_front

from .charts import KIND_COLORS, KIND_ORDER

FAMILY_NAMES = {"mobilenet_v1": "MobileNet V1", "mobilenet_v2": "MobileNet V2", "other": "Reference networks"}
FAMILY_COLORS = {"mobilenet_v1": "#1f77b4", "mobilenet_v2": "#d62728", "other": "#7f7f7f"}
FAMILY_SYMBOLS = {"mobilenet_v1": "circle", "mobilenet_v2": "diamond", "other": "square"}
HOVER = ("<b>%{customdata[0]}</b><br>top-1 %{y:.2f}%<br>%{customdata[1]}<br>"
         "source: %{customdata[2]}<br>table: %{customdata[3]}<extra></extra>")  # fmt: skip


def _trace_points(points: Sequence[dict], name: str, color: str, symbol: str, x: str, **marker) -> go.Scatter:
    return go.Scatter(
        x=[p[x] for p in points], y=[p["top1"] for p in points], mode="markers", name=name, legendgroup=name,
        marker=dict(color=color, symbol=symbol, size=9, line=dict(width=1, color="white"), **marker),
        customdata=[[p["label"], p["detail"], p["source"], p["table"]] for p in points], hovertemplate=HOVER,
    )  # fmt: skip


def candidate_point(c: Candidate, x_value: float) -> dict:
    kind = "quantized (8-bit)" if c.quantized else "float"
    return dict(label=c.label, top1=c.top1, x=x_value, source=c.source, table=c.table,
                detail=f"α {c.width_multiplier:g}, {c.resolution} px, {kind}; {c.macs / 1e6:,.1f}M MACs, {c.params / 1e6:.2f}M params (computed)")


def accuracy_scatter(
    candidates: Sequence[Candidate],
    x_of: Callable[[Candidate], float | None],
    x_title: str,
    *,
    log_x: bool = False,
    references: Sequence[dict] = (),
    user_points: Sequence[dict] = (),
) -> go.Figure:
    """Top-1 against a cost: a trace per family (quantized rows hollow), each family's Pareto
    frontier as a line, the reference networks, and the user's configs as stars (hollow and
    dashed-outlined when the accuracy is an estimate)."""
    fig = go.Figure()
    for family in ARCHS:
        rows = [c for c in candidates if c.family == family and c.top1 is not None and x_of(c) is not None]
        if not rows:
            continue
        color, symbol, name = FAMILY_COLORS[family], FAMILY_SYMBOLS[family], FAMILY_NAMES[family]
        for quantized in (False, True):
            part = [candidate_point(c, x_of(c)) for c in rows if c.quantized == quantized]
            if part:
                fig.add_trace(_trace_points(part, name + (" (quantized)" if quantized else ""), color,
                                            symbol + ("-open" if quantized else ""), "x"))
        front = pareto_front(rows, cost=x_of, accuracy="top1")
        fig.add_trace(go.Scatter(x=[x_of(c) for c in front], y=[c.top1 for c in front], mode="lines",
                                 line=dict(color=color, width=2), opacity=0.6,
                                 name=f"{name} Pareto frontier", hoverinfo="skip"))
    if references:
        fig.add_trace(_trace_points(references, FAMILY_NAMES["other"], FAMILY_COLORS["other"], FAMILY_SYMBOLS["other"], "x"))
    for p in user_points:
        estimate = p["kind"] == "estimate"
        fig.add_trace(go.Scatter(
            x=[p["x"]], y=[p["top1"]], mode="markers", name=p["name"],
            marker=dict(symbol="star-open" if estimate else "star", size=20, color=FAMILY_COLORS[p["family"]],
                        line=dict(width=2, color=FAMILY_COLORS[p["family"]] if estimate else "black")),
            error_y=dict(type="data", symmetric=False, array=[p["high"] - p["top1"]], arrayminus=[p["top1"] - p["low"]],
                         color=FAMILY_COLORS[p["family"]], thickness=1) if estimate and p.get("low") is not None else None,
            customdata=[[p["name"], p["detail"], p["source"], p["table"]]], hovertemplate=HOVER,
        ))  # fmt: skip
    fig.update_xaxes(title=x_title, type="log" if log_x else "linear", tickformat="~s")
    if log_x:  # 1-2-5 ticks: plotly's default log minor labels (2 3 4 … 9) crowd the axis
        fig.update_xaxes(tickvals=[m * 10**e for e in range(6, 11) for m in (1, 2, 5)])
    fig.update_yaxes(title="ImageNet top-1 (%)")
    fig.update_layout(height=520, margin=dict(t=20, b=10, l=10, r=10), legend=dict(groupclick="toggleitem"),
                      hoverlabel=dict(align="left"))
    return fig


# --- Compare page ---------------------------------------------------------------------------------


def grouped_bars(frame: pd.DataFrame, group: str, value: str, title: str, order: Sequence[str] | None = None) -> go.Figure:
    """One bar per group and family, side by side (V1 and V2 in their family colours)."""
    fig = go.Figure()
    for family in ARCHS:
        part = frame[frame["family"] == family]
        fig.add_bar(x=part[group], y=part[value], name=FAMILY_NAMES[family], marker_color=FAMILY_COLORS[family],
                    hovertemplate="%{x}<br>" + value + " %{y:,.4~s}<extra>" + FAMILY_NAMES[family] + "</extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=list(order) if order else None, tickangle=-30)
    fig.update_yaxes(title=value, tickformat="~s")
    fig.update_layout(barmode="group", height=340, margin=dict(t=30, b=10, l=10, r=10), title=dict(text=title, font_size=14))
    return fig


def kind_order(kinds: Sequence[str]) -> list[str]:
    return [k for k in KIND_ORDER if k in set(kinds)] + sorted(set(kinds) - set(KIND_COLORS))


def depth_lines(frame: pd.DataFrame, value: str, title: str, log_y: bool = False) -> go.Figure:
    """Feature-map size or channel count after every layer, V1 and V2 on one axis of depth."""
    fig = go.Figure()
    for family in ARCHS:
        part = frame[frame["family"] == family]
        fig.add_scatter(x=part["index"], y=part[value], mode="lines+markers", name=FAMILY_NAMES[family],
                        line=dict(color=FAMILY_COLORS[family], shape="hv"), marker=dict(size=4),
                        customdata=part[["name", "kind"]], hovertemplate="%{customdata[0]} (%{customdata[1]})<br>" + value + " %{y}<extra></extra>")
    fig.update_xaxes(title="layer (forward order)")
    fig.update_yaxes(title=value, type="log" if log_y else "linear")
    fig.update_layout(height=320, margin=dict(t=30, b=10, l=10, r=10), title=dict(text=title, font_size=14))
    return fig


def stage_bars(frame: pd.DataFrame, value: str) -> go.Figure:
    """One panel per family (stages differ between V1 and V2), on a shared y axis."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[f"{FAMILY_NAMES[f]}: {value} by stage" for f in ARCHS])
    for i, family in enumerate(ARCHS, 1):
        part = frame[frame["family"] == family]
        fig.add_bar(x=part["stage"], y=part[value], name=FAMILY_NAMES[family], marker_color=FAMILY_COLORS[family],
                    customdata=part[["detail"]], hovertemplate="%{customdata[0]}<br>" + value + " %{y:,.4~s}<extra></extra>",
                    showlegend=False, row=1, col=i)
    fig.update_xaxes(tickangle=-40, tickfont_size=10)
    fig.update_yaxes(tickformat="~s", title_text=value, row=1, col=1)
    fig.update_layout(height=340, margin=dict(t=30, b=10, l=10, r=10))
    return fig
