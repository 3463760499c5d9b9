"""An uploaded file is checked once per content, not on every rerun.

A file uploader hands the same bytes to every rerun of the page (each slider move), and checking an
.onnx or .tflite means parsing it, running the format's checker and loading it into its runtime:
up to seconds for a file of hundreds of MB. The answer depends on the bytes alone, so it is kept
by their SHA-256 (a few entries, shared by the sessions: the same file gets the same answer).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import streamlit as st

MAX_FILES = 8  # answers kept (each a few small fields; the bytes themselves are not kept)


@st.cache_resource(max_entries=MAX_FILES, show_spinner="Checking the file…")
def _answer(kind: str, digest: str, _data: bytes, _validate: Callable[[bytes], Any],
            _rejections: tuple[type[Exception], ...]) -> tuple[Any, str | None]:
    # Keyed by (kind, digest): the underscored arguments are not hashed (Streamlit's convention).
    try:
        return _validate(_data), None
    except _rejections as err:
        return None, str(err)


def check_once(kind: str, data: bytes, validate: Callable[[bytes], Any],
               rejections: tuple[type[Exception], ...]) -> tuple[Any, str | None]:
    """``validate(data)`` once per (``kind``, content): (its answer, None), or (None, the rejection's
    message) when it raises one of ``rejections``. The answer is shared: never mutate it."""
    return _answer(kind, hashlib.sha256(data).hexdigest(), data, validate, rejections)


def checked_upload(kind: str, label: str, key: str, help: str, validate: Callable[[bytes], Any],
                   rejections: tuple[type[Exception], ...]) -> tuple[str, Any] | None:
    """A ``kind`` file uploader (``.onnx``, ``.tflite``) under the server's own size limit, stated in
    its label; its file checked once per content. (file name, answer) for a valid file; None when
    there is no file, or when it was rejected (the rejection is shown)."""
    limit_mb = st.get_option("server.maxUploadSize")  # the server's limit (.streamlit/config.toml): one number, stated here
    uploaded = st.file_uploader(f"{label} (up to {limit_mb} MB)", type=[kind], key=key, max_upload_size=limit_mb, help=help)
    if uploaded is None:
        return None
    info, rejected = check_once(kind, uploaded.getvalue(), validate, rejections)
    if rejected:
        st.error(f"{uploaded.name} was rejected: {rejected}")
        return None
    return uploaded.name, info


def origin_text(info: Any) -> str:
    """Where a checked file says it came from: the config in its explorer metadata, if any."""
    from explorer.runtimes import SEAL_NOTE

    if not info.config:
        return "not exported here (no explorer metadata)"
    return (f"its metadata says MobileNet Explorer exported it from {info.config.arch} α = {info.config.width_multiplier:g}, "
            f"{info.config.resolution} px; {SEAL_NOTE}")
