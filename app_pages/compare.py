"""Compare V1 and V2 side by side: totals, cost per stage and per kind, depth, budget matching."""

import streamlit as st

from explorer.config import ARCHS as ALL_ARCHS
from ui import architecture
from ui import compare_view as view
from ui import tradeoff_charts as charts
from ui.state import ARCH_TITLES

# V1 and V2 only: this page and ui/compare_view.py compare two families. Compare of N families
# (V3 included) is the UI round's rewrite; until it lands the view module gets the same two.
ARCHS = view.ARCHS = ALL_ARCHS[:2]
st.title("Compare MobileNet V1 and V2")
st.caption("Your configs from the V1 and V2 pages (or a shared link), at the width and resolution you choose here. "
           "Counts are exact; latency is measured on this machine when you ask.")

link_problem = view.open_link()
if link_problem:
    st.warning(link_problem)
view.load_panel()

# Each family's heading, settings and totals share one column, so on a phone (columns stack) the
# numbers stay under their heading.
configs, slots = {}, {}
for col, arch in zip(st.columns(2, gap="large"), ARCHS):
    with col:
        st.subheader(ARCH_TITLES[arch])
        configs[arch], _ = view.settings_widgets(arch)
        slots[arch] = st.container()
for arch in ARCHS:
    with slots[arch]:
        view.totals(configs[arch], next(configs[other] for other in ARCHS if other != arch))

view.measure_button(configs)
reports = {arch: r for arch, r in ((a, view.stored_latency(c)) for a, c in configs.items()) if r is not None}
good = view.good_reports(reports)  # the per-stage charts use good measurements only
stages, kinds = view.group_frames(configs, good)
measured = len(good) == len(configs)
if reports:
    st.caption(view.latency_caption(reports))
    view.latency_warnings(reports)
st.caption(view.latency_status(configs, reports, good))

measures = ["MACs", "params"] + (["latency (ms)"] if measured else [])
# Lazy tabs: only the open tab's charts are computed and sent.
TABS = view.TABS
tabs = dict(zip(TABS, st.tabs(TABS, key="compare.view", on_change="rerun")))
with tabs["Cost by kind"]:
    if tabs["Cost by kind"].open:
        order = charts.kind_order(kinds["kind"])
        for col, value in zip(st.columns(len(measures)), measures):
            col.plotly_chart(charts.grouped_bars(kinds, "kind", value, f"{value} by layer kind", order), width="stretch", key=f"compare.kind.{value}")
with tabs["Cost by stage"]:
    if tabs["Cost by stage"].open:
        for value in measures:
            st.plotly_chart(charts.stage_bars(stages, value), width="stretch", key=f"compare.stage.{value}")
with tabs["Through depth"]:
    if tabs["Through depth"].open:
        depth = view.depth_frame(configs)
        left, right = st.columns(2)
        left.plotly_chart(charts.depth_lines(depth, "feature-map size (px)", "Feature-map size through depth"), width="stretch", key="compare.size")
        right.plotly_chart(charts.depth_lines(depth, "channels", "Channels through depth", log_y=True), width="stretch", key="compare.channels")
with tabs["Architecture"]:
    if tabs["Architecture"].open:
        architecture.side_by_side([configs[arch] for arch in ARCHS], [ARCH_TITLES[arch] for arch in ARCHS])
with tabs["Budget matching"]:
    if tabs["Budget matching"].open:
        view.budget_matching(configs)

view.write_link(configs)
