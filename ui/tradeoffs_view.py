"""The Trade-offs page's sections: the scatters with the user's configs placed honestly, the
published-against-computed table, and the budget finder. Everything is computed by
``explorer.tradeoffs`` (candidates, budget finder), ``explorer.accuracy`` and
``explorer.fidelity``; this module only arranges and renders it."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, count, parse_config
from explorer.accuracy import accuracy_for
from explorer.config import ARCHS
from explorer.fidelity import published_vs_computed
from explorer.reference import latency_platforms, load_published_results
from explorer.tradeoffs import (
    MEASURED,
    PREDICTED_NOTE,
    Candidate,
    PredictedOn,
    device_candidates,
    find_configs,
    measured_ms,
    merge_same_architecture,
    predicted_candidates,
    published_candidates,
)

from . import budget_answer, grid_job, page_links, tradeoff_charts
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
                "Budget finder tab (this machine), or measure configs on the V1/V2 pages.")
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
               "Hollow stars labelled *predicted*: your V1/V2 configs at this project's **predicted** latency, the bars "
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


# --- measurements in the store, by machine ---------------------------------------------------------


@dataclass(frozen=True)
class MachineLatencies:
    """The good whole-model medians one machine holds in the store under one set of conditions.

    A machine may hold runs under several conditions (1 thread and all cores, eager and ONNX
    Runtime, two torch versions): one set is used, never a mix, and :attr:`others` counts the rest.
    """

    machine: str
    cpu: str
    runtime: str
    threads: int
    torch_version: str
    by_config: dict[MobileNetConfig, float]
    others: int = 0  # good batch-1 CPU rows of this machine under other conditions, not used

    @property
    def conditions(self) -> str:
        return (f"{self.runtime}, batch 1, {self.threads} thread{'s' if self.threads != 1 else ''}, CPU ({self.cpu}), "
                f"torch {self.torch_version}")


def machine_latencies() -> dict[str, MachineLatencies]:
    """Every machine with good batch-1 CPU measurements in the store, this machine first.

    Only good rows (``reusable_results``: never noisy or unverified ones). Per machine, one set of
    conditions: on this machine what the budget finder measures (eager, all cores, this torch) when
    it has any, elsewhere the set with most configs; of a config measured twice, the latest wins.
    """
    from explorer.machine import available_cores, cpu_model, machine_name, torch_version

    groups: dict[str, dict[tuple, dict[MobileNetConfig, float]]] = {}
    for row in latency_store().reusable_results():  # oldest first: the latest overwrites
        if row.get("batch") != 1 or row.get("device") != "cpu":
            continue
        try:
            config = parse_config(json.loads(row["config_json"]))
            ms = float(row["median_ms"])
        except (ConfigError, ValueError, TypeError, KeyError):
            continue  # a row we cannot read is not a measurement
        cond = (row["cpu"], row["runtime"], int(row["threads"]), row["torch_version"])
        groups.setdefault(row["machine"], {}).setdefault(cond, {})[config] = ms
    here = machine_name()
    preferred = (cpu_model(), "eager", available_cores(), torch_version())
    out: dict[str, MachineLatencies] = {}
    for machine in sorted(groups, key=lambda m: (m != here, m)):
        conds = groups[machine]
        best = preferred if machine == here and preferred in conds else max(conds, key=lambda c: len(conds[c]))
        others = sum(len(v) for c, v in conds.items() if c != best)
        out[machine] = MachineLatencies(machine, *best, by_config=conds[best], others=others)
    return out


def measured_latencies(machine: str | None = None) -> dict[MobileNetConfig, float]:
    """Good whole-model medians of ``machine`` (default this one): batch 1, CPU, one set of conditions
    (on this machine: eager, all cores, this torch; see :func:`machine_latencies`)."""
    from explorer.machine import machine_name

    group = machine_latencies().get(machine or machine_name())
    return dict(group.by_config) if group else {}


# --- budget finder ----------------------------------------------------------------------------------

LATENCY_KINDS = {"measured": "measured", "published": "published", "predicted": "predicted"}  # short: the select box is narrow


def platform_label(device: str, backend: str, threads: int | None) -> str:
    return f"{device} — {backend}" + (f" ({threads} thread{'s' if threads != 1 else ''})" if threads is not None else "")


def platform_choices() -> dict[str, tuple[str, str, int | None]]:
    """The published (device, backend, threads) platforms of both bundled files, by their label."""
    return {platform_label(*p): p for p in latency_platforms()}


def _this_machine() -> str:
    from explorer.machine import machine_name

    return machine_name()


def machine_choices() -> list[str]:
    """This machine first (even before it has measured anything), then every other machine in the store."""
    here = _this_machine()
    return [here, *[m for m in machine_latencies() if m != here]]


def budget_finder(platforms: dict[str, tuple[str, str, int | None]]) -> None:
    # One row of budgets with the latency's source beside them, the rarer filters in a second row:
    # the answer has to show in a desktop window without scrolling.
    st.caption("Set any budget (empty = no limit). Candidates: the published configs and an α × resolution sweep of "
               "**custom** configs (not published models).")
    cols = st.columns([1, 1, 1, 1.1, 2.2])  # values come from session state: the defaults or a shared link (ensure_defaults)
    max_macs = cols[0].number_input("Max MACs (millions)", min_value=1.0, value=None, step=50.0, placeholder="no limit", key="budget.macs")
    max_params = cols[1].number_input("Max params (millions)", min_value=0.1, value=None, step=0.5, placeholder="no limit", key="budget.params")
    max_latency = cols[2].number_input("Max latency (ms)", min_value=0.1, value=None, step=5.0, placeholder="no limit", key="budget.latency")
    kind = cols[3].selectbox("Latency from", list(LATENCY_KINDS), format_func=LATENCY_KINDS.get, key="budget.latency_kind",
                             help="Measured: good measurements in the local latency store, by machine. Published: a device's "
                                  "published figures (published configs only). Predicted: this project's phone-latency model "
                                  "on a device, for every config of the sweep too.")
    here = _this_machine()
    if kind == "measured":
        machines = machine_choices()
        if st.session_state.get("budget.machine") not in machines:
            st.session_state["budget.machine"] = here
        machine = cols[4].selectbox("Machine", machines, key="budget.machine",
                                    format_func=lambda m: f"{m} (this machine)" if m == here else m,
                                    help="Every machine with good measurements in the latency store (a shared store folder, or "
                                         "results a cluster sweep wrote).")
        platform = None
    else:
        label = cols[4].selectbox("Device and backend", list(platforms), key="budget.platform")
        platform, machine = platforms[label], None
    cols = st.columns([2, 1, 1, 1], vertical_alignment="center")
    families = cols[0].multiselect("Families", list(ARCHS), format_func=ARCH_TITLES.get, key="budget.families",
                                   label_visibility="collapsed", placeholder="Families")
    include_quantized = cols[1].checkbox("Quantized rows", key="budget.quantized")
    include_sweep = cols[2].checkbox("Custom sweep", key="budget.sweep")
    sizes = sorted({5, 10, 25, 50, 100, 250, 500, int(st.session_state.get("budget.limit", 25))})  # a link may hold any
    limit = cols[3].selectbox("Show top", sizes, key="budget.limit", label_visibility="collapsed",
                              format_func=lambda n: f"Table: top {n}")
    if not families:
        st.info("Pick at least one family.")
        return
    budgets = dict(max_macs=max_macs and max_macs * 1e6, max_params=max_params and max_params * 1e6, families=families,
                   include_sweep=include_sweep)
    if max_latency is None:
        source, extra = None, {}
    elif kind == "measured":
        source, extra = MEASURED, {"measured_latency_ms": measured_latencies(machine)}
    elif kind == "published":
        source, extra = platform, {}
    else:
        source, extra = PredictedOn(*platform), {}
    started = time.perf_counter()
    found = find_configs(max_latency_ms=max_latency, latency_source=source, include_quantized=include_quantized, **budgets, **extra)
    elapsed = time.perf_counter() - started
    # Without a latency budget the measurements answer nothing: the summary (and the grid action)
    # shows with one, or while this machine's grid job is there to follow.
    if kind == "measured" and (max_latency is not None or grid_job.current() is not None):
        measured_summary(machine, budgets, found, here)
    merged = merge_same_architecture(found)
    st.markdown(f"**{len(merged)}** configs fit (answered in {elapsed * 1000:,.0f} ms)" +
                (f"; the best {min(budget_answer.LEADING, len(merged))} first, by published accuracy"
                 + (", one row per architecture with every source named" if len(merged) < len(found) else "") + "." if found else "."))
    if not found:
        if not (max_latency is not None and kind == "measured"):  # measured_summary said why
            st.info("Nothing fits these budgets. Loosen one of them.")
        if max_latency is not None and kind == "predicted":
            declined_note(platform, budgets, include_quantized)
        return
    budget_answer.lead(merged, machine)
    if max_latency is not None and kind == "predicted":
        st.caption(f"Latency **predicted** on {platform_label(*platform)}: {PREDICTED_NOTE}. The table gives the "
                   "prediction and its 90% interval; its note says where a config lies outside the model's data.")
        declined_note(platform, budgets, include_quantized)
    st.caption(f"All {len(merged)} that fit" + (f" (the top {int(limit)} shown; “Show top” above)" if len(merged) > limit else "") + ":")
    budget_answer.table(merged[: int(limit)], machine=machine)


def declined_note(platform: tuple[str, str, int | None], budgets: dict, include_quantized: bool) -> None:
    """The candidates the predictor declines on ``platform``: one line, the reasons on demand."""
    pool = find_configs(include_quantized=include_quantized, **budgets)
    _, declined = predicted_candidates(pool, PredictedOn(*platform))
    budget_answer.left_out(declined, len(pool))


def measured_summary(machine: str, budgets: dict, found: Sequence[Candidate], here: str) -> None:
    """How many candidates have a good measurement on ``machine``, what a shortfall means, and (on
    this machine) the action that measures the rest in the background."""
    from explorer.sweep import SweepPoint

    group = machine_latencies().get(machine)
    measured = group.by_config if group else {}
    # The candidates a measured budget can judge: every float config within the other budgets.
    candidates = find_configs(include_quantized=False, **budgets)
    have = [c for c in candidates if measured_ms(measured.get, c.config) is not None]
    where = "this machine" if machine == here else f"**{machine}**"
    st.markdown(f"**{len(have)} of {len(candidates)}** candidate configs have a good measurement on {where}"
                + (f" ({group.conditions})." if group else ".")
                + " Noisy and unverified measurements are never used; quantized rows are left out (a float "
                  "measurement is not an int8 model's latency).")
    if group and group.others:
        st.caption(f"{group.others} other good measurement{'s' if group.others != 1 else ''} of {machine} under other "
                   "conditions (threads, runtime or torch version) are not mixed in.")
    missing = [c for c in candidates if measured_ms(measured.get, c.config) is None]
    if not found and have:
        st.warning(f"None of the {len(have)} measured configs fits this latency budget"
                   + (f"; {len(missing)} candidates have no measurement yet, so the answer may change once they do."
                      if missing else "; loosen the latency budget."))
    elif not found:
        st.warning(f"No candidate config has a good measurement on {where} yet, so none can be judged against the latency "
                   "budget" + (": measure the candidate grid below, or pick a published or predicted device." if machine == here
                               else ": pick this machine, or a published or predicted device."))
    elif missing:
        st.caption(f"{len(missing)} candidates have no good measurement and are not judged; measure them to include them.")
    if machine == here:
        # Cheapest first, so the small configs (the likely answers to a tight budget) come in first.
        points = [SweepPoint(c.config) for c in sorted(missing, key=lambda c: c.macs)]
        grid_job.panel(points, what=f"the {len(points)} unmeasured candidate config{'s' if len(points) != 1 else ''}",
                       key="budget.grid")


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
