"""Session state, cached resources and the block table's data conversions.

Cached objects are shared by every session (``st.cache_resource``): they are never mutated. The
latency lab times a private deep copy of the shared model, never the model itself; the store keeps
what each caller met per caller, and a session's store message lives in its session state.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, paper_config
from explorer.config import ARCH_TITLES, ROW_KEYS  # noqa: F401 (ARCH_TITLES: the pages import it from here)

ROW_COLUMNS = {arch: list(keys) for arch, keys in ROW_KEYS.items()}
COLUMN_NAMES = {"t": "expansion t", "c": "channels c", "n": "repeats n", "s": "stride s",
                "k": "kernel k", "exp": "expanded exp", "se": "squeeze-excite se", "nl": "activation nl"}


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


STORE_WARNING = "store.warning"  # this session's latest store problem (the store object is shared: it keeps none)


def show_store_status() -> None:
    """Say so when the latency store had to be replaced or cannot save (never silently).

    The problem is this session's: what its own store operations met in this run (the store keeps
    it per caller), moved into the session. It stays until a run of this session finds the store
    answering again, then goes."""
    store = latency_store()
    if not store.warning and STORE_WARNING in st.session_state and store.usable():
        del st.session_state[STORE_WARNING]  # resolved: the store answers again
    met, store.warning = store.warning, None
    if met:
        st.session_state[STORE_WARNING] = met
    message = st.session_state.get(STORE_WARNING)
    if message:
        st.warning(message[:1].upper() + message[1:] + ".", icon=":material/database:")
    elif store.disabled:
        st.info("Latency results are not being saved on this server (the store cannot be written).")


# --- the config each page last showed, carried across pages ----------------------------------
# Widget state is dropped when another page renders, so the last valid config of each family is
# kept under a plain (non-widget) key that the compare and trade-off pages read too.


def remembered_config(arch: str) -> MobileNetConfig:
    return st.session_state.get(f"config:{arch}") or paper_config(arch)


def remember_config(config: MobileNetConfig) -> None:
    st.session_state[f"config:{config.arch}"] = config


# --- links: the URL as the page's state ----------------------------------------------------------
# A page writes its state into the URL on every run; a URL this session did not write is a link
# someone opened (or pasted), and the page applies it. The pure codec is ui/links.py.


def opened_link(page: str) -> dict[str, str] | None:
    """The query parameters when they are a link this session did not write, else None.

    ``page`` names the page ("mobilenet_v2", "compare", …): each page remembers what it wrote.
    """
    params = st.query_params.to_dict()
    if not params or params == st.session_state.get(f"{page}.link_written"):
        return None
    st.session_state[f"{page}.link_written"] = params
    return params


def write_url(page: str, params: dict[str, str]) -> None:
    """Keep the URL equal to the page's state, so copying it shares exactly what is shown."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[f"{page}.link_written"] = params


# --- block table ------------------------------------------------------------------------------
# The editor's cells are text, so whatever is typed (3, 99999, "abc", nothing) reaches the config's
# validation and gets its message; st.data_editor's number bounds would silently clamp instead.


def cell_text(value) -> str | None:
    """A stored cell value as the editor shows it: 16 → "16", None stays empty."""
    return None if value is None else str(value)


def parse_cell(value):
    """What a typed cell means: an int when it reads as a whole number ("3", " 16 ", "1e3", 3.0),
    None when empty, else the value as typed (2.5, "abc"), which validation then names."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy / pandas scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            value = float(text)
        except ValueError:
            return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def apply_editor_state(rows: list[dict], state, columns: list[str]) -> list[dict]:
    """The table as the user sees it: the stored rows with the editor's pending edits, in
    st.data_editor's order (cell edits, then deletions, then added rows). Values stay as typed."""
    out = [dict(row) for row in rows]
    state = state or {}
    for position, changes in (state.get("edited_rows") or {}).items():
        position = int(position)
        if 0 <= position < len(out):
            out[position].update({k: v for k, v in changes.items() if k in columns})
    deleted = {int(i) for i in state.get("deleted_rows") or ()}
    out = [row for i, row in enumerate(out) if i not in deleted]
    for added in state.get("added_rows") or ():
        out.append({c: added.get(c) for c in columns})
    return out


def parse_rows(rows: list[dict], columns: list[str]) -> list[dict]:
    """Rows of typed cells → schema rows (see :func:`parse_cell`); every column is present."""
    return [{c: parse_cell(row.get(c)) for c in columns} for row in rows]


def incomplete_row(rows: list[dict]) -> str | None:
    """'Block table, row 10 is incomplete: stride s is empty' for the first row with empty cells."""
    for i, row in enumerate(rows):
        empty = [COLUMN_NAMES.get(k, k) for k, v in row.items() if v is None]
        if empty:
            names = empty[0] if len(empty) == 1 else ", ".join(empty[:-1]) + " and " + empty[-1]
            return f"Block table, row {i + 1} is incomplete: {names} {'is' if len(empty) == 1 else 'are'} empty"
    return None


# "blocks[2].s", or a link's prefixed "v2.blocks[2].s": row 3 as the table counts it.
_ROW_FIELD = re.compile(r"(?:(\w+)\.)?blocks\[(\d+)\](?:\.(\w+))?")


def error_text(err: ConfigError) -> str:
    """A sentence for the page: block-table fields become 'Block table, row 3, stride s: …'."""
    match = _ROW_FIELD.fullmatch(err.field)
    if match:
        prefix, row, column = match.group(1), int(match.group(2)) + 1, match.group(3)
        where = (f"{prefix}: " if prefix else "") + f"Block table, row {row}" + (f", {COLUMN_NAMES.get(column, column)}" if column else "")
        reason = "is empty" if err.reason.endswith("got null") else err.reason
        return f"{where}: {reason}"
    if err.field.endswith("blocks"):
        return f"Block table: {err.reason}"
    return f"{err.field}: {err.reason}"
