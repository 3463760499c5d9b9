"""The Compare page's sections: V1 and V2 side by side. Counts come from ``explorer.compare``
(stage_summary, depth_profile, match_width); latency comes from the local store or is measured
on request with the shared models (never mutated: the latency lab times a private copy)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, count
from explorer.accuracy import architecture_changes
from explorer.compare import depth_profile, match_width, stage_summary
from explorer.config import ARCHS
from explorer.units import human

from . import links, measuring, page_links
from .controls import RESOLUTION_PRESETS, RESOLUTION_RANGE, WIDTH_RANGE
from .state import ARCH_TITLES, error_text, latency_store, remembered_config, shared_model, show_store_status


def _key(arch: str, name: str) -> str:
    return f"compare.{arch}.{name}"


TABS = ("Cost by kind", "Cost by stage", "Through depth", "Architecture", "Budget matching")
TAB_FIELD = page_links.choice("tab", "compare.view", TABS, TABS[0])


# --- where the two configs come from: a link, the explorer pages, or a pasted link ------------------


def _seed(arch: str, config: MobileNetConfig) -> None:
    """Show ``config`` on its side: its architecture is the base, its width and resolution the sliders'."""
    ss = st.session_state
    ss[_key(arch, "base")] = ss[_key(arch, "config")] = config
    ss[_key(arch, "width")] = config.width_multiplier
    ss[_key(arch, "resolution")] = config.resolution


def _read_link(params: dict[str, str]) -> tuple[dict[str, MobileNetConfig], str | None]:
    """The configs (and the tab) of a Compare link; every parameter is checked."""
    prefixes = tuple(p + "." for p in page_links.PREFIXES.values())
    page_links.read_fields([TAB_FIELD], {k: v for k, v in params.items() if not k.startswith(prefixes)})
    configs = {arch: page_links.decode_prefixed(arch, params) for arch in ARCHS}
    return {arch: c for arch, c in configs.items() if c is not None}, params.get("tab")


def open_link() -> str | None:
    """Seed both sides: from a Compare link someone opened, else from the configs last tuned on the
    V1 and V2 pages (whenever one of those changed since this page last took it), else keep what
    this page showed. Returns a message for an invalid link (the page then shows the explorer configs)."""
    ss = st.session_state
    params = page_links.opened("compare")
    problem, linked = None, {}
    if params is not None:
        try:
            linked, tab = _read_link(params)
            ss["compare.view"] = TAB_FIELD.from_text(tab) if tab else TABS[0]
        except ConfigError as err:
            problem = f"This link's config is invalid ({error_text(err)}), so the page shows your V1 and V2 page configs."
        except page_links.LinkError as err:
            problem = f"This link has an invalid setting ({err.param}: {err.reason}), so the page shows your V1 and V2 page configs."
        if problem:
            linked = {}
            for arch in ARCHS:
                ss.pop(_key(arch, "from"), None)  # fall back to the explorer pages' configs below
    for arch in ARCHS:
        remembered = remembered_config(arch)
        if arch in linked:
            _seed(arch, linked[arch])
            ss[_key(arch, "from")] = remembered  # a later tuning on /v1 or /v2 replaces it
        elif ss.get(_key(arch, "from")) != remembered:
            _seed(arch, remembered)
            ss[_key(arch, "from")] = remembered
        elif _key(arch, "width") not in ss:  # widget state is dropped while another page renders
            _seed(arch, ss[_key(arch, "config")])
    ss.setdefault("compare.view", TABS[0])
    return problem


def write_link(configs: dict[str, MobileNetConfig]) -> None:
    params = {k: v for config in configs.values() for k, v in page_links.encode_prefixed(config).items()}
    page_links.write("compare", params | page_links.field_params([TAB_FIELD]))


def _load_pasted() -> None:
    """The "Load a link" box: a link to /v1, /v2 or /compare replaces one side or both."""
    ss = st.session_state
    text = (ss.get("compare.paste") or "").strip()
    ss["compare.paste_problem"] = None
    parts = urlsplit(text)
    page = parts.path.rstrip("/").rsplit("/", 1)[-1]
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        if page in links.ARCH_OF_PAGE:
            config = links.config_from_link(text)
            _seed(config.arch, config)
        elif page == "compare":
            configs, _ = _read_link(params)
            if not configs:
                raise page_links.LinkError("link", "it holds no config")
            for arch, config in configs.items():
                _seed(arch, config)
        else:
            ss["compare.paste_problem"] = "Paste a whole link to the V1, V2 or Compare page (…/v2?width_multiplier=…)."
            return
    except ConfigError as err:
        ss["compare.paste_problem"] = f"This link's config is invalid ({error_text(err)}); nothing was changed."
        return
    except page_links.LinkError as err:
        ss["compare.paste_problem"] = f"This link cannot be read ({err.param}: {err.reason}); nothing was changed."
        return
    ss["compare.paste"] = ""


