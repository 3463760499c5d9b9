"""The depthwise-separable explainer, measured: three implementations of one convolution,
checked to compute the same function, then timed (V1 paper, Section 3.1; ``separable.py`` has the
arithmetic).

* ``standard``: one dense D_K×D_K convolution;
* ``grouped``: the depthwise step as one grouped conv (groups = M), then a 1×1 conv, as
  ``models.py`` builds every MobileNet layer;
* ``loop``: the depthwise step as a Python loop over channels, then the same 1×1 conv.

:func:`build_implementations` gives all three one set of weights; :func:`compare_outputs` checks
their outputs agree; :func:`measure_implementations` and :func:`sweep` time them with
``explorer.timing``. This module imports torch: ``separable.py`` is the torch-free part.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .config import ConfigError, check_int
from .separable import ConvShape, Factorization, factorization
from .timing import time_call

IMPLEMENTATIONS = ("standard", "grouped", "loop")

IMPLEMENTATION_LABELS = {
    "standard": "standard D_K×D_K convolution",
    "grouped": "depthwise as one grouped conv (groups = M) + 1×1",
    "loop": "depthwise as a Python loop over channels + 1×1",
}

# Measuring builds real tensors; these caps keep a page from asking for gigabytes or minutes.
MAX_MEASURED_MACS = 4_000_000_000  # standard conv, batch included: ~0.1–0.3 s a call on 2 cores
MAX_MEASURED_WEIGHTS = 32 * 2**20  # dense weight elements (128 MiB in fp32)
MAX_MEASURED_ELEMENTS = 32 * 2**20  # elements of the input or of any output tensor


def check_measurable(shape: ConvShape, batch: int = 1) -> None:
    """Raise :class:`ConfigError` if timing ``shape`` would need too much memory or time."""
    c = factorization(shape)
    check_int(batch, "batch", 1, 64)
    if c.standard_macs * batch > MAX_MEASURED_MACS:
        raise ConfigError("shape", f"the standard conv needs {c.standard_macs * batch / 1e9:.1f} GMACs a call; "
                                   f"timing is limited to {MAX_MEASURED_MACS / 1e9:.0f} GMACs")
    if c.standard_params > MAX_MEASURED_WEIGHTS:
        raise ConfigError("shape", f"the standard conv has {c.standard_params:,} weights; timing is limited to {MAX_MEASURED_WEIGHTS:,}")
    tensors = max(shape.in_channels * shape.input_size**2, max(shape.in_channels, shape.out_channels) * shape.feature_size**2)
    if tensors * batch > MAX_MEASURED_ELEMENTS:
        raise ConfigError("shape", f"a feature map has {tensors * batch:,} elements; timing is limited to {MAX_MEASURED_ELEMENTS:,}")


class StandardConv(nn.Module):
    """One dense D_K×D_K convolution, M → N channels."""

    def __init__(self, shape: ConvShape):
        super().__init__()
        self.conv = nn.Conv2d(shape.in_channels, shape.out_channels, shape.kernel_size, shape.stride,
                              padding=shape.padding, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class GroupedSeparable(nn.Module):
    """Depthwise as one grouped conv (groups = M: one filter per channel), then a 1×1 conv.

    This is how ``models.py`` builds every MobileNet depthwise layer: one kernel launch.
    """

    def __init__(self, shape: ConvShape):
        super().__init__()
        m = shape.in_channels
        self.depthwise = nn.Conv2d(m, m, shape.kernel_size, shape.stride, padding=shape.padding, groups=m, bias=False)
        self.pointwise = nn.Conv2d(m, shape.out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class LoopSeparable(nn.Module):
    """Depthwise as a naive Python loop: slice each channel, convolve it with its own
    one-channel kernel, ``torch.cat`` the results; then the same 1×1 conv.

    The depthwise weight is one (M, 1, D_K, D_K) parameter, sliced per channel, so the loop pays
    for M small conv calls and the concatenation, not for M module objects.
    """

    def __init__(self, shape: ConvShape):
        super().__init__()
        m, k = shape.in_channels, shape.kernel_size
        self.stride, self.padding = shape.stride, shape.padding
        self.depthwise_weight = nn.Parameter(torch.empty(m, 1, k, k))
        self.pointwise = nn.Conv2d(m, shape.out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = [
            F.conv2d(x[:, c : c + 1], self.depthwise_weight[c : c + 1], stride=self.stride, padding=self.padding)
            for c in range(x.shape[1])
        ]
        return self.pointwise(torch.cat(channels, dim=1))


MODULES = {"standard": StandardConv, "grouped": GroupedSeparable, "loop": LoopSeparable}


def build_implementations(shape: ConvShape, seed: int = 0) -> dict[str, nn.Module]:
    """The three implementations of ``shape`` in eval mode, keyed by ``IMPLEMENTATIONS``, from one
    set of weights, so all three compute the same function:

    * ``grouped`` and ``loop`` share the very same depthwise and pointwise parameter tensors;
    * ``standard``'s dense kernel is their composition, W[n, m] = P[n, m]·D[m], which is exactly
      the factorization the paper describes (a separable conv is a standard conv whose kernel has
      this rank-one-per-channel structure). The dense conv still does all D_K²·M·N·D_F² MACs.

    No batch norm or activation: the comparison is about the convolutions, whose MACs are the
    paper's cost (BN folds into the weights at inference; activations cost one op per output, not
    counted). An activation between depthwise and pointwise would also break the equality with the
    standard conv, which is what makes the three outputs comparable.
    """
    m, n, k = shape.in_channels, shape.out_channels, shape.kernel_size
    generator = torch.Generator().manual_seed(seed)
    # He-style scales keep outputs near unit variance: no denormals distorting the timings.
    depthwise = torch.randn(m, 1, k, k, generator=generator) * (2.0 / (k * k)) ** 0.5
    pointwise = torch.randn(n, m, 1, 1, generator=generator) * (2.0 / m) ** 0.5
    built = {name: MODULES[name](shape).eval() for name in IMPLEMENTATIONS}
    with torch.no_grad():
        built["standard"].conv.weight.copy_(pointwise[:, :, 0, 0, None, None] * depthwise[None, :, 0])
        built["grouped"].depthwise.weight.copy_(depthwise)
        built["grouped"].pointwise.weight.copy_(pointwise)
    built["loop"].depthwise_weight = built["grouped"].depthwise.weight  # shared, not copied
    built["loop"].pointwise = built["grouped"].pointwise
    return built


def make_input(shape: ConvShape, batch: int = 1, seed: int = 1) -> torch.Tensor:
    """A random (batch, M, D_F·stride, D_F·stride) input."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, shape.in_channels, shape.input_size, shape.input_size, generator=generator)


