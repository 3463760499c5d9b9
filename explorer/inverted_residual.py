"""One block of MobileNetV2 as an inverted residual: the costs of its expansion, depthwise and
projection convolutions, and the memory of its four activation tensors (V2 paper,
arXiv:1801.04381, Section 3.3; memory-efficient inference, Section 5.1). Torch-free: every figure
comes from the plan and ``counting.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .config import ConfigError, MobileNetConfig, check_int
from .counting import LayerCost, conv_cost
from .plan import make_plan
from .schema import FP32_BYTES


@dataclass(frozen=True)
class TensorMemory:
    """One activation tensor of a block, batch 1."""

    name: str  # "input", "expanded", "after depthwise", "output"
    channels: int
    size: int  # height = width

    @property
    def elements(self) -> int:
        return self.channels * self.size * self.size

    @property
    def fp32_bytes(self) -> int:
        return FP32_BYTES * self.elements


@dataclass(frozen=True)
class InvertedResidualCosts:
    """Costs and activation memory of one V2 inverted residual block (V2 paper, Section 3.3).

    ``layers`` are the block's rows of the layer table (``counting.LayerCost``): expand (absent
    when t = 1), depthwise, project. ``tensors``: input, expanded (after the 1×1 expansion; the
    input itself when t = 1), after depthwise, output. The expanded tensor is t times the input:
    the residual joins the thin ends, where the tensors are small (the V2 paper's argument for
    inverted residuals and for their memory-efficient inference, Section 5.1).
    """

    row: int
    block_name: str
    t: int
    stride: int
    residual: bool  # whether this block adds its input (stride 1 and equal channels)
    layers: tuple[LayerCost, ...]
    tensors: tuple[TensorMemory, ...]

    def tensor(self, name: str) -> TensorMemory:
        return next(tensor for tensor in self.tensors if tensor.name == name)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def expansion_memory_ratio(self) -> float:
        """Expanded tensor bytes / input tensor bytes: t."""
        return self.tensor("expanded").fp32_bytes / self.tensor("input").fp32_bytes


def inverted_residual_costs(config: MobileNetConfig, row_index: int, repeat: int = 0) -> InvertedResidualCosts:
    """Costs and memory of one block of row ``row_index`` of a V2 block table (the first by default).

    The first block of a row carries the row's stride and channel change, so it has no residual
    (unless s = 1 and the channels already match); ``repeat`` ≥ 1 picks a later one, which does.
    """
    if not config.is_v2:
        raise ConfigError("arch", "inverted residual blocks exist only in MobileNetV2 (mobilenet_v2)")
    check_int(row_index, "row", 0, len(config.blocks) - 1)
    in_row = [block for block in make_plan(config).blocks if block.row == row_index]
    check_int(repeat, "repeat", 0, len(in_row) - 1)
    block = in_row[repeat]
    by_kind = {layer.kind: layer for layer in block.layers}
    first, dw, project = block.layers[0], by_kind["depthwise"], by_kind["project"]
    tensors = (
        TensorMemory("input", first.in_channels, first.in_size),
        TensorMemory("expanded", dw.in_channels, dw.in_size),  # the input itself when t = 1
        TensorMemory("after depthwise", dw.out_channels, dw.out_size),
        TensorMemory("output", project.out_channels, project.out_size),
    )
    return InvertedResidualCosts(
        row=row_index, block_name=f"blocks.{block.index}", t=config.blocks[row_index].t, stride=dw.stride,
        residual=block.residual, layers=tuple(conv_cost(layer) for layer in block.layers), tensors=tensors,
    )
