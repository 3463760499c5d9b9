"""Landing page: what the explorer does, and a way into every page."""

import streamlit as st

from explorer import count, paper_config
from explorer.units import human

st.title("MobileNet Explorer")
st.markdown(
    "Pick a MobileNet that fits your latency or size budget, and see why it is cheap. Every setting "
    "gives a **real PyTorch model** with **exact** per-layer parameters and multiply-accumulates "
    "(MACs), and you can time it on this machine."
)

v1, v2 = count(paper_config("v1")), count(paper_config("v2"))
v3_large, v3_small = count(paper_config("v3-large")), count(paper_config("v3-small"))
left, right, third = st.columns(3)
with left, st.container(border=True):
    st.subheader("MobileNet V1")
    st.markdown("Depthwise separable convolutions: a 3×3 depthwise filter per channel, then a 1×1 "
                "pointwise convolution. Width multiplier α and resolution multiplier ρ trade accuracy for cost.")
    st.markdown(f"α = 1, 224 px: **{human(v1.params)}** params, **{human(v1.macs)}** MACs.")
    st.page_link("app_pages/v1.py", label="Explore MobileNet V1", icon=":material/arrow_forward:")
with right, st.container(border=True):
    st.subheader("MobileNet V2")
    st.markdown("Inverted residuals with linear bottlenecks: expand by t with a 1×1 conv, filter with a 3×3 "
                "depthwise conv, project back linearly; residuals join the thin ends.")
    st.markdown(f"α = 1, 224 px: **{human(v2.params)}** params, **{human(v2.macs)}** MACs.")
    st.page_link("app_pages/v2.py", label="Explore MobileNet V2", icon=":material/arrow_forward:")
with third, st.container(border=True):
    st.subheader("MobileNet V3")
    st.markdown("Searched inverted residuals with 3×3 or 5×5 kernels, squeeze-and-excite and h-swish, in a Large "
                "and a Small model, exact to torchvision's.")
    st.markdown(f"α = 1, 224 px: Large **{human(v3_large.params)}** params, **{human(v3_large.macs)}** MACs; "
                f"Small **{human(v3_small.params)}**, **{human(v3_small.macs)}**.")
    st.page_link("app_pages/v3.py", label="Explore MobileNet V3", icon=":material/arrow_forward:")

st.subheader("Then")
PAGES = (
    ("app_pages/tradeoffs.py", "Trade-offs", ":material/scatter_plot:",
     "Published ImageNet accuracy against MACs, parameters and device latency, with your configs placed among them, "
     "and a budget finder."),
    ("app_pages/compare.py", "Compare models", ":material/compare_arrows:",
     "Up to four models of any family side by side: cost per layer kind and per stage, shapes through depth, matched budgets."),
    ("app_pages/separable.py", "Why depthwise separable is cheap", ":material/school:",
     "The V1 paper's arithmetic on a layer of your model, measured on this machine."),
    ("app_pages/phones.py", "Predicted phone latency", ":material/smartphone:",
     "How the explorer predicts a config's latency on published phones, and how good the prediction is."),
)
# Two cards a row: at four a row the longest title ("Why depthwise separable is cheap") was cut off.
for start in range(0, len(PAGES), 2):
    for col, (page, label, icon, text) in zip(st.columns(2), PAGES[start:start + 2]):
        with col, st.container(border=True):
            st.page_link(page, label=label, icon=icon)
            st.caption(text)

st.caption(
    "MACs count the multiply-accumulates of convolutions and the final linear layer for one image, as "
    "the papers do (no batch norm, activations, pooling or residual adds); FLOPs = 2 × MACs. Params are "
    "PyTorch's count; the conv+linear weights-only count, which the TF-slim tables publish, is shown next to it."
)
