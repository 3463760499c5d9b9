"""The torchvision check shared by tests/test_export.py (V2) and tests/test_v3.py (V3): each
config's exported torchvision snippet, run in a fresh interpreter beside torchvision, has the
explorer's layers in the same order; with the explorer's weights loaded by position it gives
bit-identical outputs, and its parameter and MAC counts are the explorer's. Where a config is a
paper model, torchvision's own builder makes the same tensors too.
"""

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from explorer.export import config_json

ROOT = Path(__file__).resolve().parent.parent

# torchvision's registry wheels are CUDA builds; beside the CPU torch its compiled ops do not load
# and `import torchvision` fails on its operator registrations. Declaring those operators' schemas
# first lets its pure-Python model code import (FIELD-NOTES, "torchvision"). The model code never
# calls them.
TORCHVISION_IMPORT = """
import torch
lib = torch.library.Library("torchvision", "DEF")
for schema in (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, int sampling_ratio, bool aligned) -> Tensor",
    "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> (Tensor, Tensor, Tensor, Tensor, Tensor)",
):
    lib.define(schema)
try:
    import torchvision
except Exception as err:  # reported as a skip, with the reason
    print("IMPORT-FAILED:", repr(err)[:300])
    raise SystemExit(0)
"""

CHECK = """
import json, sys, torch
from torchvision.models import mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small
from explorer import build_model, count, loads_config, paper_config
from explorer.export import torchvision_snippet
BUILDERS = {"mobilenet_v2": mobilenet_v2, "mobilenet_v3_large": mobilenet_v3_large, "mobilenet_v3_small": mobilenet_v3_small}
for text in json.loads(sys.stdin.read()):
    config = loads_config(text)
    namespace = {}
    exec(compile(torchvision_snippet(config), "tv.py", "exec"), namespace)
    theirs, ours = namespace["build_model"](), build_model(config)
    if config.to_dict() == paper_config(config.arch, width_multiplier=config.width_multiplier, resolution=config.resolution,
                                        num_classes=config.num_classes, dropout=config.dropout).to_dict():
        own = BUILDERS[config.arch](width_mult=config.width_multiplier, num_classes=config.num_classes)
        assert [v.shape for v in own.state_dict().values()] == [v.shape for v in theirs.state_dict().values()], config
    tv_state, our_state = theirs.state_dict(), ours.state_dict()
    assert [v.shape for v in tv_state.values()] == [v.shape for v in our_state.values()], config
    theirs.load_state_dict(dict(zip(tv_state, our_state.values())))  # the same weights, by position
    x = torch.randn(2, 3, config.resolution, config.resolution, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a, b = theirs(x), ours(x)
    assert torch.equal(a, b), (a - b).abs().max()
    assert sum(p.numel() for p in theirs.parameters()) == count(config).params
    assert namespace["count_macs"](theirs, config.resolution) == count(config).macs
    print("same", len(tv_state))
"""


def check_against_torchvision(configs) -> None:
    """Run :data:`CHECK` on ``configs`` (skipped, with the reason, where torchvision is missing or cannot load)."""
    try:
        metadata.version("torchvision")
    except metadata.PackageNotFoundError:
        pytest.skip("torchvision is not installed (requirements-test.txt installs it)")
    texts = [config_json(c) for c in configs]
    done = subprocess.run([sys.executable, "-c", TORCHVISION_IMPORT + CHECK], input=json.dumps(texts),
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.stdout.startswith("IMPORT-FAILED:"):
        pytest.skip(f"torchvision cannot be imported beside this torch: {done.stdout.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("same") == len(texts)
