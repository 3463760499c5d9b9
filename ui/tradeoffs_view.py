"""The Trade-offs page's charts and table: the scatters with the user's configs placed honestly,
the latency chart (published, predicted or measured on a machine of the store), the
published-against-computed table, and the page's link. Everything is computed by
``explorer.tradeoffs``, ``explorer.accuracy``, ``explorer.fidelity`` and
``explorer.machine_latencies``; this module only arranges and renders it. The budget finder is
``ui.budget_finder``."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from explorer import MobileNetConfig, count
from explorer.accuracy import AccuracyEstimate, accuracy_for
from explorer.config import ARCHS
from explorer.fidelity import published_vs_computed
from explorer.reference import load_published_results
from explorer.tradeoffs import (
    MEASURED,
    Candidate,
    device_candidates,
    find_configs,
    measured_ms,
    published_candidates,
)

from . import page_links, tradeoff_charts
from .budget_finder import LATENCY_KINDS, machine_latencies, platform_label
from .state import ARCH_TITLES, remembered_config
from .tradeoff_charts import FAMILY_NAMES


def _published(precision: str) -> list[Candidate]:
    keep = {"Float": (False,), "Quantized": (True,), "Both": (False, True)}[precision]
    return [c for c in published_candidates() if c.quantized in keep]


def references(x: str) -> list[dict]:
    """The other networks of the papers' tables, at their *published* cost (nothing to compute)."""
    out = []
    for r in load_published_results():
        if r.family != "other" or r.top1 is None:
            continue
        value = {"macs": r.macs_m and r.macs_m * 1e6, "params": r.params_m and r.params_m * 1e6}.get(x)
        if value:
            out.append(dict(label=r.model, top1=r.top1, x=value, source=r.source, table=r.table,
                            detail=f"{r.macs_m:,.0f}M MACs, {r.params_m:g}M params (published)"))
    return out


def user_configs() -> list[tuple[MobileNetConfig, object]]:
    """The config of each family (V1, V2, V3 Large and Small) last shown on the explorer pages, each with its honest accuracy."""
    return [(config, accuracy_for(config)) for config in map(remembered_config, ARCHS)]


def _cost_detail(config: MobileNetConfig) -> str:
    cost = count(config)
    return f"α {config.width_multiplier:g}, {config.resolution} px: {cost.macs / 1e6:,.1f}M MACs, {cost.params / 1e6:.2f}M params (computed)"


def user_points(x: str) -> list[dict]:
    """The user's configs with an accuracy (published or estimated): stars on the accuracy axes."""
    points = []
    for config, acc in user_configs():
        if acc.value is None:
            continue  # drawn by user_costs instead
        cost = count(config)
        estimate = acc.kind == "estimate"
        name = f"Your {ARCH_TITLES[config.arch]}" + (" (estimate)" if estimate else " (published)")
        points.append(dict(
            name=name, family=config.arch, kind=acc.kind, top1=acc.value, low=acc.low, high=acc.high,
            x={"macs": cost.macs, "params": cost.params}[x],
            detail=_cost_detail(config) + ("<br><b>ESTIMATE</b>, not a published figure" if estimate else ""),
            source=acc.sources[0].source if acc.sources else "", table=acc.sources[0].table if acc.sources else "",
        ))
    return points


NOT_PUBLISHED = "accuracy not published"


def user_costs(x: str) -> list[dict]:
    """The user's configs without accuracy, at their exact cost: a vertical line on the accuracy axes."""
    out = []
    for config, acc in user_configs():
        if acc.value is not None:
            continue
        cost = count(config)
        title = ARCH_TITLES[config.arch]
        out.append(dict(name=f"Your {title} ({NOT_PUBLISHED})", short=f"Your {title.replace('MobileNet ', '')}: {NOT_PUBLISHED}",
                        family=config.arch, x={"macs": cost.macs, "params": cost.params}[x],
                        detail=_cost_detail(config) + "<br>" + acc.method))
    return out


def your_configs_text() -> None:
    """One line per family: where the user's config sits and why its accuracy is what it is.

    Two families a row: with four families, one a row pushed the budget finder's answer below a
    900 px window (on a phone the columns stack)."""
    configs = user_configs()
    columns = st.columns(2)
    for i, (config, acc) in enumerate(configs):
        with columns[i % 2]:
            _your_config_line(config, acc)


