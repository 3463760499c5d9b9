"""Export and import on the V1 and V2 pages: downloads built by ``explorer.export``, and a JSON
upload validated by ``explorer.export.import_config`` (the CLI's messages).

The upload is applied in the uploader's ``on_change`` callback, which runs before the page's
widgets are created, so seeding them with the imported config is allowed. A callback fires once
per new file, so one upload is applied once, never again on later reruns. A bad file only sets
a message: the current model is never touched.
"""

from __future__ import annotations

import streamlit as st

from explorer import ConfigError, MobileNetConfig
from explorer.config import MAX_FILE_BYTES
from explorer.export import export, export_filename, import_config

from .controls import apply_config, key

DOWNLOADS = (("json", "JSON config", "application/json"),
             ("python", "Python snippet", "text/x-python"),
             ("csv", "per-layer CSV", "text/csv"))  # fmt: skip


def _import(arch: str) -> None:
    """The uploader's callback: validate the new file and, if it is good, show its model."""
    ss = st.session_state
    uploaded = ss.get(key(arch, "upload"))
    ss.pop(key(arch, "import_message"), None)
    if uploaded is None:  # the file was removed from the uploader: nothing to do
        return
    name = uploaded.name
    try:
        if uploaded.size > MAX_FILE_BYTES:  # checked before reading, and again by import_config
            raise ConfigError("file", f"is {uploaded.size:,} bytes; a config file must be under {MAX_FILE_BYTES:,} bytes")
        config = import_config(uploaded.getvalue())
        if config.arch != arch:
            other = "V1" if config.arch == "mobilenet_v1" else "V2"
            raise ConfigError("arch", f"this file is a MobileNet {other} config; open it on the {other} page")
    except ConfigError as err:
        ss[key(arch, "import_message")] = ("error", f"{name} was not imported: {err}. The current model is unchanged.")
        return
    problem = apply_config(config)
    if problem:
        ss[key(arch, "import_message")] = ("error", f"{name} is valid but cannot be shown here: {problem}. The current model is unchanged.")
    else:
        ss[key(arch, "import_message")] = ("success", f"Imported {name}: α = {config.width_multiplier:g}, {config.resolution} px.")


def export_import_panel(config: MobileNetConfig) -> None:
    """Download buttons for ``config`` and an uploader that brings a JSON config back."""
    arch = config.arch
    st.caption("The JSON file (schema v1) round-trips exactly: importing it gives the same params and MACs. "
               "The Python snippet rebuilds the model with the `explorer` package.")
    cols = st.columns(len(DOWNLOADS))
    for col, (fmt, label, mime) in zip(cols, DOWNLOADS):
        col.download_button(f"Download {label}", export(config, fmt), file_name=export_filename(config, fmt), mime=mime,
                            key=key(arch, f"export_{fmt}"), on_click="ignore", icon=":material/download:", width="stretch")
    st.file_uploader("Import a JSON config", type=["json"], key=key(arch, "upload"), on_change=_import, args=(arch,),
                     max_upload_size=1, help=f"A schema-v1 config file under {MAX_FILE_BYTES // 1024} KiB, as downloaded above.")
    message = st.session_state.get(key(arch, "import_message"))
    if message:
        kind, text = message
        (st.error if kind == "error" else st.success)(text)
