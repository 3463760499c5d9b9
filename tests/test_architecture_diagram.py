"""The architecture diagram's DOT text, read back against the plan it is drawn from.

The browser test (tests/browser/test_explorer_browser.py) checks that Streamlit's bundled
Graphviz draws it, offline, with one SVG node per node here.
"""

import re

import pytest

from explorer import make_plan, paper_config
from ui.architecture import architecture_dot, legend


def nodes(dot: str) -> dict[str, str]:
    """Node id → its label (HTML or plain), for every node statement."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  (\w+) \[[^\n]*label=<?(.*?)>?\];$", dot, re.M)}


def edges(dot: str, style: str = "", without: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(a, b) for a, b, attrs in re.findall(r"^  (\w+) -> (\w+)(.*);$", dot, re.M)
            if style in attrs and not any(w in attrs for w in without)]


CONFIGS = {
    "v2": paper_config("v2"),
    "v2-0.5-160": paper_config("v2", width_multiplier=0.5, resolution=160),
    "v2-no-residual": paper_config("v2", residual=False, linear_bottleneck=False),
    "v2-custom": paper_config("v2", blocks=[{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 4, "c": 16, "n": 3, "s": 1}, {"t": 6, "c": 40, "n": 2, "s": 2}]),
    "v1": paper_config("v1"),
    "v1-full-conv": paper_config("v1", depthwise_separable=False, width_multiplier=0.25),
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_every_block_is_drawn_with_its_shapes_and_stride(config):
    dot, plan = architecture_dot(config), make_plan(config)
    drawn = nodes(dot)
    assert {"input", "stem", "head"} <= set(drawn)
    assert ("last_conv" in drawn) == (plan.last_conv is not None)
    for block in plan.blocks:
        label = drawn[f"b{block.index}"]
        first, last = block.layers[0], block.layers[-1]
        assert f"row {block.row + 1}" in label
        assert f"{first.in_size}²×{first.in_channels} → {last.out_size}²×{last.out_channels}" in label
        assert f"s{max(layer.stride for layer in block.layers)}" in label
        assert label.count("<font") == len(block.layers)  # one coloured entry per conv of the block
    assert f"avg pool {plan.final_size}×{plan.final_size} → {plan.features}" in drawn["head"]
    assert f"linear {plan.features} → {config.num_classes}" in drawn["head"]


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_residual_joins_match_the_plan(config):
    dot, plan = architecture_dot(config), make_plan(config)
    residual = [block for block in plan.blocks if block.residual]
    joins = [n for n in nodes(dot) if n.startswith("add")]
    assert sorted(joins) == sorted(f"add{b.index}" for b in residual)
    skips = edges(dot, "dashed")
    assert len(skips) == len(residual)
    for (source, join), block in zip(skips, residual):
        assert join == f"add{block.index}" and (f"b{block.index}", join) in edges(dot)
        assert source != f"b{block.index}"  # the skip starts at the block's input, not its output


@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
def test_the_data_path_visits_every_node_in_order(config):
    dot = architecture_dot(config)
    following = dict(edges(dot, without=("invis", "dashed")))
    path, node = ["input"], "input"
    while node in following:
        node = following[node]
        path.append(node)
    assert path[-1] == "head" and set(path) == set(nodes(dot)), path  # one chain: input → … → head


def test_one_line_of_the_picture_per_table_row():
    dot = architecture_dot(paper_config("v2"))
    groups = [g.split() for g in re.findall(r"\{ rank=same; (.*?) \}", dot)]
    blocks_by_row = {}
    for block in make_plan(paper_config("v2")).blocks:
        blocks_by_row.setdefault(block.row, []).append(f"b{block.index};")
    assert [[n for n in g if n.startswith("b")] for g in groups] == [v for v in blocks_by_row.values() if len(v) > 1]


def test_layers_are_named_by_kind():
    v2 = nodes(architecture_dot(paper_config("v2")))["b1"]
    assert "1×1 → 96" in v2 and "dw 3×3 s2" in v2 and "1×1 → 24" in v2
    full = nodes(architecture_dot(paper_config("v1", depthwise_separable=False)))["b1"]
    assert "3×3 → 128 s2" in full and "dw" not in full


def test_legend_follows_the_design():
    assert "projection 1×1 (linear)" in legend(paper_config("v2"))
    assert "10 residual joins" in legend(paper_config("v2"))
    assert "residual" not in legend(paper_config("v2", residual=False))
    assert "no depthwise separation" in legend(paper_config("v1", depthwise_separable=False))
