"""MobileNet V1 explorer: width multiplier α, resolution multiplier ρ and the layer table."""

import streamlit as st

from ui import controls, explorer_page

ARCH = "mobilenet_v1"
st.title("MobileNet V1")
st.caption("Depthwise separable convolutions (Howard et al., arXiv:1704.04861). "
           "Every change below builds a new config; counts are exact and instant.")

link_problem = controls.load_link_or_memory(ARCH)

size_col, resolution_col, design_col, classifier_col = explorer_page.settings_columns()
with size_col:
    width = controls.width_control(ARCH)
with resolution_col:
    resolution = controls.resolution_control(ARCH)
with design_col:
    separable = st.toggle("Depthwise separable", key=controls.key(ARCH, "depthwise_separable"),
                          help="Off: every layer is a full 3×3 convolution, the baseline of the paper's Table 4.")
with classifier_col:
    options = controls.classifier_options(ARCH)

metrics_slot = st.container()
table_col, view_col = st.columns([1.3, 2.6], gap="medium")
with table_col:
    st.subheader("Layer table")
    layer = ("a 3×3 depthwise then a 1×1 pointwise layer" if separable
             else "one full 3×3 convolution (depthwise separation is off: the paper's Table 4 baseline)")
    st.caption(f"Rows as the paper's Table 1, grouped: output channels **c**, repeats **n**, stride **s** of "
               f"the first. Each repeat is {layer}.")
    rows = controls.block_table(ARCH)
    controls.reset_table_button(ARCH)

fields = dict(width_multiplier=width, resolution=resolution, depthwise_separable=separable, **options)
explorer_page.show_model(ARCH, fields, rows, link_problem, metrics_slot, view_col)
