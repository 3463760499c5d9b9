"""The bundled published results (``assets/``), and the config each published MobileNet row describes.

The CSV files are copies of ``shared/reference/`` with their source and table columns; values are
as published, typos included. Blank cells stay None, never 0. Where a published figure disagrees
with what the architecture computes, :data:`KNOWN_DISCREPANCIES` says why, rather than editing it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import V1_PAPER_BLOCKS, MobileNetConfig, paper_config
from .locations import assets_dir

ASSETS = assets_dir()
PUBLISHED_RESULTS = ASSETS / "published_results.csv"
DEVICE_LATENCY = ASSETS / "device_latency.csv"

MACS_TOLERANCE = 0.03  # relative, or MACS_TOLERANCE_ABS_M millions, whichever is looser
MACS_TOLERANCE_ABS_M = 1.0  # published MACs are rounded to 1M: 13.6M prints as 14M
PARAMS_TOLERANCE = 0.02

_V1_SLIM = "TF-slim mobilenet_v1.md (2018_02_22 checkpoints; 1001 classes)"
_V1_PAPER = "MobileNets paper arXiv:1704.04861"
_V2_PAPER = "MobileNetV2 paper arXiv:1801.04381"
_SLIM_025_192 = (
    "TF-slim's table gives 34M MACs for 0.25 at 192 px, but its own neighbours (41M at 224, 21M at "
    "160) and the architecture give 30.2M (41M × (192/224)²); the published 34 looks like a typo."
)

# Published rows off the computed figures by more than the tolerance, with the known cause.
# Keyed by (model, source); each is listed in the tests, none is skipped silently.
KNOWN_DISCREPANCIES: dict[tuple[str, str], str] = {
    ("0.25 MobileNet-224", _V1_PAPER): (
        "The V1 paper's Table 6 rounds parameters to 0.1M: 0.47M is printed as 0.5M. "
        "TF-slim's checkpoint table gives 0.47M for the same model."
    ),
    ("MobileNet_v1_0.25_192", _V1_SLIM): _SLIM_025_192,
    ("MobileNet_v1_0.25_192_quant", _V1_SLIM): _SLIM_025_192,
    ("MobileNetV2", _V2_PAPER): (
        "The V2 paper's Table 4 rounds the parameter count down to 3.4M; the same model in TF-slim's "
        "checkpoint table is 3.47M (conv+linear weights), 3.50M with batch norm in PyTorch."
    ),
    ("MobileNetV2 (1.4)", _V2_PAPER): (
        "The V2 paper's Table 4 gives 6.9M parameters for V2 1.4; TF-slim's checkpoint table gives "
        "6.06M for the same network, which is what the architecture computes. The sources disagree."
    ),
}


@dataclass(frozen=True)
class PublishedResult:
    """One row of ``published_results.csv``; blanks are None."""

    family: str
    model: str
    width_multiplier: float | None
    resolution: int | None
    top1: float | None
    top5: float | None
    macs_m: float | None
    params_m: float | None
    quantized: bool
    source: str
    table: str

    @property
    def num_classes(self) -> int:
        # TF-slim checkpoints add a background class; torchvision's weights and the papers' text
        # use ImageNet's 1000. The source column says which.
        return 1000 if "1000 classes" in self.source else 1001

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.source)


def _num(text: str) -> float | None:
    return float(text) if text.strip() else None


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


@lru_cache(maxsize=4)
def load_published_results(path: Path = PUBLISHED_RESULTS) -> tuple[PublishedResult, ...]:
    with open(path, newline="", encoding="utf-8") as f:
        return tuple(
            PublishedResult(
                family=row["family"],
                model=row["model"],
                width_multiplier=_num(row["width_multiplier"]),
                resolution=_int(row["resolution"]),
                top1=_num(row["top1"]),
                top5=_num(row["top5"]),
                macs_m=_num(row["macs_m"]),
                params_m=_num(row["params_m"]),
                quantized=row["quantized"].strip().lower() == "true",
                source=row["source"],
                table=row["table"],
            )
            for row in csv.DictReader(f)
        )


def config_for(result: PublishedResult) -> MobileNetConfig | None:
    """The config of a published MobileNet row, or None for the other networks.

    Two V1 paper rows are variants the schema expresses with its optional fields: the
    full-convolution baseline (Table 4) and the shallow network without the five 14×14×512
    layers (Table 5).
    """
    if result.family not in ("mobilenet_v1", "mobilenet_v2"):
        return None
    overrides: dict = {
        "width_multiplier": result.width_multiplier,
        "resolution": result.resolution,
        "num_classes": result.num_classes,
    }
    if result.model.startswith("Conv MobileNet"):
        overrides["depthwise_separable"] = False
    elif result.model.startswith("Shallow MobileNet"):
        overrides["blocks"] = [b.to_dict() for b in V1_PAPER_BLOCKS if not (b.c == 512 and b.n == 5)]
    return paper_config(result.family, **overrides)


def counts_weights_only(result: PublishedResult) -> bool:
    """Whether the source counts conv and linear weights only (no batch norm, no bias).

    The papers and TF-slim's V2 table do (the V1 paper's Table 9 prints 1.32M for 0.5 MobileNet,
    exactly its weights); TF-slim's V1 table and torchvision count every parameter.
    """
    paper = result.source.startswith(("MobileNets paper", "MobileNetV2 paper"))
    return paper or (result.family == "mobilenet_v2" and result.source.startswith("TF-slim"))


@dataclass(frozen=True)
class Reconciliation:
    """A published MobileNet row next to the project's computed figures."""

    result: PublishedResult
    config: MobileNetConfig
    macs: int
    params: int  # all parameters, as PyTorch counts them
    weight_params: int  # conv + linear weights only

    @property
    def comparable_params(self) -> int:
        """The count that matches how the source counted."""
        return self.weight_params if counts_weights_only(self.result) else self.params

    @property
    def macs_error(self) -> float | None:
        """Computed over published MACs, minus 1 (None when nothing was published)."""
        return None if not self.result.macs_m else self.macs / (self.result.macs_m * 1e6) - 1

    @property
    def params_error(self) -> float | None:
        return None if not self.result.params_m else self.comparable_params / (self.result.params_m * 1e6) - 1

    @property
    def macs_ok(self) -> bool:
        if self.result.macs_m is None:
            return True
        diff_m = abs(self.macs / 1e6 - self.result.macs_m)
        return diff_m <= MACS_TOLERANCE_ABS_M or abs(self.macs_error) <= MACS_TOLERANCE

    @property
    def params_ok(self) -> bool:
        return self.params_error is None or abs(self.params_error) <= PARAMS_TOLERANCE

    @property
    def note(self) -> str:
        """Why computed and published differ (empty when they agree within tolerance)."""
        if self.result.key in KNOWN_DISCREPANCIES:
            return KNOWN_DISCREPANCIES[self.result.key]
        return ""


