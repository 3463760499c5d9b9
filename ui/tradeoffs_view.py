"""The Trade-offs page's sections: the scatters with the user's configs placed honestly, the
published-against-computed table, and the budget finder. Everything is computed by
``explorer.tradeoffs`` (candidates, budget finder), ``explorer.accuracy`` and
``explorer.fidelity``; this module only arranges and renders it."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, count, parse_config
from explorer.accuracy import accuracy_for
from explorer.config import ARCHS
from explorer.fidelity import published_vs_computed
from explorer.reference import latency_platforms, load_published_results
from explorer.tradeoffs import MEASURED, Candidate, device_candidates, find_configs, published_candidates

from . import links, page_links, tradeoff_charts
from .state import ARCH_TITLES, latency_store, remembered_config
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
    """The V1 and V2 configs last shown on the explorer pages, each with its honest accuracy."""
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
        ))  # fmt: skip
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
    """One line per family: where the user's config sits and why its accuracy is what it is."""
    for config, acc in user_configs():
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


def latency_scatter(precision: str, device: str, backend: str) -> None:
    keep = {"Float": (False,), "Quantized": (True,), "Both": (False, True)}[precision]
    cands = [c for c in device_candidates(device, backend) if c.quantized in keep]
    if not cands:
        st.info(f"No {precision.lower()} results are published for {device}, {backend}. Try another filter or backend.")
        return
    fig = tradeoff_charts.accuracy_scatter(cands, lambda c: c.latency_ms, f"published latency on {device}, {backend} (ms)")
    st.plotly_chart(fig, width="stretch", key="tradeoffs.scatter.latency")
    st.caption("Published single-image latencies (TF-slim and the V2 paper). Your own configs have no published device "
               "latency, so they are not placed here; the budget finder can use latencies measured on this machine.")


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
        })  # fmt: skip
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


# --- budget finder ----------------------------------------------------------------------------------


def measured_latencies() -> dict[MobileNetConfig, float]:
    """Whole-model medians measured on this machine: batch 1, CPU, all cores, this torch.

    Only comparable rows count (the store may hold 1-thread runs, or other hosts' if its folder
    is shared); of those, the latest measurement of a config wins.
    """
    from explorer.latency import cpu_model, machine_name, torch_version
    from explorer.timing import available_cores

    here = {"batch": 1, "device": "cpu", "threads": available_cores(), "machine": machine_name(),
            "cpu": cpu_model(), "torch_version": torch_version()}
    out: dict[MobileNetConfig, float] = {}
    for row in latency_store().list_results():  # oldest first
        if any(row.get(k) != v for k, v in here.items()):
            continue
        try:
            out[parse_config(json.loads(row["config_json"]))] = float(row["median_ms"])
        except (ConfigError, ValueError, TypeError, KeyError):
            continue  # a row we cannot read is not a measurement
    return out


def platform_choices() -> dict[str, tuple[str, str]]:
    """The published (device, backend) pairs by their label: plain-string options for the widgets."""
    return {f"{device} — {backend}": (device, backend) for device, backend in latency_platforms()}


