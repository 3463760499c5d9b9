"""The ``.tflite`` downloads (fp32 and full-integer int8) and a checker for an uploaded ``.tflite``,
on the Deployment runtimes panel beside the ``.onnx`` and ``.pte`` files.

A file is offered only after it has been loaded in a plain LiteRT interpreter and matched eager
(fp32: max |Δ| within the tolerance; int8: SQNR and cosine above the floor). Exports happen on a
button press (seconds each), never on a plain rerun. Without LiteRT installed the panel says so,
with the install line, and the rest of the page works.
"""

from __future__ import annotations

import streamlit as st

from explorer import MobileNetConfig
from explorer.export import export_filename
from explorer.runtimes import LABELS
from explorer.runtimes.names import LITERT_INSTALL

from . import upload_check
from .state import shared_model

FORMATS = {"tflite": "litert", "tflite-int8": "litert-int8"}


def _key(config: MobileNetConfig, name: str) -> str:
    return f"{config.arch}.runtimes.{name}"


def _missing() -> str | None:
    import importlib.util

    for module in ("ai_edge_litert", "litert_torch", "ai_edge_quantizer"):
        if importlib.util.find_spec(module) is None:  # cheap: no import on a plain rerun
            return f"package {module!r} is not installed (pip install {LITERT_INSTALL})"
    return None


def tflite_downloads(config: MobileNetConfig) -> None:
    from explorer.runtimes import RuntimeFailure, RuntimeUnavailable, checked_export

    missing = _missing()
    if missing:
        st.warning(f"No .tflite downloads: LiteRT is not available here: {missing}.", icon=":material/extension_off:")
        return
    files_key = _key(config, "tflite_files")
    stored = st.session_state.get(files_key)
    if not (stored and stored["config"] == config):
        slot = st.empty()
        if not slot.button("Prepare .tflite files (fp32 and int8)", key=_key(config, "prepare_tflite"),
                           help="LiteRT conversion takes about 10 s; the int8 file is quantized from it in a second."):
            return
        slot.empty()
        files, problems = {}, {}
        with st.spinner("Converting to LiteRT and checking…"):
            for fmt in FORMATS:
                try:
                    files[fmt] = checked_export(config, fmt, shared_model(config))
                except (RuntimeUnavailable, RuntimeFailure) as err:
                    problems[fmt] = str(err)
        st.session_state[files_key] = stored = {"config": config, "files": files, "problems": problems}
    cols = st.columns(2)
    for col, fmt in zip(cols, FORMATS):
        if fmt not in stored["files"]:
            col.error(f"No {fmt} file: {stored['problems'].get(fmt, 'not prepared')}")
            continue
        checked = stored["files"][fmt]
        check = (f"SQNR {checked.sqnr_db:.1f} dB, cosine {checked.cosine:.3f}" if checked.sqnr_db is not None
                 else f"max |Δ| {checked.max_abs_diff:.1e}")
        col.download_button(f"Download LiteRT {'int8' if fmt.endswith('int8') else 'fp32'} (.tflite)", checked.data,
                            file_name=export_filename(config, fmt), mime="application/octet-stream",
                            key=_key(config, f"download_{fmt}"), on_click="ignore", icon=":material/download:", width="stretch",
                            help=f"Runs in LiteRT / TensorFlow Lite (XNNPACK on CPU). Checked: {check} against eager.")
        col.caption(f"{len(checked.data) / 2**20:.1f} MiB, {check} against eager")
    st.caption("LiteRT files take an NCHW image (1 × 3 × H × W) as PyTorch does; the int8 file is full-integer (int8 input "
               "and output: quantize the image with the input's scale and zero point). Converted with litert-torch, "
               "quantized with ai-edge-quantizer on random calibration inputs.")


def tflite_checker(config: MobileNetConfig) -> None:
    from explorer.runtimes import ArtifactError, RuntimeUnavailable
    from explorer.runtimes.tflite_file import validate_tflite

    if _missing():
        return  # named above, with the install line
    # The server's limit, as for .onnx: an fp32 .tflite is as large.
    checked = upload_check.checked_upload(
        "tflite", "Check a TFLite file", _key(config, "tflite_upload"),
        "Loaded in LiteRT's interpreter (its flatbuffer verifier refuses a truncated file); a "
        "file exported here also carries a checksum, so an edited copy is recognised.",
        validate_tflite, (ArtifactError, RuntimeUnavailable))
    if checked is None:
        return
    name, info = checked
    shape = " × ".join(map(str, info.inputs[0][1])) if info.inputs else "?"
    st.success(f"{name} is a valid {LABELS['litert'].split(' +')[0]} model: {info.operators} operators, input {shape} "
               f"{info.inputs[0][2] if info.inputs else ''}; {upload_check.origin_text(info)}.")
