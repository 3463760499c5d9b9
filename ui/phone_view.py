"""Predicted phone latency in the app: the panel of the V1/V2 pages and the validation page.

The predictor is ``explorer.phones``; every predicted number here is shown with its
interval, the leave-one-out error of the model behind it, and a warning when it extrapolates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import streamlit as st

from explorer import MobileNetConfig
from explorer.phones import CANDIDATES, FAMILY_TITLES, MIN_CONFIGS, Prediction, ValidationRow, phone_model

VALIDATION_PAGE = "app_pages/phones.py"
METHOD_TITLES = {
    "fitted": "fitted to this platform",
    "anchored": "borrowed shape, scaled to this platform's row(s)",
    "other family": "the other family's model of this platform",
    "declined": "no prediction",
}
METHOD_SYMBOLS = {"fitted": "circle", "anchored": "square", "other family": "diamond"}
PALETTE = list(plotly.colors.qualitative.D3) + list(plotly.colors.qualitative.Dark2)


def _platform_columns(platform) -> dict:
    return {
        "device": platform.device,
        "backend": platform.backend,
        "threads": platform.threads,
        "precision": platform.precision,
    }


def prediction_frame(predictions: Sequence[Prediction]) -> pd.DataFrame:
    """One row per platform: predicted ms with its interval and error, as the panel shows it."""
    rows = []
    for p in predictions:
        rows.append({
            **_platform_columns(p.platform),
            "predicted (ms)": p.ms,
            "90% interval (ms)": None if p.ms is None else f"{p.low_ms:.3g}–{p.high_ms:.3g}",
            "LOO median error (%)": p.loo_median_error_pct,
            "LOO worst error (%)": p.loo_max_error_pct,
            "LOO rows": p.loo_n or None,
            "published (ms)": ", ".join(f"{v:g}" for v in p.published_ms),
            "how": ("⚠ " if p.extrapolating else "") + METHOD_TITLES[p.method],
        })
    return _nullable_threads(pd.DataFrame(rows))


def _nullable_threads(frame: pd.DataFrame) -> pd.DataFrame:
    """Threads are blank where a source names an accelerator: a nullable integer, not "None"."""
    if "threads" in frame:
        frame["threads"] = frame["threads"].astype("Int64")
    return frame


PREDICTION_COLUMNS = {
    "threads": st.column_config.NumberColumn("threads", format="%d", width="small"),
    "predicted (ms)": st.column_config.NumberColumn("predicted", format="%.3g ms", help="Predicted single-image latency."),
    "90% interval (ms)": st.column_config.TextColumn("90% interval", help="Jackknife interval from the leave-one-out errors; "
                                                     "widened where the config extrapolates."),
    "LOO median error (%)": st.column_config.NumberColumn("LOO median", format="%.1f%%",
                                                          help="Leave-one-out: each published config predicted by the model "
                                                               "chosen and fitted without it. None: not measurable here (the platform "
                                                               "has one or two published rows; see the reasons below)."),
    "LOO worst error (%)": st.column_config.NumberColumn("LOO worst", format="%.1f%%"),
    "LOO rows": st.column_config.NumberColumn("n", format="%d", help="Published rows behind the leave-one-out figures."),
    "published (ms)": st.column_config.TextColumn("published", help="Published for this very config on this platform."),
    "how": st.column_config.TextColumn("how", help="⚠: extrapolating; the reasons are listed below the table."),
}


def predicted_panel(config: MobileNetConfig, measured=None) -> None:
    """Predicted latency of ``config`` on each published phone platform, next to this machine's
    measurement (``measured``: a LatencyReport or None). The V1/V2 pages call this once."""
    st.subheader("Predicted phone latency")
    predictions = phone_model().predict(config)
    shown = [p for p in predictions if p.ms is not None]
    declined = len(predictions) - len(shown)
    here = (f" On this machine it measured **{measured.median_ms:.2f} ms** ({measured.threads} thread(s), batch {measured.batch}, "
            f"{measured.device}), a different runtime and processor.") if measured is not None else ""
    st.caption(
        "Single-image latency predicted for this config from published phone measurements (TF-Lite, ncnn, NNAPI, GPU "
        "delegates): a small model per platform, with a 90% interval and its leave-one-out error. "
        f"Rows marked ⚠ extrapolate (why: below).{here}"
    )
    fitted = [p for p in shown if p.method == "fitted"]
    if fitted and all(p.extrapolating for p in fitted):
        st.warning("This config is outside what the phone measurements cover on every platform with a model of its own: "
                   + fitted[0].reason, icon=":material/warning:")
    st.dataframe(prediction_frame(shown), column_config=PREDICTION_COLUMNS, hide_index=True, width="stretch",
                 key=f"{config.arch}.phone_predictions")
    notes = {}
    for p in shown:
        if p.reason:
            notes.setdefault(p.reason, []).append(p.platform.label)
    with st.expander(f"Why ⚠ ({len(notes)} reason{'s' if len(notes) != 1 else ''}) and platforms without a prediction ({declined})"):
        for reason, labels in notes.items():
            st.markdown(f"- **{'; '.join(labels)}**: {reason}")
        for p in predictions:
            if p.ms is None:
                st.markdown(f"- **{p.platform.label}**: {p.reason}")
    st.page_link(VALIDATION_PAGE, label="How good is this predictor? Every published row predicted without it",
                 icon=":material/fact_check:")


# --- validation page ------------------------------------------------------------------------------


def loo_frame() -> pd.DataFrame:
    """Per platform with a model of its own: the chosen model and its leave-one-out error."""
    rows = [r for r in phone_model().loo_table() if r["method"] == "fitted"]
    return pd.DataFrame([{
        "device": r["device"], "backend": r["backend"], "threads": r["threads"],
        "precision": "int8" if r["quantized"] else "float", "family": "MobileNet " + FAMILY_TITLES[r["family"]],
        "rows": r["rows"], "configs": r["configs"], "model": r["model"],
        "LOO median error (%)": r["loo_median_error_pct"], "LOO worst error (%)": r["loo_max_error_pct"],
        "90% interval (±%)": r["interval_pct"],
    } for r in rows]).pipe(_nullable_threads)


def validation_frame(rows: Sequence[ValidationRow]) -> pd.DataFrame:
    """Every bundled MobileNet row next to its leave-one-out prediction."""
    return pd.DataFrame([{
        **_platform_columns(v.sample.platform), "model": v.sample.row.model,
        "α": v.sample.config.width_multiplier, "resolution": v.sample.config.resolution,
        "published (ms)": v.sample.latency_ms, "predicted (ms)": v.predicted_ms, "error (%)": v.error_pct,
        "90% interval (ms)": None if v.predicted_ms is None else f"{v.low_ms:.3g}–{v.high_ms:.3g}",
        "inside": None if v.inside is None else ("yes" if v.inside else "no"),
        "how": METHOD_TITLES[v.method], "predicted with": v.model, "source": v.sample.row.source,
    } for v in rows]).pipe(_nullable_threads)


def validation_chart(rows: Sequence[ValidationRow]) -> go.Figure:
    """Predicted (leave-one-out) against published, log-log, one colour per platform, the
    diagonal and ±10% lines; error bars are the 90% intervals."""
    fig = go.Figure()
    predicted = [v for v in rows if v.predicted_ms is not None]
    lo = min(min(v.sample.latency_ms, v.low_ms) for v in predicted) * 0.8
    hi = max(max(v.sample.latency_ms, v.high_ms) for v in predicted) * 1.25
    for factor, name, dash in ((1.0, "exact", "solid"), (1.1, "±10%", "dot"), (1 / 1.1, "±10%", "dot")):
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo * factor, hi * factor], mode="lines", name=name, showlegend=factor >= 1,
                                 legendgroup=name, line=dict(color="#999", dash=dash, width=1), hoverinfo="skip"))
    groups: dict[tuple, list[ValidationRow]] = {}
    for v in predicted:
        groups.setdefault((v.sample.platform.label, v.method), []).append(v)
    # One colour per platform, whatever the method; the marker says how it was predicted.
    colors = dict(zip(dict.fromkeys(label for label, _ in groups), PALETTE * 3))
    for (label, method), vs in sorted(groups.items(), key=lambda kv: kv[0][1] != "fitted"):
        name = label if method == "fitted" else f"{label}: {METHOD_TITLES[method]}"
        fig.add_trace(go.Scatter(
            x=[v.sample.latency_ms for v in vs], y=[v.predicted_ms for v in vs], mode="markers", name=name,
            marker=dict(symbol=METHOD_SYMBOLS[method], size=8 if method == "fitted" else 11, color=colors[label],
                        line=dict(width=0.5 if method == "fitted" else 1.5, color="white" if method == "fitted" else "black")),
            error_y=dict(type="data", symmetric=False, array=[v.high_ms - v.predicted_ms for v in vs], color=colors[label],
                         arrayminus=[v.predicted_ms - v.low_ms for v in vs], thickness=0.8, width=0),
            customdata=[[v.sample.row.model, label, f"{v.error_pct:+.1f}%", v.model] for v in vs],
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>published %{x:.3g} ms, predicted %{y:.3g} ms "
                           "(%{customdata[2]})<br>%{customdata[3]}<extra></extra>"),
        ))
    fig.update_xaxes(type="log", title="published latency (ms)", range=[math.log10(lo), math.log10(hi)])
    fig.update_yaxes(type="log", title="predicted without that row (ms)", range=[math.log10(lo), math.log10(hi)])
    fig.update_layout(height=620, margin=dict(l=10, r=10, t=40, b=10), legend=dict(font=dict(size=10)),
                      title="Leave-one-out: every published row predicted by a model that never saw it")
    return fig


def validation_section() -> None:
    """The validation page's content: method, per-platform errors, the chart and the table."""
    model = phone_model()
    rows = model.validation()
    predicted = [v for v in rows if v.predicted_ms is not None]
    inside = sum(1 for v in predicted if v.inside)
    st.markdown(
        f"**How it predicts.** Each platform with at least {MIN_CONFIGS} published configs of a family gets a model of its "
        f"own, chosen by leave-one-out among {len(CANDIDATES)} small candidates ("
        + "; ".join(f"{c.name}: `{c.formula}`" for c in CANDIDATES)
        + "). Features come from the plan: MACs (dense and depthwise), activations read and written, weights. "
        "Platforms with one or two published rows borrow the shape of the closest fitted platform and scale it to their "
        "row(s); a family a platform never published is predicted by its other family's model; otherwise there is no "
        "prediction."
    )
    st.subheader("Leave-one-out error per platform")
    st.caption("Each config is left out in turn (with its twin rows from other sources), the model is chosen and fitted "
               "again on the rest, and the config is predicted: the error of the whole procedure.")
    st.dataframe(loo_frame(), hide_index=True, width="stretch", column_config={
        "threads": st.column_config.NumberColumn("threads", format="%d"),
        "LOO median error (%)": st.column_config.NumberColumn("LOO median", format="%.1f%%"),
        "LOO worst error (%)": st.column_config.NumberColumn("LOO worst", format="%.1f%%"),
        "90% interval (±%)": st.column_config.NumberColumn("90% interval", format="±%.0f%%"),
    }, key="phones.loo")
    st.markdown("**Borrowed predictions, checked where data allow:**\n"
                + "\n".join(f"- {c.describe()[:1].upper()}{c.describe()[1:]}." for c in (model.anchor_check_same, model.anchor_check_other, model.cross_family_check)))

    st.subheader("Predicted against published, every bundled row")
    st.caption(
        f"{len(predicted)} of {len(rows)} published MobileNet rows can be predicted without themselves; "
        f"{inside} of them ({inside / len(predicted):.0%}) fall inside the 90% interval. The other {len(rows) - len(predicted)} "
        "are the only config of their family on their platform: without them nothing is left to predict them from, so "
        "their platforms' predictions rest on them and their error is not measurable there (the checks above stand in)."
    )
    st.plotly_chart(validation_chart(rows), width="stretch", key="phones.validation_chart")
    frame = validation_frame(rows)
    st.dataframe(frame, hide_index=True, width="stretch", height=420, column_config={
        "threads": st.column_config.NumberColumn("threads", format="%d"),
        "α": st.column_config.NumberColumn("α", format="%g"),
        "published (ms)": st.column_config.NumberColumn("published", format="%.3g ms"),
        "predicted (ms)": st.column_config.NumberColumn("predicted", format="%.3g ms"),
        "error (%)": st.column_config.NumberColumn("error", format="%+.1f%%"),
    }, key="phones.validation_table")
    st.download_button("Download the validation table (CSV)", frame.to_csv(index=False), file_name="phone_latency_validation.csv",
                       mime="text/csv", key="phones.download")
