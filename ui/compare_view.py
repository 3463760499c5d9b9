"""The Compare page's sections: up to four models of any family side by side, each named by what
differs from its paper model. Counts come from ``explorer.compare`` (stage_summary, depth_profile,
match_width, model_name); latency comes from the local store or is measured on request with the
shared models (never mutated: the latency lab times a private copy).

Each model sits in a slot (m1 … m4): its config, its width and resolution widgets, and the family
page it follows, if any. The URL holds them all (``models=v1,v2,v2&m1.…&m2.…&m3.…``)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, count, paper_config
from explorer.accuracy import architecture_changes
from explorer.compare import depth_profile, family_name, match_width, model_name, stage_summary
from explorer.config import ARCHS
from explorer.schema import ALIASES
from explorer.units import human

from . import links, measuring, page_links
from .controls import RESOLUTION_PRESETS, RESOLUTION_RANGE, WIDTH_RANGE
from .state import ARCH_TITLES, error_text, latency_store, remembered_config, shared_model, show_store_status

MAX_MODELS = 4
# What a first visit shows: the two papers' models, V1 against V2 (the comparison the page began
# with), leaving room to add V3 or tuned variants.
DEFAULT_FAMILIES = ("mobilenet_v1", "mobilenet_v2")
SLOTS = tuple(f"m{i}" for i in range(1, MAX_MODELS + 1))  # the models' ids, and their link prefixes (m1.…)
_SLOTS_KEY = "compare.slots"  # the shown slots, in order (a plain key: it survives other pages)


def _key(slot: str, name: str) -> str:
    return f"compare.{slot}.{name}"


TABS = ("Cost by kind", "Cost by stage", "Through depth", "Architecture", "Budget matching")
TAB_FIELD = page_links.choice("tab", "compare.view", TABS, TABS[0])
FAMILY_PARAM = {arch: next((a for a, full in ALIASES.items() if full == arch), arch) for arch in ARCHS}  # "v2"
ARCH_OF_PARAM = {param: arch for arch, param in FAMILY_PARAM.items()}


def slots() -> list[str]:
    return list(st.session_state.get(_SLOTS_KEY, ()))


def configs() -> dict[str, MobileNetConfig]:
    """The shown models by slot, in order."""
    return {slot: st.session_state[_key(slot, "config")] for slot in slots()}


def names(shown: dict[str, MobileNetConfig]) -> dict[str, str]:
    """Each model named by what differs from its paper ("V2, t = 4, α 0.75"); a repeat gets "(2)"."""
    out: dict[str, str] = {}
    for slot, config in shown.items():
        name = model_name(config)
        repeat = sum(1 for other in out.values() if other == name or other.startswith(name + " ("))
        out[slot] = name if not repeat else f"{name} ({repeat + 1})"
    return out


# --- where the models come from: a link, the explorer pages, a pasted link, a file -------------------


def _seed(slot: str, config: MobileNetConfig, follows: str | None = None) -> None:
    """Show ``config`` in ``slot``: its architecture is the base, its width and resolution the sliders'.
    ``follows``: the family whose explorer page this model mirrors (a later tuning there replaces it)."""
    ss = st.session_state
    ss[_key(slot, "base")] = ss[_key(slot, "config")] = config
    ss[_key(slot, "width")] = config.width_multiplier
    ss[_key(slot, "resolution")] = config.resolution
    ss[_key(slot, "follows")] = follows
    ss[_key(slot, "from")] = remembered_config(follows) if follows else None
    if slot not in slots():
        ss[_SLOTS_KEY] = slots() + [slot]


def _show_only(models: list[tuple[MobileNetConfig, str | None]]) -> None:
    st.session_state[_SLOTS_KEY] = []
    for slot, (config, follows) in zip(SLOTS, models):
        _seed(slot, config, follows)


def add_model(config: MobileNetConfig, follows: str | None = None) -> str | None:
    """Add a model in the first free slot; returns a message when all four are taken."""
    free = [slot for slot in SLOTS if slot not in slots()]
    if not free:
        return f"Compare shows at most {MAX_MODELS} models: remove one first."
    _seed(free[0], config, follows)
    return None


def remove_model(slot: str) -> None:
    st.session_state[_SLOTS_KEY] = [s for s in slots() if s != slot]


def read_link(params: dict[str, str]) -> tuple[list[MobileNetConfig], str | None]:
    """The models (and the tab) of a Compare link; every parameter is checked.

    ``models=v1,v2,v2`` lists the families; ``m1.…``, ``m2.…`` carry each model's config. The
    older two-model links (``v1.…``, ``v2.…``) still open."""
    if "models" in params:
        families = [f for f in params["models"].split(",") if f]
        if not 1 <= len(families) <= MAX_MODELS:
            raise page_links.LinkError("models", f"lists {len(families)} models; 1 to {MAX_MODELS} can be compared")
        unknown = [f for f in families if f not in ARCH_OF_PARAM]
        if unknown:
            raise page_links.LinkError("models", f"unknown family {unknown[0][:20]!r}; allowed: {', '.join(ARCH_OF_PARAM)}")
        prefixes = tuple(f"{slot}." for slot in SLOTS[: len(families)])
        configs = [links.decode(ARCH_OF_PARAM[f], params, prefix=f"{slot}.") for f, slot in zip(families, SLOTS)]
    else:  # a two-model link of the first Compare page
        prefixes = tuple(p + "." for p in page_links.PREFIXES.values())
        configs = [c for c in (page_links.decode_prefixed(arch, params) for arch in page_links.PREFIXES) if c is not None]
    rest = {k: v for k, v in params.items() if not k.startswith(prefixes) and k != "models"}
    page_links.read_fields([TAB_FIELD], rest)
    return configs, params.get("tab")


def link_params(shown: dict[str, MobileNetConfig]) -> dict[str, str]:
    params = {"models": ",".join(FAMILY_PARAM[c.arch] for c in shown.values())}
    for slot, config in zip(SLOTS, shown.values()):  # renumbered m1, m2, … in the order shown
        params |= links.encode(config, prefix=f"{slot}.")
    return params


def open_link() -> str | None:
    """Seed the models: from a Compare link someone opened, else (first visit) one per family from
    the configs last tuned on the explorer pages. A model taken from an explorer page follows it:
    a later tuning there replaces that model only. Returns a message for an invalid link."""
    ss = st.session_state
    params = page_links.opened("compare")
    problem = None
    if params is not None:
        try:
            linked, tab = read_link(params)
            if not linked:
                raise page_links.LinkError("models", "the link holds no model")
            _show_only([(config, None) for config in linked])
            ss["compare.view"] = TAB_FIELD.from_text(tab) if tab else TABS[0]
        except ConfigError as err:
            problem = f"This link's config is invalid ({error_text(err)}), so the page shows your explorer pages' configs."
        except page_links.LinkError as err:
            problem = f"This link has an invalid setting ({err.param}: {err.reason}), so the page shows your explorer pages' configs."
        if problem:
            ss.pop(_SLOTS_KEY, None)
    if not slots():
        _show_only([(remembered_config(arch), arch) for arch in DEFAULT_FAMILIES])
    for slot in slots():
        follows = ss.get(_key(slot, "follows"))
        if follows and ss.get(_key(slot, "from")) != remembered_config(follows):
            _seed(slot, remembered_config(follows), follows)
        elif _key(slot, "width") not in ss:  # widget state is dropped while another page renders
            ss[_key(slot, "width")] = ss[_key(slot, "config")].width_multiplier
            ss[_key(slot, "resolution")] = ss[_key(slot, "config")].resolution
    ss.setdefault("compare.view", TABS[0])
    return problem


def write_link(shown: dict[str, MobileNetConfig]) -> None:
    page_links.write("compare", link_params(shown) | page_links.field_params([TAB_FIELD]))


def _load_pasted() -> None:
    """The "paste a link" box: a link to an explorer page adds its model; a Compare link replaces all."""
    ss = st.session_state
    text = (ss.get("compare.paste") or "").strip()
    ss["compare.paste_problem"] = None
    parts = urlsplit(text)
    page = parts.path.rstrip("/").rsplit("/", 1)[-1]
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        if page in links.ARCH_OF_PAGE:
            problem = add_model(links.config_from_link(text))
            if problem:
                ss["compare.paste_problem"] = problem
                return
        elif page == "compare":
            linked, _ = read_link(params)
            if not linked:
                raise page_links.LinkError("link", "it holds no model")
            _show_only([(config, None) for config in linked])
        else:
            ss["compare.paste_problem"] = "Paste a whole link to an explorer page or to Compare (…/v2?width_multiplier=…)."
            return
    except ConfigError as err:
        ss["compare.paste_problem"] = f"This link's config is invalid ({error_text(err)}); nothing was changed."
        return
    except page_links.LinkError as err:
        ss["compare.paste_problem"] = f"This link cannot be read ({err.param}: {err.reason}); nothing was changed."
        return
    ss["compare.paste"] = ""


def _add_chosen() -> None:
    ss = st.session_state
    source, arch = ss["compare.add_choice"]
    config = remembered_config(arch) if source == "page" else paper_config(arch)
    ss["compare.paste_problem"] = add_model(config, follows=None)


def _add_files() -> None:
    """JSON config files (as the explorer pages export them), each added as a model."""
    from explorer.export import import_config

    ss = st.session_state
    problems = []
    for uploaded in ss.get("compare.files") or ():
        try:
            problem = add_model(import_config(uploaded.getvalue()))
        except ConfigError as err:
            problem = f"{uploaded.name} was not added: {error_text(err)}"
        if problem:
            problems.append(problem)
    ss["compare.paste_problem"] = "; ".join(problems) or None


def _choice_label(choice: tuple[str, str]) -> str:
    source, arch = choice
    return f"{ARCH_TITLES[arch]}: " + ("your page's config" if source == "page" else "the paper model")


def load_panel() -> None:
    """Add models (up to four) from the explorer pages, the papers, a link or config files."""
    full = len(slots()) >= MAX_MODELS
    with st.expander(f"Add a model ({len(slots())} of {MAX_MODELS} shown): from your pages, a link or a file",
                     icon=":material/add:", key="compare.add_panel"):
        cols = st.columns([3, 1], vertical_alignment="bottom")
        cols[0].selectbox("From the explorer pages", [(s, a) for a in ARCHS for s in ("page", "paper")],
                          format_func=_choice_label, key="compare.add_choice")
        cols[1].button("Add", key="compare.add", on_click=_add_chosen, disabled=full, icon=":material/add:")
        st.text_input("Or paste a link: an explorer page's adds its model, a Compare link replaces them all", key="compare.paste",
                      on_change=_load_pasted, placeholder="http://…/v2?width_multiplier=0.75&resolution=192")
        st.file_uploader("Or add JSON config files (as the explorer pages export them)", type=["json"], accept_multiple_files=True,
                         key="compare.files", on_change=_add_files, max_upload_size=1, disabled=full)
        if full:
            st.caption(f"{MAX_MODELS} models are shown: remove one to add another.")
    problem = st.session_state.get("compare.paste_problem")
    if problem:
        st.error(problem)


def _describe(config: MobileNetConfig) -> str:
    """Where the model comes from, beside what its name says."""
    changes = architecture_changes(config)
    return "Architecture: " + ", ".join(changes) if changes else "The paper's architecture"


def settings_widgets(slot: str, name: str) -> tuple[MobileNetConfig, str | None]:
    """Width and resolution of one model, over its architecture (from an explorer page, a link or a
    file). Returns the config and a message when the combination is invalid (the last valid stays)."""
    ss = st.session_state
    base: MobileNetConfig = ss[_key(slot, "base")]
    arch = base.arch
    width_range = (min(WIDTH_RANGE[0], base.width_multiplier), max(WIDTH_RANGE[1], base.width_multiplier))
    width = st.slider("Width multiplier α", *width_range, step=0.025, format="%.3f", key=_key(slot, "width"))
    sizes = {*range(RESOLUTION_RANGE[0], RESOLUTION_RANGE[1] + 1, 16), *RESOLUTION_PRESETS.get(arch, ()), base.resolution}
    resolution = st.select_slider("Input resolution (px)", sorted(sizes), key=_key(slot, "resolution"))
    problem = None
    try:
        config = base.replace(width_multiplier=width, resolution=resolution)
        ss[_key(slot, "config")] = config
    except ConfigError as err:
        config = ss[_key(slot, "config")]
        problem = f"{error_text(err)}. Showing the last valid {name}."
    follows = ss.get(_key(slot, "follows"))
    st.caption(_describe(config) + (f"; follows your {ARCH_TITLES[follows]} page." if follows else "."))
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")  # wraps when a quarter page is narrow
    row.page_link(links.PAGE_FILE[arch], label=f"Open on the {family_name(arch)} page", width="content",
                  query_params=links.encode(config), icon=":material/open_in_new:")
    row.button("Remove", key=_key(slot, "remove"), on_click=remove_model, args=(slot,), disabled=len(slots()) < 2,
               icon=":material/close:", help="Take this model off the page", width="content")
    if problem:
        st.error(problem)
    return config, problem


def totals(config: MobileNetConfig, first: MobileNetConfig | None, first_name: str) -> None:
    """Params, MACs, layers and size; each ratio is against the first model."""
    c = count(config)
    o = count(first) if first is not None else None
    versus = (lambda a, b: f"{a / b:.2f}× {first_name}") if o is not None else (lambda a, b: None)
    cols = [*st.columns(2), *st.columns(2)]  # 2 × 2: a quarter of a page is too narrow for four numbers in a row
    cols[0].metric("Params", human(c.params), versus(c.params, o.params) if o else None, delta_color="off", delta_arrow="off",
                   help=f"{c.params:,} parameters (batch norm included)")
    cols[1].metric("MACs", human(c.macs), versus(c.macs, o.macs) if o else None, delta_color="off", delta_arrow="off",
                   help=f"{c.macs:,} multiply-accumulates")
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


def measure_button(shown: dict[str, MobileNetConfig], named: dict[str, str]) -> None:
    """Measure every model (or reuse good stored results), one at a time under the machine's lock."""
    if st.button(f"Measure {'both' if len(shown) == 2 else f'all {len(shown)}' if len(shown) > 2 else 'it'} on this machine",
                 key="compare.measure", type="primary",
                 help="About 2 s per model: batch 1, CPU, all cores. Results are kept in the local latency store."):
        reports = st.session_state.setdefault("compare.reports", {})
        for slot, config in shown.items():
            report = measuring.measure_in_page(config, _settings(), model=shared_model(config), label=f"{named[slot]}: ")
            if report is None:
                return  # the error is on the page
            reports[config] = report
    show_store_status()