def budget_finder(platforms: dict[str, tuple[str, str]]) -> None:
    st.caption("Set any of the budgets (empty = no limit). Answers: the published configs plus an analytic sweep "
               "over α × resolution for both families; sweep points are **custom** configs, not published models.")
    cols = st.columns(4)  # values come from session state: the defaults or a shared link (ensure_defaults)
    max_macs = cols[0].number_input("Max MACs (millions)", min_value=1.0, value=None, step=50.0, placeholder="no limit", key="budget.macs")
    max_params = cols[1].number_input("Max params (millions)", min_value=0.1, value=None, step=0.5, placeholder="no limit", key="budget.params")
    max_latency = cols[2].number_input("Max latency (ms)", min_value=0.1, value=None, step=5.0, placeholder="no limit", key="budget.latency")
    source_label = cols[3].selectbox("Latency measured on", [MEASURED, *platforms], key="budget.source",
                               help="A published device and backend, or this machine's measurements from the latency store.")
    cols = st.columns([2, 1, 1, 1])
    families = cols[0].multiselect("Families", list(ARCHS), format_func=ARCH_TITLES.get, key="budget.families")
    include_quantized = cols[1].checkbox("Quantized rows", key="budget.quantized")
    include_sweep = cols[2].checkbox("Custom sweep", key="budget.sweep")
    limit = cols[3].number_input("Show top", 5, 500, step=5, key="budget.limit")
    source = platforms.get(source_label, MEASURED)
    measured = None
    if max_latency is not None and source == MEASURED:
        measured = measured_latencies()
        if not measured:
            st.warning("The latency store has no batch-1 CPU measurements yet from this machine with all cores: "
                       "measure some configs on the V1/V2 or Compare pages, or pick a published device.")
    if not families:
        st.info("Pick at least one family.")
        return
    started = time.perf_counter()
    found = find_configs(
        max_macs=max_macs and max_macs * 1e6, max_params=max_params and max_params * 1e6, max_latency_ms=max_latency,
        latency_source=source if max_latency is not None else None, measured_latency_ms=measured, families=families,
        include_quantized=include_quantized, include_sweep=include_sweep,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    st.markdown(f"**{len(found)}** configs fit (answered in {elapsed * 1000:,.0f} ms)" +
                (f"; the top {min(limit, len(found))} are shown, best published accuracy first." if found else "."))
    if not found:
        st.info("Nothing fits these budgets. Loosen one of them.")
        return
    st.dataframe(budget_frame(found[: int(limit)]), hide_index=True, width="stretch", key="budget.results",
                 column_config={"top-1 (%)": st.column_config.NumberColumn(format="%.2f"),
                                "MACs (M)": st.column_config.NumberColumn(format="%.1f"),
                                "params (M)": st.column_config.NumberColumn(format="%.2f"),
                                "latency (ms)": st.column_config.NumberColumn(format="%.1f"),
                                "open": st.column_config.LinkColumn(
                                    "open", display_text="Open in explorer", pinned=True,
                                    help="This config on the V1 or V2 page, with its full settings in the link")})


def budget_frame(found: Sequence[Candidate]) -> pd.DataFrame:
    return pd.DataFrame([{
        "rank": i, "config": c.label, "open": links.explorer_link(c.config), "kind": "published" if c.published else "custom (sweep)",
        "family": ARCH_TITLES[c.family], "α": c.width_multiplier, "resolution": c.resolution,
        "quantized": c.quantized, "MACs (M)": c.macs / 1e6, "params (M)": c.params / 1e6,
        "top-1 (%)": c.top1, "accuracy": c.accuracy_kind, "latency (ms)": c.latency_ms,
        "source": c.source + (f", {c.table}" if c.table else ""),
    } for i, c in enumerate(found, 1)])  # fmt: skip


# --- the page's link ----------------------------------------------------------------------------------

TABS = ("Accuracy vs MACs", "Accuracy vs params", "Accuracy vs device latency", "Published vs computed", "Budget finder")
FAMILY_PARAMS = {"mobilenet_v1": "v1", "mobilenet_v2": "v2"}


def link_fields(platforms: Sequence[str]) -> dict[str, list[page_links.Field]]:
    """The page's URL state, by where it matters: everywhere, on the latency tab, in the budget finder."""
    return {
        "common": [
            page_links.choice("tab", "tradeoffs.view", TABS, TABS[0]),
            page_links.choice("models", "tradeoffs.precision", ("Float", "Quantized", "Both"), "Float"),
            page_links.flag("references", "tradeoffs.references", False),
        ],
        "Accuracy vs device latency": [page_links.choice("device", "tradeoffs.platform", platforms, platforms[0])],
        "Budget finder": [
            page_links.number("max_macs", "budget.macs", None, 1, 1e6),
            page_links.number("max_params", "budget.params", None, 0.1, 1e4),
            page_links.number("max_latency", "budget.latency", None, 0.1, 1e6),
            page_links.choice("latency_on", "budget.source", (MEASURED, *platforms), MEASURED),
            page_links.several("families", "budget.families", ARCHS, ARCHS, FAMILY_PARAMS),
            page_links.flag("quantized", "budget.quantized", True),
            page_links.flag("sweep", "budget.sweep", True),
            page_links.number("top", "budget.limit", 25, 5, 500, integer=True),
        ],
    }


def open_link(platforms: Sequence[str]) -> str | None:
    """Seed the page from a shared link; returns a message when the link is invalid. Widgets that
    are not yet in session state get their defaults, so no widget is given a value twice."""
    fields = [f for group in link_fields(platforms).values() for f in group]
    _, problem = page_links.open_link("tradeoffs", fields)
    for f in fields:
        if f.key not in st.session_state:
            st.session_state[f.key] = f.default
    return problem


def write_link(platforms: Sequence[str]) -> None:
    """The URL keeps the filters, the open tab and that tab's own inputs."""
    groups = link_fields(platforms)
    tab = st.session_state.get("tradeoffs.view", TABS[0])
    params = page_links.field_params(groups["common"]) | page_links.field_params(groups.get(tab, []))
    page_links.write("tradeoffs", params)
