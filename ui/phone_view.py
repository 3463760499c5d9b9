"""Predicted phone latency in the app: the panel of the explorer pages (V1, V2, V3) and the validation page.

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

from . import phone_words
from .charts import set_log_axis

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


def _nullable_threads(frame: pd.DataFrame) -> pd.DataFrame:
    """Threads as text, a dash where the source gives none (an accelerator, or the count is in the
    backend's name): the grid showed a missing number as "None"."""
    if "threads" in frame:
        frame["threads"] = [("—" if t is None or pd.isna(t) else str(int(t))) for t in frame["threads"]]
    return frame


THREADS_COLUMN = st.column_config.TextColumn("threads", help="—: not in its own column (an accelerator, or the backend's "
                                             "name says it: “4 threads”, “single large core”).")


prediction_frame = phone_words.prediction_frame
PREDICTION_COLUMNS = {
    "phone": st.column_config.TextColumn("phone", width="medium", pinned=True),
    "runtime": st.column_config.TextColumn("runtime", width="medium", help="The runtime and threads the source measured with."),
    "predicted (ms)": st.column_config.NumberColumn("predicted", format="%.3g ms", help="Predicted single-image latency."),
    "9 in 10 between": st.column_config.TextColumn("9 in 10 between", help="A 90% interval: in 9 of 10 cases like this one the "
                                                   "latency falls in this range (from the leave-one-out errors; wider where your "
                                                   "model is unlike the measured ones)."),
    "typical error": st.column_config.TextColumn("typical error", help="Each config published for this phone was predicted "
                                                 "without its own measurement: the median miss. A dash: too few configs were "
                                                 "published for this phone to check (see below the table)."),
    "worst error": st.column_config.TextColumn("worst error", help="The largest of those misses. A dash: not checkable here."),
    "checked on": st.column_config.TextColumn("checked on", help="How many published configs the errors come from."),
    "published (ms)": st.column_config.TextColumn("published", help="Published for this very config on this phone. A dash: none."),
    "how": st.column_config.TextColumn("how", width="medium", help="own model: fitted to this phone's published configs; "
                                       "borrowed shape: a similar phone's model scaled to this one's few rows; ⚠: see below the table."),
}


@st.cache_resource(max_entries=64, show_spinner=False)
def predictions_for(config: MobileNetConfig) -> tuple[Prediction, ...]:
    """Every platform's prediction for ``config``: the bundled data's model, so the config alone decides
    it. Kept per config (frozen, shared by the sessions): a rerun that did not change the model
    (a measurement, another expander) does not predict again."""
    return tuple(phone_model().predict(config))


def predicted_panel(config: MobileNetConfig, measured=None) -> None:
    """Predicted latency of ``config`` on each published phone platform, next to this machine's
    measurement (``measured``: a LatencyReport or None). The explorer pages call this once.

    It opens with one sentence in plain words about a phone most readers know, then the table,
    then the caveats grouped by kind (most important first), then the published rows behind
    the predictions, one click away."""
    st.subheader("Predicted phone latency")
    predictions = predictions_for(config)
    shown = [p for p in predictions if p.ms is not None]
    said = phone_words.headline(predictions)
    if said:
        st.markdown(said[0])
        st.caption(said[1])
    here = (f" On this machine it measured {measured.median_ms:.2f} ms ({measured.threads} thread(s), batch {measured.batch}, "
            f"{measured.device}), a different runtime and processor.") if measured is not None else ""
    st.caption(f"Every phone with published MobileNet measurements, predicted from them.{here}")
    fitted = [p for p in shown if p.method == "fitted"]
    if fitted and all(phone_words.departs_or_outside(p) for p in fitted):
        st.warning("Your model is unlike every model measured on phones: take these as rough guides (why: below the table).",
                   icon=":material/warning:")
    st.dataframe(prediction_frame(shown), column_config=PREDICTION_COLUMNS, hide_index=True, width="stretch",
                 key=f"{config.arch}.phone_predictions")
    groups = phone_words.reason_groups(predictions)
    if groups:
        st.markdown(f"**Why some predictions are less sure** ({len(groups)} reason{'s' if len(groups) != 1 else ''}, "
                    "the most important first)\n\n"
                    + "\n".join(f"{i}. {g.text} ({len(g.platforms)} platform{'s' if len(g.platforms) != 1 else ''})"
                                for i, g in enumerate(groups, 1)))
        with st.expander("Which platforms each reason applies to"):
            for i, g in enumerate(groups, 1):
                st.caption(f"{i}. " + "; ".join(g.platforms))
    with st.expander("The published measurements behind these predictions", icon=":material/table:"):
        anchors_table(config, shown)
    st.page_link(VALIDATION_PAGE, label="How good is this predictor? Every published row predicted without it",
                 icon=":material/fact_check:")


def anchors_table(config: MobileNetConfig, shown: Sequence[Prediction]) -> None:
    """A platform's published rows: what its prediction is fitted or scaled to."""
    labels = [p.platform.label for p in shown]
    if not labels:
        st.caption("No platform has a prediction for this model.")
        return
    label = st.selectbox("Phone", labels, key=f"{config.arch}.anchor_platform")
    p = shown[labels.index(label)]
    samples = [s for s in phone_model().samples if s.platform == p.platform]
    st.caption(f"{p.basis[:1].upper()}{p.basis[1:]}." if p.basis else "")
    st.dataframe(pd.DataFrame([{
        "model": s.row.model, "family": "MobileNet " + FAMILY_TITLES[s.family], "α": s.config.width_multiplier,
        "resolution": s.config.resolution, "published (ms)": s.latency_ms, "source": s.row.source,
    } for s in samples]), hide_index=True, width="stretch", key=f"{config.arch}.anchor_rows",
        column_config={"α": st.column_config.NumberColumn("α", format="%g"),
                       "published (ms)": st.column_config.NumberColumn("published", format="%.3g ms")})


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
        # Text with a dash where a row cannot be predicted without itself: the grid showed "None".
        "published (ms)": v.sample.latency_ms, "predicted (ms)": "—" if v.predicted_ms is None else f"{v.predicted_ms:.3g} ms",
        "error (%)": "—" if v.error_pct is None else f"{v.error_pct:+.1f}%",
        "90% interval (ms)": "—" if v.predicted_ms is None else f"{v.low_ms:.3g}–{v.high_ms:.3g}",
        "inside": "—" if v.inside is None else ("yes" if v.inside else "no"),
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
            showlegend=False,  # one entry per platform (30) took the plot on a phone: hover names the platform
            marker=dict(symbol=METHOD_SYMBOLS[method], size=8 if method == "fitted" else 11, color=colors[label],
                        line=dict(width=0.5 if method == "fitted" else 1.5, color="white" if method == "fitted" else "black")),
            error_y=dict(type="data", symmetric=False, array=[v.high_ms - v.predicted_ms for v in vs], color=colors[label],
                         arrayminus=[v.predicted_ms - v.low_ms for v in vs], thickness=0.8, width=0),
            customdata=[[v.sample.row.model, label, f"{v.error_pct:+.1f}%", v.model] for v in vs],
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]}<br>published %{x:.3g} ms, predicted %{y:.3g} ms "
                           "(%{customdata[2]})<br>%{customdata[3]}<extra></extra>"),
        ))
    # The legend says what the lines and marker shapes mean, in a row under the plot.
    for method in ("fitted", "anchored", "other family"):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=METHOD_TITLES[method],
                                 marker=dict(symbol=METHOD_SYMBOLS[method], size=9, color="#888",
                                             line=dict(width=1.5 if method != "fitted" else 0.5, color="black"))))
    set_log_axis(fig, "x", [lo, hi])
    set_log_axis(fig, "y", [lo, hi])
    fig.update_xaxes(title="published latency (ms)", range=[math.log10(lo), math.log10(hi)])
    fig.update_yaxes(title="predicted without that row (ms)", range=[math.log10(lo), math.log10(hi)])
    fig.update_yaxes(title_font_size=12)  # with no side margins: a phone keeps ≥ 280 px of plot
    fig.update_layout(height=560, margin=dict(l=0, r=0, t=10, b=10), hoverlabel=dict(align="left"),
                      legend=dict(orientation="h", yanchor="top", y=-0.14, x=0, xanchor="left", font=dict(size=12)))
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
        "threads": THREADS_COLUMN,
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
    st.markdown("**Leave-one-out: every published row predicted by a model that never saw it.** One colour per "
                "platform (hover a point for its name); a point on the diagonal is an exact prediction.")
    st.plotly_chart(validation_chart(rows), width="stretch", key="phones.validation_chart")
    frame = validation_frame(rows)
    st.dataframe(frame, hide_index=True, width="stretch", height=420, column_config={
        "threads": THREADS_COLUMN,
        "α": st.column_config.NumberColumn("α", format="%g"),
        "published (ms)": st.column_config.NumberColumn("published", format="%.3g ms"),
        "predicted (ms)": st.column_config.TextColumn("predicted", help="—: the only config of its family on its platform, "
                                                      "so nothing is left to predict it from"),
        "error (%)": st.column_config.TextColumn("error"),
    }, key="phones.validation_table")
    st.download_button("Download the validation table (CSV)", frame.to_csv(index=False), file_name="phone_latency_validation.csv",
                       mime="text/csv", key="phones.download")
