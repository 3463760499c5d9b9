"""Why depthwise separable convolutions are cheap: the arithmetic, and what it buys in time.

The V1 paper (arXiv:1704.04861, Section 3.1) factorizes a standard D_K×D_K convolution with M
input and N output channels, on a D_F×D_F output feature map, into

* a depthwise convolution, one D_K×D_K filter per input channel: D_K·D_K·M·D_F·D_F MACs;
* a pointwise (1×1) convolution that mixes channels:              M·N·D_F·D_F MACs;

against D_K·D_K·M·N·D_F·D_F for the standard convolution, so the cost ratio is
(D_K²·M·D_F² + M·N·D_F²) / (D_K²·M·N·D_F²) = 1/N + 1/D_K²: 8 to 9 times fewer for 3×3 kernels.

This module holds the logic of the explainer page, torch-free except where modules are built or
timed (torch is imported lazily, as in ``explorer/__init__.py``):

* :class:`ConvShape` and :func:`factorization`: the counts, from ``explorer.counting``.
* :func:`formula_plain` / :func:`formula_latex`: the formulas with the user's numbers filled in.
* :func:`layer_shapes` / :func:`default_layer`: every depthwise layer of a V1/V2 config as a shape.
* :func:`build_implementations`, :func:`compare_outputs`, :func:`measure_implementations`,
  :func:`sweep`: three implementations of the same function, checked equal, then timed.
* :func:`full_conv_counterpart`: the whole model with full convolutions (V1 paper, Table 4).
* :func:`inverted_residual_costs`: one V2 block's costs and memory (V2 paper, Section 3.3).

Counting conventions are ``counting.py``'s: MACs of convolutions for one image; weights are
bias-free conv weights. Invalid user input raises :class:`explorer.ConfigError` naming the field,
the same error type the config loader uses, so a page needs one ``except``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .config import MAX_CHANNELS, MAX_RESOLUTION, ConfigError, MobileNetConfig
from .counting import Cost, LayerCost, conv_cost, conv_macs, conv_weights, plan_cost
from .plan import make_plan

if TYPE_CHECKING:  # torch is imported only when modules are built or timed
    import torch
    from torch import nn

# ---------------------------------------------------------------------------------------------
# The shape and its counts
# ---------------------------------------------------------------------------------------------

MAX_KERNEL_SIZE = 11  # odd kernels 1…11 cover every MobileNet layer (3×3) and the usual 5×5, 7×7
STRIDES = (1, 2)


@dataclass(frozen=True)
class ConvShape:
    """One convolution choice in the paper's symbols (arXiv:1704.04861, Section 3.1).

    ``feature_size`` is D_F, the *output* feature map size: with 'same' padding the paper's
    formulas hold for stride 2 too when D_F is the output size. The input is D_F·stride pixels wide.
    Kernels are odd, so 'same' padding (k-1)/2 is symmetric, as in every MobileNet layer.
    """

    kernel_size: int  # D_K
    in_channels: int  # M
    out_channels: int  # N
    feature_size: int  # D_F, output height = width
    stride: int = 1

    def __post_init__(self) -> None:
        for name, lo, hi in [
            ("kernel_size", 1, MAX_KERNEL_SIZE), ("in_channels", 1, MAX_CHANNELS),
            ("out_channels", 1, MAX_CHANNELS), ("feature_size", 1, MAX_RESOLUTION),
        ]:  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(name, f"must be an integer, got {value!r}")
            if not lo <= value <= hi:
                raise ConfigError(name, f"must be between {lo} and {hi}, got {value}")
        if self.kernel_size % 2 == 0:
            raise ConfigError("kernel_size", f"must be odd (1, 3, 5, …) so 'same' padding is symmetric, got {self.kernel_size}")
        if self.stride not in STRIDES or isinstance(self.stride, bool):
            raise ConfigError("stride", f"must be 1 or 2, got {self.stride!r}")

    @property
    def input_size(self) -> int:
        """Input height (= width) whose 'same'-padded convolution gives ``feature_size``."""
        return self.feature_size * self.stride

    @property
    def padding(self) -> int:
        return (self.kernel_size - 1) // 2

    def replace(self, **changes: int) -> ConvShape:
        """A new, validated shape with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Factorization:
    """Counts of a standard convolution against its depthwise + pointwise factorization.

    ``ratio`` is measured from the counts (separable / standard); ``formula_ratio`` is the paper's
    1/N + 1/D_K². Both come from exact fractions, so they are equal floats, not just close ones.
    """

    shape: ConvShape
    standard_macs: int
    depthwise_macs: int
    pointwise_macs: int
    standard_params: int
    depthwise_params: int
    pointwise_params: int

    @property
    def separable_macs(self) -> int:
        return self.depthwise_macs + self.pointwise_macs

    @property
    def separable_params(self) -> int:
        return self.depthwise_params + self.pointwise_params

    @property
    def ratio_exact(self) -> Fraction:
        return Fraction(self.separable_macs, self.standard_macs)

    @property
    def formula_ratio_exact(self) -> Fraction:
        return Fraction(1, self.shape.out_channels) + Fraction(1, self.shape.kernel_size**2)

    @property
    def ratio(self) -> float:
        """separable MACs / standard MACs, from the counts."""
        return float(self.ratio_exact)

    @property
    def formula_ratio(self) -> float:
        """1/N + 1/D_K² (arXiv:1704.04861, Section 3.1)."""
        return float(self.formula_ratio_exact)

    @property
    def mac_reduction(self) -> float:
        """How many times fewer MACs the factorization needs (standard / separable)."""
        return self.standard_macs / self.separable_macs

    @property
    def params_ratio(self) -> float:
        """separable weights / standard weights: also 1/N + 1/D_K² (the D_F² factor cancels)."""
        return self.separable_params / self.standard_params

    def to_dict(self) -> dict[str, object]:
        return {
            **dataclasses.asdict(self.shape),
            "standard_macs": self.standard_macs, "depthwise_macs": self.depthwise_macs,
            "pointwise_macs": self.pointwise_macs, "separable_macs": self.separable_macs,
            "standard_params": self.standard_params, "depthwise_params": self.depthwise_params,
            "pointwise_params": self.pointwise_params, "separable_params": self.separable_params,
            "ratio": self.ratio, "formula_ratio": self.formula_ratio, "mac_reduction": self.mac_reduction,
        }  # fmt: skip


