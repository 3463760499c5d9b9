"""AppTest runs of the "Why depthwise separable is cheap" page: exact formulas, measuring, errors."""

import pytest

from explorer import paper_config
from explorer.full_conv import V1_METHOD, full_conv_counterpart
from explorer.inverted_residual import inverted_residual_costs
from explorer.separable import ConvShape, default_layer, factorization, layer_shapes
from explorer.separable_timing import IMPLEMENTATION_LABELS, IMPLEMENTATIONS
from ui.separable_view import FORMULA_KEYS, formula_latex, residual_sentence

PAGE = "app_pages/separable.py"
TINY = {"kernel_size": 3, "in_channels": 8, "out_channels": 16, "feature_size": 8}


def latex_text(at) -> str:
    return "\n".join(element.value for element in at.latex)


def markdown_text(at) -> str:
    return "\n".join(element.value for element in at.markdown)


def use_custom(at, **values):
    at.radio(key="separable.source").set_value("custom").run()
    for name, value in values.items():
        at.number_input(key=f"separable.{name}").set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def test_default_run_shows_the_formulas_of_the_default_layer(open_page):
    at = open_page(PAGE)
    assert not at.error
    _, shape = default_layer(paper_config("v1"))
    assert at.selectbox(key="separable.layer.mobilenet_v1").value == default_layer(paper_config("v1"))[0]
    shown = latex_text(at)
    for formula in formula_latex(shape).values():
        assert formula in shown
    counts = factorization(shape)
    for number in (counts.standard_macs, counts.depthwise_macs, counts.pointwise_macs, counts.separable_macs,
                   counts.standard_params, counts.separable_params):
        assert f"{number:,}".replace(",", "{,}") in shown
    assert f"{counts.ratio:.4f}" in markdown_text(at) and f"{counts.mac_reduction:.2f}× fewer MACs" in markdown_text(at)
    assert any(m.value == f"{counts.mac_reduction:.2f}×" for m in at.metric)


def test_formulas_fill_in_the_numbers():
    tex = formula_latex(ConvShape(3, 512, 512, 14))  # V1's blocks.6: 3·3·512·512·14·14 MACs
    assert tuple(tex) == FORMULA_KEYS
    # Each formula is split in aligned lines (symbols, numbers, result) so a phone's width holds it.
    lines = {key: formula_lines(value) for key, value in tex.items()}
    assert lines["standard_macs"][1:] == [r"= 3 \cdot 3 \cdot 512 \cdot 512 \cdot 14 \cdot 14", "= 462{,}422{,}016"]
    assert lines["separable_macs"][-2:] == ["= 903{,}168 + 51{,}380{,}224", "= 52{,}283{,}392"]
    assert lines["separable_params"][-2:] == ["= 4{,}608 + 262{,}144", "= 266{,}752"]
    assert lines["ratio"][-1] == r"= \frac{1}{512} + \frac{1}{9} = 0.1131"


def formula_lines(tex: str) -> list[str]:
    assert tex.startswith(r"\begin{aligned}") and tex.endswith(r"\end{aligned}")
    body = tex[len(r"\begin{aligned}"):-len(r"\end{aligned}")]
    return [line.replace("&", "").strip() for line in body.split(r"\\")]


def test_v2_layer_choice(open_page):
    at = open_page(PAGE)
    at.radio(key="separable.arch").set_value("mobilenet_v2").run()
    label, shape = default_layer(paper_config("v2"))
    assert at.selectbox(key="separable.layer.mobilenet_v2").value == label
    assert formula_latex(shape)["standard_macs"] in latex_text(at)


def test_custom_values_update_the_formulas(open_page):
    at = open_page(PAGE)
    at.radio(key="separable.source").set_value("custom").run()
    # switching starts from the layer shown
    assert at.number_input(key="separable.in_channels").value == 512
    use_custom(at, kernel_size=5, in_channels=32, out_channels=64, feature_size=28)
    shape = ConvShape(5, 32, 64, 28)
    shown = latex_text(at)
    for formula in formula_latex(shape).values():
        assert formula in shown
    assert f"{factorization(shape).standard_macs:,}".replace(",", "{,}") in shown
    assert not at.error


def test_even_kernel_shows_an_error_not_a_traceback(open_page):
    at = open_page(PAGE)
    use_custom(at, kernel_size=4)
    assert at.error and "D_K (kernel size) must be odd" in at.error[0].value
    assert not at.latex  # no formulas for an invalid shape
    assert "4,867,293,184" in markdown_text(at)  # the whole-model section still renders


def test_measure_a_tiny_shape(open_page):
    at = open_page(PAGE)
    use_custom(at, **TINY)
    at.number_input(key="separable.budget").set_value(0.02)
    at.number_input(key="separable.threads").set_value(1)
    at.button(key="separable.measure").click().run()
    assert not at.exception, at.exception
    assert not at.error
    table = at.dataframe[0].value
    assert list(table["implementation"]) == [IMPLEMENTATION_LABELS[name] for name in IMPLEMENTATIONS]
    assert (table["median (ms)"] > 0).all()
    assert list(table["MACs"]) == [factorization(ConvShape(**TINY)).standard_macs] + \
        [factorization(ConvShape(**TINY)).separable_macs] * 2
    assert any("are **equal**" in s.value for s in at.success)
    # kept across a rerun, dropped when the shape changes
    at.run()
    assert "median (ms)" in at.dataframe[0].value
    at.number_input(key="separable.out_channels").set_value(32).run()
    assert all("median (ms)" not in d.value for d in at.dataframe)


def test_too_large_to_measure_shows_an_error(open_page):
    at = open_page(PAGE)
    use_custom(at, kernel_size=11, in_channels=4096, out_channels=4096, feature_size=64)
    assert at.latex  # the counts still show
    assert any("too large to time" in e.value for e in at.error)


