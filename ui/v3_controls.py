"""The /v3 page's own widgets: the Large/Small switch, the presets, the switches for
squeeze-and-excite and h-swish, and the V3 block table (k, exp, c, se, nl, s as the paper's
Tables 1 and 2). Width, resolution, validation and the model views are the shared ones
(``ui/controls.py``, ``ui/explorer_page.py``).

One page serves two archs: the switch picks which, and every widget stays keyed by the arch
(``mobilenet_v3_small.width``), so each model keeps its own settings when the switch flips. The URL
carries ``model=large|small`` next to the config (``ui/links.page_params``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer import ConfigError, MobileNetConfig
from explorer.config import ARCH_TITLES, MAX_CHANNELS, MAX_CLASSES, MAX_ROWS, V3_ARCHS, V3_PRESETS, v3_preset

from . import controls, links
from .state import ROW_COLUMNS, cell_text, error_text, remembered_config, write_url

PAGE = "v3"
MODEL_KEY = "v3.model"
COLUMN_HELP = {
    "k": "depthwise kernel: 3 or 5",
    "exp": f"expanded channels before α: 1 to {MAX_CHANNELS}",
    "c": f"output channels before α: 1 to {MAX_CHANNELS}",
    "se": "squeeze-and-excite in this block",
    "nl": "activation: relu (the paper's RE) or hardswish (HS)",
    "s": "stride of the depthwise conv: 1 or 2",
}


def load_link_or_memory() -> str | None:
    """Pick the model and seed its widgets from a /v3 link someone opened, else from memory.

    Returns a message when the link is bad; the page then shows the last (or the paper's) model.
    """
    ss = st.session_state
    params = st.query_params.to_dict()
    opened = bool(params) and params != ss.get(f"{PAGE}.link_written")
    ss.setdefault(MODEL_KEY, V3_ARCHS[0])
    if opened:
        ss[f"{PAGE}.link_written"] = params
        try:
            arch = links.v3_arch_of(params)
            ss[MODEL_KEY] = arch
            config = links.decode(arch, {k: v for k, v in params.items() if k != links.V3_MODEL_PARAM})
        except ConfigError as err:
            _seed_if_needed(ss[MODEL_KEY])
            return f"This link's config is invalid ({error_text(err)}), so the page shows the last model instead."
        problem = controls.apply_config(config)
        if problem:
            controls.seed(remembered_config(arch))
            return f"This link's config cannot be shown: {problem}."
        return None
    _seed_if_needed(ss[MODEL_KEY])
    return None


def _seed_if_needed(arch: str) -> None:
    ss = st.session_state
    if not ss.get(controls.key(arch, "seeded")) or controls.key(arch, "width") not in ss:
        controls.seed(remembered_config(arch))


def model_switch() -> str:
    """Large or Small; each keeps its own settings (their widgets are keyed by arch)."""
    arch = st.segmented_control("Model", V3_ARCHS, key=MODEL_KEY, format_func=lambda a: ARCH_TITLES[a].split()[-1],
                                help="V3-Large (paper Table 1) or V3-Small (Table 2).")
    if arch is None:  # the selected segment was clicked again: keep it
        arch = st.session_state[MODEL_KEY] = V3_ARCHS[0]
    _seed_if_needed(arch)
    return arch


def write_link(config: MobileNetConfig) -> None:
    write_url(PAGE, links.page_params(config))


def preset_buttons(arch: str) -> None:
    """The published variants: the paper's model, and TF-slim's minimalistic one (no SE, no
    h-swish, 3×3 kernels only), at the page's current α and resolution."""
    def apply(preset: str) -> None:
        ss = st.session_state
        config = v3_preset(arch, preset, width_multiplier=ss[controls.key(arch, "width")],
                           resolution=ss[controls.key(arch, "resolution")])
        controls.seed(config)

    for preset in V3_PRESETS[arch]:  # one a line: side by side, "Minimalistic" is cut off in a quarter of the page
        st.button(f"{preset.capitalize()} preset", key=controls.key(arch, f"preset_{preset}"), on_click=apply, args=(preset,),
                  width="stretch", help="Reset the table and switches to TF-slim's published variant of this name.")


def switches(arch: str) -> dict:
    se = st.toggle("Squeeze-and-excite", key=controls.key(arch, "squeeze_excite"),
                   help="Where a row's se is on: pool, 1×1 to exp/4, ReLU, 1×1 back, hard sigmoid, scale (paper Section 5.3).")
    hswish = st.toggle("h-swish", key=controls.key(arch, "hard_swish"),
                       help="x·ReLU6(x+3)/6 where a row's nl says hardswish, and in the stem, last conv and classifier "
                            "(paper Section 5.2). Off: ReLU everywhere, as TF-slim's minimalistic models.")
    return {"squeeze_excite": se, "hard_swish": hswish}


def classifier_options(arch: str) -> dict:
    with st.expander("Classifier"):
        classes = st.number_input("Classes", 1, MAX_CLASSES, step=1, key=controls.key(arch, "classes"),
                                  help="1000 for ImageNet; the TF-slim checkpoints use 1001 (with background).")
        dropout = st.number_input("Dropout before the classifier", 0.0, 0.99, step=0.05, format="%.3f",
                                  key=controls.key(arch, "dropout"))
    st.caption(f"{classes} classes, dropout {dropout:g}")
    return {"num_classes": classes, "dropout": dropout}


def block_table(arch: str) -> list[dict]:
    """The editable V3 table; rows are returned as typed and validated by the config, which names
    row and column. se is a checkbox and nl a choice (they have two values); k, exp, c and s are
    text, so a typed 4 or 3 reaches validation instead of being clamped."""
    columns = ROW_COLUMNS[arch]
    column_config = {c: st.column_config.TextColumn(c, help=COLUMN_HELP[c], width=56, alignment="right") for c in ("k", "exp", "c", "s")}
    column_config["se"] = st.column_config.CheckboxColumn("se", help=COLUMN_HELP["se"], width=44, default=False)
    column_config["nl"] = st.column_config.SelectboxColumn("nl", help=COLUMN_HELP["nl"], options=["relu", "hardswish"], width=88)
    stored = st.session_state[controls.key(arch, "table")]
    frame = pd.DataFrame([{c: (row.get(c) if c in ("se", "nl") else cell_text(row.get(c))) for c in columns} for row in stored],
                         columns=columns, dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    st.data_editor(
        frame, key=controls._editor_key(arch), num_rows="dynamic", hide_index=False, placeholder="—",
        column_config={"_index": st.column_config.NumberColumn("row", width=44), **column_config},
    )
    rows = controls.pending_rows(arch)
    if len(rows) > MAX_ROWS:
        st.caption(f"At most {MAX_ROWS} rows.")
    return rows
