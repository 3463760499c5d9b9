"""MobileNet V1 explorer: width multiplier α, resolution multiplier ρ and the layer table."""

import streamlit as st

from ui import controls, export_panel, profile_view

ARCH = "mobilenet_v1"
st.title("MobileNet V1")
st.caption("Depthwise separable convolutions (Howard et al., arXiv:1704.04861). "
           "Every change below builds a new config; counts are exact and instant.")

link_problem = controls.load_link_or_memory(ARCH)

with st.sidebar:
    st.header("Settings")
    width, resolution = controls.width_and_resolution(ARCH)
    separable = st.toggle("Depthwise separable layers", key=controls.key(ARCH, "depthwise_separable"),
                          help="Off: every layer is a full 3×3 convolution, the baseline of the paper's Table 4.")
    options = controls.classifier_options(ARCH)

metrics_slot = st.container()
table_col, view_col = st.columns([1.3, 2.6], gap="medium")
with table_col:
    st.subheader("Layer table")
    st.caption("Rows as the paper's Table 1, grouped: output channels **c**, repeats **n**, stride **s** of "
               "the first. Each repeat is a 3×3 depthwise then a 1×1 pointwise layer.")
    rows = controls.block_table(ARCH)
    controls.reset_table_button(ARCH)

fields = dict(width_multiplier=width, resolution=resolution, depthwise_separable=separable, **options)
config, problem = controls.build_config(ARCH, fields, rows)
if link_problem:
    st.warning(link_problem)
if problem:
    st.error(f"{problem}. Showing the last valid model; your edits are kept.")
else:
    controls.write_link(config)

with view_col:
    latency_slot = st.container()
latency = profile_view.latency_panel(config)
with metrics_slot:
    profile_view.metrics(config, latency)
with latency_slot:
    profile_view.render(config, latency)

with st.expander("Export / import config", icon=":material/import_export:"):
    export_panel.export_import_panel(config)
