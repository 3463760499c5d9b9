"""The Compare page's sections: V1 and V2 side by side. Counts come from ``explorer.compare``
(stage_summary, depth_profile, match_width); latency comes from the local store or is measured
on request with the shared models (never mutated: the latency lab times a private copy)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import MobileNetConfig, count, paper_config
from explorer.compare import depth_profile, match_width, stage_summary
from explorer.config import ARCHS
from explorer.units import human

from .controls import RESOLUTION_PRESETS, RESOLUTION_RANGE, WIDTH_RANGE
from .state import ARCH_TITLES, latency_store, shared_model, show_store_status


def _key(arch: str, name: str) -> str:
    return f"compare.{arch}.{name}"


def settings_widgets(arch: str) -> MobileNetConfig:
    """Width and resolution of one side (paper architecture, 1000 classes); default α = 1, 224 px."""
    ss = st.session_state
    ss.setdefault(_key(arch, "width"), 1.0)
    ss.setdefault(_key(arch, "resolution"), 224)
    width = st.slider("Width multiplier α", *WIDTH_RANGE, step=0.025, key=_key(arch, "width"))
    resolution = st.select_slider("Input resolution (px)", sorted({*range(RESOLUTION_RANGE[0], RESOLUTION_RANGE[1] + 1, 16), *RESOLUTION_PRESETS[arch]}),
                                  key=_key(arch, "resolution"))
    return paper_config(arch, width_multiplier=width, resolution=resolution)


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
    """The stored whole-model and per-layer report of ``config`` on this machine, or None."""
    return latency_store().get(config, _settings())


def measure_button(configs: dict[str, MobileNetConfig]) -> None:
    from explorer.latency import LatencyError, measure_latency

    if st.button("Measure both on this machine", key="compare.measure", type="primary",
                 help="About 2 s per model: batch 1, CPU, all cores. Results are kept in the local latency store."):
        bar = st.progress(0.0, text="Preparing…")
        for i, (arch, config) in enumerate(configs.items()):
            try:
                measure_latency(config, _settings(), store=latency_store(), model=shared_model(config),
                                progress=lambda f, msg, i=i: bar.progress(min((i + f) / len(configs), 1.0), text=f"{ARCH_TITLES[arch]}: {msg}"))
            except (LatencyError, RuntimeError) as err:  # RuntimeError: torch, e.g. out of memory
                bar.empty()
                st.error(f"{ARCH_TITLES[arch]} could not be measured: {err}")
                return
        bar.empty()
    show_store_status()


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
    st.session_state[_key(arch, "width")] = min(max(round(width / 0.025) * 0.025, WIDTH_RANGE[0]), WIDTH_RANGE[1])


def budget_matching(configs: dict[str, MobileNetConfig]) -> None:
    """The width of one family whose MACs match the other's, at its own resolution."""
    cols = st.columns(2)
    for col, (source, target) in zip(cols, (ARCHS, ARCHS[::-1])):
        src, tgt = configs[source], configs[target]
        match = match_width(count(src).macs, target, resolution=tgt.resolution)
        with col:
            st.markdown(f"**{ARCH_TITLES[target]} matching {ARCH_TITLES[source]}'s MACs** "
                        f"(α = {src.width_multiplier:g}, {src.resolution} px: {human(count(src).macs)} MACs)")
            st.markdown(f"At {tgt.resolution} px, α = **{match.width_multiplier:g}** gives {human(match.macs)} MACs "
                        f"({match.relative_error:+.2%}), "
                        f"{human(count(match.config).params)} params.")
            st.button(f"Set {ARCH_TITLES[target]} to α = {match.width_multiplier:g}", key=f"compare.match.{target}",
                      on_click=_use_width, args=(target, match.width_multiplier),
                      disabled=not WIDTH_RANGE[0] <= match.width_multiplier <= WIDTH_RANGE[1],
                      help="The slider moves in steps of 0.025, so the nearest step is used.")