def _your_config_line(config: MobileNetConfig, acc: AccuracyEstimate) -> None:
    title = ARCH_TITLES[config.arch]
    where = f"α = {config.width_multiplier:g}, {config.resolution} px, {human_m(count(config).macs)} MACs"
    if acc.kind == "published":
        st.markdown(f"★ **Your {title}** ({where}): published top-1 **{acc.value:g}%**.")
    elif acc.kind == "estimate":
        st.markdown(f"☆ **Your {title}** ({where}): **estimate** {acc.value:.1f}% "
                    f"(range {acc.low:g}–{acc.high:g}%), plotted as a hollow star.")
        st.caption(acc.method)
    else:
        st.markdown(f"┆ **Your {title}** ({where}): {NOT_PUBLISHED}, so it is drawn as a dashed vertical line "
                    "at its exact MACs and params.")
        st.caption(acc.method)


def human_m(n: float) -> str:
    return f"{n / 1e6:,.1f}M"


def scatter(precision: str, show_references: bool, x: str) -> None:
    cands = _published(precision)
    title = {"macs": "MACs (computed, log scale)", "params": "parameters (computed, log scale)"}[x]
    fig = tradeoff_charts.accuracy_scatter(cands, lambda c: getattr(c, x), title, log_x=True,
                                           references=references(x) if show_references else (),
                                           user_points=user_points(x), user_costs=user_costs(x))
    st.plotly_chart(fig, width="stretch", key=f"tradeoffs.scatter.{x}")


def user_predictions(platform: tuple[str, str, int | None]) -> list[tuple[MobileNetConfig, object, object]]:
    """The user's configs with their predicted latency on ``platform`` (float): (config, accuracy, prediction).

    The prediction is None when the platform has no float data at all (the reason is then in a
    ``ValueError`` message, kept as a string in place of the prediction)."""
    from explorer.phones import predict_many

    out = []
    for config, acc in user_configs():
        try:
            prediction = predict_many([config], *platform[:2], False, platform[2])[0]
        except ValueError as err:
            prediction = str(err)
        out.append((config, acc, prediction))
    return out


def predicted_points(platform: tuple[str, str, int | None]) -> tuple[list[dict], list[dict], list[str]]:
    """The user's configs on the latency axis: (points with accuracy, lines without, lines of text)."""
    points, lines, notes = [], [], []
    for config, acc, p in user_predictions(platform):
        title = ARCH_TITLES[config.arch]
        where = f"α = {config.width_multiplier:g}, {config.resolution} px"
        if isinstance(p, str) or p.ms is None:
            reason = p if isinstance(p, str) else (p.reason or p.basis)
            notes.append(f"**Your {title}** ({where}) is **not plotted**: the predictor declines it on this device. {reason}")
            continue
        error = (f"leave-one-out error median {p.loo_median_error_pct:.0f}%, worst {p.loo_max_error_pct:.0f}%"
                 if p.loo_median_error_pct is not None else "leave-one-out error not measurable on this device")
        figure = f"predicted **{p.ms:.1f} ms** (90% interval {p.low_ms:.1f}–{p.high_ms:.1f} ms; {error}; {p.method})"
        extrap = f" Extrapolating: {p.reason}" if p.extrapolating else ""
        notes.append(f"**Your {title}** ({where}): {figure}.{extrap}")
        detail = (f"{where}; PREDICTED {p.ms:.1f} ms ({p.low_ms:.1f}–{p.high_ms:.1f} ms), {error}"
                  + (f"<br>extrapolating: {p.reason}" if p.extrapolating else ""))
        base = dict(family=config.arch, x=p.ms, low=p.low_ms, high=p.high_ms, extrapolating=p.extrapolating)
        if acc.value is not None:
            points.append(base | dict(name=f"Your {title} (predicted{', extrapolating' if p.extrapolating else ''})", top1=acc.value, accuracy=acc.kind,
                                      detail=detail + f"<br>top-1 {acc.value:g}% ({acc.kind})"))
        else:
            lines.append(base | dict(name=f"Your {title} (predicted, {NOT_PUBLISHED})",
                                     short=f"Your {title.replace('MobileNet ', '')}: predicted", detail=detail + "<br>" + acc.method))
    return points, lines, notes


