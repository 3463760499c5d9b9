"""MobileNet Explorer: the entry file only routes (pages live in pages/)."""

import streamlit as st

st.set_page_config(page_title="MobileNet Explorer", page_icon="📱", layout="wide")

st.title("MobileNet Explorer")
st.write(
    "Tune MobileNet V1 and V2, get a real PyTorch model for every setting, and see exact params "
    "and MACs per layer. The explorer pages are coming; the library and CLI are ready: "
    "`python -m explorer profile --arch v2`."
)
