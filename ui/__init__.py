"""The Streamlit UI layer: shared widgets, cached resources and renderers for the thin pages.

Pages read widgets, build a config, call ``explorer`` and render; everything they share lives
here so each page stays a short script. ``explorer`` itself never imports streamlit.
"""