def factorization(shape: ConvShape) -> Factorization:
    """MACs and weights of the standard conv, the depthwise conv and the pointwise conv."""
    k, m, n, f = shape.kernel_size, shape.in_channels, shape.out_channels, shape.feature_size
    return Factorization(
        shape=shape,
        standard_macs=conv_macs(m, n, k, f),
        depthwise_macs=conv_macs(m, m, k, f, groups=m),
        pointwise_macs=conv_macs(m, n, 1, f),
        standard_params=conv_weights(m, n, k),
        depthwise_params=conv_weights(m, m, k, groups=m),
        pointwise_params=conv_weights(m, n, 1),
    )


# ---------------------------------------------------------------------------------------------
# The formulas with the user's numbers filled in
# ---------------------------------------------------------------------------------------------

FORMULA_KEYS = ("standard_macs", "depthwise_macs", "pointwise_macs", "separable_macs", "standard_params",
                "separable_params", "ratio")  # fmt: skip


def formula_plain(shape: ConvShape) -> dict[str, str]:
    """The formulas as plain text, keyed by ``FORMULA_KEYS``, e.g. for ``st.text`` or a table.

    ``"standard_macs": "D_K·D_K·M·N·D_F·D_F = 3·3·512·512·14·14 = 462,422,016"``
    """
    k, m, n, f = shape.kernel_size, shape.in_channels, shape.out_channels, shape.feature_size
    c = factorization(shape)
    return {
        "standard_macs": f"D_K·D_K·M·N·D_F·D_F = {k}·{k}·{m}·{n}·{f}·{f} = {c.standard_macs:,}",
        "depthwise_macs": f"D_K·D_K·M·D_F·D_F = {k}·{k}·{m}·{f}·{f} = {c.depthwise_macs:,}",
        "pointwise_macs": f"M·N·D_F·D_F = {m}·{n}·{f}·{f} = {c.pointwise_macs:,}",
        "separable_macs": (f"D_K·D_K·M·D_F·D_F + M·N·D_F·D_F = {c.depthwise_macs:,} + {c.pointwise_macs:,} "
                           f"= {c.separable_macs:,}"),
        "standard_params": f"D_K·D_K·M·N = {k}·{k}·{m}·{n} = {c.standard_params:,}",
        "separable_params": (f"D_K·D_K·M + M·N = {k}·{k}·{m} + {m}·{n} = {c.depthwise_params:,} + "
                             f"{c.pointwise_params:,} = {c.separable_params:,}"),
        "ratio": (f"separable / standard = {c.separable_macs:,} / {c.standard_macs:,} = {c.ratio:.4f}; "
                  f"1/N + 1/D_K² = 1/{n} + 1/{k * k} = {c.formula_ratio:.4f} ({c.mac_reduction:.2f}× fewer MACs)"),
    }  # fmt: skip


