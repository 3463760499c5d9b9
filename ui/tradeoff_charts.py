"""Plotly figures of the Trade-offs and Compare pages. V1, V2 and the reference networks keep one
colour and one marker symbol everywhere; layer kinds keep the colours of ``charts.KIND_COLORS``."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go

from explorer.accuracy import architecture_changes
from explorer.config import ARCH_TITLES, ARCHS
from explorer.tradeoffs import Candidate, pareto_front

from .charts import KIND_COLORS, KIND_ORDER

FAMILY_NAMES = {**ARCH_TITLES, "other": "Reference networks"}
FAMILY_COLORS = {"mobilenet_v1": "#1f77b4", "mobilenet_v2": "#d62728", "mobilenet_v3_large": "#2ca02c",
                 "mobilenet_v3_small": "#9467bd", "other": "#7f7f7f"}
FAMILY_SYMBOLS = {"mobilenet_v1": "circle", "mobilenet_v2": "diamond", "mobilenet_v3_large": "triangle-up",
                  "mobilenet_v3_small": "triangle-down", "other": "square"}
HOVER = ("<b>%{customdata[0]}</b><br>top-1 %{y:.2f}%<br>%{customdata[1]}<br>"
         "source: %{customdata[2]}<br>table: %{customdata[3]}<extra></extra>")


def _trace_points(points: Sequence[dict], name: str, color: str, symbol: str, x: str, labels: bool = False, **marker) -> go.Scatter:
    """A marker per point; ``labels`` writes each point's name beside it (reference networks)."""
    return go.Scatter(
        x=[p[x] for p in points], y=[p["top1"] for p in points], mode="markers+text" if labels else "markers",
        name=name, legendgroup=name, text=[p["label"] for p in points] if labels else None,
        textposition="top center", textfont=dict(size=11, color=color),
        marker=dict(color=color, symbol=symbol, size=9, line=dict(width=1, color="white"), **marker),
        customdata=[[p["label"], p["detail"], p["source"], p["table"]] for p in points], hovertemplate=HOVER,
    )


def candidate_point(c: Candidate, x_value: float) -> dict:
    kind = "quantized (8-bit)" if c.quantized else "float"
    return dict(label=c.label, top1=c.top1, x=x_value, source=c.source, table=c.table,
                detail=f"α {c.width_multiplier:g}, {c.resolution} px, {kind}; {c.macs / 1e6:,.1f}M MACs, {c.params / 1e6:.2f}M params (computed)")


# --- axes -----------------------------------------------------------------------------------------

LOG_SPAN = 20  # max/min beyond which a linear axis crushes the small values into one corner


def needs_log(values: Sequence[float]) -> bool:
    """True when the positive values span more than LOG_SPAN×: a linear axis would hide the small ones."""
    positive = [v for v in values if v and v > 0]
    return len(positive) > 1 and max(positive) / min(positive) > LOG_SPAN


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


# --- the scatters ---------------------------------------------------------------------------------


def _baseline_name(c: Candidate) -> str:
    """The series of a published variant outside the paper architecture (V1 Tables 4 and 5)."""
    return f"{FAMILY_NAMES[c.family]} baseline: {_short(c.label)} ({c.table})"


def _short(label: str) -> str:
    return label.split(" (")[0]  # "Conv MobileNet (full convolutions)" → "Conv MobileNet"; hover keeps the rest


