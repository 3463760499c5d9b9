"""The part the V1 and V2 pages share: validate their inputs, then show the model."""

from __future__ import annotations

from typing import Any

import streamlit as st

from . import controls, export_panel, phone_view, profile_view


def show_model(arch: str, fields: dict[str, Any], rows: list[dict], link_problem: str | None, metrics_slot, view_col) -> None:
    """Build the config from the page's widgets and table, and render its profile.

    An invalid input gets one message naming the field and row; the last valid model stays on
    screen (and in the URL) while the widgets keep what the user typed.
    """
    config, problem = controls.build_config(arch, fields, rows)
    with metrics_slot:  # messages go above the metrics, where the eye is, not below the table
        if link_problem:
            st.warning(link_problem)
        if problem:
            st.error(f"{problem}. Showing the last valid model; your edits are kept.")
    if not problem:
        controls.write_link(config)

    with view_col:
        latency_slot = st.container()
    latency = profile_view.latency_panel(config)  # drawn below the columns, read by the views above
    with metrics_slot:
        profile_view.metrics(config, latency)
    with latency_slot:
        profile_view.render(config, latency)
    phone_view.predicted_panel(config, latency)  # predicted on each published phone, below this machine's

    with st.expander("Export / import config", icon=":material/import_export:"):
        export_panel.export_import_panel(config)
