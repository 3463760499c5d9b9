"""A picture of the configured network, drawn from its plan: stem, every block with its shapes and
stride, the residual joins, the last conv and the classifier.

:func:`architecture_dot` is pure (config → Graphviz DOT text) and tested; :func:`show` and
:func:`side_by_side` render it with ``st.graphviz_chart``, whose Graphviz engine is bundled in
Streamlit's frontend (WebAssembly), so the picture needs no network and no system Graphviz.

Layout: one line of the picture per row of the block table (``rank=same``), its repeats left to
right, so a 17-block V2 stays about ten lines tall instead of a long column. A residual block is
followed by a ``+`` join fed by a dashed skip edge from the block's input.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import streamlit as st

from explorer import MobileNetConfig, make_plan
from explorer.plan import ConvPlan

from .charts import KIND_COLORS


def _shape(size: int, channels: int) -> str:
    """Height, width and channels as the V2 paper's Table 2 writes them: 112²×32."""
    return f"{size}²×{channels}"


def _layer_text(layer: ConvPlan) -> str:
    """One layer of a block, short and coloured by kind (the colours of the cost charts)."""
    k = f"{layer.kernel_size}×{layer.kernel_size}"
    text = f"dw {k}" if layer.kind == "depthwise" else f"{k} → {layer.out_channels}"
    if layer.stride != 1:
        text += f" s{layer.stride}"
    return f'<font color="{KIND_COLORS.get(layer.kind, "#333333")}">{escape(text)}</font>'


def _unit_text(unit) -> str:
    """A conv as :func:`_layer_text`; V3's squeeze-and-excite as "SE" (its squeeze width)."""
    if isinstance(unit, ConvPlan):
        return _layer_text(unit)
    return f'<font color="{KIND_COLORS["squeeze_excite"]}">{escape(f"SE {unit.squeeze_channels}")}</font>'


def _node(node_id: str, rows: Sequence[str], fill: str = "#f4f6fa", shape: str = "box") -> str:
    label = "<br/>".join(rows)
    return f'  {node_id} [shape={shape}, fillcolor="{fill}", label=<{label}>];'


def architecture_dot(config: MobileNetConfig) -> str:
    """The network of ``config`` as Graphviz DOT, from :func:`explorer.make_plan`."""
    plan = make_plan(config)
    lines = [
        "digraph mobilenet {",
        '  graph [rankdir=TB, nodesep=0.12, ranksep=0.22, bgcolor="transparent", fontname="Helvetica,Arial,sans-serif"];',
        '  node [style="rounded,filled", color="#9aa0a6", fontname="Helvetica,Arial,sans-serif", fontsize=10, margin="0.08,0.04"];',
        '  edge [color="#5f6368", arrowsize=0.5];',
    ]
    stem = plan.stem
    lines.append(_node("input", [f"<b>input</b>&#160;{_shape(config.resolution, 3)}"], fill="#ffffff"))
    lines.append(_node("stem", [f"<b>stem</b>&#160;conv 3×3 s{stem.stride}", _shape(stem.out_size, stem.out_channels)]))
    edges = ["  input -> stem;"]
    previous = "stem"
    lines_of_picture: list[list[str]] = [["input"], ["stem"]]  # left to right, one list per line
    for block in plan.blocks:
        first, last = block.layers[0], block.layers[-1]
        stride = max(layer.stride for layer in block.layers)
        node = f"b{block.index}"
        title = f"<b>block {block.index}</b>&#160;· row {block.row + 1} · s{stride}"
        lines.append(_node(node, [title, f"{_shape(first.in_size, first.in_channels)} → {_shape(last.out_size, last.out_channels)}",
                                  " · ".join(_unit_text(unit) for unit in block.units())]))
        new_line = block.index == 0 or block.row != plan.blocks[block.index - 1].row
        # Within a line the edge is laid out straight; from one line to the next it has weight 0,
        # so it does not drag the next line to the right (the spine below aligns the lines).
        edges.append(f"  {previous} -> {node}" + (" [weight=0];" if new_line else ";"))
        if new_line:
            lines_of_picture.append([])
        lines_of_picture[-1].append(node)
        if block.residual:
            join = f"add{block.index}"
            lines.append(f'  {join} [shape=circle, label="+", width=0.22, height=0.22, fixedsize=true, fillcolor="#ffffff", fontsize=11];')
            edges.append(f"  {node} -> {join};")
            # The skip edge: the block's input joins its output. constraint=false keeps it from
            # pushing the join onto another line of the picture.
            edges.append(f'  {previous} -> {join} [style=dashed, color="#d62728", constraint=false];')
            lines_of_picture[-1].append(join)
            node = join
        previous = node
    if plan.last_conv is not None:
        last = plan.last_conv
        lines.append(_node("last_conv", [f"<b>last conv</b>&#160;1×1 → {last.out_channels}", _shape(last.out_size, last.out_channels)]))
        edges.append(f"  {previous} -> last_conv [weight=0];")
        lines_of_picture.append(["last_conv"])
        previous = "last_conv"
    head = [f"<b>classifier</b>&#160;avg pool {plan.final_size}×{plan.final_size} → {plan.pooled_channels}"]
    if plan.pre_logits is not None:  # V3: a hidden linear layer with h-swish before the logits
        hidden = plan.pre_logits
        head.append(f"linear {hidden.in_features} → {hidden.out_features} · {hidden.activation}")
    head.append(f"dropout {config.dropout:g} · linear {plan.features} → {config.num_classes}")
    lines.append(_node("head", head, fill="#fdecea"))
    edges.append(f"  {previous} -> head [weight=0];")
    lines_of_picture.append(["head"])
    for nodes in lines_of_picture:
        if len(nodes) > 1:
            lines.append("  { rank=same; " + " ".join(f"{n};" for n in nodes) + " }")
    # An invisible, heavy spine through the first node of every line keeps the lines left-aligned
    # (without it each line starts under the previous line's end: a staircase).
    spine = [nodes[0] for nodes in lines_of_picture]
    edges += [f"  {a} -> {b} [style=invis, weight=100];" for a, b in zip(spine, spine[1:])]
    return "\n".join(lines + edges + ["}"]) + "\n"


