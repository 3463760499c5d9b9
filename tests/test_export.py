"""Export and import (issue 5): JSON round trip, runnable Python snippet, per-layer CSV, and
validated import of uploaded bytes."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import ConfigError, count, loads_config, paper_config
from explorer.config import MAX_FILE_BYTES
from explorer.export import (
    CSV_COLUMNS,
    FORMATS,
    config_json,
    export,
    export_filename,
    import_config,
    profile_csv,
    python_snippet,
)

ROOT = Path(__file__).resolve().parent.parent

CONFIGS = {
    "v1": paper_config("v1"),
    "v1-0.3-odd": paper_config("v1", width_multiplier=0.3, resolution=130, num_classes=1001),
    "v1-full-conv": paper_config("v1", depthwise_separable=False, width_multiplier=0.25, activation="relu6"),
    "v1-custom": paper_config("v1", blocks=[{"c": 48, "n": 2, "s": 2}, {"c": 200, "n": 3, "s": 1}], dropout=0.0),
    "v2": paper_config("v2"),
    "v2-0.1+0.2": paper_config("v2", width_multiplier=0.1 + 0.2, resolution=192),  # 0.30000000000000004
    "v2-custom-toggles": paper_config(
        "v2", width_multiplier=1.3, blocks=[{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 3, "c": 40, "n": 2, "s": 2}],
        linear_bottleneck=False, residual=False, activation="relu", num_classes=10,
    ),  # fmt: skip
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_json_round_trip_is_exact(config):
    text = config_json(config)
    back = loads_config(text)
    assert back == config
    assert (count(back).params, count(back).macs) == (count(config).params, count(config).macs)
    assert import_config(text.encode()) == config
    data = json.loads(text)
    assert data["schema_version"] == 1 and len(data["blocks"]) == len(config.blocks)  # the table is written out
    assert export(config, "json") == text


def test_json_is_normalized_with_every_field_explicit():
    data = json.loads(config_json(paper_config("v2")))
    assert set(data) == {"schema_version", "arch", "width_multiplier", "resolution", "num_classes", "activation",
                         "dropout", "linear_bottleneck", "residual", "blocks"}  # fmt: skip
    assert "depthwise_separable" not in data  # V1 only
    assert "linear_bottleneck" not in json.loads(config_json(paper_config("v1")))


def _run_snippet(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_python_snippet_rebuilds_the_model_with_the_same_counts():
    # One subprocess for both families keeps the test to one torch import.
    configs = [CONFIGS["v1-custom"], CONFIGS["v2-custom-toggles"]]
    snippets = [python_snippet(c) for c in configs]
    for config, snippet in zip(configs, snippets):
        compile(snippet, "snippet.py", "exec")
        assert f"{count(config).params:,} parameters" in snippet  # stated in its docstring
    out = _run_snippet("\n".join(f"exec({s!r})" for s in snippets))
    lines = out.strip().splitlines()
    assert len(lines) == 2
    for config, line in zip(configs, lines):
        assert f"{count(config).params:,} params" in line and f"{count(config).macs:,} MACs" in line
        assert f"output ({1}, {config.num_classes})" in line


def test_python_snippet_config_equals_the_original():
    # Without running torch: the literal inside the snippet parses to the same config.
    namespace: dict = {}
    config = CONFIGS["v2-0.1+0.2"]
    snippet = python_snippet(config)
    literal = snippet[snippet.index("explorer.parse_config(") + len("explorer.parse_config(") : snippet.index("\n})") + 2]
    exec(f"data = {literal}", namespace)
    assert loads_config(json.dumps(namespace["data"])) == config


@pytest.mark.parametrize("config", [CONFIGS["v1"], CONFIGS["v2-custom-toggles"]], ids=["v1", "v2-custom"])
def test_profile_csv_parses_back_to_the_layer_table(config):
    rows = list(csv.DictReader(io.StringIO(profile_csv(config))))
    layers = count(config).layers
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["name"] for r in rows] == [layer.name for layer in layers]
    assert [r["kind"] for r in rows] == [layer.kind for layer in layers]
    assert [tuple(int(x) for x in r["output_shape"].split("x")) for r in rows] == [layer.output_shape for layer in layers]
    assert sum(int(r["macs"]) for r in rows) == count(config).macs
    assert sum(int(r["params"]) for r in rows) == count(config).params
    assert sum(int(r["weight_params"]) for r in rows) == count(config).weight_params
    assert export(config, "csv") == profile_csv(config)


def test_profile_csv_with_latency_leaves_unknown_blank():
    config = CONFIGS["v2"]
    rows = list(csv.DictReader(io.StringIO(profile_csv(config, {"stem": 0.25, "blocks.0.depthwise": 1.5}))))
    assert tuple(rows[0])[-1] == "latency_ms"
    assert float(rows[0]["latency_ms"]) == 0.25 and float(rows[1]["latency_ms"]) == 1.5
    assert rows[2]["latency_ms"] == ""  # unknown, never 0


@pytest.mark.parametrize(
    "data, field, reason",
    [
        (b"", "file", "empty"),
        (b"   \n", "file", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "file", "binary"),
        (b"\xff\xfe{", "file", "UTF-8"),
        (b"{not json", "file", "not valid JSON"),
        (b"[" * 100 + b"]" * 100, "file", "nests deeper"),
        (b" " * (MAX_FILE_BYTES + 1), "file", "bytes"),
        (b'{"schema_version": 2, "arch": "mobilenet_v2"}', "schema_version", "unsupported"),
        (b'{"schema_version": 1, "arch": "mobilenet_v3"}', "arch", "must be one of"),
        (b'{"schema_version": 1, "arch": "mobilenet_v2", "width_multiplier": NaN}', "file", "NaN"),
        (b'{"schema_version": 1, "arch": "mobilenet_v2", "arch": "mobilenet_v1"}', "arch", "twice"),
        (b'{"schema_version": 1, "arch": "mobilenet_v1", "blocks": [{"c": 8, "n": 1, "s": 3}]}', "blocks[0].s", "stride"),
        (b'"just a string"', "config", "JSON object"),
        (None, "file", "NoneType"),
    ],
)
def test_import_rejects_hostile_files_with_the_cli_messages(data, field, reason):
    with pytest.raises(ConfigError) as err:
        import_config(data)
    assert err.value.field == field and reason in str(err.value)


def test_import_accepts_bytes_with_a_bom_and_bytearray():
    text = config_json(CONFIGS["v1-custom"])
    assert import_config(b"\xef\xbb\xbf" + text.encode()) == CONFIGS["v1-custom"]
    assert import_config(bytearray(text.encode())) == CONFIGS["v1-custom"]


def test_export_formats_and_file_names():
    config = paper_config("v2", width_multiplier=0.75, resolution=192)
    assert FORMATS == ("json", "python", "csv")
    assert export_filename(config, "json") == "mobilenet_v2_0.75_192.json"
    assert export_filename(config, "python").endswith(".py") and export_filename(config, "csv").endswith(".csv")
    assert export(config, "python") == python_snippet(config)
    with pytest.raises(ValueError, match="json, python, csv"):
        export(config, "yaml")
    with pytest.raises(ValueError, match="format"):
        export_filename(config, "onnx")


def test_export_module_does_not_import_torch():
    code = "import sys, explorer.export, explorer.tradeoffs; print('torch' in sys.modules)"
    assert _run_snippet(code).strip() == "False"
