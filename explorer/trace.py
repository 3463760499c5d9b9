"""Traced profile of a built model, with fvcore and torchinfo: the check on the analytic counts.

The analytic cost model (``counting.py``) is what the app shows; this module measures the same
rows on a real model so tests (and curious users) can confirm the two agree to the unit.
fvcore counts one fused multiply-add as one "flop"; only its ``conv`` and ``linear`` operators are
kept, matching the papers' convention (its batch_norm and adaptive_avg_pool2d counts are dropped).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torchinfo
from torch import nn

with warnings.catch_warnings():  # fvcore imports torch.jit.script, deprecated in torch 2.13
    warnings.simplefilter("ignore", DeprecationWarning)
    from fvcore.nn import FlopCountAnalysis

from .config import MobileNetConfig
from .plan import make_plan

PAPER_OPERATORS = ("conv", "linear")


@dataclass(frozen=True)
class TracedLayer:
    name: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


def layer_names(config: MobileNetConfig) -> list[str]:
    """Module names of the layer-table rows, in forward order."""
    return make_plan(config).row_names()


def trace_layers(model: nn.Module, config: MobileNetConfig) -> list[TracedLayer]:
    """Per-row output shape and params (torchinfo) and conv+linear MACs (fvcore), batch 1."""
    x = torch.zeros(1, 3, config.resolution, config.resolution)
    modules = dict(model.named_modules())
    wanted = {id(modules[name]): name for name in layer_names(config)}
    summary = torchinfo.summary(model, input_data=x, verbose=0, depth=100)
    shapes, params = {}, {}
    for info in summary.summary_list:
        name = wanted.get(id(info.module))
        if name is not None:
            shapes[name], params[name] = tuple(info.output_size), info.num_params
    flops = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_module = flops.by_module_and_operator()
    return [
        TracedLayer(name, shapes[name], params[name], sum(by_module[name].get(op, 0) for op in PAPER_OPERATORS))
        for name in layer_names(config)
    ]