def latency_caption(reports: dict, named: dict[str, str]) -> str:
    """The medians with their conditions, quality and where they come from."""
    return "Latency: " + "; ".join(
        f"{named[s]} {r.median_ms:.2f} ms median (IQR {r.iqr_ms:.2f} ms, {r.runs} runs; {measuring.conditions(r)}; "
        f"quality {r.quality}; {'reused from the local store' if r.from_store else 'measured just now'})"
        for s, r in reports.items()) + "."


def latency_warnings(reports: dict, named: dict[str, str]) -> None:
    """A noisy result is shown with the reasons not to rely on it."""
    for slot, report in reports.items():
        if report.quality != "good":
            measuring.show_verdict(report, label=f"{named[slot]}: ")


def good_reports(reports: dict) -> dict:
    """Only the good measurements: what the per-stage and per-kind latency charts may draw."""
    return {slot: r for slot, r in reports.items() if r.quality == "good"}


def latency_status(shown: dict[str, MobileNetConfig], reports: dict, good: dict, named: dict[str, str]) -> str:
    """Whether the per-stage latency is drawn, and if not, which model lacks a good measurement."""
    if len(good) == len(shown):
        return "Latency per stage and kind: from the good measurements above (batch 1, CPU, this machine)."
    missing = [f"{named[s]} ({'its measurement is ' + reports[s].quality + ', so not drawn' if s in reports else 'no good measurement'})"
               for s in shown if s not in good]
    return ("No per-stage latency: it is drawn only from good measurements of every model on this machine (batch 1, CPU), "
            f"and there is none for {', '.join(missing)}.")


