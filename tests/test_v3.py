"""MobileNetV3 Large and Small (issue 21): counts, plan, validation of hostile tables, presets, and
exactness against torchvision with weights loaded by position."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from torchvision_check import check_against_torchvision

from explorer import ConfigError, count, loads_config, make_plan, paper_config
from explorer.config import V3_PRESETS, architecture_changes, v3_preset, v3_preset_name
from explorer.export import config_json, export_filename, python_snippet, torchvision_snippet, torchvision_unsupported

ROOT = Path(__file__).resolve().parent.parent

# torchvision's models (1000 classes, 224 px): sum(p.numel()) and fvcore's conv + linear MACs.
TORCHVISION_COUNTS = {
    ("v3-large", 1.0): (5_483_032, 216_589_760),
    ("v3-large", 0.75): (3_377_576, 140_033_816),
    ("v3-small", 1.0): (2_542_856, 56_510_400),
    ("v3-small", 0.75): (1_653_920, 39_115_576),
}

CUSTOM_ROWS = [
    {"k": 3, "exp": 16, "c": 16, "se": True, "nl": "relu", "s": 2},
    {"k": 5, "exp": 64, "c": 24, "se": False, "nl": "hardswish", "s": 2},
    {"k": 3, "exp": 96, "c": 24, "se": True, "nl": "hardswish", "s": 1},
    {"k": 5, "exp": 120, "c": 56, "se": True, "nl": "relu", "s": 2},
]


@pytest.mark.parametrize("arch, width", TORCHVISION_COUNTS, ids=[f"{a}-{w}" for a, w in TORCHVISION_COUNTS])
def test_counts_equal_torchvisions(arch, width):
    cost = count(paper_config(arch, width_multiplier=width))
    assert (cost.params, cost.macs) == TORCHVISION_COUNTS[(arch, width)]


@pytest.mark.parametrize("config", [paper_config("v3-large"), paper_config("v3-small", width_multiplier=0.75, resolution=160),
                                    paper_config("v3-small", blocks=CUSTOM_ROWS, num_classes=10),
                                    v3_preset("v3-large", "minimalistic")], ids=["large", "small-0.75", "custom", "minimalistic"])
def test_layer_rows_sum_to_totals(config):
    cost = count(config)
    assert sum(r.params for r in cost.layers) == cost.params
    assert sum(r.macs for r in cost.layers) == cost.macs
    assert sum(r.weight_params for r in cost.layers) == cost.weight_params
    names = [r.name for r in cost.layers]
    assert names == make_plan(config).row_names() and len(set(names)) == len(names)


def test_v3_large_plan_follows_torchvision():
    plan = make_plan(paper_config("v3-large"))
    assert plan.stem.out_channels == 16 and plan.stem.activation == "hardswish"
    assert len(plan.blocks) == 15
    first = plan.blocks[0]
    assert [layer.kind for layer in first.layers] == ["depthwise", "project"]  # exp 16 == input 16: no expansion
    assert first.residual and first.squeeze_excite is None
    se = plan.blocks[3].squeeze_excite
    assert (se.channels, se.squeeze_channels) == (72, 24)  # make_divisible(72 // 4, 8)
    assert plan.blocks[3].layers[1].kernel_size == 5
    assert (plan.last_conv.out_channels, plan.pre_logits.in_features, plan.features) == (960, 960, 1280)
    assert plan.final_size == 7
    small = make_plan(paper_config("v3-small", width_multiplier=0.75))
    # α scales the hidden classifier layer in both directions (torchvision's adjust_channels(1024)).
    assert (small.last_conv.out_channels, small.features) == (6 * 72, 768)


def test_se_and_hard_swish_toggles():
    base = paper_config("v3-large")
    no_se = base.replace(squeeze_excite=False)
    assert make_plan(no_se).squeeze_excites() == [] and len(make_plan(base).squeeze_excites()) == 8
    assert count(no_se).macs < count(base).macs
    relu = base.replace(hard_swish=False)
    activations = {c.activation for c in make_plan(relu).conv_layers()} | {make_plan(relu).pre_logits.activation}
    assert "hardswish" not in activations and count(relu).macs == count(base).macs  # activations cost no MACs
    assert architecture_changes(no_se) == ["no squeeze-and-excite"]


def test_minimalistic_presets():
    for arch in V3_PRESETS:
        config = v3_preset(arch, "minimalistic")
        plan = make_plan(config)
        assert {layer.kernel_size for layer in plan.conv_layers() if layer.kind == "depthwise"} == {3}
        assert plan.squeeze_excites() == []
        assert v3_preset_name(config) == "minimalistic" and v3_preset_name(paper_config(arch)) == "standard"
        assert export_filename(config, "json") == f"{arch}_1_224_minimalistic.json"
    assert v3_preset_name(paper_config("v2")) is None
    with pytest.raises(ConfigError, match="preset"):
        v3_preset("v3-small", "tiny")


def _v3_file(rows) -> str:
    return json.dumps({"schema_version": 1, "arch": "mobilenet_v3_small", "blocks": rows})


@pytest.mark.parametrize(
    "row, field, reason",
    [
        ({"k": 4}, "blocks[1].k", "kernel must be 3 or 5, got 4"),
        ({"se": "yes"}, "blocks[1].se", 'must be true or false, got string "yes"'),
        ({"s": 3}, "blocks[1].s", "stride must be 1 or 2, got 3"),
        ({"nl": "gelu"}, "blocks[1].nl", "relu, hardswish"),
        ({"exp": 0}, "blocks[1].exp", "between 1 and"),
        ({"c": 2.5}, "blocks[1].c", "integer"),
        ({"t": 6}, "blocks[1].t", "unknown key"),
    ],
)
def test_hostile_v3_rows_are_named_by_row_and_column(row, field, reason):
    rows = [dict(CUSTOM_ROWS[0]), {**CUSTOM_ROWS[1], **row}]
    with pytest.raises(ConfigError) as err:
        loads_config(_v3_file(rows))
    assert err.value.field == field and reason in str(err.value)


def test_hostile_v3_tables():
    with pytest.raises(ConfigError, match="blocks: must have at least one row"):
        loads_config(_v3_file([]))
    missing = dict(CUSTOM_ROWS[0])
    del missing["nl"]
    with pytest.raises(ConfigError, match=r"blocks\[0\]\.nl: missing"):
        loads_config(_v3_file([missing]))
    with pytest.raises(ConfigError, match=r"blocks\[0\]: must be an object"):
        loads_config(_v3_file([[3, 16, 16, True, "relu", 2]]))
    with pytest.raises(ConfigError, match=r"blocks\[0\]\.k: unknown key"):  # a V3 row key in a V2 table
        paper_config("v2", blocks=[CUSTOM_ROWS[0]])
    with pytest.raises(ConfigError, match=r"activation: unknown key \(V3 sets activations per row"):
        paper_config("v3-large", activation="relu6")
    with pytest.raises(ConfigError, match=r"squeeze_excite: unknown key \(only for mobilenet_v3_large\)"):
        paper_config("v2", squeeze_excite=False)


def test_earlier_files_still_validate_and_write_the_same_json():
    for arch in ("v1", "v2"):
        config = paper_config(arch)
        data = json.loads(config_json(config))
        assert "squeeze_excite" not in data and "hard_swish" not in data
        assert loads_config(config_json(config)) == config


def test_v3_json_round_trip_and_aliases():
    config = paper_config("v3-small", width_multiplier=0.75, blocks=CUSTOM_ROWS, squeeze_excite=False)
    text = config_json(config)
    assert loads_config(text) == config
    data = json.loads(text)
    assert data["arch"] == "mobilenet_v3_small" and data["blocks"][0] == CUSTOM_ROWS[0]
    assert "activation" not in data and data["squeeze_excite"] is False
    assert paper_config("mobilenet_v3_large") == paper_config("v3-large")


def test_python_export_is_the_explorers_v3_model():
    torch = pytest.importorskip("torch")
    from explorer import build_model

    for config in (paper_config("v3-small", resolution=64, blocks=CUSTOM_ROWS), v3_preset("v3-large", "minimalistic", resolution=64)):
        namespace: dict = {}
        exec(compile(python_snippet(config), "export.py", "exec"), namespace)
        exported, ours = namespace["build_model"](), build_model(config)
        assert [(k, v.shape) for k, v in exported.state_dict().items()] == [(k, v.shape) for k, v in ours.state_dict().items()]
        exported.load_state_dict(ours.state_dict())
        x = torch.randn(2, 3, config.resolution, config.resolution, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            assert torch.equal(exported(x), ours(x))
        assert namespace["count_macs"](exported, config.resolution) == count(config).macs


def test_traced_layers_equal_the_analytic_rows():
    pytest.importorskip("torch")
    from explorer import build_model
    from explorer.trace import trace_layers

    config = paper_config("v3-small", resolution=96, blocks=CUSTOM_ROWS)
    model = build_model(config)
    traced, analytic = trace_layers(model, config), count(config).layers
    assert [t.name for t in traced] == [a.name for a in analytic]
    for t, a in zip(traced, analytic):
        assert (t.output_shape, t.params, t.macs) == (a.output_shape, a.params, a.macs), a.name


TORCHVISION_CONFIGS = {
    "large-1.0": paper_config("v3-large", resolution=96),
    "large-0.75": paper_config("v3-large", width_multiplier=0.75, resolution=96),
    "small-1.0": paper_config("v3-small", resolution=96),
    "small-0.75": paper_config("v3-small", width_multiplier=0.75, resolution=97, num_classes=10, dropout=0.0),
    "small-custom": paper_config("v3-small", width_multiplier=1.3, resolution=64, blocks=CUSTOM_ROWS),
    "large-no-se": paper_config("v3-large", resolution=64, squeeze_excite=False),
}

def test_outputs_are_bit_identical_to_torchvision_with_weights_loaded_by_position():
    check_against_torchvision(TORCHVISION_CONFIGS.values())


def test_torchvision_variant_refuses_relu_stem_and_head():
    config = v3_preset("v3-small", "minimalistic")
    assert "h-swish" in torchvision_unsupported(config)
    with pytest.raises(ValueError, match="h-swish"):
        torchvision_snippet(config)
    assert torchvision_unsupported(paper_config("v3-small", squeeze_excite=False)) is None


def _v3_published():
    from explorer.reference import load_v3_results

    return load_v3_results()


@pytest.mark.parametrize("result", _v3_published(), ids=lambda r: r.model)
def test_v3_published_fidelity(result):
    from explorer.fidelity import reconcile
    from explorer.reference import KNOWN_DISCREPANCIES, config_for

    rec = reconcile(result)
    assert rec.config == config_for(result) and rec.config.num_classes == 1001
    if result.key in KNOWN_DISCREPANCIES:
        assert not rec.within_tolerance, f"{result.model} is within tolerance now: remove it from KNOWN_DISCREPANCIES"
    else:
        assert rec.within_tolerance, (result.model, rec.macs, rec.comparable_params)


def test_tf_slim_rounding_reproduces_the_published_075_macs():
    from explorer.reference import load_v3_results, slim_v3_config

    published = {r.model: r for r in load_v3_results()}
    for arch, model in (("mobilenet_v3_large", "v3-large_224_0.75_float"), ("mobilenet_v3_small", "v3-small_224_0.75_float")):
        slim = count(slim_v3_config(arch, 0.75))
        assert abs(slim.macs / 1e6 - published[model].macs_m) < 1.0, slim.macs  # 154.6 vs 155, 43.4 vs 44
    assert abs(count(slim_v3_config("mobilenet_v3_large", 0.75)).weight_params / 1e6 - 4.0) < 0.05
    # At α = 1 both roundings are the paper's table.
    assert slim_v3_config("mobilenet_v3_small", 1.0).blocks == paper_config("v3-small").blocks


def test_v3_rows_feed_accuracy_and_phone_samples():
    from explorer.accuracy import accuracy_for
    from explorer.phones import samples_of
    from explorer.reference import load_v3_device_latency

    assert accuracy_for(paper_config("v3-large")).value == 75.2
    assert accuracy_for(v3_preset("v3-small", "minimalistic")).value == 61.9
    mid = accuracy_for(paper_config("v3-large", width_multiplier=0.875))
    assert mid.kind == "estimate" and 73.3 < mid.value < 75.2
    assert accuracy_for(paper_config("v3-large", squeeze_excite=False)).kind == "none"
    samples = samples_of(load_v3_device_latency())
    assert len(samples) == 27 and {s.platform.device for s in samples} == {"Pixel 1", "Pixel 2", "Pixel 3"}
    assert sum(s.config == v3_preset("v3-large", "minimalistic", num_classes=1001) for s in samples) == 6


def test_predict_cli_gives_pixel_predictions_fitted_to_v3_rows_with_their_loo_error():
    done = subprocess.run([sys.executable, "-m", "explorer", "predict", "--arch", "v3-large", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    predictions = json.loads(done.stdout)[0]["predictions"]
    single = {p["device"]: p for p in predictions
              if p["backend"] == "TF-Lite CPU, single large core" and not p["quantized"]}
    assert set(single) == {"Pixel 1", "Pixel 2", "Pixel 3"}
    for device, p in single.items():
        assert p["method"] == "fitted" and "V3 rows" in p["basis"], (device, p["basis"])
        assert p["loo_n"] == 6 and 0 < p["loo_median_error_pct"] <= p["loo_max_error_pct"]
        assert p["low_ms"] < p["ms"] < p["high_ms"]
    assert single["Pixel 1"]["published_ms"] == [51.2]  # V3-Large 1.0 float, not its minimalistic twin (44.1)


def test_onnx_export_of_v3_matches_eager():
    pytest.importorskip("onnxruntime")
    from explorer.export import export_model_file

    data = export_model_file(paper_config("v3-small", resolution=64, blocks=CUSTOM_ROWS), "onnx")  # checked against eager
    assert data[:2] and len(data) > 100_000


def test_analytic_sweep_cli_for_v3_small():
    done = subprocess.run([sys.executable, "-m", "explorer", "sweep", "--arch", "v3-small", "--arch", "v3-large",
                           "--widths", "0.75,1.0", "--resolutions", "224", "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    got = {(p["config"]["arch"], p["config"]["width_multiplier"]): (p["params"], p["macs"]) for p in json.loads(done.stdout)}
    assert got == {(paper_config(a).arch, w): counts for (a, w), counts in TORCHVISION_COUNTS.items()}


def test_cli_preset_builds_the_published_minimalistic_variant(cli):
    # TF-slim's table: V3-Large minimalistic 1.0/224 has 209 M MACs (1001 classes); the other options apply on top.
    out = json.loads(cli("profile", "--arch", "v3-large", "--preset", "minimalistic", "--num-classes", "1001", "--json",
                         check_rc=0).stdout)
    assert out["config"] == json.loads(config_json(v3_preset("v3-large", "minimalistic", num_classes=1001)))
    assert round(out["macs"] / 1e6) == 209
    small = json.loads(cli("profile", "--arch", "v3-small", "--preset", "minimalistic", "--width", "0.75", "--json",
                           check_rc=0).stdout)
    assert small["macs"] == count(v3_preset("v3-small", "minimalistic", width_multiplier=0.75)).macs
    assert small["config"]["squeeze_excite"] is False


@pytest.mark.parametrize("args, fragment", [
    (["--arch", "v2", "--preset", "minimalistic"], "--preset: only applies to mobilenet_v3_large and mobilenet_v3_small"),
    (["--arch", "v3-small", "--preset", "tiny"], "invalid choice"),
    (["--config", "x.json", "--preset", "minimalistic"], "--config cannot be combined"),
])
def test_cli_preset_misuse_exits_2_with_one_line(cli, args, fragment):
    proc = cli("profile", *args, check_rc=2)
    assert fragment in proc.stderr and not proc.stdout