def accuracy_scatter(
    candidates: Sequence[Candidate],
    x_of: Callable[[Candidate], float | None],
    x_title: str,
    *,
    log_x: bool | None = None,
    references: Sequence[dict] = (),
    user_points: Sequence[dict] = (),
    user_costs: Sequence[dict] = (),
    predicted: Sequence[dict] = (),
    predicted_lines: Sequence[dict] = (),
) -> go.Figure:
    """Top-1 against a cost: a trace per family (quantized rows hollow), each family's Pareto
    frontier as a line, the published baselines that are not the paper architecture (full
    convolutions, shallow) as their own labelled series outside the frontier, the reference
    networks (labelled), the user's configs as stars (hollow and dashed-outlined when the accuracy
    is an estimate), and a user's config without published accuracy as a dashed vertical line at
    its exact cost. ``predicted`` are the user's configs at a *predicted* x (a device latency):
    hollow stars labelled "predicted" with the interval as horizontal error bars (named
    "extrapolating" in the legend when the config lies outside the model's data); ``predicted_lines`` the same without accuracy, as dashed vertical
    lines. ``log_x=None`` chooses a log axis when the costs span decades."""
    fig = go.Figure()
    xs: list[float] = []
    ys: list[float] = []
    for family in ARCHS:
        rows = [c for c in candidates if c.family == family and c.top1 is not None and x_of(c) is not None]
        paper = [c for c in rows if not architecture_changes(c.config)]
        if not rows:
            continue
        color, symbol, name = FAMILY_COLORS[family], FAMILY_SYMBOLS[family], FAMILY_NAMES[family]
        for quantized in (False, True):
            part = [candidate_point(c, x_of(c)) for c in paper if c.quantized == quantized]
            if part:
                fig.add_trace(_trace_points(part, name + (" (quantized)" if quantized else ""), color,
                                            symbol + ("-open" if quantized else ""), "x"))
        for c in rows:
            if c not in paper:  # a baseline: its own series, never on the family's frontier
                fig.add_trace(_trace_points([candidate_point(c, x_of(c)) | {"label": _short(c.label)}],
                                            _baseline_name(c), color, "x-thin-open", "x", labels=True,
                                            opacity=0.9))
        front = pareto_front(paper, cost=x_of, accuracy="top1")
        fig.add_trace(go.Scatter(x=[x_of(c) for c in front], y=[c.top1 for c in front], mode="lines",
                                 line=dict(color=color, width=2), opacity=0.6,
                                 name=f"{name} Pareto frontier", hoverinfo="skip"))
        xs += [x_of(c) for c in rows]
        ys += [c.top1 for c in rows]
    if references:
        fig.add_trace(_trace_points(references, FAMILY_NAMES["other"], FAMILY_COLORS["other"], FAMILY_SYMBOLS["other"], "x", labels=True))
        xs += [p["x"] for p in references]
        ys += [p["top1"] for p in references]
    for p in user_points:
        estimate = p["kind"] == "estimate"
        fig.add_trace(go.Scatter(
            x=[p["x"]], y=[p["top1"]], mode="markers", name=p["name"],
            marker=dict(symbol="star-open" if estimate else "star", size=20, color=FAMILY_COLORS[p["family"]],
                        line=dict(width=2, color=FAMILY_COLORS[p["family"]] if estimate else "black")),
            error_y=dict(type="data", symmetric=False, array=[p["high"] - p["top1"]], arrayminus=[p["top1"] - p["low"]],
                         color=FAMILY_COLORS[p["family"]], thickness=1) if estimate and p.get("low") is not None else None,
            customdata=[[p["name"], p["detail"], p["source"], p["table"]]], hovertemplate=HOVER,
        ))
        xs.append(p["x"])
    for p in predicted:
        color = FAMILY_COLORS[p["family"]]
        fig.add_trace(go.Scatter(
            x=[p["x"]], y=[p["top1"]], mode="markers+text", name=p["name"], meta="predicted",
            text=["predicted"], textposition="bottom center",
            textfont=dict(size=11, color=color),
            marker=dict(symbol="star-open", size=18, color=color, line=dict(width=2, color=color)),
            error_x=dict(type="data", symmetric=False, array=[p["high"] - p["x"]], arrayminus=[p["x"] - p["low"]],
                         color=color, thickness=1.5, width=6),
            customdata=[[p["name"], p["detail"]]],
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        ))
        xs += [p["low"], p["high"]]
        ys.append(p["top1"])
    for p in predicted_lines:
        user_costs = [*user_costs, p]
    # A config without accuracy still has an exact cost: a dashed vertical line spanning the plotted
    # accuracies, labelled at its top, so it is never "not plotted".
    low, high = (min(ys) - 1, max(ys) + 1) if ys else (40.0, 80.0)
    for p in user_costs:
        color = FAMILY_COLORS[p["family"]]
        fig.add_trace(go.Scatter(
            x=[p["x"], p["x"]], y=[low, high], mode="lines+text", name=p["name"],
            line=dict(color=color, width=2, dash="dash"), text=["", p["short"]], textposition="bottom right",
            textfont=dict(size=11, color=color),
            customdata=[[p["name"], p["detail"], "", ""]] * 2,
            hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        ))
        xs.append(p["x"])
    fig.update_xaxes(title=x_title, tickformat="~s")
    log = bool(xs) and (needs_log(xs) if log_x is None else log_x)
    if log:
        set_log_axis(fig, "x", xs)
    _place_labels(fig, xs, log)
    fig.update_yaxes(title="ImageNet top-1 (%)")
    # The legend sits above the plot, in rows (at the side it takes half a phone's width; below, it
    # collides with the x-axis title once a narrow chart tilts its tick labels).
    # 720 px: with V3 (two more families) the legend takes more rows on a phone, and the plot keeps ~300 px.
    fig.update_layout(height=720, margin=dict(t=20, b=10, l=10, r=10), hoverlabel=dict(align="left"),
                      legend=dict(groupclick="toggleitem", orientation="h", yanchor="bottom", y=1.02, x=0, xanchor="left",
                                  font_size=11))
    return fig


