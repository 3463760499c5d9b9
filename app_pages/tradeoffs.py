"""Trade-offs: published accuracy against cost, your configs placed honestly, and a budget finder."""

import streamlit as st

from ui import budget_finder, tradeoffs_view

st.title("Trade-offs")
st.caption("Top-1 accuracy against MACs, parameters and device latency, as published for MobileNet V1, V2 and V3 "
           "(papers, TF-slim, torchvision), at the costs this project computes. Hover a point for its source and table.")

platforms = budget_finder.platform_choices()
chart_sources = tradeoffs_view.chart_choices(platforms)  # the published platforms, then the store's machines
link_problem = tradeoffs_view.open_link(list(platforms), list(chart_sources))
if link_problem:
    st.warning(link_problem)
# On the page, not in the sidebar: on a phone the collapsed sidebar hid these toggles with no hint.
with st.container(border=True, horizontal=True, vertical_alignment="center", gap="large"):
    precision = st.radio("Models", ["Float", "Quantized", "Both"], horizontal=True, key="tradeoffs.precision",
                         help="Quantized: the 8-bit TF-slim checkpoints (hollow markers).")
    show_references = st.toggle("Reference networks (VGG 16, GoogleNet, …)", key="tradeoffs.references",
                                help="Placed at their published MACs and params.")

st.subheader("Your configs")
tradeoffs_view.your_configs_text()

# Lazy tabs: only the open tab runs, so the budget finder and the charts cost nothing until shown.
TABS = tradeoffs_view.TABS
tabs = dict(zip(TABS, st.tabs(TABS, key="tradeoffs.view", on_change="rerun")))
with tabs["Accuracy vs MACs"]:
    if tabs["Accuracy vs MACs"].open:
        tradeoffs_view.scatter(precision, show_references, "macs")
with tabs["Accuracy vs params"]:
    if tabs["Accuracy vs params"].open:
        tradeoffs_view.scatter(precision, show_references, "params")
with tabs["Accuracy vs device latency"]:
    if tabs["Accuracy vs device latency"].open:
        label = st.selectbox("Device and backend", list(chart_sources), key="tradeoffs.platform",
                             help="A published device and backend, or a machine with good measurements in the latency store.")
        tradeoffs_view.latency_chart(precision, chart_sources[label])
with tabs["Published vs computed"]:
    if tabs["Published vs computed"].open:
        tradeoffs_view.published_table()
with tabs["Budget finder"]:
    if tabs["Budget finder"].open:
        budget_finder.budget_finder(platforms)

tradeoffs_view.write_link(list(platforms), list(chart_sources))
