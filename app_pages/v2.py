"""MobileNet V2 explorer: width, resolution, expansion, design choices and the block table."""

import streamlit as st

from ui import controls, explorer_page

ARCH = "mobilenet_v2"
st.title("MobileNet V2")
st.caption("Inverted residuals and linear bottlenecks (Sandler et al., arXiv:1801.04381). "
           "Every change below builds a new config; counts are exact and instant.")

link_problem = controls.load_link_or_memory(ARCH)

size_col, resolution_col, design_col, classifier_col = explorer_page.settings_columns()
with size_col:
    width = controls.width_control(ARCH)
with resolution_col:
    resolution = controls.resolution_control(ARCH)
with design_col:
    controls.expansion_control(ARCH)
    linear_bottleneck = st.toggle("Linear bottleneck", key=controls.key(ARCH, "linear_bottleneck"),
                                  help="No activation after the projection (the V2 paper's ablation, Figure 6a).")
    residual = st.toggle("Residual connections", key=controls.key(ARCH, "residual"),
                         help="Add a block's input to its output where stride is 1 and channels match (Figure 6b).")
with classifier_col:
    options = controls.classifier_options(ARCH)

metrics_slot = st.container()
table_col, view_col = st.columns([1.3, 2.6], gap="medium")
with table_col:
    st.subheader("Block table")
    st.caption("Rows as the paper's Table 2: expansion **t**, channels **c**, repeats **n**, stride **s**. "
               "Add or delete rows at the bottom.")
    rows = controls.block_table(ARCH)
    controls.reset_table_button(ARCH)

fields = dict(width_multiplier=width, resolution=resolution, linear_bottleneck=linear_bottleneck, residual=residual, **options)
explorer_page.show_model(ARCH, fields, rows, link_problem, metrics_slot, view_col)