def _use_explorer_configs() -> None:
    for arch in ARCHS:
        _seed(arch, remembered_config(arch))


def load_panel() -> None:
    with st.expander("Load a link, or your V1 and V2 page configs", icon=":material/link:"):
        st.text_input("A link to the V1, V2 or Compare page", key="compare.paste", on_change=_load_pasted,
                      placeholder="http://…/v2?width_multiplier=0.75&resolution=192")
        problem = st.session_state.get("compare.paste_problem")
        if problem:
            st.error(problem)
        st.button("Use the configs of my V1 and V2 pages", key="compare.use_explorer", on_click=_use_explorer_configs)


def _describe(config: MobileNetConfig) -> str:
    """What, beside width and resolution, this side's config changes from its paper."""
    changes = architecture_changes(config)
    if config.num_classes != 1000:
        changes.append(f"{config.num_classes} classes")
    return "Custom: " + ", ".join(changes) if changes else "The paper's architecture, 1000 classes"


def settings_widgets(arch: str) -> tuple[MobileNetConfig, str | None]:
    """Width and resolution of one side, over the side's architecture (from the V1/V2 page or a
    link). Returns the config and a message when the combination is invalid (the last valid stays)."""
    ss = st.session_state
    base: MobileNetConfig = ss[_key(arch, "base")]
    width_range = (min(WIDTH_RANGE[0], base.width_multiplier), max(WIDTH_RANGE[1], base.width_multiplier))
    width = st.slider("Width multiplier α", *width_range, step=0.025, format="%.3f", key=_key(arch, "width"))
    sizes = {*range(RESOLUTION_RANGE[0], RESOLUTION_RANGE[1] + 1, 16), *RESOLUTION_PRESETS[arch], base.resolution}
    resolution = st.select_slider("Input resolution (px)", sorted(sizes), key=_key(arch, "resolution"))
    problem = None
    try:
        config = base.replace(width_multiplier=width, resolution=resolution)
        ss[_key(arch, "config")] = config
    except ConfigError as err:
        config = ss[_key(arch, "config")]
        problem = f"{error_text(err)}. Showing the last valid {ARCH_TITLES[arch]}."
    st.caption(_describe(config) + ".")
    st.page_link(links.PAGE_FILE[arch], label=f"Open this config on the {ARCH_TITLES[arch]} page",
                 query_params=links.encode(config), icon=":material/open_in_new:")
    if problem:
        st.error(problem)
    return config, problem


def totals(config: MobileNetConfig, other: MobileNetConfig) -> None:
    c, o = count(config), count(other)
    cols = [*st.columns(2), *st.columns(2)]  # 2 × 2: half a page is too narrow for four numbers in a row
    cols[0].metric("Params", human(c.params), f"{c.params / o.params:.2f}× the other", delta_color="off", delta_arrow="off",
                   help=f"{c.params:,} parameters (batch norm included)")
    cols[1].metric("MACs", human(c.macs), f"{c.macs / o.macs:.2f}× the other", delta_color="off", delta_arrow="off", help=f"{c.macs:,} multiply-accumulates")
    cols[2].metric("Layers", len(c.layers), help="conv, linear and pooling layers")
    cols[3].metric("fp32 size", f"{c.fp32_bytes / 2**20:.2f} MiB", help="parameters and batch-norm statistics")


# --- latency ----------------------------------------------------------------------------------------


def _settings():
    from explorer.latency import LatencySettings

    return LatencySettings(batch=1, device="cpu")


def stored_latency(config: MobileNetConfig):
    """This session's latest measurement of ``config`` on this machine, else a good stored one, or None.

    The session's own result is shown even when it is noisy (with its verdict): the store never
    hands noisy results out again, but the person who just measured should see what came out."""
    return st.session_state.get("compare.reports", {}).get(config) or latency_store().get(config, _settings())


def measure_button(configs: dict[str, MobileNetConfig]) -> None:
    """Measure both models (or reuse good stored results), one at a time under the machine's lock."""
    if st.button("Measure both on this machine", key="compare.measure", type="primary",
                 help="About 2 s per model: batch 1, CPU, all cores. Results are kept in the local latency store."):
        reports = st.session_state.setdefault("compare.reports", {})
        for arch, config in configs.items():
            report = measuring.measure_in_page(config, _settings(), model=shared_model(config), label=f"{ARCH_TITLES[arch]}: ")
            if report is None:
                return  # the error is on the page
            reports[config] = report
    show_store_status()


