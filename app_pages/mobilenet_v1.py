"""MobileNet V1 explorer: width multiplier α, resolution multiplier ρ and the layer table."""

import streamlit as st

from ui import controls, explorer_page

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
explorer_page.show_model(ARCH, fields, rows, link_problem, metrics_slot, view_col)