MEASURED_ON = "measured on "


def chart_choices(platforms: dict[str, tuple[str, str, int | None]]) -> dict[str, tuple[str, str, int | None] | str]:
    """The latency chart's sources: the published platforms, then every machine with good
    measurements in the store (as "measured on NAME"; the value is the machine's name)."""
    return dict(platforms) | {MEASURED_ON + m: m for m in machine_latencies()}


def latency_chart(precision: str, source: tuple[str, str, int | None] | str) -> None:
    if isinstance(source, str):
        measured_scatter(precision, source)
    else:
        latency_scatter(precision, source)


def measured_scatter(precision: str, machine: str) -> None:
    """Published configs with a good measurement on ``machine`` (their published accuracy), and the
    user's configs where the store holds a good measurement of them there."""
    group = machine_latencies().get(machine)
    if group is None:
        st.info(f"The latency store holds no good measurement from {machine}.")
        return
    cands = find_configs(latency_source=MEASURED, measured_latency_ms=group.by_config, include_sweep=False,
                         include_quantized=False)  # a float measurement is not an int8 model's latency
    cands = [c for c in cands if c.top1 is not None]
    if precision == "Quantized":
        st.info("Measurements in the store are float (PyTorch) runs: there are no quantized ones to show.")
        return
    points = []
    for config, acc in user_configs():
        ms = measured_ms(group.by_config.get, config)
        if ms is not None and acc.value is not None:
            title = ARCH_TITLES[config.arch]
            points.append(dict(name=f"Your {title} (measured)", family=config.arch, kind="published", top1=acc.value,
                               low=None, high=None, x=ms, source=f"latency store, {machine}", table=group.conditions,
                               detail=f"α {config.width_multiplier:g}, {config.resolution} px: {ms:.2f} ms measured"))
    if not cands and not points:
        st.info(f"No published config has a good measurement on {machine} yet: measure the candidate grid in the "
                "Budget finder tab (this machine), or measure configs on the explorer pages.")
        return
    fig = tradeoff_charts.accuracy_scatter(cands, lambda c: c.latency_ms, f"latency (ms) measured on {machine}",
                                           user_points=points)
    st.plotly_chart(fig, width="stretch", key="tradeoffs.scatter.measured")
    st.caption(f"Good measurements from the latency store, **{machine}** ({group.conditions}): {len(cands)} published "
               "configs at their published accuracy. Noisy and unverified measurements are never used"
               + (f"; {group.others} good measurements under other conditions are not mixed in." if group.others else "."))


def latency_scatter(precision: str, platform: tuple[str, str, int | None]) -> None:
    keep = {"Float": (False,), "Quantized": (True,), "Both": (False, True)}[precision]
    cands = [c for c in device_candidates(*platform) if c.quantized in keep]
    label = platform_label(*platform)
    points, lines, notes = predicted_points(platform)
    if not cands and not points and not lines:
        st.info(f"No {precision.lower()} results are published for {label}. Try another filter or backend.")
    else:
        fig = tradeoff_charts.accuracy_scatter(cands, lambda c: c.latency_ms, f"latency (ms) on {platform[0]}",
                                               predicted=points, predicted_lines=lines)
        st.plotly_chart(fig, width="stretch", key="tradeoffs.scatter.latency")
    st.caption("Filled markers: published single-image latencies with their published accuracy (hover for the source). "
               "Hollow stars labelled *predicted*: your configs at this project's **predicted** latency, the bars "
               "its 90% interval: a model's estimate, not a measurement.")
    for note in notes:
        st.markdown(note)


# --- published against computed -------------------------------------------------------------------