def _tex(value: int) -> str:
    return f"{value:,}".replace(",", "{,}")  # a bare comma in TeX math mode adds a space after it


def formula_latex(shape: ConvShape) -> dict[str, str]:
    """The same formulas as LaTeX for ``st.latex``, keyed by ``FORMULA_KEYS``."""
    k, m, n, f = shape.kernel_size, shape.in_channels, shape.out_channels, shape.feature_size
    c = factorization(shape)
    return {
        "standard_macs": (rf"D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F = {k} \cdot {k} \cdot {m} \cdot {n} "
                          rf"\cdot {f} \cdot {f} = {_tex(c.standard_macs)}"),
        "depthwise_macs": (rf"D_K \cdot D_K \cdot M \cdot D_F \cdot D_F = {k} \cdot {k} \cdot {m} \cdot {f} \cdot {f} "
                           rf"= {_tex(c.depthwise_macs)}"),
        "pointwise_macs": rf"M \cdot N \cdot D_F \cdot D_F = {m} \cdot {n} \cdot {f} \cdot {f} = {_tex(c.pointwise_macs)}",
        "separable_macs": (rf"D_K \cdot D_K \cdot M \cdot D_F \cdot D_F + M \cdot N \cdot D_F \cdot D_F = "
                           rf"{_tex(c.depthwise_macs)} + {_tex(c.pointwise_macs)} = {_tex(c.separable_macs)}"),
        "standard_params": rf"D_K \cdot D_K \cdot M \cdot N = {k} \cdot {k} \cdot {m} \cdot {n} = {_tex(c.standard_params)}",
        "separable_params": (rf"D_K \cdot D_K \cdot M + M \cdot N = {_tex(c.depthwise_params)} + {_tex(c.pointwise_params)} "
                             rf"= {_tex(c.separable_params)}"),
        "ratio": (rf"\frac{{D_K \cdot D_K \cdot M \cdot D_F \cdot D_F + M \cdot N \cdot D_F \cdot D_F}}"
                  rf"{{D_K \cdot D_K \cdot M \cdot N \cdot D_F \cdot D_F}} = \frac{{1}}{{N}} + \frac{{1}}{{D_K^2}} "
                  rf"= \frac{{1}}{{{n}}} + \frac{{1}}{{{k * k}}} = {c.formula_ratio:.4f}"),
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The layers of a real model, as shapes
# ---------------------------------------------------------------------------------------------


def layer_shapes(config: MobileNetConfig) -> list[tuple[str, ConvShape]]:
    """Every depthwise layer of ``config`` as a (label, shape) choice, in forward order.

    V1: the depthwise + pointwise pair (M = depthwise channels, N = pointwise output).
    V2: the depthwise + projection of each inverted residual (M = expanded channels, N = project
    output): the expansion is a separate 1×1 conv, outside the factorization.
    V1 with ``depthwise_separable=False`` has a full 3×3 conv per block instead; its shape is the
    same (D_K, M, N, D_F) choice, so it is listed too. Labels read ``blocks.6 (14×14, 512→512)``.
    """
    choices = []
    for block in make_plan(config).blocks:
        spatial = next(layer for layer in block.layers if layer.kernel_size > 1)  # depthwise, or V1's full conv
        last = block.layers[-1]  # pointwise (V1), project (V2), or the full conv itself
        shape = ConvShape(spatial.kernel_size, spatial.in_channels, last.out_channels, spatial.out_size, spatial.stride)
        stride = ", stride 2" if spatial.stride == 2 else ""
        label = f"blocks.{block.index} ({shape.feature_size}×{shape.feature_size}, {shape.in_channels}→{shape.out_channels}{stride})"
        choices.append((label, shape))
    return choices


def default_layer(config: MobileNetConfig) -> tuple[str, ConvShape]:
    """The shape repeated most often in the model (first occurrence): a real, typical layer.

    For V1 1.0/224 that is ``blocks.6 (14×14, 512→512)``, the shape of five of its thirteen layers;
    for V2 1.0/224 ``blocks.7 (14×14, 384→64)``.
    """
    choices = layer_shapes(config)
    shapes = [shape for _, shape in choices]
    best = max(shapes, key=shapes.count)  # max keeps the first of equals: the earliest layer
    return choices[shapes.index(best)]


# ---------------------------------------------------------------------------------------------
# Three implementations of the same function
# ---------------------------------------------------------------------------------------------

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
    if not 1 <= batch <= 64:
        raise ConfigError("batch", f"must be between 1 and 64, got {batch}")
    if c.standard_macs * batch > MAX_MEASURED_MACS:
        raise ConfigError("shape", f"the standard conv needs {c.standard_macs * batch / 1e9:.1f} GMACs a call; "
                                   f"timing is limited to {MAX_MEASURED_MACS / 1e9:.0f} GMACs")  # fmt: skip
    if c.standard_params > MAX_MEASURED_WEIGHTS:
        raise ConfigError("shape", f"the standard conv has {c.standard_params:,} weights; timing is limited to {MAX_MEASURED_WEIGHTS:,}")
    tensors = max(shape.in_channels * shape.input_size**2, max(shape.in_channels, shape.out_channels) * shape.feature_size**2)
    if tensors * batch > MAX_MEASURED_ELEMENTS:
        raise ConfigError("shape", f"a feature map has {tensors * batch:,} elements; timing is limited to {MAX_MEASURED_ELEMENTS:,}")


def _modules():
    """The module classes, defined on first use so importing this file does not import torch."""
    global _MODULES
    if _MODULES is not None:
        return _MODULES
    import torch
    import torch.nn.functional as F
    from torch import nn

    class StandardConv(nn.Module):
        """One dense D_K×D_K convolution, M → N channels."""

        def __init__(self, shape: ConvShape):
            super().__init__()
            self.conv = nn.Conv2d(shape.in_channels, shape.out_channels, shape.kernel_size, shape.stride,
                                  padding=shape.padding, bias=False)  # fmt: skip

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

    _MODULES = {"standard": StandardConv, "grouped": GroupedSeparable, "loop": LoopSeparable}
    return _MODULES


_MODULES: dict | None = None
_CLASS_NAMES = {"StandardConv": "standard", "GroupedSeparable": "grouped", "LoopSeparable": "loop"}


def __getattr__(name: str):
    # ``from explorer.separable import StandardConv`` works, and imports torch only then.
    if name in _CLASS_NAMES:
        return _modules()[_CLASS_NAMES[name]]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    import torch

    classes = _modules()
    m, n, k = shape.in_channels, shape.out_channels, shape.kernel_size
    generator = torch.Generator().manual_seed(seed)
    # He-style scales keep outputs near unit variance: no denormals distorting the timings.
    depthwise = torch.randn(m, 1, k, k, generator=generator) * (2.0 / (k * k)) ** 0.5
    pointwise = torch.randn(n, m, 1, 1, generator=generator) * (2.0 / m) ** 0.5
    built = {name: classes[name](shape).eval() for name in IMPLEMENTATIONS}
    with torch.no_grad():
        built["standard"].conv.weight.copy_(pointwise[:, :, 0, 0, None, None] * depthwise[None, :, 0])
        built["grouped"].depthwise.weight.copy_(depthwise)
        built["grouped"].pointwise.weight.copy_(pointwise)
    built["loop"].depthwise_weight = built["grouped"].depthwise.weight  # shared, not copied
    built["loop"].pointwise = built["grouped"].pointwise
    return built


def make_input(shape: ConvShape, batch: int = 1, seed: int = 1) -> torch.Tensor:
    """A random (batch, M, D_F·stride, D_F·stride) input."""
    import torch

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
    import torch

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

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def measure_implementations(shape: ConvShape, *, threads: int | None = None, budget_s: float = 1.0, batch: int = 1,
                            seed: int = 0) -> list[ImplementationTiming]:  # fmt: skip
    """Time the three implementations on one input, in ``IMPLEMENTATIONS`` order.

    Each gets ``budget_s`` seconds of ``explorer.timing.time_call`` (warm-up, then blocks of runs;
    median and IQR), under ``torch.inference_mode``, with ``threads`` threads (default: all cores).
    The loop gets the same budget as the others: when one call is longer than the budget it is
    still timed a few times (2 warm-up calls and one block), so keep M moderate for it.
    """
    import torch

    from .timing import time_call

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
        ))  # fmt: skip
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

    def to_dict(self) -> dict[str, object]:
        """A flat row for a DataFrame: value, MAC ratio, and per-implementation ms and speedup."""
        row: dict[str, object] = {self.vary: self.value, "mac_ratio": self.factorization.ratio,
                                  "mac_reduction": self.factorization.mac_reduction}  # fmt: skip
        for t in self.timings:
            row[f"{t.name}_ms"] = t.median_ms
            row[f"{t.name}_iqr_ms"] = t.iqr_ms
            row[f"{t.name}_speedup"] = t.speedup
            row[f"{t.name}_realized"] = t.mac_reduction_realized
        return row


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
          batch: int = 1) -> list[SweepRow]:  # fmt: skip
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


