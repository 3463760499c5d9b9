"""The data of a MobileNet config: names, the papers' tables, family defaults and resource limits.

Plain data only, imported by everything (``plan.py`` reads nothing else): parsing and the checks
that use these values live in ``config.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
ARCHS = ("mobilenet_v1", "mobilenet_v2")
# Short names the CLI and the paper_config helper accept.
ALIASES = {"v1": "mobilenet_v1", "v2": "mobilenet_v2"}
ACTIVATIONS = ("relu", "relu6")
# Keys of one row of the blocks table, in the papers' column order (V1 Table 1, V2 Table 2).
ROW_KEYS = {"mobilenet_v1": ("c", "n", "s"), "mobilenet_v2": ("t", "c", "n", "s")}

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

PAPER_BLOCKS = {"mobilenet_v1": V1_PAPER_BLOCKS, "mobilenet_v2": V2_PAPER_BLOCKS}

# Defaults that differ by family, and which optional fields each family has. V1: ReLU as the
# paper states; dropout 0.001 is TF-slim's keep_prob 0.999. V2: ReLU6 as the paper states;
# dropout 0.2 as torchvision.
FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "mobilenet_v1": {"activation": "relu", "dropout": 0.001, "depthwise_separable": True},
    "mobilenet_v2": {"activation": "relu6", "dropout": 0.2, "linear_bottleneck": True, "residual": True},
}
# Fields every config has, with the defaults a config file may leave out.
COMMON_DEFAULTS: dict[str, Any] = {"width_multiplier": 1.0, "resolution": 224, "num_classes": 1000}
# The family switches: a family without one keeps it at this neutral value.
SWITCHES = ("depthwise_separable", "linear_bottleneck", "residual")


def with_expansion(blocks: tuple[Block, ...], t: int) -> tuple[Block, ...]:
    """Set the expansion factor of every V2 row whose t is not 1 (the paper keeps t=1 in row 0)."""
    return tuple(Block(b.c, b.n, b.s, b.t if b.t == 1 else t) for b in blocks)
