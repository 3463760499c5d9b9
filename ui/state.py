"""Session state, cached resources and the block table's data conversions.

Cached objects are shared by every session (``st.cache_resource``): they are never mutated. The
latency lab times a private deep copy of the shared model, never the model itself.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, paper_config

ARCH_TITLES = {"mobilenet_v1": "MobileNet V1", "mobilenet_v2": "MobileNet V2"}
ROW_COLUMNS = {"mobilenet_v1": ["c", "n", "s"], "mobilenet_v2": ["t", "c", "n", "s"]}
COLUMN_NAMES = {"t": "expansion t", "c": "channels c", "n": "repeats n", "s": "stride s"}


@st.cache_resource(max_entries=6, show_spinner="Building the PyTorch model…")
def shared_model(config: MobileNetConfig):
    """The built model for ``config``, shared by all sessions. Never mutate it."""
    from explorer import build_model

    return build_model(config)


@st.cache_resource
def latency_store():
    """One latency store (SQLite) per server process; it opens a connection per call."""
    from explorer.store import LatencyStore

    return LatencyStore()


def show_store_status() -> None:
    """Say so when the latency store had to be replaced or cannot save (never silently)."""
    store = latency_store()
    if store.warning:
        st.warning(store.warning[:1].upper() + store.warning[1:] + ".", icon=":material/database:")
    elif store.disabled:
        st.info("Latency results are not being saved on this server (the store cannot be written).")


# --- the config each page last showed, carried across pages ----------------------------------
# Widget state is dropped when another page renders, so the last valid config of each family is
# kept under a plain (non-widget) key that the compare and trade-off pages read too.


def remembered_config(arch: str) -> MobileNetConfig:
    return st.session_state.get(f"config:{arch}") or paper_config(arch)


def remember_config(config: MobileNetConfig) -> None:
    st.session_state[f"config:{config.arch}"] = config


# --- block table ------------------------------------------------------------------------------


def rows_from_frame(frame: pd.DataFrame) -> list[dict]:
    """Editor rows → schema rows. Integral floats (pandas' NaN-capable dtype) become ints; empty
    cells become None so validation names them, rather than being dropped or zero-filled."""
    rows = []
    for record in frame.to_dict("records"):
        row = {}
        for key, value in record.items():
            if value is None or pd.isna(value):
                row[key] = None
            elif isinstance(value, float) and value.is_integer():
                row[key] = int(value)
            else:
                row[key] = value.item() if hasattr(value, "item") else value
        rows.append(row)
    return rows


_ROW_FIELD = re.compile(r"blocks\[(\d+)\](?:\.(\w+))?")


def error_text(err: ConfigError) -> str:
    """A sentence for the page: block-table fields become 'Block table, row 3, stride s: …'."""
    match = _ROW_FIELD.fullmatch(err.field)
    if match:
        row, column = int(match.group(1)) + 1, match.group(2)
        where = f"Block table, row {row}" + (f", {COLUMN_NAMES.get(column, column)}" if column else "")
        reason = "is empty" if err.reason.endswith("got null") else err.reason
        return f"{where}: {reason}"
    if err.field == "blocks":
        return f"Block table: {err.reason}"
    return f"{err.field}: {err.reason}"