# ---------------------------------------------------------------------------------------------
# The whole model with full convolutions
# ---------------------------------------------------------------------------------------------

# V1 paper (arXiv:1704.04861) Table 4, 1.0 MobileNet-224: the published reference point.
V1_TABLE4 = {
    "conv_mobilenet": {"macs": 4866e6, "params": 29.3e6, "imagenet_top1": 71.7},
    "mobilenet": {"macs": 569e6, "params": 4.2e6, "imagenet_top1": 70.6},
}

V1_METHOD = ("V1: the same config with depthwise_separable=False, i.e. each depthwise + pointwise pair "
             "replaced by one full 3×3 convolution with batch norm (V1 paper, Table 4), counted from its plan.")  # fmt: skip
V2_METHOD = ("V2: each 3×3 depthwise convolution replaced by a dense 3×3 convolution with the same input and "
             "output channels (expansion and projection kept), counted analytically from the plan; the papers "
             "publish no such baseline for V2.")  # fmt: skip


@dataclass(frozen=True)
class FullConvComparison:
    """A config's counts with depthwise separable convolutions and with full convolutions."""

    separable_macs: int
    separable_params: int
    full_macs: int
    full_params: int
    method: str

    @property
    def macs_ratio(self) -> float:
        """How many times more MACs the full-convolution model needs."""
        return self.full_macs / self.separable_macs

    @property
    def params_ratio(self) -> float:
        return self.full_params / self.separable_params