# --- frames: one "model" column, named as the page names the models ----------------------------------


def group_frames(shown: dict[str, MobileNetConfig], reports: dict, named: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    stages, kinds = [], []
    for slot, config in shown.items():
        report = reports.get(slot)
        per_layer = {r.name: r.latency_ms for r in report.layers} if report else None
        summary = stage_summary(config, per_layer)
        for i, g in enumerate(summary.stages):
            name = g.name if g.row is None else f"row {g.row + 1}"
            stages.append(dict(model=named[slot], stage=f"{i}. {name}", detail=g.name, MACs=g.macs, params=g.params,
                               **{"latency (ms)": g.latency_ms}))
        for g in summary.kinds:
            kinds.append(dict(model=named[slot], kind=g.name, MACs=g.macs, params=g.params, **{"latency (ms)": g.latency_ms}))
    return pd.DataFrame(stages), pd.DataFrame(kinds)


def depth_frame(shown: dict[str, MobileNetConfig], named: dict[str, str]) -> pd.DataFrame:
    rows = []
    for slot, config in shown.items():
        for p in depth_profile(config):
            rows.append(dict(model=named[slot], index=p.index, name=p.name, kind=p.kind, channels=p.channels,
                             **{"feature-map size (px)": p.size}))
    return pd.DataFrame(rows)


# --- budget matching -----------------------------------------------------------------------------


def _use_width(slot: str, width: float) -> None:
    st.session_state[_key(slot, "width")] = round(min(max(round(width / 0.025) * 0.025, WIDTH_RANGE[0]), WIDTH_RANGE[1]), 3)


def budget_matching(shown: dict[str, MobileNetConfig], named: dict[str, str]) -> None:
    """The width of every other model whose MACs match the first model's, at its own resolution."""
    ordered = list(shown)
    if len(ordered) < 2:
        st.info("Add a second model to match its MACs to this one's.")
        return
    source = ordered[0]
    src = shown[source]
    st.markdown(f"Matching the MACs of **{named[source]}** ({human(count(src).macs)} MACs): each other model's width α, "
                "at its own resolution and with its own block table.")
    for col, target in zip(st.columns(len(ordered) - 1), ordered[1:]):
        tgt = shown[target]
        match = match_width(count(src).macs, tgt)  # the target's own architecture, width varied
        with col:
            st.markdown(f"**{named[target]}**: α = **{match.width_multiplier:g}** gives {human(match.macs)} MACs "
                        f"({match.relative_error:+.2%}), {human(count(match.config).params)} params.")
            st.button(f"Set α = {match.width_multiplier:g}", key=f"compare.match.{target}",
                      on_click=_use_width, args=(target, match.width_multiplier),
                      disabled=not WIDTH_RANGE[0] <= match.width_multiplier <= WIDTH_RANGE[1],
                      help="The slider moves in steps of 0.025, so the nearest step is used.")
