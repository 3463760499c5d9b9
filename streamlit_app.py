"""MobileNet Explorer. The entry file only routes; each page is a script in app_pages/.

Why the folder is not called ``pages/``: Streamlit treats a ``pages/`` folder next to the entry file
as an old-style multipage app until some session calls ``st.navigation``. The first visitor after a
server start who opened a deep link (``/v2?...``) then ran the page script alone, without this
file: a "Page not found" dialog that swallowed keyboard input for other file names
(streamlit#9992), Streamlit's file-name menu ("streamlit app", "compare", …) and no page config.
Streamlit's own advice for st.navigation apps is to name the folder otherwise.
tests/test_app_pages.py keeps a ``pages/`` folder from coming back; each file is still named after
its URL path (``app_pages/v2.py`` serves ``/v2``), so the two are easy to match.

The favicon is a bundled file: a ``:material/…:`` page icon is fetched from a font CDN, which
fails offline. The sidebar's Material icons come from Streamlit's bundled font and stay local.
"""

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="MobileNet Explorer", page_icon=str(Path(__file__).parent / "ui" / "icon.png"), layout="wide")

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/v1.py", title="MobileNet V1", url_path="v1", icon=":material/tune:"),
    st.Page("app_pages/v2.py", title="MobileNet V2", url_path="v2", icon=":material/tune:"),
    st.Page("app_pages/v3.py", title="MobileNet V3", url_path="v3", icon=":material/tune:"),
    st.Page("app_pages/tradeoffs.py", title="Trade-offs", url_path="tradeoffs", icon=":material/scatter_plot:"),
    st.Page("app_pages/compare.py", title="Compare models", url_path="compare", icon=":material/compare_arrows:"),
    st.Page("app_pages/separable.py", title="Why depthwise separable is cheap", url_path="separable", icon=":material/school:"),
    st.Page("app_pages/phones.py", title="Predicted phone latency", url_path="phones", icon=":material/smartphone:"),
]
page = st.navigation(PAGES)
# Each browser tab says which page it shows ("MobileNet V2 · MobileNet Explorer"); one title for
# every page made several open tabs impossible to tell apart.
st.set_page_config(page_title="MobileNet Explorer" if page.title == "Home" else f"{page.title} · MobileNet Explorer")
page.run()
