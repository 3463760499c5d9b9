"""The explorer pages' widgets, and the one function that turns them into a validated config.

Widget keys are prefixed by the family (``mobilenet_v2.width``). Their values are seeded from a
shared link or from the config the page showed last, so leaving and re-entering a page, or
opening a link, restores the same model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, paper_config, parse_config
from explorer.config import FAMILY_DEFAULTS, MAX_CHANNELS, MAX_CLASSES, MAX_EXPANSION, MAX_REPEATS, MAX_ROWS, SCHEMA_VERSION

from . import links
from .state import ROW_COLUMNS, error_text, remember_config, remembered_config, rows_from_frame

# The explorer's slider ranges: every width and resolution the README promises.
WIDTH_RANGE = (0.1, 2.0)
RESOLUTION_RANGE = (32, 512)
WIDTH_PRESETS = {"mobilenet_v1": [1.0, 0.75, 0.5, 0.25], "mobilenet_v2": [1.4, 1.0, 0.75, 0.5, 0.35]}
RESOLUTION_PRESETS = {"mobilenet_v1": [224, 192, 160, 128], "mobilenet_v2": [224, 192, 160, 128, 96]}


def key(arch: str, name: str) -> str:
    return f"{arch}.{name}"


def _fits_widgets(config: MobileNetConfig) -> str | None:
    lo, hi = WIDTH_RANGE
    if not lo <= config.width_multiplier <= hi:
        return f"width_multiplier: {config.width_multiplier:g} is valid but outside the slider range {lo:g}–{hi:g}"
    lo, hi = RESOLUTION_RANGE
    if not lo <= config.resolution <= hi:
        return f"resolution: {config.resolution} is valid but outside the slider range {lo}–{hi}"
    return None


def seed(config: MobileNetConfig) -> None:
    """Set every widget of the page to ``config`` (before the widgets are created)."""
    arch, ss = config.arch, st.session_state
    ss[key(arch, "width")] = config.width_multiplier
    ss[key(arch, "resolution")] = config.resolution
    ss[key(arch, "classes")] = config.num_classes
    ss[key(arch, "activation")] = config.activation
    ss[key(arch, "dropout")] = config.dropout
    for option in ("depthwise_separable", "linear_bottleneck", "residual"):
        if option in FAMILY_DEFAULTS[arch]:
            ss[key(arch, option)] = getattr(config, option)
    if config.is_v2:
        ss[key(arch, "expansion")] = common_expansion([b.to_dict() for b in config.blocks])
    set_table(config)
    ss[key(arch, "seeded")] = True


def common_expansion(rows: list[dict]) -> int:
    """The t shared by every row with t ≠ 1 (what the global control shows), else the paper's 6."""
    ts = {row.get("t") for row in rows if row.get("t") != 1}
    return ts.pop() if len(ts) == 1 and None not in ts else 6


def set_table(config: MobileNetConfig) -> None:
    """Replace the block table's base rows; a new editor key drops pending edits on purpose."""
    ss = st.session_state
    ss[key(config.arch, "table")] = [b.to_dict() for b in config.blocks]
    ss[key(config.arch, "table_version")] = ss.get(key(config.arch, "table_version"), 0) + 1


def apply_config(config: MobileNetConfig) -> str | None:
    """Show ``config`` on the page (an import or a link); returns a message if it cannot be shown."""
    problem = _fits_widgets(config)
    if problem:
        return problem
    seed(config)
    remember_config(config)
    return None


def load_link_or_memory(arch: str) -> str | None:
    """Seed the widgets from the URL (a shared link) or from the config shown last.

    Returns a message when the link is bad; the page then shows the defaults (or the last model).
    """
    ss = st.session_state
    params = st.query_params.to_dict()
    written = ss.get(key(arch, "link_written"))
    if params and params != written:  # a link this session did not write: someone opened it
        ss[key(arch, "link_written")] = params
        try:
            config = links.decode(arch, params)
        except ConfigError as err:
            if not ss.get(key(arch, "seeded")):
                seed(remembered_config(arch))
            shown = "last" if ss.get(f"config:{arch}") else "paper"
            return f"This link's config is invalid ({error_text(err)}), so the page shows the {shown} model instead."
        problem = apply_config(config)
        if problem:
            seed(remembered_config(arch))
            return f"This link's config cannot be shown: {problem}."
        return None
    if not ss.get(key(arch, "seeded")) or key(arch, "width") not in ss:
        seed(remembered_config(arch))  # first visit, or back from another page
    return None


def write_link(config: MobileNetConfig) -> None:
    """Keep the URL equal to the shown config, so copying it shares this model."""
    params = links.encode(config)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[key(config.arch, "link_written")] = params


def _preset_row(arch: str, name: str, presets: list, fmt: Callable[[Any], str], label: str) -> None:
    def apply() -> None:
        choice = st.session_state[key(arch, f"{name}_preset")]
        if choice is not None:
            st.session_state[key(arch, name)] = choice

    st.pills(label, presets, format_func=fmt, key=key(arch, f"{name}_preset"), on_change=apply)


