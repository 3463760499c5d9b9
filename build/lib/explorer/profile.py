"""The profile of a config: its normalized config plus the analytic per-layer counts.

This is the object the CLI prints and the pages render. Latency, when measured, is attached by
``explorer.latency``; everything here is analytic and instant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import MobileNetConfig
from .counting import Cost, LayerCost, count


@dataclass(frozen=True)
class Profile:
    config: MobileNetConfig
    cost: Cost

    @property
    def params(self) -> int:
        return self.cost.params

    @property
    def weight_params(self) -> int:
        return self.cost.weight_params

    @property
    def macs(self) -> int:
        return self.cost.macs

    @property
    def layers(self) -> tuple[LayerCost, ...]:
        return self.cost.layers

    def to_dict(self, layers: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "config": self.config.to_dict(),
            "params": self.params,
            "weight_params": self.weight_params,
            "macs": self.macs,
            "fp32_bytes": self.cost.fp32_bytes,
        }
        if layers:
            out["layers"] = [layer.to_dict() for layer in self.layers]
        return out


def profile(config: MobileNetConfig) -> Profile:
    """Analytic profile of ``config``: exact params, MACs and shapes per layer, without torch."""
    return Profile(config, count(config))