def full_conv_counterpart(config: MobileNetConfig) -> FullConvComparison:
    """"This MobileNet with full convolutions would cost X MACs and Y params."

    MACs as ``counting.py`` counts them (convs + classifier, one image); params are all PyTorch
    parameters, batch norm included. ``method`` states how the counterpart is defined (V1: the
    paper's Table 4 baseline; V2: a dense 3×3 conv in place of each depthwise one). For a V1 config
    that is already full-convolution, the separable figures are those of its separable twin.
    """
    if config.is_v2:
        separable = plan_cost(make_plan(config))
        extra_macs = extra_params = 0
        for layer in make_plan(config).conv_layers():
            if layer.kind == "depthwise":
                c, k, f = layer.in_channels, layer.kernel_size, layer.out_size
                extra_macs += conv_macs(c, c, k, f) - conv_macs(c, c, k, f, groups=c)
                extra_params += conv_weights(c, c, k) - conv_weights(c, c, k, groups=c)  # batch norm unchanged
        return FullConvComparison(separable.macs, separable.params, separable.macs + extra_macs,
                                  separable.params + extra_params, V2_METHOD)  # fmt: skip
    # dataclasses.replace, not config.replace: the full-conv twin may exceed the size limits for
    # building a model (V1 at α=2, 512 px needs ~100 GMACs), but counting it from the plan is fine.
    separable = _cost(dataclasses.replace(config, depthwise_separable=True))
    full = _cost(dataclasses.replace(config, depthwise_separable=False))
    return FullConvComparison(separable.macs, separable.params, full.macs, full.params, V1_METHOD)


def _cost(config: MobileNetConfig) -> Cost:
    return plan_cost(make_plan(config))


# ---------------------------------------------------------------------------------------------
# V2's inverted residual block
# ---------------------------------------------------------------------------------------------

FP32_BYTES = 4


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

    def layer(self, kind: str) -> LayerCost | None:
        return next((layer for layer in self.layers if layer.kind == kind), None)

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
    rows = len(config.blocks)
    if isinstance(row_index, bool) or not isinstance(row_index, int) or not 0 <= row_index < rows:
        raise ConfigError("row", f"must be a row of the blocks table, 0 to {rows - 1}, got {row_index!r}")
    in_row = [block for block in make_plan(config).blocks if block.row == row_index]
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat < len(in_row):
        raise ConfigError(f"blocks[{row_index}].n", f"repeat must be 0 to {len(in_row) - 1}, got {repeat!r}")
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
    )  # fmt: skip
