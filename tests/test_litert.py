"""LiteRT (TensorFlow Lite) runtimes (issue 20): fp32 checked against eager and timed, int8 with its
SQNR, a .tflite from `export` running in a plain interpreter, tampered or truncated files refused,
and a missing LiteRT named by the app and the CLI while everything else works.

Each conversion takes ~10 s, so there are two (fp32 and int8 of one small config, V2 α 0.35 at
96 px), shared by every test through the library's export cache (keyed by config and weights) and
module-scoped fixtures. No timing thresholds here: benchmarks/bench_runtimes.py has them.
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from explorer import paper_config
from explorer.cli import main
from explorer.runtimes import (
    CALIBRATION_INPUTS,
    ArtifactError,
    RuntimeUnavailable,
    available_runtimes,
    checked_export,
    measure_runtime,
    names,
)
from explorer.runtimes.comparison import INT8_MIN_COSINE, check_input, eager_reference, fp32_tolerance, reference_model

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(600)
CONFIG = paper_config("v2", width_multiplier=0.35, resolution=96)
FAST = dict(threads=1, budget_s=0.05)
ARGS = ["--arch", "v2", "--width", "0.35", "--resolution", "96"]


def eager_output():
    with torch.inference_mode():
        return reference_model(CONFIG)(check_input(CONFIG, 1)).numpy()


@pytest.fixture(scope="module")
def fp32():
    return measure_runtime(CONFIG, "litert", **FAST)


@pytest.fixture(scope="module")
def int8(fp32):  # after fp32: the int8 file is quantized from the cached fp32 one
    return measure_runtime(CONFIG, "litert-int8", **FAST)


@pytest.fixture(scope="module")
def tflite_file(fp32):
    return checked_export(CONFIG, "tflite").data


def test_litert_fp32_matches_eager_within_tolerance_then_is_timed(fp32):
    assert fp32.status == "ok", fp32.failure
    tolerance = fp32_tolerance(*eager_reference(reference_model(CONFIG), check_input(CONFIG, 1)))
    assert fp32.output_tolerance == pytest.approx(tolerance)
    assert fp32.output_max_abs_diff <= tolerance and fp32.output_max_abs_diff < 1e-4  # float rounding only at 96 px
    assert fp32.output_sqnr_db is None and fp32.median_ms > 0 and fp32.iqr_ms >= 0 and fp32.runs > 0
    assert fp32.threads == 1 and "read back 1" in fp32.threads_note and "num_threads=1" in fp32.threads_note
    assert not fp32.layers and "no profiler" in fp32.per_layer  # said, not silently missing
    assert fp32.artifact_bytes > 0 and fp32.export_s > 0 and fp32.runtime_version.startswith("ai-edge-litert ")


def test_litert_int8_reports_sqnr_and_cosine(int8, fp32):
    assert int8.status == "ok", int8.failure
    assert math.isfinite(int8.output_sqnr_db) and INT8_MIN_COSINE <= int8.output_cosine <= 1
    assert int8.output_max_abs_diff is None and int8.calibration_inputs == CALIBRATION_INPUTS
    assert int8.median_ms > 0 and int8.threads == 1
    assert int8.artifact_bytes < fp32.artifact_bytes / 2  # int8 weights: about a quarter of the fp32 file


def test_litert_threads_are_read_back(fp32):
    result = measure_runtime(CONFIG, "litert", threads=2, budget_s=0.05)
    assert result.status == "ok" and result.threads == 2 and "read back 2" in result.threads_note


def test_tflite_from_export_loads_in_a_plain_interpreter(tmp_path, tflite_file, capsys):
    from ai_edge_litert.interpreter import Interpreter

    path = tmp_path / "model.tflite"
    assert main(["export", *ARGS, "--format", "tflite", "-o", str(path)]) == 0
    assert "loaded and checked: max abs diff" in capsys.readouterr().err
    interpreter = Interpreter(model_path=str(path))  # a plain interpreter, nothing of ours
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert list(inp["shape"]) == [1, 3, 96, 96]
    interpreter.set_tensor(inp["index"], check_input(CONFIG, 1).numpy())
    interpreter.invoke()
    logits = interpreter.get_tensor(out["index"])
    assert logits.shape == (1, 1000) and np.max(np.abs(logits - eager_output())) < 1e-4


def test_int8_tflite_from_export_is_full_integer(tmp_path, int8, capsys):
    from ai_edge_litert.interpreter import Interpreter

    path = tmp_path / "model_int8.tflite"
    assert main(["export", *ARGS, "--format", "tflite-int8", "-o", str(path)]) == 0
    assert "SQNR" in capsys.readouterr().err
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8 and list(out["shape"]) == [1, 1000]


def _flip_middle_byte(data: bytes) -> bytes:
    middle = len(data) // 2  # weights are most of the file: this lands inside a tensor's bytes
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:]


@pytest.mark.parametrize(("tamper", "message"), [
    (_flip_middle_byte, "was modified after it was exported"),
    (lambda data: data[: len(data) // 3], "cannot be loaded by LiteRT"),
    (lambda data: data[:-64], "cannot be loaded by LiteRT"),
    (lambda data: b"", "is empty"),
    (lambda data: CONFIG.to_json().encode(), "is not a TensorFlow Lite model"),
])
def test_tampered_or_truncated_tflite_is_refused_with_a_message(tflite_file, tamper, message):
    from explorer.runtimes.tflite_file import validate_tflite

    with pytest.raises(ArtifactError, match=message) as err:
        validate_tflite(tamper(tflite_file))
    assert str(err.value).startswith("file: ") and "\n" not in str(err.value)


def test_valid_tflite_is_described_and_a_foreign_file_has_no_checksum(tflite_file, tmp_path):
    from explorer.runtimes.tflite_file import unsealed, validate_tflite

    path = tmp_path / "m.tflite"
    path.write_bytes(tflite_file)
    info = validate_tflite(path)
    assert info.config == CONFIG and info.checksum == "verified" and info.operators > 50
    assert info.inputs[0][1:] == ((1, 3, 96, 96), "float32") and info.outputs[0][1:] == ((1, 1000), "float32")
    foreign = validate_tflite(unsealed(tflite_file))  # converted elsewhere: nothing to verify, still valid
    assert foreign.checksum == "absent" and foreign.config is None


def test_cli_litert_int8_json_has_the_lab_fields(int8, capsys):
    args = ["profile", *ARGS, "--latency", "--runtime", "litert-int8", "--threads", "1", "--budget", "0.05", "--json", "--remeasure"]
    assert main(args) == 0
    latency = json.loads(capsys.readouterr().out)["latency"]
    assert latency["runtime"] == "litert-int8" and latency["precision"] == "int8" and latency["threads"] == 1 and latency["median_ms"] > 0
    assert latency["output_max_abs_diff"] is None and math.isfinite(latency["output_sqnr_db"]) and -1 <= latency["output_cosine"] <= 1
    assert latency["quality"] in ("good", "noisy") and f"{CALIBRATION_INPUTS} random inputs" in latency["runtime_note"]
    assert "read back 1" in latency["runtime_note"]


# --- LiteRT missing ---------------------------------------------------------------------------------


@pytest.fixture
def litert_missing(monkeypatch):
    """Imports of the LiteRT stack fail, as if it were not installed (and find_spec does not see it)."""
    import importlib.util

    for module in ("litert_torch", "ai_edge_litert", "ai_edge_litert.interpreter", "ai_edge_quantizer", "ai_edge_quantizer.quantizer"):
        monkeypatch.setitem(sys.modules, module, None)
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args, **kwargs):
        return None if name.split(".")[0] in ("litert_torch", "ai_edge_litert", "ai_edge_quantizer") else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    names._import_problem.cache_clear()
    yield
    names._import_problem.cache_clear()


def test_litert_missing_is_named_with_the_install_line_and_the_rest_works(litert_missing, capsys):
    reasons = available_runtimes()
    assert "litert-torch==0.10.0" in reasons["litert"] and "ai-edge-quantizer==0.10.0" in reasons["litert-int8"]
    assert reasons["eager"] is None and reasons["onnxruntime"] is None
    with pytest.raises(RuntimeUnavailable, match="litert: not available here"):
        measure_runtime(CONFIG, "litert", **FAST)
    for argv in (["profile", *ARGS, "--latency", "--runtime", "litert", "--budget", "0.05"],
                 ["export", *ARGS, "--format", "tflite", "-o", "unused.tflite"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error: litert: not available here") and "litert-torch==0.10.0" in err and "\n" not in err
    assert main(["profile", *ARGS, "--json"]) == 0  # the CLI still works
    assert json.loads(capsys.readouterr().out)["params"] > 0


def test_litert_missing_the_app_still_works_and_names_it(litert_missing):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.switch_page("app_pages/v2.py")
    at.query_params.update({"width_multiplier": "0.35", "resolution": "96"})
    at.run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "LiteRT (TFLite) + XNNPACK fp32 is not available here" in warnings and "litert-torch==0.10.0" in warnings
    assert "No .tflite downloads" in warnings
    chosen = next(w for w in at.multiselect if w.label == "Runtimes")
    assert "litert" not in chosen.value and "onnxruntime" in chosen.value
