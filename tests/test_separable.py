"""The depthwise-separable explainer: formulas against built layers, equal outputs, real layers,
the whole-model counterpart (V1 paper Table 4) and V2's inverted residual block.

No timing thresholds here: timings on a shared 2-core machine are noise; benchmarks/ has them.
"""

import dataclasses
import warnings
from fractions import Fraction

import pytest
import torch

from explorer import ConfigError, count, make_plan, paper_config
from explorer.full_conv import full_conv_counterpart
from explorer.inverted_residual import inverted_residual_costs
from explorer.separable import ConvShape, default_layer, factorization, layer_shapes
from explorer.separable_timing import (
    IMPLEMENTATIONS,
    GroupedSeparable,
    LoopSeparable,
    StandardConv,
    build_implementations,
    compare_outputs,
    make_input,
    measure_implementations,
    sweep,
)

with warnings.catch_warnings():  # fvcore imports torch.jit.script, deprecated in torch 2.13
    warnings.simplefilter("ignore", DeprecationWarning)
    from fvcore.nn import FlopCountAnalysis

SHAPES = [
    ConvShape(3, 512, 512, 14),  # V1's most common layer
    ConvShape(3, 32, 64, 112),  # V1's first separable layer
    ConvShape(3, 144, 32, 28, stride=2),  # a V2 stride-2 block (M = expanded channels)
    ConvShape(5, 7, 3, 9),  # odd numbers, a 5×5 kernel
    ConvShape(1, 4, 6, 5),  # 1×1: the "depthwise" part is a per-channel scale
    ConvShape(7, 1, 1, 1),
]
SMALL_SHAPES = [ConvShape(3, 8, 16, 10), ConvShape(5, 7, 3, 9, stride=2), ConvShape(3, 24, 12, 7)]


def weights(module: torch.nn.Module) -> int:
    # Count each tensor once: the loop module shares its parameters with the grouped one.
    return sum(p.numel() for p in module.parameters())


def fvcore_conv_macs(module: torch.nn.Module, x: torch.Tensor) -> int:
    flops = FlopCountAnalysis(module, (x,)).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return flops.by_operator().get("conv", 0)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_closed_forms_and_the_paper_ratio(shape):
    k, m, n, f = shape.kernel_size, shape.in_channels, shape.out_channels, shape.feature_size
    c = factorization(shape)
    assert c.standard_macs == k * k * m * n * f * f
    assert c.depthwise_macs == k * k * m * f * f
    assert c.pointwise_macs == m * n * f * f
    assert c.separable_macs == c.depthwise_macs + c.pointwise_macs
    assert (c.standard_params, c.depthwise_params, c.pointwise_params) == (k * k * m * n, k * k * m, m * n)
    # Exact, not approximate: both sides are computed from exact fractions.
    assert c.ratio_exact == Fraction(1, n) + Fraction(1, k * k)
    assert c.ratio == c.formula_ratio
    assert c.params_ratio == pytest.approx(c.ratio)  # D_F² cancels; the weights follow the same ratio


@pytest.mark.parametrize("shape", SMALL_SHAPES, ids=str)
def test_formulas_equal_the_counts_of_the_built_layers(shape):
    c = factorization(shape)
    built = build_implementations(shape)
    assert weights(built["standard"]) == c.standard_params
    assert weights(built["grouped"].depthwise) == c.depthwise_params
    assert weights(built["grouped"].pointwise) == c.pointwise_params
    assert weights(built["grouped"]) == weights(built["loop"]) == c.separable_params
    x = make_input(shape)
    assert fvcore_conv_macs(built["standard"], x) == c.standard_macs
    assert fvcore_conv_macs(built["grouped"].depthwise, x) == c.depthwise_macs
    assert fvcore_conv_macs(built["grouped"], x) == c.separable_macs
    assert fvcore_conv_macs(built["loop"], x) == c.separable_macs  # M one-channel convs add up the same
    assert built["standard"](x).shape == (1, shape.out_channels, shape.feature_size, shape.feature_size)


def test_v1_paper_layer_against_fvcore():
    shape = ConvShape(3, 512, 512, 14)
    built, x = build_implementations(shape), make_input(shape)
    assert fvcore_conv_macs(built["standard"], x) == 462_422_016
    assert fvcore_conv_macs(built["grouped"], x) == 903_168 + 51_380_224


