"""The published rows a phone-latency model learns from, and the platforms they were measured on.

**Data.** Every MobileNet row of ``assets/device_latency.csv`` and ``device_latency_more.csv``.
A *platform* is what a latency was published on: device, backend, thread count and precision,
spelled as in the CSV files (ncnn publishes 1 and 4 threads under one backend name, so the thread
count is part of it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..config import ARCHS, MobileNetConfig
from ..reference import DeviceLatency, config_for_row

# The families a phone model is fitted per. V3-Large and V3-Small share one: TF-slim publishes three
# configs of each per phone (1.0, 0.75, minimalistic), too few for a model of its own (MIN_CONFIGS),
# while together they are six, and the features (MACs, activations, weights) do not depend on which.
PHONE_FAMILY = {"mobilenet_v1": "mobilenet_v1", "mobilenet_v2": "mobilenet_v2",
                "mobilenet_v3_large": "mobilenet_v3", "mobilenet_v3_small": "mobilenet_v3"}
FAMILIES = tuple(dict.fromkeys(PHONE_FAMILY.values()))
FAMILY_TITLES = {"mobilenet_v1": "V1", "mobilenet_v2": "V2", "mobilenet_v3": "V3"}


def config_key_of(config: MobileNetConfig) -> tuple:
    """What tells published configs apart: the arch, α, resolution and V3's switches (minimalistic)."""
    return (config.arch, round(config.width_multiplier, 6), config.resolution, config.squeeze_excite, config.hard_swish)


@dataclass(frozen=True)
class Platform:
    """What a latency was published on, spelled as in the CSV files."""

    device: str
    backend: str
    threads: int | None
    quantized: bool

    @property
    def precision(self) -> str:
        return "int8" if self.quantized else "float"

    @property
    def processor(self) -> str:
        """CPU, GPU or NPU (NNAPI and vendor NPUs), read from the backend's name."""
        b = self.backend.lower()
        if any(w in b for w in ("gpu", "vulkan", "metal")):
            return "GPU"
        if "nnapi" in b or "npu" in b:
            return "NPU"
        return "CPU"

    @property
    def thread_count(self) -> int | None:
        """The thread count, from its column or the backend's name ("single large core": 1)."""
        if self.threads is not None:
            return self.threads
        b = self.backend.lower()
        if "single" in b:
            return 1
        m = re.search(r"(\d+) threads?", b)
        return int(m.group(1)) if m else None

    @property
    def label(self) -> str:
        threads = f", {self.threads} thread{'s' if self.threads != 1 else ''}" if self.threads is not None else ""
        return f"{self.device} · {self.backend}{threads} · {self.precision}"

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "backend": self.backend, "threads": self.threads, "quantized": self.quantized}


def platform_of(row: DeviceLatency) -> Platform:
    return Platform(row.device, row.backend, getattr(row, "threads", None), row.quantized)


@dataclass(frozen=True)
class Sample:
    """A published latency with the config it describes."""

    row: DeviceLatency
    platform: Platform
    config: MobileNetConfig

    @property
    def family(self) -> str:
        """The phone model's family (V3-Large and V3-Small are one)."""
        return PHONE_FAMILY[self.row.family]

    @property
    def latency_ms(self) -> float:
        return self.row.latency_ms

    @property
    def config_key(self) -> tuple:
        return config_key_of(self.config)


def samples_of(rows: Iterable[DeviceLatency]) -> tuple[Sample, ...]:
    """The MobileNet rows (the reference networks have no config here) with their configs."""
    out = []
    for row in rows:
        if row.family not in ARCHS:
            continue
        config = config_for_row(row.family, row.model, row.width_multiplier, row.resolution, row.num_classes)
        out.append(Sample(row, platform_of(row), config))
    return tuple(out)