@dataclass(frozen=True)
class OutputAgreement:
    """Largest absolute differences between the implementations' outputs on one input."""

    grouped_vs_loop: float
    standard_vs_grouped: float
    output_scale: float  # largest |output|, to read the differences against

    @property
    def equal(self) -> bool:
        """The two factorized versions agree to float32 rounding (1e-5 relative to the output)."""
        return self.grouped_vs_loop <= 1e-5 * max(self.output_scale, 1.0)


def compare_outputs(shape: ConvShape, batch: int = 1, seed: int = 0) -> OutputAgreement:
    """Run the three implementations on the same input and compare their outputs."""
    check_measurable(shape, batch)
    built = build_implementations(shape, seed)
    x = make_input(shape, batch)
    with torch.inference_mode():
        out = {name: module(x) for name, module in built.items()}
    return OutputAgreement(
        grouped_vs_loop=(out["grouped"] - out["loop"]).abs().max().item(),
        standard_vs_grouped=(out["standard"] - out["grouped"]).abs().max().item(),
        output_scale=out["grouped"].abs().max().item(),
    )


@dataclass(frozen=True)
class ImplementationTiming:
    """Measured wall time of one implementation, and what its MAC savings turned into.

    ``speedup`` is standard time / this time. ``mac_reduction`` is standard MACs / these MACs.
    ``mac_reduction_realized`` = speedup / mac_reduction: 1.0 means every saved MAC became saved
    time; 0.25 means a quarter of the MAC reduction showed up as speed (the rest is lost to memory
    traffic, kernel overheads and, for the loop, Python). 1.0 by definition for the standard conv.
    """

    name: str  # one of IMPLEMENTATIONS
    label: str
    median_ms: float
    iqr_ms: float
    min_ms: float
    runs: int
    threads: int
    batch: int
    macs: int  # for the whole batch
    params: int
    gmacs_per_s: float
    speedup: float
    mac_reduction: float
    mac_reduction_realized: float


