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

from .charts import KIND_COLORS, KIND_ORDER, log_ticks, set_log_axis, tick_text  # noqa: F401  (re-exported)

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


# Up to four models, each with its own colour (the first two are V1's and V2's colours elsewhere).
MODEL_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def _models(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """The frame's models in the order shown, each with its colour."""
    return [(m, MODEL_COLORS[i % len(MODEL_COLORS)]) for i, m in enumerate(dict.fromkeys(frame["model"]))]


# A legend under the plot, in rows: beside it, it took half a phone's width (the /phones scatter
# was 64 px wide at 390 px); above it, long model names pushed the plot down unevenly.
LEGEND_BELOW = dict(orientation="h", yanchor="top", y=-0.28, x=0, xanchor="left", font_size=12)


def grouped_bars(frame: pd.DataFrame, group: str, value: str, title: str, order: Sequence[str] | None = None) -> go.Figure:
    """One bar per group and model, side by side, each model in its colour."""
    fig = go.Figure()
    for model, color in _models(frame):
        part = frame[frame["model"] == model]
        fig.add_bar(x=part[group], y=part[value], name=model, marker_color=color,
                    hovertemplate="%{x}<br>" + value + " %{y:,.4~s}<extra>" + model + "</extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=list(order) if order else None, tickangle=-30)
    fig.update_yaxes(title=value, tickformat="~s")
    fig.update_layout(barmode="group", height=420, margin=dict(t=40, b=10, l=10, r=10), title=dict(text=title, font_size=14),
                      legend=LEGEND_BELOW)
    return fig


def kind_order(kinds: Sequence[str]) -> list[str]:
    return [k for k in KIND_ORDER if k in set(kinds)] + sorted(set(kinds) - set(KIND_COLORS))


def depth_lines(frame: pd.DataFrame, value: str, title: str, log_y: bool = False) -> go.Figure:
    """Feature-map size or channel count after every layer, every model on one axis of depth."""
    fig = go.Figure()
    for model, color in _models(frame):
        part = frame[frame["model"] == model]
        fig.add_scatter(x=part["index"], y=part[value], mode="lines+markers", name=model,
                        line=dict(color=color, shape="hv"), marker=dict(size=4),
                        customdata=part[["name", "kind"]], hovertemplate="%{customdata[0]} (%{customdata[1]})<br>" + value + " %{y}<extra></extra>")
    fig.update_xaxes(title="layer (forward order)")
    fig.update_yaxes(title=value)
    if log_y:
        set_log_axis(fig, "y", list(frame[value]))
    fig.update_layout(height=400, margin=dict(t=30, b=10, l=10, r=10), title=dict(text=title, font_size=14),
                      legend=dict(LEGEND_BELOW, y=-0.22))
    return fig


def stage_bars(frame: pd.DataFrame, value: str) -> go.Figure:
    """One panel per model (stages differ between models), two panels a row, on a shared y axis."""
    from plotly.subplots import make_subplots

    models = _models(frame)
    cols = min(2, len(models))
    rows = math.ceil(len(models) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.04, vertical_spacing=0.22,
                        subplot_titles=[f"{model}: {value} by stage" for model, _ in models])
    for i, (model, color) in enumerate(models):
        part = frame[frame["model"] == model]
        fig.add_bar(x=part["stage"], y=part[value], name=model, marker_color=color,
                    customdata=part[["detail"]], hovertemplate="%{customdata[0]}<br>" + value + " %{y:,.4~s}<extra></extra>",
                    showlegend=False, row=i // cols + 1, col=i % cols + 1)
    fig.update_xaxes(tickangle=-40, tickfont_size=11)
    fig.update_yaxes(tickformat="~s")
    for row in range(1, rows + 1):
        fig.update_yaxes(title_text=value, row=row, col=1)
    fig.update_annotations(font_size=13)
    fig.update_layout(height=340 * rows, margin=dict(t=30, b=10, l=10, r=10))
    return fig
