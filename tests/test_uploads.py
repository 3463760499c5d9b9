"""The server's upload limit fits every file the app exports, and the uploaders state it."""

import tomllib
from pathlib import Path

from explorer.config import MAX_PARAMS

ROOT = Path(__file__).resolve().parent.parent


def server_limit_mib() -> int:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxUploadSize"]


def test_server_limit_holds_the_largest_onnx_file_the_app_can_export():
    # An exported .onnx is 4 bytes per fp32 parameter plus a small graph (V2 1.0/224: 14,034,383
    # bytes for 3,504,872 params); no accepted config has more than MAX_PARAMS parameters.
    largest_weights_mib = 4 * MAX_PARAMS / 2**20
    assert server_limit_mib() >= largest_weights_mib * 1.02  # room for the graph and batch-norm statistics
    assert server_limit_mib() >= 25  # at the very least the V2 1.4/224 file (~24 MB)


def test_onnx_checker_states_the_server_limit(open_page):
    at = open_page("app_pages/v2.py")
    protos = [el.proto for el in at.get("file_uploader")]
    onnx = next(p for p in protos if "ONNX" in p.label)
    assert onnx.max_upload_size_mb == server_limit_mib()
    assert f"up to {server_limit_mib()} MB" in onnx.label


def test_an_uploaded_file_is_checked_once_per_content(open_page, monkeypatch):
    """A rerun (a slider move) hands the uploader's bytes again: they are not checked again."""
    import explorer.runtimes

    checked = []
    real = explorer.runtimes.validate_onnx

    def counting(data):
        checked.append(data)
        return real(data)

    monkeypatch.setattr(explorer.runtimes, "validate_onnx", counting)
    at = open_page("app_pages/v2.py")
    content = b"not an onnx model, upload check " + str(id(checked)).encode()  # unique: no earlier test's answer
    at.file_uploader(key="mobilenet_v2.runtimes.onnx_upload").set_value(("edited.onnx", content, "application/octet-stream")).run()
    rejected = [e.value for e in at.error if "edited.onnx was rejected" in e.value]
    assert len(rejected) == 1 and checked == [content]
    at.slider(key="mobilenet_v2.width").set_value(0.5).run()
    at.run()
    assert [e.value for e in at.error if "edited.onnx was rejected" in e.value] == rejected  # the same answer, shown
    assert checked == [content]  # ... without checking the same bytes again
    other = content + b" (changed)"
    at.file_uploader(key="mobilenet_v2.runtimes.onnx_upload").set_value(("edited.onnx", other, "application/octet-stream")).run()
    assert checked == [content, other]  # new content: checked
