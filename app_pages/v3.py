"""MobileNet V3 explorer: Large or Small, width, resolution, squeeze-and-excite, h-swish and the block table."""

import streamlit as st

from ui import controls, explorer_page, v3_controls

st.title("MobileNet V3")
st.caption("Searched bnecks with squeeze-and-excite and h-swish (Howard et al., arXiv:1905.02244), exact to "
           "torchvision's mobilenet_v3_large / mobilenet_v3_small. Every change builds a new config; counts are exact.")

link_problem = v3_controls.load_link_or_memory()

size_col, resolution_col, design_col, classifier_col = explorer_page.settings_columns()
with size_col:
    arch = v3_controls.model_switch()
    width = controls.width_control(arch)
with resolution_col:
    resolution = controls.resolution_control(arch)
with design_col:
    v3_controls.preset_buttons(arch)
    switches = v3_controls.switches(arch)
with classifier_col:
    options = v3_controls.classifier_options(arch)

metrics_slot = st.container()
table_col, view_col = st.columns([1.7, 2.2], gap="medium")  # six columns: wider than V2's table
with table_col:
    st.subheader("Block table")
    st.caption("One row per block, as the paper's Tables 1 and 2: kernel **k**, expanded size **exp**, output "
               "channels **c**, squeeze-and-excite **se**, activation **nl**, stride **s**. Add or delete rows at the bottom.")
    rows = v3_controls.block_table(arch)
    controls.reset_table_button(arch)

fields = dict(width_multiplier=width, resolution=resolution, **switches, **options)
explorer_page.show_model(arch, fields, rows, link_problem, metrics_slot, view_col, write_link=v3_controls.write_link)
