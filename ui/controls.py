"""The explorer pages' widgets, and the one function that turns them into a validated config.

Widget keys are prefixed by the family (``mobilenet_v2.width``). Their values are seeded from a
shared link or from the config the page showed last, so leaving and re-entering a page, or
opening a link, restores the same model.

Nothing here changes what a user typed: the block table's cells are text and go to the config's
validation as typed (see ui/state.py), and every control that mirrors another (the preset pills
and their slider, the global expansion factor and the table's t column) is re-derived from the
value it mirrors on every run, so the two never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig, paper_config, parse_config
from explorer.config import (
    FAMILY_DEFAULTS,
    MAX_CHANNELS,
    MAX_CLASSES,
    MAX_EXPANSION,
    MAX_REPEATS,
    MAX_ROWS,
    MAX_WIDTH_MULTIPLIER,
    SCHEMA_VERSION,
)

from . import links
from .state import (
    ROW_COLUMNS,
    apply_editor_state,
    cell_text,
    error_text,
    incomplete_row,
    opened_link,
    parse_cell,
    parse_rows,
    remember_config,
    remembered_config,
    write_url,
)

# The explorer's slider ranges: every width and resolution the README promises. α goes up to the
# largest a config file may hold (4), so every link a config file can be turned into opens; a
# resolution beyond 512 px is refused with a message that names the slider's narrower range.
WIDTH_RANGE = (0.1, MAX_WIDTH_MULTIPLIER)
WIDTH_STEP = 0.05
RESOLUTION_RANGE = (32, 512)
WIDTH_PRESETS = {"mobilenet_v1": [1.0, 0.75, 0.5, 0.25], "mobilenet_v2": [1.4, 1.0, 0.75, 0.5, 0.35],
                 "mobilenet_v3_large": [1.0, 0.75], "mobilenet_v3_small": [1.0, 0.75]}  # V3: TF-slim's checkpoints
RESOLUTION_PRESETS = {"mobilenet_v1": [224, 192, 160, 128], "mobilenet_v2": [224, 192, 160, 128, 96],
                      "mobilenet_v3_large": [224, 192, 160, 128], "mobilenet_v3_small": [224, 192, 160, 128]}
COLUMN_HELP = {
    "t": f"expansion factor: a whole number from 1 to {MAX_EXPANSION}",
    "c": f"output channels before α: 1 to {MAX_CHANNELS}",
    "n": f"repeats: 1 to {MAX_REPEATS}",
    "s": "stride of the first repeat: 1 or 2",
}


def key(arch: str, name: str) -> str:
    return f"{arch}.{name}"


def _fits_widgets(config: MobileNetConfig) -> str | None:
    lo, hi = WIDTH_RANGE
    if not lo <= config.width_multiplier <= hi:
        return f"width_multiplier: {links.number_text(config.width_multiplier)} is valid but outside the slider range {lo:g}–{hi:g}"
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
    for option in ("depthwise_separable", "linear_bottleneck", "residual", "squeeze_excite", "hard_swish"):
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
    ss.pop(key(config.arch, "expansion_rows"), None)


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
    params = opened_link(arch)
    if params is not None:  # a link this session did not write: someone opened it
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
    write_url(config.arch, links.encode(config))


# --- width and resolution: paper presets and sliders ------------------------------------------


def _matching(presets: list, value: Any) -> Any:
    return next((p for p in presets if value is not None and math.isclose(p, value, abs_tol=1e-9)), None)


def _preset_pills(arch: str, name: str, presets: list, fmt: Callable[[Any], str], label: str) -> None:
    """Pills that set the slider ``name``; one is highlighted exactly when the slider is at it."""
    ss, pill, slider = st.session_state, key(arch, f"{name}_preset"), key(arch, name)

    def apply() -> None:
        choice = ss[pill]
        if choice is None:  # the highlighted pill was clicked again: keep it highlighted
            ss[pill] = _matching(presets, ss.get(slider))
        else:
            ss[slider] = choice

    # Derived from the slider on every run: moving the slider off a preset un-highlights it, so
    # the next click on any pill selects it (no deselect-then-select double click).
    ss[pill] = _matching(presets, ss.get(slider))
    st.pills(label, presets, format_func=fmt, key=pill, on_change=apply, wrap=True)


def _snap(value: float, step: float) -> float:
    """The slider's value without float noise from stepping in the browser (0.9500000000000001 →
    0.95); a value off the step grid (a link's α = 0.12499999) is kept exactly."""
    decimals = max(0, -math.floor(math.log10(step))) + 1
    rounded = round(value, decimals)
    return rounded if abs(value - rounded) < 1e-9 else value


def width_control(arch: str) -> float:
    _preset_pills(arch, "width", WIDTH_PRESETS[arch], lambda v: f"{v:g}", "Paper widths α")
    width = st.slider("Width multiplier α", *WIDTH_RANGE, step=WIDTH_STEP, key=key(arch, "width"),
                      help="Scales every layer's channels (V1 paper, Section 3.3). Cost grows roughly with α².")
    return _snap(width, WIDTH_STEP)


def resolution_control(arch: str) -> int:
    _preset_pills(arch, "resolution", RESOLUTION_PRESETS[arch], str, "Paper resolutions")
    resolution = st.slider("Input resolution (px)", *RESOLUTION_RANGE, step=1, key=key(arch, "resolution"),
                           help="Cost grows with resolution²; parameters do not change.")
    st.caption(f"Resolution multiplier ρ = {resolution}/224 = **{resolution / 224:.3f}**")
    return resolution


def classifier_options(arch: str) -> dict[str, Any]:
    """Classes, activation and dropout: rarely changed, so they sit in an expander (the page stays
    short on a phone), with their current values written under it."""
    with st.expander("Classifier and activation"):
        options = _classifier_widgets(arch)
    st.caption(f"{options['num_classes']} classes, {'ReLU6' if options['activation'] == 'relu6' else 'ReLU'}, "
               f"dropout {options['dropout']:g}")
    return options


def _classifier_widgets(arch: str) -> dict[str, Any]:
    options = {}
    options["num_classes"] = st.number_input("Classes", 1, MAX_CLASSES, step=1, key=key(arch, "classes"),
                                             help="1000 for ImageNet; the TF-slim checkpoints use 1001 (with background).")
    options["activation"] = st.radio("Activation", ["relu", "relu6"], horizontal=True, key=key(arch, "activation"),
                                     format_func={"relu": "ReLU", "relu6": "ReLU6"}.get)
    options["dropout"] = st.number_input("Dropout before the classifier", 0.0, 0.99, step=0.05, format="%.3f", key=key(arch, "dropout"))
    return options


# --- the block table --------------------------------------------------------------------------


def _editor_key(arch: str) -> str:
    return f"{arch}.editor.{st.session_state.get(key(arch, 'table_version'), 0)}"


def pending_rows(arch: str, parsed: bool = True) -> list[dict]:
    """The table as the user sees it now (stored rows + the editor's pending edits)."""
    columns = ROW_COLUMNS[arch]
    rows = apply_editor_state(st.session_state[key(arch, "table")], st.session_state.get(_editor_key(arch)), columns)
    return parse_rows(rows, columns) if parsed else rows


def block_table(arch: str) -> list[dict]:
    """The editable block table; returns the rows as typed (validation happens in build_config).

    Text columns on purpose: number columns with bounds clamp a typed 3 to the stride maximum 2 and
    drop letters without a word. Here every value reaches validation, which names row and column.
    Columns are optional, so an added row is sent as soon as it exists and shown as incomplete.
    """
    columns = ROW_COLUMNS[arch]
    column_config = {c: st.column_config.TextColumn(c, help=COLUMN_HELP[c], width=56, alignment="right") for c in columns}
    # Base rows as stored, even if some are invalid: they hold what the user typed.
    frame = pd.DataFrame([{c: cell_text(row.get(c)) for c in columns} for row in st.session_state[key(arch, "table")]],
                         columns=columns, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # row numbers as the error messages count them
    st.data_editor(
        frame, key=_editor_key(arch), num_rows="dynamic", hide_index=False, placeholder="—",
        column_config={"_index": st.column_config.NumberColumn("row", width=44), **column_config},
    )
    rows = pending_rows(arch)
    if len(rows) > MAX_ROWS:
        st.caption(f"At most {MAX_ROWS} rows.")
    return rows


def reset_table_button(arch: str) -> None:
    def reset() -> None:
        set_table(paper_config(arch))
        if key(arch, "expansion") in st.session_state:
            st.session_state[key(arch, "expansion")] = 6

    st.button("Reset to paper", key=key(arch, "reset"), on_click=reset, help="Restore the paper's table (V1 Table 1 / V2 Table 2).")


def _row_list(rows: list[int]) -> str:
    """1-based row numbers as the table shows them: [1, 2, 3, 5] → "rows 2–4 and 6"."""
    runs, out = [], [i + 1 for i in rows]
    for n in out:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in runs]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return ("row " if len(out) == 1 else "rows ") + text


def expansion_control(arch: str) -> None:
    """V2's global expansion factor t, kept equal to the table's, and never silent.

    The field shows the t that the table's expanding rows share (it follows hand edits of the
    t column). When the rows' t differ, it shows no number but "mixed: 1, 4, 6", so it never
    claims a t the table does not have. Changing it sets t on every row whose t is not 1 (the
    paper's first row keeps t = 1): a caption under the field names those rows before the
    change, and a notice names them after it. Which rows those are is remembered, so t = 1
    followed by t = 6 gives back the same rows at 6 rather than leaving every row at 1.
    """
    ss, control = st.session_state, key(arch, "expansion")

    def followers_of(rows: list[dict]) -> list[int]:
        followers = [i for i, row in enumerate(rows) if parse_cell(row.get("t")) != 1]
        if not followers:  # every row is at t = 1: the rows that followed the control before
            followers = [i for i in ss.get(key(arch, "expansion_rows"), ()) if i < len(rows)] or list(range(1, len(rows)))
        return followers

    def apply() -> None:
        t = ss[control]
        if t is None:  # the field was emptied: nothing to set
            return
        rows = pending_rows(arch, parsed=False)  # folds pending edits in: nothing typed is lost
        followers = followers_of(rows)
        ss[key(arch, "expansion_rows")] = followers
        ss[key(arch, "table")] = [dict(row, t=t) if i in followers else row for i, row in enumerate(rows)]
        ss[key(arch, "table_version")] += 1
        ss[key(arch, "expansion_note")] = f"Expansion factor t = {t} set on {_row_list(followers)} of the block table."

    rows = pending_rows(arch)
    ts = {row["t"] for row in rows if isinstance(row["t"], int) and not isinstance(row["t"], bool)}
    expanding = sorted(ts - {1})
    mixed = len(expanding) > 1
    if len(expanding) == 1 and 1 <= expanding[0] <= MAX_EXPANSION:
        ss[control] = expanding[0]
    elif ts == {1}:
        ss[control] = 1
    elif mixed:
        ss[control] = None  # no single t: the placeholder says which ones
    elif control not in ss:
        ss[control] = 6
    st.number_input("Expansion factor t", 1, MAX_EXPANSION, step=1, key=control, on_change=apply,
                    placeholder=f"mixed: {', '.join(map(str, sorted(ts)))}" if mixed else None,
                    help="Sets t on every row of the table whose t is not 1 (the V2 paper uses 6; its first row keeps "
                         "t = 1). Editing t in the table updates this field; when the rows differ it shows “mixed”.")
    note = ss.pop(key(arch, "expansion_note"), None)
    if note:
        st.success(note, icon=":material/check:")
    changed = followers_of(pending_rows(arch, parsed=False))
    if mixed:
        st.caption(f"The rows use t = {', '.join(map(str, sorted(ts)))}. A value here sets all of "
                   f"{_row_list(changed)} (every row whose t is not 1) to it.")
    elif changed and len(changed) < len(rows):
        st.caption(f"Sets {_row_list(changed)}; rows at t = 1 stay at 1.")


def build_config(arch: str, fields: dict[str, Any], rows: list[dict]) -> tuple[MobileNetConfig, str | None]:
    """Validate the page's inputs. Returns (config to show, error message or None).

    On an error the last valid config of the page is shown, while the widgets and the table keep
    what the user typed, so a typo never loses work.
    """
    incomplete = incomplete_row(rows)
    if incomplete:
        return remembered_config(arch), incomplete
    data = {"schema_version": SCHEMA_VERSION, "arch": arch, **fields, "blocks": rows}
    try:
        config = parse_config(data)
    except ConfigError as err:
        return remembered_config(arch), error_text(err)
    remember_config(config)
    return config, None
