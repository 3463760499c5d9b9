"""Export and import (issue 5): JSON round trip, runnable Python snippet, per-layer CSV, and
validated import of uploaded bytes."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from torchvision_check import check_against_torchvision

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
    torchvision_filename,
    torchvision_snippet,
    torchvision_unsupported,
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
    ),
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
                         "dropout", "linear_bottleneck", "residual", "blocks"}
    assert "depthwise_separable" not in data  # V1 only
    assert "linear_bottleneck" not in json.loads(config_json(paper_config("v1")))


def _run_python(code: str) -> str:
    """``code`` in a fresh interpreter: what gets imported can only be seen from a clean sys.modules."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def torch_only_path(tmp_path_factory) -> Path:
    """A folder holding torch and its own requirements only (links to the installed packages):
    with ``python -I -S`` it is the whole of sys.path beyond the standard library, an environment
    with nothing but torch, built in milliseconds instead of a venv install."""
    folder = tmp_path_factory.mktemp("torch-only")
    names, todo = set(), ["torch"]
    while todo:
        dist = metadata.distribution(todo.pop())
        if dist.metadata["Name"].lower() in names:
            continue
        names.add(dist.metadata["Name"].lower())
        todo += [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in dist.requires or () if "extra ==" not in r]
        for top in {f.parts[0] for f in dist.files or () if f.parts[0] not in ("..", "__pycache__")}:
            if not top.endswith(".dist-info") and not (folder / top).exists() and Path(dist.locate_file(top)).exists():
                (folder / top).symlink_to(dist.locate_file(top))
    return folder


def run_torch_only(torch_only_path: Path, scripts: list[Path]) -> list[str]:
    """Run each script as __main__ in one isolated interpreter that can import torch and nothing else."""
    code = (f"import sys; sys.path.insert(0, {str(torch_only_path)!r}); import importlib.util as u; "
            "assert not any(u.find_spec(m) for m in ('explorer', 'ui', 'streamlit', 'torchvision')), 'not isolated'; "
            f"import runpy; [runpy.run_path(p, run_name='__main__') for p in {[str(s) for s in scripts]!r}]")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], cwd=torch_only_path, capture_output=True, text=True,
                          timeout=300, env={"PATH": os.environ.get("PATH", "")})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()


def test_python_export_runs_with_only_torch_and_prints_the_counts(torch_only_path, tmp_path):
    configs = [CONFIGS["v1-custom"], CONFIGS["v1-full-conv"], CONFIGS["v2-custom-toggles"], CONFIGS["v2-0.1+0.2"]]
    scripts = []
    for config in configs:
        script = tmp_path / export_filename(config, "python")
        script.write_text(python_snippet(config))
        scripts.append(script)
    lines = run_torch_only(torch_only_path, scripts)
    assert len(lines) == len(configs)
    for config, line in zip(configs, lines):
        cost = count(config)
        assert f": {cost.params:,} params, {cost.macs:,} MACs, output (1, {config.num_classes})" in line, line