def measure_implementations(shape: ConvShape, *, threads: int | None = None, budget_s: float = 1.0, batch: int = 1,
                            seed: int = 0) -> list[ImplementationTiming]:
    """Time the three implementations on one input, in ``IMPLEMENTATIONS`` order.

    Each gets ``budget_s`` seconds of ``explorer.timing.time_call`` (warm-up, then blocks of runs;
    median and IQR), under ``torch.inference_mode``, with ``threads`` threads (default: all cores).
    The loop gets the same budget as the others: when one call is longer than the budget it is
    still timed a few times (2 warm-up calls and one block), so keep M moderate for it.
    """
    check_measurable(shape, batch)
    counts = factorization(shape)
    macs = {"standard": counts.standard_macs, "grouped": counts.separable_macs, "loop": counts.separable_macs}
    params = {"standard": counts.standard_params, "grouped": counts.separable_params, "loop": counts.separable_params}
    built = build_implementations(shape, seed)
    x = make_input(shape, batch)
    timings = {}
    with torch.inference_mode():
        for name in IMPLEMENTATIONS:
            module = built[name]
            timings[name] = time_call(lambda module=module: module(x), threads=threads, budget_s=budget_s)
    standard = timings["standard"].median
    results = []
    for name in IMPLEMENTATIONS:
        t = timings[name]
        speedup = standard / t.median
        reduction = macs["standard"] / macs[name]
        results.append(ImplementationTiming(
            name=name, label=IMPLEMENTATION_LABELS[name], median_ms=t.median_ms, iqr_ms=t.iqr_ms,
            min_ms=min(t.times) * 1e3, runs=t.runs, threads=t.threads, batch=batch, macs=macs[name] * batch,
            params=params[name], gmacs_per_s=macs[name] * batch / t.median / 1e9, speedup=speedup,
            mac_reduction=reduction, mac_reduction_realized=speedup / reduction,
        ))
    return results


# ---------------------------------------------------------------------------------------------
# A sweep over N or D_F, for a plot
# ---------------------------------------------------------------------------------------------

SWEEP_FIELDS = {"N": "out_channels", "D_F": "feature_size"}
MAX_SWEEP_POINTS = 12


@dataclass(frozen=True)
class SweepRow:
    """One point of a sweep: the varied value, the counts, and the three timings."""

    vary: str  # "N" or "D_F"
    value: int
    factorization: Factorization
    timings: tuple[ImplementationTiming, ...]  # in IMPLEMENTATIONS order

    def timing(self, name: str) -> ImplementationTiming:
        return self.timings[IMPLEMENTATIONS.index(name)]


def default_sweep_values(shape: ConvShape, vary: str) -> list[int]:
    """A grid for the sweep: N 16…1024 in powers of two, or D_F 7…112 (V1's feature sizes), keeping
    only the values this shape can be timed at (``check_measurable``)."""
    grids = {"N": [16, 32, 64, 128, 256, 512, 1024], "D_F": [7, 14, 28, 56, 112]}
    if vary not in grids:
        raise ConfigError("vary", f"must be one of {', '.join(SWEEP_FIELDS)}, got {vary!r}")
    values = []
    for value in grids[vary]:
        try:
            check_measurable(shape.replace(**{SWEEP_FIELDS[vary]: value}))
        except ConfigError:
            continue
        values.append(value)
    return values


def sweep(shape: ConvShape, vary: str, values: list[int], *, threads: int | None = None, budget_s: float = 0.15,
          batch: int = 1) -> list[SweepRow]:
    """Time the three implementations with N or D_F set to each of ``values``, the rest fixed.

    ``budget_s`` is per implementation per point, so the sweep takes about
    3·len(values)·budget_s seconds plus warm-ups (~3 s for 7 points at 0.15 s). Every point is
    checked measurable before anything is timed, so a bad value fails fast.
    """
    if vary not in SWEEP_FIELDS:
        raise ConfigError("vary", f"must be one of {', '.join(SWEEP_FIELDS)}, got {vary!r}")
    if not 1 <= len(values) <= MAX_SWEEP_POINTS:
        raise ConfigError("values", f"must have 1 to {MAX_SWEEP_POINTS} values, got {len(values)}")
    shapes = [shape.replace(**{SWEEP_FIELDS[vary]: value}) for value in values]
    for point in shapes:
        check_measurable(point, batch)
    return [
        SweepRow(vary, value, factorization(point), tuple(measure_implementations(point, threads=threads, budget_s=budget_s, batch=batch)))
        for value, point in zip(values, shapes)
    ]