def published_table() -> None:
    rows = []
    for p in published_vs_computed():
        r = p.result
        rows.append({
            "": "✓" if p.within_tolerance else "⚠", "model": r.model, "family": FAMILY_NAMES[r.family],
            "quantized": r.quantized, "MACs published (M)": r.macs_m, "MACs computed (M)": p.macs / 1e6,
            "Δ MACs (M)": p.macs_diff_m, "params published (M)": r.params_m,
            "params computed (M)": p.comparable_params / 1e6, "counted as": p.params_counted_as,
            "computed with": f"{r.num_classes} classes",
            "Δ params (M)": p.params_diff_m, "explanation": p.explanation, "source": f"{r.source}, {r.table}",
        })
    frame = pd.DataFrame(rows)
    flagged = (frame[""] == "⚠").sum()
    st.markdown(f"**{len(frame)}** published MobileNet rows; **{len(frame) - flagged}** agree with the computed counts "
                f"within the source's rounding (✓), **{flagged}** differ (⚠, highlighted) — the explanation column says why where it is known.")

    def highlight(row: pd.Series) -> list[str]:
        return ["background-color: rgba(255, 170, 0, 0.18)" if row[""] == "⚠" else "" for _ in row]

    # The differing rows are what a researcher checks: list them with their reasons up front,
    # since the table's explanation column sits to the right of the numbers.
    for _, row in frame[frame[""] == "⚠"].iterrows():
        st.markdown(f"- ⚠ **{row['model']}** ({row['source']}): {row['explanation']}")

    styled = frame.style.apply(highlight, axis=1).format(
        {c: "{:,.2f}" for c in frame.columns if "(M)" in c}, na_rep="—")
    st.dataframe(styled, hide_index=True, width="stretch", height=460, key="tradeoffs.published_table",
                 column_config={"explanation": st.column_config.TextColumn("explanation", width="large"),
                                "model": st.column_config.TextColumn("model", pinned=True),
                                "": st.column_config.TextColumn("", width=30, pinned=True)})


# --- the page's link ----------------------------------------------------------------------------------

TABS = ("Accuracy vs MACs", "Accuracy vs params", "Accuracy vs device latency", "Published vs computed", "Budget finder")
FAMILY_PARAMS = {"mobilenet_v1": "v1", "mobilenet_v2": "v2", "mobilenet_v3_large": "v3l", "mobilenet_v3_small": "v3s"}


def link_fields(platforms: Sequence[str], chart_sources: Sequence[str] | None = None) -> dict[str, list[page_links.Field]]:
    """The page's URL state, by where it matters: everywhere, on the latency tab, in the budget finder."""
    return {
        "common": [
            page_links.choice("tab", "tradeoffs.view", TABS, TABS[0]),
            page_links.choice("models", "tradeoffs.precision", ("Float", "Quantized", "Both"), "Float"),
            page_links.flag("references", "tradeoffs.references", False),
        ],
        "Accuracy vs device latency": [page_links.choice("device", "tradeoffs.platform", chart_sources or platforms, platforms[0])],
        "Budget finder": [
            page_links.number("max_macs", "budget.macs", None, 1, 1e6),
            page_links.number("max_params", "budget.params", None, 0.1, 1e4),
            page_links.number("max_latency", "budget.latency", None, 0.1, 1e6),
            page_links.choice("latency_from", "budget.latency_kind", tuple(LATENCY_KINDS), "measured"),
            page_links.choice("budget_device", "budget.platform", platforms, platforms[0]),
            page_links.several("families", "budget.families", ARCHS, ARCHS, FAMILY_PARAMS),
            page_links.flag("quantized", "budget.quantized", True),
            page_links.flag("sweep", "budget.sweep", True),
            page_links.number("top", "budget.limit", 25, 5, 500, integer=True),
        ],
    }


def open_link(platforms: Sequence[str], chart_sources: Sequence[str] | None = None) -> str | None:
    """Seed the page from a shared link; returns a message when the link is invalid. Widgets that
    are not yet in session state get their defaults, so no widget is given a value twice."""
    fields = [f for group in link_fields(platforms, chart_sources).values() for f in group]
    _, problem = page_links.open_link("tradeoffs", fields)
    for f in fields:
        if f.key not in st.session_state:
            st.session_state[f.key] = f.default
    return problem


def write_link(platforms: Sequence[str], chart_sources: Sequence[str] | None = None) -> None:
    """The URL keeps the filters, the open tab and that tab's own inputs."""
    groups = link_fields(platforms, chart_sources)
    tab = st.session_state.get("tradeoffs.view", TABS[0])
    params = page_links.field_params(groups["common"]) | page_links.field_params(groups.get(tab, []))
    page_links.write("tradeoffs", params)