def latency_caption(reports: dict) -> str:
    """The medians with their conditions, quality and where they come from."""
    return "Latency: " + "; ".join(
        f"{ARCH_TITLES[a]} {r.median_ms:.2f} ms median (IQR {r.iqr_ms:.2f} ms, {r.runs} runs; {measuring.conditions(r)}; "
        f"quality {r.quality}; {'reused from the local store' if r.from_store else 'measured just now'})"
        for a, r in reports.items()) + "."


def latency_warnings(reports: dict) -> None:
    """A noisy result is shown with the reasons not to rely on it."""
    for arch, report in reports.items():
        if report.quality != "good":
            measuring.show_verdict(report, label=f"{ARCH_TITLES[arch]}: ")


def good_reports(reports: dict) -> dict:
    """Only the good measurements: what the per-stage and per-kind latency charts may draw."""
    return {arch: r for arch, r in reports.items() if r.quality == "good"}


def latency_status(configs: dict[str, MobileNetConfig], reports: dict, good: dict) -> str:
    """Whether the per-stage latency is drawn, and if not, which model lacks a good measurement."""
    if len(good) == len(configs):
        return "Latency per stage and kind: from the good measurements above (batch 1, CPU, this machine)."
    missing = [f"{ARCH_TITLES[a]} ({'its measurement is ' + reports[a].quality + ', so not drawn' if a in reports else 'no good measurement'})"
               for a in configs if a not in good]
    return ("No per-stage latency: it is drawn only from good measurements of both models on this machine (batch 1, CPU), "
            f"and there is none for {' and '.join(missing)}.")


# --- frames ---------------------------------------------------------------------------------------


def group_frames(configs: dict[str, MobileNetConfig], reports: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    stages, kinds = [], []
    for arch, config in configs.items():
        report = reports.get(arch)
        per_layer = {r.name: r.latency_ms for r in report.layers} if report else None
        summary = stage_summary(config, per_layer)
        for i, g in enumerate(summary.stages):
            name = g.name if g.row is None else f"row {g.row + 1}"
            stages.append(dict(family=arch, stage=f"{i}. {name}", detail=g.name, MACs=g.macs, params=g.params, **{"latency (ms)": g.latency_ms}))
        for g in summary.kinds:
            kinds.append(dict(family=arch, kind=g.name, MACs=g.macs, params=g.params, **{"latency (ms)": g.latency_ms}))
    return pd.DataFrame(stages), pd.DataFrame(kinds)


def depth_frame(configs: dict[str, MobileNetConfig]) -> pd.DataFrame:
    rows = []
    for arch, config in configs.items():
        for p in depth_profile(config):
            rows.append(dict(family=arch, index=p.index, name=p.name, kind=p.kind, channels=p.channels, **{"feature-map size (px)": p.size}))
    return pd.DataFrame(rows)


# --- budget matching -----------------------------------------------------------------------------


def _use_width(arch: str, width: float) -> None:
    st.session_state[_key(arch, "width")] = round(min(max(round(width / 0.025) * 0.025, WIDTH_RANGE[0]), WIDTH_RANGE[1]), 3)


def budget_matching(configs: dict[str, MobileNetConfig]) -> None:
    """The width of one family whose MACs match the other's, at its own resolution."""
    cols = st.columns(2)
    for col, (source, target) in zip(cols, (ARCHS, ARCHS[::-1])):
        src, tgt = configs[source], configs[target]
        match = match_width(count(src).macs, tgt)  # the target's own architecture, width varied
        with col:
            st.markdown(f"**{ARCH_TITLES[target]} matching {ARCH_TITLES[source]}'s MACs** "
                        f"(α = {src.width_multiplier:g}, {src.resolution} px: {human(count(src).macs)} MACs)")
            st.markdown(f"At {tgt.resolution} px, with its own block table, α = **{match.width_multiplier:g}** gives {human(match.macs)} MACs "
                        f"({match.relative_error:+.2%}), "
                        f"{human(count(match.config).params)} params.")
            st.button(f"Set {ARCH_TITLES[target]} to α = {match.width_multiplier:g}", key=f"compare.match.{target}",
                      on_click=_use_width, args=(target, match.width_multiplier),
                      disabled=not WIDTH_RANGE[0] <= match.width_multiplier <= WIDTH_RANGE[1],
                      help="The slider moves in steps of 0.025, so the nearest step is used.")