@pytest.mark.parametrize("shape", SMALL_SHAPES + [ConvShape(3, 64, 32, 14)], ids=str)
def test_the_three_implementations_compute_the_same_function(shape):
    built = build_implementations(shape, seed=3)
    # One set of weights: the factorized modules share tensors; the dense kernel is their product.
    assert built["loop"].depthwise_weight is built["grouped"].depthwise.weight
    assert built["loop"].pointwise.weight is built["grouped"].pointwise.weight
    d, p = built["grouped"].depthwise.weight, built["grouped"].pointwise.weight
    torch.testing.assert_close(built["standard"].conv.weight, p[:, :, 0, 0, None, None] * d[None, :, 0], rtol=0, atol=0)
    x = make_input(shape, batch=2)
    with torch.inference_mode():
        out = {name: built[name](x) for name in IMPLEMENTATIONS}
    assert torch.allclose(out["grouped"], out["loop"], rtol=1e-5, atol=1e-6)
    assert torch.allclose(out["standard"], out["grouped"], rtol=1e-4, atol=1e-5)  # other summation order
    agreement = compare_outputs(shape)
    assert agreement.equal and agreement.grouped_vs_loop <= 1e-5 * agreement.output_scale


def test_the_factorized_versions_agree_in_float64_to_rounding():
    shape = ConvShape(3, 16, 8, 12)
    built = {name: module.double() for name, module in build_implementations(shape).items()}
    # Compose the dense kernel again in float64: the float32 product carries float32 rounding.
    d, p = built["grouped"].depthwise.weight, built["grouped"].pointwise.weight
    with torch.no_grad():
        built["standard"].conv.weight.copy_(p[:, :, 0, 0, None, None] * d[None, :, 0])
    x = make_input(shape).double()
    with torch.inference_mode():
        torch.testing.assert_close(built["grouped"](x), built["loop"](x), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(built["standard"](x), built["grouped"](x), rtol=1e-10, atol=1e-10)


def test_measure_implementations_structure():
    shape = ConvShape(3, 8, 16, 8)
    results = measure_implementations(shape, threads=1, budget_s=0.02)
    assert [r.name for r in results] == list(IMPLEMENTATIONS)
    c = factorization(shape)
    by_name = {r.name: r for r in results}
    assert by_name["standard"].macs == c.standard_macs and by_name["loop"].macs == c.separable_macs
    assert by_name["standard"].speedup == 1.0 and by_name["standard"].mac_reduction_realized == 1.0
    for r in results:
        assert r.median_ms > 0 and r.iqr_ms >= 0 and r.runs >= 1 and r.threads == 1 and r.min_ms > 0
        assert r.speedup == pytest.approx(by_name["standard"].median_ms / r.median_ms)
        assert r.mac_reduction == pytest.approx(c.standard_macs / r.macs)
        assert r.mac_reduction_realized == pytest.approx(r.speedup / r.mac_reduction)
        assert r.gmacs_per_s == pytest.approx(r.macs / r.median_ms / 1e6)
    assert measure_implementations(shape, threads=1, budget_s=0.01, batch=2)[0].macs == 2 * c.standard_macs


def test_sweep_structure_and_validation():
    shape = ConvShape(3, 8, 16, 8)
    rows = sweep(shape, "N", [4, 8], threads=1, budget_s=0.01)
    assert [row.value for row in rows] == [4, 8]
    assert rows[0].factorization.shape.out_channels == 4
    assert rows[1].factorization == factorization(shape.replace(out_channels=8))
    assert [t.name for t in rows[0].timings] == list(IMPLEMENTATIONS)
    assert rows[0].timing("loop") is rows[0].timings[2] and rows[0].timing("loop").macs == rows[0].factorization.separable_macs
    assert sweep(shape, "D_F", [4], threads=1, budget_s=0.01)[0].factorization.shape.feature_size == 4
    with pytest.raises(ConfigError, match="vary: must be one of N, D_F"):
        sweep(shape, "M", [4])
    with pytest.raises(ConfigError, match="values"):
        sweep(shape, "N", [])


@pytest.mark.parametrize(
    "changes, field",
    [({"kernel_size": 2}, "kernel_size"), ({"in_channels": 0}, "in_channels"), ({"stride": 3}, "stride"),
     ({"feature_size": 14.0}, "feature_size"), ({"out_channels": True}, "out_channels")],
)
def test_bad_shapes_name_the_field(changes, field):
    with pytest.raises(ConfigError) as error:
        ConvShape(3, 8, 8, 8).replace(**changes)
    assert error.value.field == field


def test_unmeasurable_shapes_are_refused_before_building():
    with pytest.raises(ConfigError, match="GMACs"):
        measure_implementations(ConvShape(3, 4096, 4096, 64), budget_s=0.01)


def test_layer_shapes_cover_every_depthwise_layer():
    for arch, expected in [("v1", 13), ("v2", 17)]:
        config = paper_config(arch)
        shapes = layer_shapes(config)
        assert len(shapes) == expected
        depthwise_layers = [layer for layer in make_plan(config).conv_layers() if layer.kind == "depthwise"]
        assert [s.in_channels for _, s in shapes] == [layer.in_channels for layer in depthwise_layers]
        assert [s.feature_size for _, s in shapes] == [layer.out_size for layer in depthwise_layers]
        assert [s.stride for _, s in shapes] == [layer.stride for layer in depthwise_layers]
        # The separable layers' MACs of the whole model are the sum of the shapes' separable MACs.
        separable = sum(factorization(s).separable_macs for _, s in shapes)
        in_blocks = sum(layer.macs for layer in count(config).layers if layer.name.startswith("blocks.") and layer.kind != "expand")
        assert separable == in_blocks
    v1 = layer_shapes(paper_config("v1"))
    assert v1[6] == ("blocks.6 (14×14, 512→512)", ConvShape(3, 512, 512, 14))
    assert v1[1][0] == "blocks.1 (56×56, 64→128, stride 2)"
    assert layer_shapes(paper_config("v2"))[3] == ("blocks.3 (28×28, 144→32, stride 2)", ConvShape(3, 144, 32, 28, 2))
    assert len(layer_shapes(paper_config("v1", depthwise_separable=False))) == 13


def test_default_layer_is_a_real_typical_layer():
    assert default_layer(paper_config("v1")) == ("blocks.6 (14×14, 512→512)", ConvShape(3, 512, 512, 14))
    label, shape = default_layer(paper_config("v2"))
    assert (label, shape) in layer_shapes(paper_config("v2"))
    small = paper_config("v1", width_multiplier=0.25, resolution=128)
    assert default_layer(small)[1] == ConvShape(3, 128, 128, 8)


def test_v1_full_conv_counterpart_is_the_papers_table_4_baseline():
    config = paper_config("v1")
    result = full_conv_counterpart(config)
    assert (result.full_macs, result.full_params) == (4_867_293_184, 29_294_088)  # paper: 4866M, 29.3M
    assert (result.separable_macs, result.separable_params) == (568_740_352, 4_231_976)  # paper: 569M, 4.2M
    full = count(config.replace(depthwise_separable=False))
    assert (result.full_macs, result.full_params) == (full.macs, full.params)
    assert round(result.full_macs / 1e6) == 4867 and round(result.full_params / 1e5) == 293
    assert "depthwise_separable=False" in result.method
    # Same answer from the full-convolution config itself.
    assert full_conv_counterpart(config.replace(depthwise_separable=False)) == result


@pytest.mark.parametrize("overrides", [
    {"width_multiplier": 0.25, "resolution": 128}, {"width_multiplier": 0.6, "resolution": 200},
    {"width_multiplier": 1.3, "resolution": 96, "num_classes": 10},
    {"blocks": [{"c": 16, "n": 2, "s": 2}, {"c": 40, "n": 1, "s": 1}, {"c": 72, "n": 3, "s": 2}]},
])
def test_v1_twins_counted_from_the_plan_equal_the_planned_configs(overrides):
    # The twins are derived from one plan's layers; where both configs are valid, the planner's
    # own full-convolution and separable configs must give the very same counts.
    separable = paper_config("v1", **overrides)
    full = separable.replace(depthwise_separable=False)
    for config in (separable, full):
        result = full_conv_counterpart(config)
        assert (result.full_macs, result.full_params) == (count(full).macs, count(full).params)
        assert (result.separable_macs, result.separable_params) == (count(separable).macs, count(separable).params)


def test_v1_full_conv_counterpart_beyond_the_build_limits():
    # The full-conv twin of V1 2.0/512 is ~100 GMACs, over the 20 GMAC build limit: still counted.
    result = full_conv_counterpart(paper_config("v1", width_multiplier=2.0, resolution=512))
    assert result.full_macs > 20_000_000_000 and result.macs_ratio > 8


def test_v2_full_conv_counterpart_replaces_only_the_depthwise_convs():
    config = paper_config("v2")
    result = full_conv_counterpart(config)
    cost = count(config)
    assert (result.separable_macs, result.separable_params) == (cost.macs, cost.params)
    extra_macs = extra_params = 0
    for layer in cost.layers:
        if layer.kind == "depthwise":
            channels = layer.output_shape[1]
            extra_macs += layer.macs * (channels - 1)  # a dense conv is `channels` times the depthwise
            extra_params += layer.weight_params * (channels - 1)
    assert result.full_macs == cost.macs + extra_macs
    assert result.full_params == cost.params + extra_params
    assert (result.full_macs, result.full_params) == (5_549_139_968, 44_050_952)
    assert "dense 3×3" in result.method


def kinds(costs):
    return {layer.kind: layer for layer in costs.layers}


@pytest.mark.parametrize("row", range(7))
def test_inverted_residual_memory_ratio_is_t(row):
    config = paper_config("v2")
    costs = inverted_residual_costs(config, row)
    t = config.blocks[row].t
    assert costs.t == t and costs.expansion_memory_ratio == t
    assert [layer.kind for layer in costs.layers] == (["depthwise", "project"] if t == 1 else ["expand", "depthwise", "project"])
    assert "expand" not in kinds(costs) if t == 1 else kinds(costs)["expand"].macs > 0
    by_name = {layer.name: layer for layer in count(config).layers}
    assert all(by_name[layer.name] == layer for layer in costs.layers)  # the layer table's own rows
    assert costs.macs == sum(layer.macs for layer in costs.layers)
    stride = config.blocks[row].s
    assert costs.tensor("after depthwise").elements * stride**2 == costs.tensor("expanded").elements
    assert costs.tensor("input").fp32_bytes == 4 * costs.tensor("input").elements


def test_inverted_residual_example_numbers():
    config = paper_config("v2")
    costs = inverted_residual_costs(config, 2)  # (6, 32, 3, 2): 24 → 144 → 32 channels, 56 → 28 px
    assert [(t.channels, t.size) for t in costs.tensors] == [(24, 56), (144, 56), (144, 28), (32, 28)]
    assert costs.tensor("expanded").fp32_bytes == 4 * 144 * 56 * 56
    layers = kinds(costs)
    assert layers["expand"].macs == 24 * 144 * 56 * 56
    assert layers["depthwise"].macs == 9 * 144 * 28 * 28
    assert layers["project"].macs == 144 * 32 * 28 * 28
    assert not costs.residual and inverted_residual_costs(config, 2, repeat=1).residual


def test_inverted_residual_errors():
    with pytest.raises(ConfigError, match="arch"):
        inverted_residual_costs(paper_config("v1"), 0)
    with pytest.raises(ConfigError, match="row: must be between 0 and 6, got 7"):
        inverted_residual_costs(paper_config("v2"), 7)
    with pytest.raises(ConfigError, match="repeat: must be between 0 and 0, got 1"):
        inverted_residual_costs(paper_config("v2"), 0, repeat=1)
    with pytest.raises(ConfigError, match="row: must be an integer"):
        inverted_residual_costs(paper_config("v2"), True)


def test_the_implementations_are_the_named_module_classes():
    built = build_implementations(ConvShape(3, 4, 4, 4))
    assert [type(built[name]) for name in IMPLEMENTATIONS] == [StandardConv, GroupedSeparable, LoopSeparable]


def test_shape_is_hashable_and_replace_validates():
    shape = ConvShape(3, 8, 8, 8)
    assert hash(shape) == hash(ConvShape(3, 8, 8, 8))
    assert dataclasses.asdict(shape.replace(out_channels=16))["out_channels"] == 16
