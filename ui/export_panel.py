"""Export and import on the explorer pages (V1, V2, V3): downloads built by ``explorer.export``, and a JSON
upload validated by ``explorer.export.import_config`` (the CLI's messages).

The upload is applied in the uploader's ``on_change`` callback, which runs before the page's
widgets are created, so seeding them with the imported config is allowed. A callback fires once
per new file, so one upload is applied once, never again on later reruns. A bad file only sets
a message: the current model is never touched.
"""

from __future__ import annotations

import streamlit as st

from explorer import ConfigError, MobileNetConfig
from explorer.config import ARCH_TITLES, MAX_FILE_BYTES
from explorer.export import export, export_filename, import_config, torchvision_filename, torchvision_snippet, torchvision_unsupported

from .controls import apply_config, key
from .links import number_text
from .state import error_text, remembered_config

DOWNLOADS = (("json", "JSON config", "application/json"),
             ("python", "PyTorch model (.py)", "text/x-python"),
             ("csv", "per-layer CSV", "text/csv"))


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
            other = ARCH_TITLES[config.arch]
            raise ConfigError("arch", f"this file is a {other} config; open it on the {other} page")
    except ConfigError as err:
        _say(arch, "error", f"{name} was not imported: {error_text(err)}. The current model is unchanged.")
        return
    problem = apply_config(config)
    if problem:
        _say(arch, "error", f"{name} is valid but cannot be shown here: {problem}. The current model is unchanged.")
    else:
        _say(arch, "success", f"Imported {name}: α = {number_text(config.width_multiplier)}, {config.resolution} px.", config)


def _say(arch: str, kind: str, text: str, config: MobileNetConfig | None = None) -> None:
    """Keep a message about the last upload, with the config it is about: it is shown only while
    the page shows that config, so "Imported …" goes away at the next change of the model."""
    st.session_state[key(arch, "import_message")] = (kind, text, config or remembered_config(arch))


def export_import_panel(config: MobileNetConfig) -> None:
    """Download buttons for ``config`` and an uploader that brings a JSON config back."""
    arch = config.arch
    st.caption("The JSON file (schema v1) round-trips exactly: importing it gives the same params and MACs. "
               "The PyTorch file defines this model in plain PyTorch and needs only `torch`: run it to check its params "
               "and MACs. File names carry the config.")
    cols = st.columns(len(DOWNLOADS) + 1)
    for col, (fmt, label, mime) in zip(cols, DOWNLOADS):
        col.download_button(f"Download {label}", export(config, fmt), file_name=export_filename(config, fmt), mime=mime,
                            key=key(arch, f"export_{fmt}"), on_click="ignore", icon=":material/download:", width="stretch")
    unsupported = torchvision_unsupported(config)
    cols[-1].download_button("Download torchvision variant (.py)", "" if unsupported else torchvision_snippet(config),
                             file_name=torchvision_filename(config), mime="text/x-python", key=key(arch, "export_torchvision"),
                             on_click="ignore", icon=":material/download:", width="stretch", disabled=bool(unsupported),
                             help=(f"Not available for this config: {unsupported}." if unsupported else
                                   "torchvision.models.MobileNetV2(width_mult=…, inverted_residual_setting=…): the same "
                                   "layers in the same order, under torchvision's names."))
    st.file_uploader("Import a JSON config", type=["json"], key=key(arch, "upload"), on_change=_import, args=(arch,),
                     max_upload_size=1, help=f"A schema-v1 config file under {MAX_FILE_BYTES // 1024} KiB, as downloaded above.")
    message = st.session_state.get(key(arch, "import_message"))
    if message and message[2] == config:
        kind, text, _ = message
        (st.error if kind == "error" else st.success)(text)
