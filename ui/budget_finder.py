"""The Trade-offs page's budget finder: budgets in, the configs that fit out, with where each
latency comes from (measured on a machine, published for a device, or predicted), and on this
machine the action that measures the candidates the store lacks. The candidates come from
``explorer.tradeoffs``; the store's figures by machine from ``explorer.machine_latencies`` (one
scan per store version); this module only asks and renders."""

from __future__ import annotations

import time
from collections.abc import Sequence

import streamlit as st

from explorer import MobileNetConfig
from explorer import machine_latencies as by_machine
from explorer.config import ARCHS
from explorer.reference import latency_platforms
from explorer.tradeoffs import (
    MEASURED,
    PREDICTED_NOTE,
    Candidate,
    PredictedOn,
    find_configs,
    measured_ms,
    merge_same_architecture,
    predicted_candidates,
)

from . import budget_answer, grid_job
from .state import ARCH_TITLES, latency_store


def machine_latencies() -> dict[str, by_machine.MachineLatencies]:
    """The server's store, by machine (see :func:`explorer.machine_latencies.machine_latencies`):
    scanned once per store version, so every chart and list of a rerun shares one answer."""
    return by_machine.machine_latencies(latency_store())


def measured_latencies(machine: str | None = None) -> dict[MobileNetConfig, float]:
    """Good whole-model medians of ``machine`` (default this one) in the server's store."""
    return by_machine.measured_latencies(latency_store(), machine)


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