@pytest.mark.parametrize("name", ["v1-0.3-odd", "v1-full-conv", "v2-0.1+0.2", "v2-custom-toggles"])
def test_python_export_is_the_explorers_model(name):
    torch = pytest.importorskip("torch")
    from explorer import build_model

    config = CONFIGS[name]
    namespace: dict = {}
    exec(compile(python_snippet(config), "export.py", "exec"), namespace)  # defines, does not run main()
    exported, ours = namespace["build_model"](), build_model(config)
    assert [(k, v.shape) for k, v in exported.state_dict().items()] == [(k, v.shape) for k, v in ours.state_dict().items()]
    exported.load_state_dict(ours.state_dict())
    x = torch.randn(2, 3, config.resolution, config.resolution, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(exported(x), ours(x))
    assert namespace["count_macs"](exported, config.resolution) == count(config).macs
    assert loads_config(json.dumps(namespace["CONFIG"])) == config  # the config it was exported from



# Small inputs: the architecture does not depend on the resolution, and the check stays quick.
TORCHVISION_CONFIGS = {
    "v2": paper_config("v2", resolution=128),
    "v2-0.75": paper_config("v2", width_multiplier=0.75, resolution=96),
    "v2-0.35-odd": paper_config("v2", width_multiplier=0.35, resolution=97, num_classes=10, dropout=0.0),
    "v2-1.4-t4": paper_config("v2", width_multiplier=1.4, resolution=64,
                              blocks=[dict(b.to_dict(), t=4 if b.t != 1 else 1) for b in paper_config("v2").blocks]),
    "v2-custom": paper_config("v2", width_multiplier=1.3, blocks=[{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 3, "c": 40, "n": 2, "s": 2},
                                                                 {"t": 1, "c": 40, "n": 2, "s": 1}]),
}

def test_torchvision_variant_is_the_same_architecture():
    check_against_torchvision(TORCHVISION_CONFIGS.values())


@pytest.mark.parametrize(
    "config, reason",
    [(paper_config("v1"), "no MobileNet V1"), (paper_config("v2", activation="relu"), "ReLU6"),
     (paper_config("v2", linear_bottleneck=False), "linear bottlenecks"), (paper_config("v2", residual=False), "residual")],
)
def test_torchvision_variant_refuses_what_torchvision_cannot_express(config, reason):
    assert reason in torchvision_unsupported(config)
    with pytest.raises(ValueError, match=reason):
        torchvision_snippet(config)
    assert torchvision_unsupported(paper_config("v2", width_multiplier=0.5)) is None


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


def test_file_names_tell_configs_apart():
    v2_blocks = [b.to_dict() for b in paper_config("v2").blocks]
    configs = [
        paper_config("v2"), paper_config("v2", width_multiplier=0.125), paper_config("v2", width_multiplier=0.12499999),
        paper_config("v2", resolution=225), paper_config("v2", num_classes=1001), paper_config("v2", activation="relu"),
        paper_config("v2", dropout=0.1), paper_config("v2", residual=False), paper_config("v2", linear_bottleneck=False),
        paper_config("v2", blocks=[dict(b, t=4 if b["t"] != 1 else 1) for b in v2_blocks]),
        paper_config("v2", blocks=[dict(b, t=3 if b["t"] != 1 else 1) for b in v2_blocks]),
        paper_config("v2", blocks=v2_blocks[:-1]), paper_config("v2", blocks=[*v2_blocks[:-1], dict(v2_blocks[-1], c=640)]),
        paper_config("v1"), paper_config("v1", depthwise_separable=False), paper_config("v1", dropout=0.2),
    ]
    names = [export_filename(c, "json") for c in configs]
    assert len(set(names)) == len(configs), names
    assert names[:2] == ["mobilenet_v2_1_224.json", "mobilenet_v2_0.125_224.json"]
    assert names[2] == "mobilenet_v2_0.12499999_224.json" and names[9] == "mobilenet_v2_1_224_t4.json"
    assert export_filename(paper_config("v2", width_multiplier=0.35, num_classes=10, residual=False), "python") == (
        "mobilenet_v2_0.35_224_10cls_nores.py")


def test_export_formats_and_file_names():
    config = paper_config("v2", width_multiplier=0.75, resolution=192)
    assert FORMATS == ("json", "python", "csv")
    assert export_filename(config, "json") == "mobilenet_v2_0.75_192.json"
    assert torchvision_filename(config) == "mobilenet_v2_0.75_192_torchvision.py"
    assert export_filename(config, "python").endswith(".py") and export_filename(config, "csv").endswith(".csv")
    assert export(config, "python") == python_snippet(config)
    with pytest.raises(ValueError, match="json, python, csv"):
        export(config, "yaml")
    with pytest.raises(ValueError, match="format"):
        export_filename(config, "yaml")
    assert export_filename(config, "onnx") == "mobilenet_v2_0.75_192.onnx"  # model files: explorer.runtimes


def test_export_module_does_not_import_torch():
    code = "import sys, explorer.export, explorer.tradeoffs; print('torch' in sys.modules)"
    assert _run_python(code).strip() == "False"
