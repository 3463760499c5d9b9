"""Compare up to four models of any family side by side: totals, cost per stage and per kind,
depth, the architecture, budget matching. Each model is named by what differs from its paper."""

import streamlit as st

from ui import architecture
from ui import compare_view as view
from ui import tradeoff_charts as charts

st.title("Compare models")
st.caption("Up to four models of any family: your configs from the explorer pages, the papers' models, a shared link or "
           "a config file, each at the width and resolution you choose here. Counts are exact; latency is measured on "
           "this machine when you ask.")

link_problem = view.open_link()
if link_problem:
    st.warning(link_problem)
view.load_panel()

# Each model's heading, settings and totals share one column, so on a phone (columns stack) the
# numbers stay under their heading.
slots = view.slots()
configs, heads, boxes = {}, {}, {}
for col, slot in zip(st.columns(len(slots), gap="medium"), slots):
    with col:
        heads[slot] = st.empty()  # named after the widgets ran: the name says the width and resolution
        configs[slot], _ = view.settings_widgets(slot, "model")
        boxes[slot] = st.container()
named = view.names(configs)
for slot in slots:
    heads[slot].subheader(named[slot], anchor=False)
first = slots[0]
for slot in slots:
    with boxes[slot]:
        view.totals(configs[slot], configs[first] if slot != first else None, named[first])

view.measure_button(configs, named)
reports = {slot: r for slot, r in ((s, view.stored_latency(c)) for s, c in configs.items()) if r is not None}
good = view.good_reports(reports)  # the per-stage charts use good measurements only
stages, kinds = view.group_frames(configs, good, named)
measured = len(good) == len(configs)
if reports:
    st.caption(view.latency_caption(reports, named))
    view.latency_warnings(reports, named)
st.caption(view.latency_status(configs, reports, good, named))

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
        depth = view.depth_frame(configs, named)
        left, right = st.columns(2)
        left.plotly_chart(charts.depth_lines(depth, "feature-map size (px)", "Feature-map size through depth"), width="stretch", key="compare.size")
        right.plotly_chart(charts.depth_lines(depth, "channels", "Channels through depth", log_y=True), width="stretch", key="compare.channels")
with tabs["Architecture"]:
    if tabs["Architecture"].open:
        architecture.side_by_side(list(configs.values()), [named[s] for s in configs])
with tabs["Budget matching"]:
    if tabs["Budget matching"].open:
        view.budget_matching(configs, named)

view.write_link(configs)
