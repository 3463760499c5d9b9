"""Builders: real forward passes, module names, grouped depthwise, and exact agreement of the
analytic profile with fvcore (MACs) and torchinfo (shapes, params) on the built model."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from explorer import build_model, count, paper_config, parse_config
from explorer.reference import config_for, load_published_results
from explorer.trace import trace_layers


def assert_traced_equals_analytic(config):
    model = build_model(config)
    traced = trace_layers(model, config)
    analytic = count(config).layers
    assert [t.name for t in traced] == [a.name for a in analytic]
    for t, a in zip(traced, analytic):
        assert (t.output_shape, t.params, t.macs) == (a.output_shape, a.params, a.macs), a.name
    assert sum(p.numel() for p in model.parameters()) == count(config).params


@pytest.mark.parametrize("arch", ["v1", "v2"])
@pytest.mark.parametrize("resolution", [32, 97, 160, 224])
def test_forward_shapes(arch, resolution):
    config = paper_config(arch, resolution=resolution, num_classes=10)
    with torch.inference_mode():
        out = build_model(config)(torch.randn(2, 3, resolution, resolution))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("arch", ["v1", "v2"])
def test_paper_configs_traced_equal_analytic(arch):
    assert_traced_equals_analytic(paper_config(arch))


def test_published_configs_traced_equal_analytic():
    seen = set()
    for result in load_published_results():
        config = config_for(result)
        if config is None or config in seen or config.resolution > 160:
            continue  # one of each distinct config; the 224-px ones are covered above
        seen.add(config)
        assert_traced_equals_analytic(config)
    assert len(seen) >= 15


def test_v1_full_convolution_model_agrees():
    assert_traced_equals_analytic(paper_config("v1", depthwise_separable=False, resolution=64))


v2_rows = st.fixed_dictionaries(
    {"t": st.integers(1, 8), "c": st.integers(1, 96), "n": st.integers(1, 3), "s": st.sampled_from([1, 2])}
)
v1_rows = st.fixed_dictionaries({"c": st.integers(1, 200), "n": st.integers(1, 3), "s": st.sampled_from([1, 2])})


@st.composite
def random_configs(draw):
    arch = draw(st.sampled_from(["mobilenet_v1", "mobilenet_v2"]))
    data = {
        "schema_version": 1,
        "arch": arch,
        "width_multiplier": draw(st.floats(0.1, 2.0, allow_nan=False)),
        "resolution": draw(st.integers(16, 96)),
        "num_classes": draw(st.integers(1, 50)),
        "activation": draw(st.sampled_from(["relu", "relu6"])),
        "blocks": draw(st.lists(v2_rows if arch == "mobilenet_v2" else v1_rows, min_size=1, max_size=5)),
    }
    if arch == "mobilenet_v2":
        data["linear_bottleneck"] = draw(st.booleans())
        data["residual"] = draw(st.booleans())
    else:
        data["depthwise_separable"] = draw(st.booleans())
    return parse_config(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_configs())
def test_random_configs_traced_equal_analytic(config):
    assert_traced_equals_analytic(config)


def test_module_names_read_as_the_architecture():
    names = dict(build_model(paper_config("v2")).named_modules())
    for name in ("stem", "blocks.3.expand", "blocks.3.depthwise", "blocks.3.project", "last_conv", "pool", "head"):
        assert name in names
    assert "blocks.0.expand" not in names  # t = 1: no expansion layer
    v1 = dict(build_model(paper_config("v1")).named_modules())
    assert {"blocks.12.depthwise", "blocks.12.pointwise"} <= set(v1)


def test_depthwise_is_one_grouped_conv():
    model = build_model(paper_config("v2"))
    conv = model.get_submodule("blocks.3.depthwise.conv")
    assert isinstance(conv, nn.Conv2d) and conv.groups == conv.in_channels == conv.out_channels == 144


def test_every_conv_is_followed_by_batch_norm_and_project_is_linear():
    model = build_model(paper_config("v2"))
    unit = model.get_submodule("blocks.3.project")
    assert [type(m) for m in unit] == [nn.Conv2d, nn.BatchNorm2d]
    assert [type(m) for m in model.get_submodule("blocks.3.expand")] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU6]
    v1 = build_model(paper_config("v1"))
    assert [type(m) for m in v1.get_submodule("blocks.0.depthwise")] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]


def test_residual_changes_the_output():
    torch.manual_seed(0)
    with_res = build_model(paper_config("v2", resolution=64))
    without = build_model(paper_config("v2", resolution=64, residual=False))
    without.load_state_dict(with_res.state_dict())
    x = torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        assert not torch.allclose(with_res(x), without(x))


def test_builds_in_eval_mode_and_dropout_is_configured():
    model = build_model(paper_config("v2", dropout=0.3))
    assert not model.training and model.dropout.p == 0.3
