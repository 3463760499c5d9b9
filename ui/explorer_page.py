"""The part the explorer pages (V1, V2, V3) share: the settings panel, validating the inputs, showing the model.

Layout: settings sit in a bordered panel at the top of the page, not in the sidebar. On a phone
Streamlit stacks its columns, so the settings come first and the results follow below them; a
sidebar would open over the results, hiding the effect of every change. On a wide screen the
panel is one row of four columns above the metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from explorer import MobileNetConfig

from . import controls, export_panel, phone_view, profile_view, runtimes_view


def settings_columns() -> list:
    """Four columns in a bordered panel: size (α), resolution, design choices, classifier."""
    panel = st.container(border=True)
    return panel.columns([1.15, 1.15, 1, 1], gap="medium")


def show_model(arch: str, fields: dict[str, Any], rows: list[dict], link_problem: str | None, metrics_slot, view_col,
               write_link: Callable[[MobileNetConfig], None] = controls.write_link) -> None:
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
        _import_message(arch, config)
        unit = profile_view.count_unit_control(arch)
    if not problem:
        write_link(config)  # the V3 page adds which model (Large or Small) to its links

    with view_col:
        latency_slot = st.container()
    latency = profile_view.latency_panel(config)  # drawn below the columns, read by the views above
    with metrics_slot:
        profile_view.metrics(config, latency, unit)
    with latency_slot:
        profile_view.render(config, latency, unit)
    phone_view.predicted_panel(config, latency)  # predicted on each published phone, below this machine's

    # A key keeps the expander's identity, so it stays open across the rerun an import causes.
    with st.expander("Export / import config", icon=":material/import_export:", key=f"{arch}.export_expander"):
        export_panel.export_import_panel(config)

    runtimes_view.runtimes_panel(config)  # deployment runtimes: same model on ONNX Runtime and ExecuTorch


def _import_message(arch: str, config) -> None:
    """An import's outcome also goes above the metrics, where the changed numbers are: the
    uploader sits low on the page, and a success there alone looked like nothing happened."""
    message = st.session_state.get(controls.key(arch, "import_message"))
    if message and message[2] == config:
        kind, text, _ = message
        (st.error if kind == "error" else st.success)(text, icon=":material/upload_file:")
