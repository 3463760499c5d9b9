"""MobileNet Explorer. The entry file only routes; each page is a script in pages/."""

import streamlit as st

st.set_page_config(page_title="MobileNet Explorer", page_icon=":material/memory:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/mobilenet_v1.py", title="MobileNet V1", url_path="v1", icon=":material/tune:"),
    st.Page("pages/mobilenet_v2.py", title="MobileNet V2", url_path="v2", icon=":material/tune:"),
    st.Page("pages/tradeoffs.py", title="Trade-offs", url_path="tradeoffs", icon=":material/scatter_plot:"),
    st.Page("pages/compare.py", title="Compare V1 vs V2", url_path="compare", icon=":material/compare_arrows:"),
    st.Page("pages/separable.py", title="Why depthwise separable is cheap", url_path="separable", icon=":material/school:"),
    st.Page("pages/phone_latency.py", title="Predicted phone latency", url_path="phones", icon=":material/smartphone:"),
]
st.navigation(PAGES).run()
