"""The data of a MobileNet config: names, the papers' tables, family defaults and resource limits.

Plain data only, imported by everything (``plan.py`` reads nothing else): parsing and the checks
that use these values live in ``config.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
ARCHS = ("mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small")
# Short names the CLI and the paper_config helper accept.
ALIASES = {"v1": "mobilenet_v1", "v2": "mobilenet_v2", "v3-large": "mobilenet_v3_large", "v3-small": "mobilenet_v3_small"}
# What pages, charts and exports call each family (Compare and the trade-off map read these).
ARCH_TITLES = {
    "mobilenet_v1": "MobileNet V1", "mobilenet_v2": "MobileNet V2",
    "mobilenet_v3_large": "MobileNet V3-Large", "mobilenet_v3_small": "MobileNet V3-Small",
}
ACTIVATIONS = ("relu", "relu6")
# Keys of one row of the blocks table, in the papers' column order (V1 Table 1, V2 Table 2,
# V3 Tables 1 and 2: kernel of the bneck, exp size, #out, SE, NL, s).
V3_ROW_KEYS = ("k", "exp", "c", "se", "nl", "s")
ROW_KEYS = {"mobilenet_v1": ("c", "n", "s"), "mobilenet_v2": ("t", "c", "n", "s"),
            "mobilenet_v3_large": V3_ROW_KEYS, "mobilenet_v3_small": V3_ROW_KEYS}
V3_ARCHS = ("mobilenet_v3_large", "mobilenet_v3_small")
V3_KERNELS = (3, 5)
V3_NONLINEARITIES = ("relu", "hardswish")  # the paper's NL column: RE and HS

# Resource caps, checked before anything is instantiated (README, "Limits"). The bounds are wide
# enough for every published variant and for exploration around them (α up to 4, 1024 px), and
# small enough that a model fits comfortably in memory and builds in seconds on a laptop.
MAX_WIDTH_MULTIPLIER = 4.0
MIN_RESOLUTION, MAX_RESOLUTION = 16, 1024
MAX_ROWS = 32
MAX_REPEATS = 16  # n
MAX_EXPANSION = 16  # t
MAX_CHANNELS = 4096  # c
MAX_CLASSES = 100_000
MAX_DROPOUT = 0.99  # a probability in [0, 1): dropout 1.0 would zero every feature in training
MAX_MACS = 20_000_000_000  # 20 GMACs: V1 at α=2, 512 px is 11.6
MAX_PARAMS = 100_000_000  # 100 M parameters, 400 MB in fp32
MAX_ACTIVATION = 256 * 2**20  # elements of the largest feature map (1 GiB in fp32)
MAX_FILE_BYTES = 1 * 2**20  # a config file is a few hundred bytes; 1 MiB is generous
MAX_NESTING = 8  # a valid config nests 3 deep ({"blocks": [{...}]})

FP32_BYTES = 4


class ConfigError(ValueError):
    """Invalid user input: a config, a file or a setting. ``field`` names it (``blocks[3].s``)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __reduce__(self):  # pickled by its two fields (a measuring process hands it to the page, explorer.measure_worker)
        return type(self), (self.field, self.reason)


@dataclass(frozen=True)
class Block:
    """One row of a paper's architecture table.

    V2 rows are ``(t, c, n, s)`` exactly as the V2 paper's Table 2: expansion factor, output
    channels, repeats, stride of the first repeat. V1 rows are ``(c, n, s)``; ``t`` is None.
    """

    c: int
    n: int
    s: int
    t: int | None = None

    def to_dict(self) -> dict[str, int]:
        row = {"c": self.c, "n": self.n, "s": self.s}
        return row if self.t is None else {"t": self.t, **row}


@dataclass(frozen=True)
class V3Block:
    """One bneck row of the V3 paper's Tables 1 and 2 (torchvision's ``InvertedResidualConfig``).

    ``k`` kernel of the depthwise conv (3 or 5), ``exp`` expanded channels, ``c`` output
    channels, ``se`` squeeze-and-excite, ``nl`` "relu" or "hardswish", ``s`` stride. One row is one
    block (V3 tables list every block), so ``n`` is always 1 and there is no expansion factor ``t``:
    code that walks V1/V2 rows by ``c``, ``n``, ``s`` reads V3 rows the same way.
    """

    k: int
    exp: int
    c: int
    se: bool
    nl: str
    s: int

    n = 1  # class attributes, not fields: a V3 row is always one block
    t = None

    def to_dict(self) -> dict[str, Any]:
        return {"k": self.k, "exp": self.exp, "c": self.c, "se": self.se, "nl": self.nl, "s": self.s}


# V1 paper (arXiv:1704.04861) Table 1, rows grouped as (c, n, s): output channels of each
# depthwise-separable layer, how many in a row, stride of the first.
V1_PAPER_BLOCKS = tuple(
    Block(c, n, s)
    for c, n, s in [
        (64, 1, 1), (128, 1, 2), (128, 1, 1), (256, 1, 2), (256, 1, 1),
        (512, 1, 2), (512, 5, 1), (1024, 1, 2), (1024, 1, 1),
    ]
)

