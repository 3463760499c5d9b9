"""MobileNet Explorer. The entry file only routes; each page is a script in pages/.

Why each page file is named after its URL path (``pages/v2.py`` for ``/v2``): Streamlit treats
the ``pages/`` folder next to the entry file as an old-style multipage app until the first
``st.navigation`` call of the server process. So the first visitor after a server start who opens a
deep link (``/v2?...``) is routed against the folder's file names; with ``mobilenet_v2.py`` that
visitor got a modal "Page not found" dialog that swallowed keyboard input (streamlit#9992).
tests/test_app_pages.py keeps every file name equal to its ``url_path``.

The favicon is a bundled file: a ``:material/…:`` page icon is fetched from a font CDN, which
fails offline. The sidebar's Material icons come from Streamlit's bundled font and stay local.
"""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="MobileNet Explorer", page_icon=str(Path(__file__).parent / "ui" / "icon.png"), layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/v1.py", title="MobileNet V1", url_path="v1", icon=":material/tune:"),
    st.Page("pages/v2.py", title="MobileNet V2", url_path="v2", icon=":material/tune:"),
    st.Page("pages/tradeoffs.py", title="Trade-offs", url_path="tradeoffs", icon=":material/scatter_plot:"),
    st.Page("pages/compare.py", title="Compare V1 vs V2", url_path="compare", icon=":material/compare_arrows:"),
    st.Page("pages/separable.py", title="Why depthwise separable is cheap", url_path="separable", icon=":material/school:"),
    st.Page("pages/phones.py", title="Predicted phone latency", url_path="phones", icon=":material/smartphone:"),
]
st.navigation(PAGES).run()