def width_and_resolution(arch: str) -> tuple[float, int]:
    _preset_row(arch, "width", WIDTH_PRESETS[arch], lambda v: f"{v:g}", "Paper widths α")
    width = st.slider("Width multiplier α", *WIDTH_RANGE, step=0.05, key=key(arch, "width"),
                      help="Scales every layer's channels (V1 paper, Section 3.3). Cost grows roughly with α².")
    _preset_row(arch, "resolution", RESOLUTION_PRESETS[arch], str, "Paper resolutions")
    resolution = st.slider("Input resolution (px)", *RESOLUTION_RANGE, step=1, key=key(arch, "resolution"),
                           help="Cost grows with resolution²; parameters do not change.")
    st.caption(f"Resolution multiplier ρ = {resolution}/224 = **{resolution / 224:.3f}**")
    return width, resolution


def classifier_options(arch: str) -> dict[str, Any]:
    options = {}
    options["num_classes"] = st.number_input("Classes", 1, MAX_CLASSES, step=1, key=key(arch, "classes"),
                                             help="1000 for ImageNet; the TF-slim checkpoints use 1001 (with background).")
    options["activation"] = st.radio("Activation", ["relu", "relu6"], horizontal=True, key=key(arch, "activation"),
                                     format_func={"relu": "ReLU", "relu6": "ReLU6"}.get)
    options["dropout"] = st.number_input("Dropout before the classifier", 0.0, 0.99, step=0.05, format="%.3f", key=key(arch, "dropout"))
    return options


def block_table(arch: str, expansion: int | None = None) -> list[dict]:
    """The editable block table; returns the rows as typed (validation happens in build_config)."""
    ss = st.session_state
    columns = ROW_COLUMNS[arch]
    column_config = {
        "t": st.column_config.NumberColumn("t", help="expansion factor", min_value=1, max_value=MAX_EXPANSION, step=1, required=True, width=56),
        "c": st.column_config.NumberColumn("c", help="output channels (before α)", min_value=1, max_value=MAX_CHANNELS, step=1, required=True, width=56),
        "n": st.column_config.NumberColumn("n", help="repeats", min_value=1, max_value=MAX_REPEATS, step=1, required=True, width=56),
        "s": st.column_config.NumberColumn("s", help="stride of the first repeat: 1 or 2", min_value=1, max_value=2, step=1, required=True, width=56),
    }
    # Base rows as stored, even if some are invalid: they hold what the user typed.
    frame = pd.DataFrame(ss[key(arch, "table")], columns=columns).astype("Int64")
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # row numbers as the error messages count them
    edited = st.data_editor(
        frame, key=f"{arch}.editor.{ss.get(key(arch, 'table_version'), 0)}", num_rows="dynamic", hide_index=False,
        column_config={"_index": st.column_config.NumberColumn("row", width=44), **{c: column_config[c] for c in columns}},
    )
    if len(edited) > MAX_ROWS:
        st.caption(f"At most {MAX_ROWS} rows.")
    return rows_from_frame(edited)


def reset_table_button(arch: str) -> None:
    def reset() -> None:
        set_table(paper_config(arch))
        if key(arch, "expansion") in st.session_state:
            st.session_state[key(arch, "expansion")] = 6

    st.button("Reset to paper", key=key(arch, "reset"), on_click=reset, help="Restore the paper's table (V1 Table 1 / V2 Table 2).")


def expansion_control(arch: str) -> None:
    """V2's global expansion factor: sets t on every row whose t is not 1 (the paper's first row keeps t = 1)."""

    def apply() -> None:
        t = st.session_state[key(arch, "expansion")]
        current = st.session_state.get(key(arch, "rows_shown")) or st.session_state[key(arch, "table")]
        # Fold the table as currently edited into the base rows, then set t: nothing typed is lost.
        st.session_state[key(arch, "table")] = [dict(r, t=t if r.get("t") != 1 else 1) for r in current]
        st.session_state[key(arch, "table_version")] += 1

    if key(arch, "expansion") not in st.session_state:
        st.session_state[key(arch, "expansion")] = common_expansion(st.session_state[key(arch, "table")])
    st.number_input("Expansion factor t (all rows with t ≠ 1)", 1, MAX_EXPANSION, step=1, key=key(arch, "expansion"), on_change=apply)


def build_config(arch: str, fields: dict[str, Any], rows: list[dict]) -> tuple[MobileNetConfig, str | None]:
    """Validate the page's inputs. Returns (config to show, error message or None).

    On an error the last valid config of the page is shown, while the widgets and the table keep
    what the user typed, so a typo never loses work.
    """
    st.session_state[key(arch, "rows_shown")] = rows
    data = {"schema_version": SCHEMA_VERSION, "arch": arch, **fields, "blocks": rows}
    try:
        config = parse_config(data)
    except ConfigError as err:
        return remembered_config(arch), error_text(err)
    remember_config(config)
    return config, None