# V2 paper (arXiv:1801.04381) Table 2: t, c, n, s.
V2_PAPER_BLOCKS = tuple(
    Block(c, n, s, t)
    for t, c, n, s in [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
)

_RE, _HS = "relu", "hardswish"

# V3 paper (arXiv:1905.02244) Table 1, MobileNetV3-Large, as torchvision's _mobilenet_v3_conf:
# k, exp size, #out, SE, NL, s. The stem (16 channels, h-swish) and the last stage come from the plan.
V3_LARGE_PAPER_BLOCKS = tuple(
    V3Block(*row)
    for row in [
        (3, 16, 16, False, _RE, 1), (3, 64, 24, False, _RE, 2), (3, 72, 24, False, _RE, 1),
        (5, 72, 40, True, _RE, 2), (5, 120, 40, True, _RE, 1), (5, 120, 40, True, _RE, 1),
        (3, 240, 80, False, _HS, 2), (3, 200, 80, False, _HS, 1), (3, 184, 80, False, _HS, 1),
        (3, 184, 80, False, _HS, 1), (3, 480, 112, True, _HS, 1), (3, 672, 112, True, _HS, 1),
        (5, 672, 160, True, _HS, 2), (5, 960, 160, True, _HS, 1), (5, 960, 160, True, _HS, 1),
    ]
)

# V3 paper Table 2, MobileNetV3-Small.
V3_SMALL_PAPER_BLOCKS = tuple(
    V3Block(*row)
    for row in [
        (3, 16, 16, True, _RE, 2), (3, 72, 24, False, _RE, 2), (3, 88, 24, False, _RE, 1),
        (5, 96, 40, True, _HS, 2), (5, 240, 40, True, _HS, 1), (5, 240, 40, True, _HS, 1),
        (5, 120, 48, True, _HS, 1), (5, 144, 48, True, _HS, 1), (5, 288, 96, True, _HS, 2),
        (5, 576, 96, True, _HS, 1), (5, 576, 96, True, _HS, 1),
    ]
)

PAPER_BLOCKS = {
    "mobilenet_v1": V1_PAPER_BLOCKS, "mobilenet_v2": V2_PAPER_BLOCKS,
    "mobilenet_v3_large": V3_LARGE_PAPER_BLOCKS, "mobilenet_v3_small": V3_SMALL_PAPER_BLOCKS,
}

# V3's fixed widths, before the width multiplier (all rounded with make_divisible(c·α, 8) as
# torchvision does): the stem's 16 channels, and the classifier's hidden layer (paper Tables 1
# and 2: "conv2d 1×1, NBN" 1280 for Large, 1024 for Small; torchvision: a Linear). The last conv
# is 6 × the last row's output (960 and 576 at α = 1).
V3_STEM_CHANNELS = 16
V3_LAST_CONV_FACTOR = 6
V3_HIDDEN_CHANNELS = {"mobilenet_v3_large": 1280, "mobilenet_v3_small": 1024}
# torchvision builds V3 with BatchNorm2d(eps=0.001, momentum=0.01) (TF's defaults); V1/V2 use
# PyTorch's (eps 1e-5, momentum 0.1). eps changes outputs, so it is part of the architecture.
BATCH_NORM = {"mobilenet_v3_large": (0.001, 0.01), "mobilenet_v3_small": (0.001, 0.01)}
DEFAULT_BATCH_NORM = (1e-5, 0.1)

# Defaults that differ by family, and which optional fields each family has. V1: ReLU as the
# paper states; dropout 0.001 is TF-slim's keep_prob 0.999. V2: ReLU6 as the paper states;
# dropout 0.2 as torchvision.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "mobilenet_v1": {"activation": "relu", "dropout": 0.001, "depthwise_separable": True},
    "mobilenet_v2": {"activation": "relu6", "dropout": 0.2, "linear_bottleneck": True, "residual": True},
    # V3: activations are per row (the NL column); the switches turn squeeze-and-excite and
    # h-swish off everywhere (the "minimalistic" variants). Dropout 0.2 as torchvision and TF-slim.
    "mobilenet_v3_large": {"dropout": 0.2, "squeeze_excite": True, "hard_swish": True},
    "mobilenet_v3_small": {"dropout": 0.2, "squeeze_excite": True, "hard_swish": True},
}
# Fields every config has, with the defaults a config file may leave out.
COMMON_DEFAULTS: dict[str, Any] = {"width_multiplier": 1.0, "resolution": 224, "num_classes": 1000}
# The family switches: a family without one keeps it at this neutral value.
SWITCHES = ("depthwise_separable", "linear_bottleneck", "residual", "squeeze_excite", "hard_swish")
# V3 has per-row activations; its config keeps this neutral value in the activation field.
NEUTRAL_ACTIVATION = "relu"


def with_expansion(blocks: tuple[Block, ...], t: int) -> tuple[Block, ...]:
    """Set the expansion factor of every V2 row whose t is not 1 (the paper keeps t=1 in row 0)."""
    return tuple(Block(b.c, b.n, b.s, b.t if b.t == 1 else t) for b in blocks)


def with_kernel(blocks: tuple[V3Block, ...], k: int) -> tuple[V3Block, ...]:
    """Every V3 row with depthwise kernel ``k`` (3 for the minimalistic variants)."""
    return tuple(V3Block(k, b.exp, b.c, b.se, b.nl, b.s) for b in blocks)


# The V3 variants TF-slim publishes, as config overrides of the paper's model. "minimalistic":
# no squeeze-and-excite, no h-swish, 3×3 depthwise kernels only (TF-slim mobilenet/README.md,
# "Mobilenet V3 Imagenet Checkpoints"), for hardware without those operations.
V3_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    arch: {
        "standard": {},
        "minimalistic": {"squeeze_excite": False, "hard_swish": False, "blocks": with_kernel(PAPER_BLOCKS[arch], 3)},
    }
    for arch in V3_ARCHS
}
