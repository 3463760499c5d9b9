"""The analytic cost model: closed-form cases, the known totals, and the paper's own figures."""

import pytest

from explorer import count, make_divisible, make_plan, paper_config
from explorer.counting import batch_norm_params, conv_macs, conv_weights, linear_macs, linear_params
from explorer.plan import conv_output_size, v1_channels


def test_standard_conv_closed_form():
    # D_K·D_K·M·N·D_F·D_F with D_K=3, M=32, N=64, D_F=56
    assert conv_macs(32, 64, 3, 56) == 3 * 3 * 32 * 64 * 56 * 56
    assert conv_weights(32, 64, 3) == 3 * 3 * 32 * 64


def test_depthwise_counts_each_channel_once():
    # FIELD-NOTES: 96·9·56·56 for a 96-channel 3×3 depthwise at 56²; a counter that ignores
    # groups would report 96 times this.
    assert conv_macs(96, 96, 3, 56, groups=96) == 96 * 9 * 56 * 56
    assert conv_weights(96, 96, 3, groups=96) == 96 * 9


def test_separable_reduction_matches_the_paper_formula():
    m, n, k, f = 512, 512, 3, 14
    standard = conv_macs(m, n, k, f)
    separable = conv_macs(m, m, k, f, groups=m) + conv_macs(m, n, 1, f)
    assert separable / standard == pytest.approx(1 / n + 1 / k**2)


def test_small_helpers():
    assert batch_norm_params(32) == 64
    assert linear_macs(1280, 1000) == 1_280_000
    assert linear_params(1280, 1000) == 1_281_000
    assert conv_output_size(224, 3, 2) == 112
    assert conv_output_size(7, 3, 2) == 4  # odd sizes round up, as 'same' padding does
    assert conv_output_size(56, 1, 1) == 56


@pytest.mark.parametrize(
    "value, expected",
    [(32 * 0.35, 16), (16 * 0.35, 8), (24 * 1.4, 32), (1280 * 1.4, 1792), (96 * 0.75, 72), (320 * 0.35, 112), (3, 8)],
)
def test_make_divisible(value, expected):
    assert make_divisible(value) == expected


def test_make_divisible_never_loses_more_than_ten_percent():
    for tenths in range(10, 5000):
        value = tenths / 10
        assert make_divisible(value) % 8 == 0
        assert make_divisible(value) >= 0.9 * value


def test_v1_rounding_is_tf_slim_depth():
    assert v1_channels(1024, 0.25) == 256
    assert v1_channels(32, 0.1) == 8  # floor of 8
    assert v1_channels(64, 0.75) == 48
    assert v1_channels(100, 0.333) == 33  # int() truncates


@pytest.mark.parametrize(
    "arch, params, macs",
    [("mobilenet_v1", 4_231_976, 568_740_352), ("mobilenet_v2", 3_504_872, 300_774_272)],
)
def test_known_totals_exactly(arch, params, macs):
    cost = count(paper_config(arch))
    assert (cost.params, cost.macs) == (params, macs)


def test_rows_sum_to_totals():
    for arch in ("v1", "v2"):
        cost = count(paper_config(arch, width_multiplier=0.75, resolution=192))
        assert sum(r.params for r in cost.layers) == cost.params
        assert sum(r.macs for r in cost.layers) == cost.macs
        assert sum(r.weight_params for r in cost.layers) == cost.weight_params


def test_v2_weights_only_reconciles_slim_347m():
    cost = count(paper_config("v2"))
    assert cost.weight_params == 3_469_760  # TF-slim publishes 3.47M
    assert cost.params - cost.weight_params == 35_112  # batch norm scale+shift (34,112) + classifier bias (1,000)


def test_v1_paper_table2_split_pointwise_dominates():
    cost = count(paper_config("v1"))
    pointwise = sum(r.macs for r in cost.layers if r.kind == "pointwise")
    assert pointwise / cost.macs == pytest.approx(0.9486, abs=0.001)  # Table 2: 94.86%


def test_v1_full_convolution_matches_table_4():
    cost = count(paper_config("v1", depthwise_separable=False))
    assert round(cost.macs / 1e6) == 4867  # Table 4: 4866M
    assert round(cost.params / 1e5) == 293  # Table 4: 29.3M


def test_v2_plan_structure():
    plan = make_plan(paper_config("v2"))
    assert len(plan.blocks) == 17
    assert [b.residual for b in plan.blocks].count(True) == 10
    assert [layer.kind for layer in plan.blocks[0].layers] == ["depthwise", "project"]
    assert plan.blocks[3].layers[0].name == "blocks.3.expand"
    assert plan.last_conv.out_channels == 1280 and plan.final_size == 7
    assert plan.blocks[0].layers[-1].activation is None  # linear bottleneck


def test_v2_last_conv_not_shrunk_below_1280_but_widened_above():
    assert make_plan(paper_config("v2", width_multiplier=0.35)).last_conv.out_channels == 1280
    assert make_plan(paper_config("v2", width_multiplier=1.4)).last_conv.out_channels == 1792


def test_v2_toggles_change_the_plan():
    plan = make_plan(paper_config("v2", linear_bottleneck=False, residual=False))
    assert not any(b.residual for b in plan.blocks)
    assert all(b.layers[-1].activation == "relu6" for b in plan.blocks)


def test_fp32_bytes_is_the_state_dict_size():
    torch = pytest.importorskip("torch")
    from explorer import build_model

    config = paper_config("v2", width_multiplier=0.5, resolution=96)
    state = build_model(config).state_dict()
    assert count(config).fp32_bytes == sum(t.numel() * t.element_size() for t in state.values())
    assert torch.is_tensor(next(iter(state.values())))