def reconcile(result: PublishedResult) -> Reconciliation | None:
    """Computed MACs and params for a published MobileNet row (None for other networks)."""
    from .counting import count

    config = config_for(result)
    if config is None:
        return None
    cost = count(config)
    return Reconciliation(result, config, cost.macs, cost.params, cost.weight_params)


# --- published device latency -----------------------------------------------------------------


@dataclass(frozen=True)
class DeviceLatency:
    """One row of ``device_latency.csv``: a published single-image latency; blanks are None."""

    family: str
    model: str
    width_multiplier: float | None
    resolution: int | None
    quantized: bool
    device: str  # "Pixel 1", "Pixel 3"
    backend: str  # runtime and processor, e.g. "TF-Lite CPU, 4 threads"
    latency_ms: float
    top1: float | None  # as published next to the latency (may differ from published_results.csv)
    top5: float | None
    model_size_mb: float | None
    source: str
    table: str

    @property
    def platform(self) -> tuple[str, str]:
        """(device, backend): what a latency budget is stated on."""
        return (self.device, self.backend)

    @property
    def num_classes(self) -> int:
        # Every latency source here runs the TF checkpoints, with their background class.
        return 1001


@lru_cache(maxsize=4)
def load_device_latency(path: Path = DEVICE_LATENCY) -> tuple[DeviceLatency, ...]:
    """Every row of ``device_latency.csv``, in file order, with its source and table."""
    with open(path, newline="", encoding="utf-8") as f:
        return tuple(
            DeviceLatency(
                family=row["family"],
                model=row["model"],
                width_multiplier=_num(row["width_multiplier"]),
                resolution=_int(row["resolution"]),
                quantized=row["quantized"].strip().lower() == "true",
                device=row["device"],
                backend=row["backend"],
                latency_ms=float(row["latency_ms"]),
                top1=_num(row["top1"]),
                top5=_num(row["top5"]),
                model_size_mb=_num(row["model_size_mb"]),
                source=row["source"],
                table=row["table"],
            )
            for row in csv.DictReader(f)
        )


def latency_platforms(rows: tuple[DeviceLatency, ...] | None = None) -> tuple[tuple[str, str], ...]:
    """The published (device, backend) pairs, in file order: the choices of a latency axis."""
    rows = load_device_latency() if rows is None else rows
    return tuple(dict.fromkeys(row.platform for row in rows))


def latency_devices(rows: tuple[DeviceLatency, ...] | None = None) -> tuple[str, ...]:
    """The published devices, in file order."""
    return tuple(dict.fromkeys(device for device, _ in latency_platforms(rows)))


def latency_backends(device: str, rows: tuple[DeviceLatency, ...] | None = None) -> tuple[str, ...]:
    """The backends published for ``device``, in file order (empty for an unknown device)."""
    return tuple(backend for d, backend in latency_platforms(rows) if d == device)