def test_sweep_a_tiny_shape(open_page):
    at = open_page(PAGE)
    use_custom(at, **TINY)
    at.multiselect(key="separable.sweep_values.N").set_value([16, 32])
    at.number_input(key="separable.sweep_budget").set_value(0.02)
    at.number_input(key="separable.threads").set_value(1)
    at.button(key="separable.run_sweep").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert len(at.get("plotly_chart")) == 3  # the sweep and the two block charts


def test_whole_model_shows_the_exact_full_convolution_counts(open_page):
    at = open_page(PAGE)
    text = markdown_text(at)
    assert "**4,867,293,184 MACs** and **29,294,088 params**" in text
    v2 = full_conv_counterpart(paper_config("v2"))
    assert f"**{v2.full_macs:,} MACs** and **{v2.full_params:,} params**" in text
    table4 = at.dataframe[0].value
    assert list(table4["MACs"]) == ["4866M", "569M"] and list(table4["params"]) == ["29.3M", "4.2M"]
    assert any(V1_METHOD in c.value for c in at.caption)


def test_inverted_residual_row_and_repeat(open_page):
    at = open_page(PAGE)
    config = paper_config("v2")
    at.selectbox(key="separable.v2_row").set_value(2).run()
    costs = inverted_residual_costs(config, 2, 0)
    assert f"**Costs of {costs.block_name}**" in markdown_text(at) and "without residual" in markdown_text(at)
    at.toggle(key="separable.v2_repeat").set_value(True).run()
    costs = inverted_residual_costs(config, 2, 1)
    assert f"**Costs of {costs.block_name}**" in markdown_text(at) and "with residual" in markdown_text(at)
    block = at.dataframe[-2].value
    assert list(block["MACs"]) == [layer.macs for layer in costs.layers]
    memory = at.dataframe[-1].value
    assert list(memory["fp32 bytes"]) == [t.fp32_bytes for t in costs.tensors]
    assert not at.exception


@pytest.mark.parametrize(
    "overrides, row, fragment",
    [
        ({"residual": False}, 2, "Residual connections are switched off"),
        ({}, 6, "this row has no second repeat"),  # (6, 320, 1, 1): one block, channels change
        ({}, 2, "the next repeat of the row has one"),
    ],
)
def test_residual_sentence_fits_the_block(overrides, row, fragment):
    config = paper_config("v2", **overrides)
    assert fragment in residual_sentence(config, inverted_residual_costs(config, row, 0))


def shown_shape(at):
    return at.session_state["separable.shown_shape"]


def test_layer_link_round_trips(open_page):
    at = open_page(PAGE)
    at.radio(key="separable.arch").set_value("mobilenet_v2").run()
    label = layer_shapes(paper_config("v2"))[3][0]
    at.selectbox(key="separable.layer.mobilenet_v2").set_value(label).run()
    link = dict(at.query_params)
    shape = dict(layer_shapes(paper_config("v2")))[label]
    assert link == {"shape": "layer", "model": "v2", "layer": "blocks.3", "k": "3", "m": str(shape.in_channels),
                    "n": str(shape.out_channels), "f": str(shape.feature_size), "s": "2"}
    other = open_page(PAGE, query=link)
    assert not other.warning and not any("custom values" in i.value for i in other.info)
    assert other.selectbox(key="separable.layer.mobilenet_v2").value == label
    assert shown_shape(other) == shape and dict(other.query_params) == link


def test_custom_link_round_trips(open_page):
    at = use_custom(open_page(PAGE), kernel_size=5, in_channels=64, out_channels=128, feature_size=28)
    at.radio(key="separable.stride").set_value(2).run()
    link = dict(at.query_params)
    assert link == {"shape": "custom", "k": "5", "m": "64", "n": "128", "f": "28", "s": "2"}
    other = open_page(PAGE, query=link)
    assert shown_shape(other) == ConvShape(5, 64, 128, 28, 2)
    assert other.radio(key="separable.source").value == "custom" and dict(other.query_params) == link
    assert f"{factorization(ConvShape(5, 64, 128, 28, 2)).standard_macs:,}".replace(",", "{,}") in latex_text(other)


def test_a_layer_of_another_model_is_shown_as_its_shape(open_page):
    """The sender's V1 had another width: the link's shape wins, as custom values, and says so."""
    sender = paper_config("v1", width_multiplier=0.5)
    label, shape = layer_shapes(sender)[5]
    at = open_page(PAGE, state={"config:mobilenet_v1": sender})
    at.selectbox(key="separable.layer.mobilenet_v1").set_value(label).run()
    other = open_page(PAGE, query=dict(at.query_params))  # the visitor's V1 is the paper's
    assert shown_shape(other) == shape and other.radio(key="separable.source").value == "custom"
    assert any("blocks.5" in i.value and "custom values" in i.value for i in other.info)


@pytest.mark.parametrize("query, field", [
    ({"shape": "round"}, "shape:"),
    ({"shape": "custom", "k": "4"}, "k: D_K (kernel size) must be odd"),
    ({"shape": "custom", "m": "99999"}, "m: must be between 1 and 4096"),
    ({"shape": "custom", "s": "3"}, "s: unknown value '3'; allowed: 1, 2"),
    ({"model": "v3"}, "model:"),
    ({"layer": "blocks.99"}, "layer:"),
    ({"f": "abc"}, "f: expected an integer"),
])
def test_tampered_links_name_the_field_and_fall_back(open_page, query, field):
    at = open_page(PAGE, query=query)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and field in at.warning[0].value and "defaults" in at.warning[0].value
    assert at.radio(key="separable.source").value == "layer"
    assert shown_shape(at) == default_layer(paper_config("v1"))[1]
