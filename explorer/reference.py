"""The bundled published results (``assets/``), and the config each published MobileNet row describes.

The CSV files are copies of ``shared/reference/`` with their source and table columns; values are
as published, typos included. Blank cells stay None, never 0. Where a published figure disagrees
with what the architecture computes, :data:`KNOWN_DISCREPANCIES` says why, rather than editing it
(``fidelity.py`` does the comparing).

Two columns are added to the copies, so provenance is data rather than a reading of ``source``:

* ``num_classes``: the classifier of the published model: 1001 for TF-slim's checkpoints and the
  TF-Lite models made from them (a background class), 1000 for torchvision's weights and for the
  papers (the V1 paper's Table 1 ends in "FC 1024 × 1000"); blank for the reference networks.
* ``params_convention`` (``published_results.csv``): how the source counted parameters:
  ``weights_only`` (conv and linear weights, no batch norm, no bias: the papers, and TF-slim's V2
  table) or ``all_parameters`` (TF-slim's V1 table, torchvision); blank for the reference networks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import ARCHS, PAPER_BLOCKS, V1_PAPER_BLOCKS, V3_ARCHS, MobileNetConfig, paper_config, v3_preset
from .locations import assets_dir
from .plan import make_divisible

ASSETS = assets_dir()
PUBLISHED_RESULTS = ASSETS / "published_results.csv"
DEVICE_LATENCY = ASSETS / "device_latency.csv"

PARAMS_CONVENTIONS = ("weights_only", "all_parameters")

V3_RESULTS = ASSETS / "mobilenet_v3.csv"
_V3_SLIM = "TF-slim mobilenet/README.md V3 checkpoints"
_V3_SLIM_ROUNDING = (
    "TF-slim's V3 at α = 0.75 is another rounding of the same table: each row's expansion is a factor "
    "(exp / input) times the input width already rounded to 8, and the classifier keeps its {hidden} "
    "channels; torchvision (and this explorer) round exp·α and scale the classifier. Under TF-slim's rule "
    "the paper's rows compute {macs:.1f}M MACs and {params:.2f}M weights (reference.slim_v3_config), "
    "which is what TF-slim publishes; torchvision's rounding computes {our_macs:.1f}M and {our_params:.2f}M."
)
_V3_SMALL_UNEXPLAINED = (
    "TF-slim's README gives {macs:g}M MACs for this V3-Small, {diff:.1f}M more than the architecture of the paper's "
    "Table 2 (which TF-slim's own V3_SMALL definition and torchvision's follow) computes; no rounding or "
    "counting rule we know reproduces it. The figure is kept as published and the difference left unexplained."
)
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
    num_classes: int | None  # the published model's classifier (None: a reference network)
    params_convention: str | None  # one of PARAMS_CONVENTIONS (None: a reference network)

    @property
    def key(self) -> tuple[str, str]:
        return (self.model, self.source)

    @property
    def weights_only(self) -> bool:
        """Whether the source counts conv and linear weights only (no batch norm, no bias)."""
        return self.params_convention == "weights_only"


def _num(text: str | None) -> float | None:
    return float(text) if text and text.strip() else None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip() else None


def _bool(text: str) -> bool:
    return text.strip().lower() == "true"


def _read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _check_provenance(path: Path, line: int, family: str, num_classes: int | None) -> None:
    # A MobileNet row is computed from its config, so it must say which classifier it had.
    if family in ARCHS and num_classes is None:
        raise ValueError(f"{path.name}, line {line}: num_classes is blank for a {family} row")


@lru_cache(maxsize=4)
def load_published_results(path: Path = PUBLISHED_RESULTS) -> tuple[PublishedResult, ...]:
    rows = []
    for line, row in enumerate(_read(path), start=2):  # line 1 is the header
        convention = row["params_convention"].strip() or None
        if convention not in (None, *PARAMS_CONVENTIONS):
            raise ValueError(f"{path.name}, line {line}: params_convention must be one of "
                             f"{', '.join(PARAMS_CONVENTIONS)} or blank, got {convention!r}")
        result = PublishedResult(
            family=row["family"],
            model=row["model"],
            width_multiplier=_num(row["width_multiplier"]),
            resolution=_int(row["resolution"]),
            top1=_num(row["top1"]),
            top5=_num(row["top5"]),
            macs_m=_num(row["macs_m"]),
            params_m=_num(row["params_m"]),
            quantized=_bool(row["quantized"]),
            source=row["source"],
            table=row["table"],
            num_classes=_int(row["num_classes"]),
            params_convention=convention,
        )
        _check_provenance(path, line, result.family, result.num_classes)
        rows.append(result)
    return tuple(rows)


def config_for_row(family: str, model: str, width: float | None, resolution: int | None,
                   num_classes: int | None) -> MobileNetConfig:
    """The config a published MobileNet row describes, read from its family, name and numbers
    (V3's "minimalistic" checkpoints are that preset)."""
    overrides: dict = {"width_multiplier": width, "resolution": resolution, "num_classes": num_classes}
    if family in V3_ARCHS:
        return v3_preset(family, "minimalistic" if "minimalistic" in model else "standard", **overrides)
    return paper_config(family, **overrides)


def config_for(result: PublishedResult) -> MobileNetConfig | None:
    """The config of a published MobileNet row, or None for the other networks.

    Two V1 paper rows are variants the schema expresses with its optional fields: the
    full-convolution baseline (Table 4) and the shallow network without the five 14×14×512
    layers (Table 5).
    """
    if result.family not in ARCHS:
        return None
    if result.family in V3_ARCHS:
        return config_for_row(result.family, result.model, result.width_multiplier, result.resolution, result.num_classes)
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
    num_classes: int | None  # the measured model's classifier (None: a reference network)

    @property
    def platform(self) -> tuple[str, str]:
        """(device, backend): what a latency budget is stated on."""
        return (self.device, self.backend)


def device_latency_row(row: dict[str, str]) -> DeviceLatency:
    """One CSV row as a :class:`DeviceLatency`. ``top1``, ``top5`` and ``model_size_mb`` may be
    missing columns as well as blank cells, so a file of latencies alone reads the same way."""
    return DeviceLatency(
        family=row["family"],
        model=row["model"],
        width_multiplier=_num(row["width_multiplier"]),
        resolution=_int(row["resolution"]),
        quantized=_bool(row["quantized"]),
        device=row["device"],
        backend=row["backend"],
        latency_ms=float(row["latency_ms"]),
        top1=_num(row.get("top1")),
        top5=_num(row.get("top5")),
        model_size_mb=_num(row.get("model_size_mb")),
        source=row["source"],
        table=row["table"],
        num_classes=_int(row["num_classes"]),
    )


@lru_cache(maxsize=4)
def load_device_latency(path: Path = DEVICE_LATENCY) -> tuple[DeviceLatency, ...]:
    """Every row of a device-latency CSV (``device_latency.csv`` by default), in file order."""
    rows = []
    for line, row in enumerate(_read(path), start=2):
        result = device_latency_row(row)
        _check_provenance(path, line, result.family, result.num_classes)
        rows.append(result)
    return tuple(rows)


def latency_platforms(rows: tuple[DeviceLatency, ...] | None = None) -> tuple[tuple[str, str, int | None], ...]:
    """The published (device, backend, threads) platforms, in file order: the choices of a latency axis.

    Both bundled files by default (``device_latency.csv`` then ``device_latency_more.csv``). The
    thread count is part of the key because ncnn publishes 1- and 4-thread runs under one backend
    name; it is None for ``device_latency.csv`` (whose backend names say the threading) and where a
    source names an accelerator.
    """
    rows = load_all_device_latency() if rows is None else rows
    return tuple(dict.fromkeys(platform_key(row) for row in rows))


def platform_key(row: DeviceLatency) -> tuple[str, str, int | None]:
    """(device, backend, threads) of a published row; threads is None where the file has no such column."""
    return (row.device, row.backend, getattr(row, "threads", None))


# --- more published device latency: device_latency_more.csv -------------------------------------
# A second file in the same long format, with a thread count and without the accuracy and size
# columns. Kept as its own loader (and its own record, a DeviceLatency with ``threads``) so the
# bundled file's loader stays as it is. Note: ncnn publishes 1- and 4-thread runs under the same
# backend name, so (device, backend) alone does not name one platform in this file: add threads.
# Its copy gains the ``num_classes`` column like the others: 1001 for the TF-Lite models (made
# from TF-slim's checkpoints), 1000 for ncnn's benchmark models (``fc7 0=1000`` in
# benchmark/mobilenet.param and mobilenet_v2.param) and Qualcomm's (tonylins/pytorch-mobilenet-v2).

DEVICE_LATENCY_MORE = ASSETS / "device_latency_more.csv"


@dataclass(frozen=True)
class ThreadedDeviceLatency(DeviceLatency):
    """A row of ``device_latency_more.csv``: accuracy and size are not published there (None)."""

    threads: int | None = None  # None where the source names an accelerator, not a thread count


@lru_cache(maxsize=4)
def load_device_latency_more(path: Path = DEVICE_LATENCY_MORE) -> tuple[ThreadedDeviceLatency, ...]:
    """Every row of ``device_latency_more.csv``, in file order, with its thread count and source."""
    rows = []
    for line, row in enumerate(_read(path), start=2):
        result = ThreadedDeviceLatency(**vars(device_latency_row(row)), threads=_int(row["threads"]))
        _check_provenance(path, line, result.family, result.num_classes)
        rows.append(result)
    return tuple(rows)


def load_all_device_latency() -> tuple[DeviceLatency, ...]:
    """Every bundled device latency: ``device_latency.csv``, ``device_latency_more.csv``, then the V3 rows."""
    return load_device_latency() + load_device_latency_more() + load_v3_device_latency()


# --- MobileNetV3: mobilenet_v3.csv --------------------------------------------------------------
# One long file (a row per model and phone) with accuracy, MACs and params repeated on every row:
# read as published results (one per model) and as device latencies (one per row). Its platform is
# the one device_latency.csv calls "TF-Lite CPU, single large core" (thread count in the backend's
# name), so its threads column is not made part of the platform key.


@lru_cache(maxsize=2)
def load_v3_rows(path: Path = V3_RESULTS) -> tuple[dict[str, str], ...]:
    return tuple(_read(path))


@lru_cache(maxsize=2)
def load_v3_results(path: Path = V3_RESULTS) -> tuple[PublishedResult, ...]:
    """One :class:`PublishedResult` per model of ``mobilenet_v3.csv`` (TF-slim counts weights only)."""
    seen: dict[str, PublishedResult] = {}
    for line, row in enumerate(load_v3_rows(path), start=2):
        if row["model"] in seen:
            continue
        result = PublishedResult(
            family=row["family"], model=row["model"], width_multiplier=_num(row["width_multiplier"]),
            resolution=_int(row["resolution"]), top1=_num(row["top1"]), top5=None, macs_m=_num(row["macs_m"]),
            params_m=_num(row["params_m"]), quantized=_bool(row["quantized"]), source=row["source"], table=row["table"],
            num_classes=_int(row["num_classes"]), params_convention="weights_only",
        )
        _check_provenance(path, line, result.family, result.num_classes)
        seen[result.model] = result
    return tuple(seen.values())


@lru_cache(maxsize=2)
def load_v3_device_latency(path: Path = V3_RESULTS) -> tuple[DeviceLatency, ...]:
    """Every row of ``mobilenet_v3.csv`` as a device latency, on the platforms the other files
    already name: a (device, backend) of ``device_latency.csv`` keeps its thread count None (its
    backend says the threading: Pixel 1), any other takes the file's threads column (Pixel 2 then
    joins ``device_latency_more.csv``'s single-core Pixel 2)."""
    unthreaded = {(r.device, r.backend) for r in load_device_latency()}
    rows = []
    for line, row in enumerate(load_v3_rows(path), start=2):
        base = device_latency_row({**row, "top5": "", "model_size_mb": ""})
        threads = None if (base.device, base.backend) in unthreaded else _int(row["threads"])
        result = ThreadedDeviceLatency(**vars(base), threads=threads)
        _check_provenance(path, line, result.family, result.num_classes)
        rows.append(result)
    return tuple(rows)


def all_published_results() -> tuple[PublishedResult, ...]:
    """Every bundled published result: ``published_results.csv`` then the V3 checkpoints."""
    return load_published_results() + load_v3_results()


def slim_v3_config(arch: str, width_multiplier: float, num_classes: int = 1001) -> MobileNetConfig:
    """TF-slim's V3 at ``width_multiplier``, written as a custom table at α = 1: each expansion is
    the row's factor (exp / input) times the rounded input width, and the classifier stays at its
    α = 1 width (TF-slim's finegrain_classification_mode). The stem rounds as torchvision's."""
    rows, raw_in, width_in = [], 16, make_divisible(16 * width_multiplier)
    for b in PAPER_BLOCKS[arch]:
        out = make_divisible(b.c * width_multiplier)
        rows.append({**b.to_dict(), "exp": make_divisible(width_in * b.exp / raw_in), "c": out})
        raw_in, width_in = b.c, out
    return paper_config(arch, blocks=rows, num_classes=num_classes)


def _v3_discrepancies() -> dict[tuple[str, str], str]:
    from .counting import count  # counting imports nothing from here; kept local as the one use

    notes = {}
    for arch, hidden in (("mobilenet_v3_large", 1280), ("mobilenet_v3_small", 1024)):
        slim, ours = count(slim_v3_config(arch, 0.75)), count(paper_config(arch, width_multiplier=0.75, num_classes=1001))
        text = _V3_SLIM_ROUNDING.format(hidden=hidden, macs=slim.macs / 1e6, params=slim.weight_params / 1e6,
                                        our_macs=ours.macs / 1e6, our_params=ours.weight_params / 1e6)
        size = arch.rsplit("_", 1)[1]
        if size == "small":
            text += (" For V3-Small this reproduces the published 44M MACs but not its 2.4M parameters "
                     "(2.03M under TF-slim's rule): that figure stays unexplained.")
        notes[(f"v3-{size}_224_0.75_float", _V3_SLIM)] = text  # TF-slim publishes no 8-bit 0.75
    small = count(paper_config("mobilenet_v3_small", num_classes=1001)).macs / 1e6
    small_min = count(v3_preset("mobilenet_v3_small", "minimalistic", num_classes=1001)).macs / 1e6
    for model, published, computed in (("v3-small_224_1.0_float", 66, small), ("v3-small_224_1.0_uint8", 66, small),
                                       ("v3-small-minimalistic_224_1.0_float", 65, small_min)):
        text = _V3_SMALL_UNEXPLAINED.format(macs=published, diff=published - computed)
        if model.startswith("v3-small_"):
            text += " Its 2.9M parameters likewise exceed the computed 2.53M weights."
        notes[(model, _V3_SLIM)] = text
    return notes


KNOWN_DISCREPANCIES.update(_v3_discrepancies())
