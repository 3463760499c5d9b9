"""Plan → feature vector: what a phone-latency model sees of a config.

**Features** come from the plan, nothing is built: MACs, split into dense (stem, 1×1 and full
convolutions, classifier) and depthwise; activation values read and written by every convolution
(memory traffic: ×4 bytes in float, ×1 in int8, a constant each platform's fit absorbs); weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..config import MobileNetConfig
from ..counting import conv_macs, conv_weights
from ..plan import make_plan

FEATURES = ("macs", "dense_macs", "depthwise_macs", "activations", "weights")
FEATURE_TITLES = {
    "macs": "MACs", "dense_macs": "dense MACs", "depthwise_macs": "depthwise MACs",
    "activations": "activations moved", "weights": "weights",
}


@lru_cache(maxsize=8192)
def features(config: MobileNetConfig) -> tuple[float, ...]:
    """The model's features, in millions, in the order of :data:`FEATURES`.

    One pass over the plan's convolutions with the counting module's pure functions: a few tens
    of microseconds once the plan is cached, so a sweep of thousands of configs stays instant.
    """
    plan = make_plan(config)
    dense = depthwise = activations = weights = 0
    for layer in plan.conv_layers():
        macs = conv_macs(layer.in_channels, layer.out_channels, layer.kernel_size, layer.out_size, layer.groups)
        if layer.kind == "depthwise":
            depthwise += macs
        else:
            dense += macs
        activations += layer.in_channels * layer.in_size**2 + layer.out_channels * layer.out_size**2
        weights += conv_weights(layer.in_channels, layer.out_channels, layer.kernel_size, layer.groups)
    head = plan.features * config.num_classes
    dense += head
    weights += head
    return ((dense + depthwise) / 1e6, dense / 1e6, depthwise / 1e6, activations / 1e6, weights / 1e6)


def feature_matrix(configs: Sequence[MobileNetConfig]) -> np.ndarray:
    return np.array([features(c) for c in configs], dtype=float).reshape(len(configs), len(FEATURES))
