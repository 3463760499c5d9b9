"""Why depthwise separable convolutions are cheap: the formulas, measured latency, the whole model."""

import streamlit as st

from explorer import ConfigError
from explorer.config import ARCHS, MAX_CHANNELS, MAX_RESOLUTION
from explorer.inverted_residual import inverted_residual_costs
from explorer.separable import MAX_KERNEL_SIZE, STRIDES, ConvShape, default_layer, layer_shapes
from explorer.timing import available_cores
from ui import separable_link
from ui import separable_view as view
from ui.state import ARCH_TITLES, remembered_config

st.title("Why depthwise separable is cheap")
st.caption("MobileNet V1 (Howard et al., arXiv:1704.04861, Section 3.1) factorizes a D_K×D_K convolution into a "
           "depthwise and a pointwise (1×1) convolution. Pick a layer, read the arithmetic, then measure what it buys here.")


def _seed_custom() -> None:
    """Switching to custom values starts from the layer that was shown."""
    shape = st.session_state.get("separable.shown_shape")
    if st.session_state["separable.source"] == "custom" and shape is not None:
        for name in ("kernel_size", "in_channels", "out_channels", "feature_size", "stride"):
            st.session_state[f"separable.{name}"] = getattr(shape, name)


link_problem, link_note = separable_link.open_link(remembered_config)
if link_problem:
    st.warning(link_problem)
if link_note:
    st.info(link_note)

label = None
# On the page, not in the sidebar: on a phone the collapsed sidebar hid the layer picker with no hint.
with st.container(border=True):
    st.subheader("The convolution", anchor=False)
    source = st.radio("Shape", view.SOURCES, format_func=view.SOURCE_LABELS.get, key="separable.source", on_change=_seed_custom)
    if source == "layer":
        arch = st.radio("Model", list(ARCH_TITLES), format_func=ARCH_TITLES.get, horizontal=True, key="separable.arch")
        config = remembered_config(arch)
        choices = layer_shapes(config)
        labels = [label for label, _ in choices]
        if st.session_state.get(f"separable.layer.{arch}") not in labels:  # first visit, or the model changed
            st.session_state[f"separable.layer.{arch}"] = default_layer(config)[0]
        label = st.selectbox("Layer (depthwise + its 1×1)", labels, key=f"separable.layer.{arch}",
                             help="Defaults to the shape the model repeats most. V2: the depthwise and the projection.")
        st.caption(f"From your current {view.config_label(config)}: change it on the {ARCH_TITLES[arch]} page.")
        shape, problem = dict(choices)[label], None
    else:
        for name, default in view.CUSTOM_DEFAULTS.items():
            st.session_state.setdefault(f"separable.{name}", default)  # no value=: _seed_custom may set them
        fields = {
            "kernel_size": st.number_input("D_K, kernel size", 1, MAX_KERNEL_SIZE, key="separable.kernel_size",
                                           help="odd: 1, 3, 5, …"),
            "in_channels": st.number_input("M, input channels", 1, MAX_CHANNELS, key="separable.in_channels"),
            "out_channels": st.number_input("N, output channels", 1, MAX_CHANNELS, key="separable.out_channels"),
            "feature_size": st.number_input("D_F, output feature size", 1, MAX_RESOLUTION, key="separable.feature_size"),
            "stride": st.radio("Stride", STRIDES, horizontal=True, key="separable.stride"),
        }
        try:
            shape, problem = ConvShape(**{k: int(v) for k, v in fields.items()}), None
        except ConfigError as err:
            shape, problem = None, view.problem_text(err)

if problem:
    st.error(f"{problem}. Fix it above; the whole-model sections below do not depend on it.")
else:
    st.session_state["separable.shown_shape"] = shape
    separable_link.write_link(source, st.session_state.get("separable.arch", ARCHS[0]), label, shape)
    st.info(f"**{view.shape_text(shape)}**: a {shape.input_size}×{shape.input_size}×{shape.in_channels} input "
            f"becomes a {shape.feature_size}×{shape.feature_size}×{shape.out_channels} output.")

    st.header("1. The arithmetic")
    view.formulas(shape)

    st.header("2. Measured on this machine")
    st.caption("A standard conv, the factorization as one grouped conv (groups = M) + 1×1, and the same with the "
               "depthwise step as a Python loop over channels: the same input, weights chosen so all three compute the same function.")
    cols = st.columns(3)
    threads = int(cols[0].number_input("Threads", 1, available_cores(), value=available_cores(), key="separable.threads"))
    batch = int(cols[1].number_input("Batch", 1, 64, value=1, key="separable.batch"))
    budget_s = float(cols[2].number_input("Seconds per implementation", 0.02, 5.0, value=1.0, step=0.25, key="separable.budget"))
    view.latency_section(shape, threads, budget_s, batch)
    st.subheader("Sweep N or D_F")
    view.sweep_section(shape, threads, batch)

st.header("3. The whole model")
view.whole_model([remembered_config(arch) for arch in ARCHS])

st.header("4. V2's inverted residual block")
v2 = remembered_config("mobilenet_v2")
cols = st.columns([2, 1])
row = cols[0].selectbox("Row of your V2 block table", range(len(v2.blocks)), format_func=lambda i: view.block_row_label(v2, i),
                        index=min(2, len(v2.blocks) - 1), key="separable.v2_row")
repeats = v2.blocks[row].n
later = cols[1].toggle("Show a later repeat" + (" (with residual)" if v2.residual else ""), key="separable.v2_repeat", disabled=repeats < 2,
                       help="The first block of a row changes stride or channels; its repeats add their input.")
view.inverted_residual(v2, inverted_residual_costs(v2, row, 1 if later and repeats > 1 else 0))