def _place_labels(fig: go.Figure, xs: Sequence[float], log: bool) -> None:
    """Point labels sit to the left of points in the right quarter of the axis, so none is cut off at
    the plot's edge (a narrow phone chart leaves little room); elsewhere to the right."""
    scale = (lambda v: math.log10(v)) if log else (lambda v: v)
    lo, hi = scale(min(xs)), scale(max(xs))

    def right(x: float) -> bool:
        return hi > lo and (scale(x) - lo) / (hi - lo) > 0.75

    for trace in fig.data:
        if trace.meta == "predicted":  # below its star: above it sit the published points it is compared with
            trace.textposition = "bottom left" if right(trace.x[0]) else "bottom right"
            trace.cliponaxis = False
            continue
        if trace.mode == "markers+text":
            trace.textposition = ["top left" if right(x) else "top right" for x in trace.x]
        elif trace.mode == "lines+text":  # a config's cost line, labelled at its top
            trace.textposition = "bottom left" if right(trace.x[0]) else "bottom right"
        if trace.mode and "text" in trace.mode:
            trace.cliponaxis = False


# --- Compare page ---------------------------------------------------------------------------------


def grouped_bars(frame: pd.DataFrame, group: str, value: str, title: str, order: Sequence[str] | None = None) -> go.Figure:
    """One bar per group and family, side by side (V1 and V2 in their family colours)."""
    fig = go.Figure()
    for family in _present(frame):
        part = frame[frame["family"] == family]
        fig.add_bar(x=part[group], y=part[value], name=FAMILY_NAMES[family], marker_color=FAMILY_COLORS[family],
                    hovertemplate="%{x}<br>" + value + " %{y:,.4~s}<extra>" + FAMILY_NAMES[family] + "</extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=list(order) if order else None, tickangle=-30)
    fig.update_yaxes(title=value, tickformat="~s")
    # Legend above the bars, in a row: at the side it takes a third of a phone's width.
    fig.update_layout(barmode="group", height=360, margin=dict(t=60, b=10, l=10, r=10), title=dict(text=title, font_size=14),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, xanchor="left"))
    return fig


def _present(frame: pd.DataFrame) -> list[str]:
    """The families the frame holds, in ARCHS order (Compare shows some of them)."""
    shown = set(frame["family"])
    return [f for f in ARCHS if f in shown]


def kind_order(kinds: Sequence[str]) -> list[str]:
    return [k for k in KIND_ORDER if k in set(kinds)] + sorted(set(kinds) - set(KIND_COLORS))


def depth_lines(frame: pd.DataFrame, value: str, title: str, log_y: bool = False) -> go.Figure:
    """Feature-map size or channel count after every layer, V1 and V2 on one axis of depth."""
    fig = go.Figure()
    for family in _present(frame):
        part = frame[frame["family"] == family]
        fig.add_scatter(x=part["index"], y=part[value], mode="lines+markers", name=FAMILY_NAMES[family],
                        line=dict(color=FAMILY_COLORS[family], shape="hv"), marker=dict(size=4),
                        customdata=part[["name", "kind"]], hovertemplate="%{customdata[0]} (%{customdata[1]})<br>" + value + " %{y}<extra></extra>")
    fig.update_xaxes(title="layer (forward order)")
    fig.update_yaxes(title=value)
    if log_y:
        set_log_axis(fig, "y", list(frame[value]))
    fig.update_layout(height=320, margin=dict(t=30, b=10, l=10, r=10), title=dict(text=title, font_size=14))
    return fig


def stage_bars(frame: pd.DataFrame, value: str) -> go.Figure:
    """One panel per family (stages differ between V1 and V2), on a shared y axis."""
    from plotly.subplots import make_subplots

    families = _present(frame)
    fig = make_subplots(rows=1, cols=len(families), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[f"{FAMILY_NAMES[f]}: {value} by stage" for f in families])
    for i, family in enumerate(families, 1):
        part = frame[frame["family"] == family]
        fig.add_bar(x=part["stage"], y=part[value], name=FAMILY_NAMES[family], marker_color=FAMILY_COLORS[family],
                    customdata=part[["detail"]], hovertemplate="%{customdata[0]}<br>" + value + " %{y:,.4~s}<extra></extra>",
                    showlegend=False, row=1, col=i)
    fig.update_xaxes(tickangle=-40, tickfont_size=10)
    fig.update_yaxes(tickformat="~s", title_text=value, row=1, col=1)
    fig.update_layout(height=340, margin=dict(t=30, b=10, l=10, r=10))
    return fig