def show(config: MobileNetConfig) -> None:
    """The diagram of ``config`` at its natural size, with a line that says how to read it.

    Natural size, not stretched to the column: scaled to fit, a V2's 10-point labels came out
    6–7 px high at desktop width. At natural size they are 13 px, and a diagram wider than the
    column scrolls sideways instead of shrinking."""
    # Streamlit caps the drawing at the column's width (max-width: 100%), which shrinks the text;
    # this keeps it at its natural size and lets the chart's box scroll sideways instead.
    st.html("<style>[data-testid='stGraphVizChart']{overflow-x:auto}"
            "[data-testid='stGraphVizChart'] svg{max-width:none!important}</style>")
    st.graphviz_chart(architecture_dot(config), width="content")
    st.caption(legend(config))


def legend(config: MobileNetConfig) -> str:
    """How to read the diagram of ``config`` (its colours and joins)."""
    if config.is_v3:
        kinds = ":green[expansion 1×1], :blue[depthwise 3×3 or 5×5], SE (squeeze-and-excite, teal), :violet[projection 1×1 (linear)]"
    elif config.is_v2:
        kinds = ":green[expansion 1×1], :blue[depthwise 3×3], :violet[projection 1×1" + (" (linear)]" if config.linear_bottleneck else "]")
    elif config.depthwise_separable:
        kinds = ":blue[depthwise 3×3], :orange[pointwise 1×1]"
    else:
        kinds = "full 3×3 convolutions (brown; no depthwise separation)"
    joins = sum(block.residual for block in make_plan(config).blocks)
    text = (f"One line per row of the block table, its repeats left to right; sizes are height²×channels, "
            f"s2 marks stride 2. Layers: {kinds}.")
    if joins:
        text += f" {joins} residual joins (+) add a block's input (dashed) to its output."
    return text


def side_by_side(configs: Sequence[MobileNetConfig], titles: Sequence[str] | None = None) -> None:
    """Diagrams of several configs (Compare's models), two a row: at natural size a diagram needs
    about half a desktop page; on a phone the columns stack."""
    titles = list(titles or [None] * len(configs))
    for start in range(0, len(configs), 2):
        for col, config, title in zip(st.columns(2), configs[start:start + 2], titles[start:start + 2]):
            with col:
                if title:
                    st.markdown(f"**{title}**")
                show(config)
