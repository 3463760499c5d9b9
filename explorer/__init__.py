"""MobileNet Explorer: MobileNet V1/V2 configs, exact cost model, real PyTorch models.

The notebook-sized API::

    import explorer
    config = explorer.paper_config("v2", width_multiplier=0.75, resolution=192)
    config = explorer.load_config("my_model.json")          # or a schema-v1 JSON file
    p = explorer.profile(config)                            # analytic, instant, torch-free
    p.params, p.macs, p.layers[3]
    model = explorer.build_model(config)                    # a real torch.nn.Module

The path is always config → plan → (counts | model): see ``plan.py``.
torch is imported only when a model is built, so counting and sweeps start fast.
"""

from .config import (
    Block,
    ConfigError,
    MobileNetConfig,
    load_config,
    loads_config,
    paper_config,
    parse_config,
    with_expansion,
)
from .counting import count
from .plan import make_divisible, make_plan
from .profile import Profile, profile

__all__ = [
    "Block", "ConfigError", "MobileNetConfig", "Profile", "build_model", "count", "load_config",
    "loads_config", "make_divisible", "make_plan", "paper_config", "parse_config", "profile",
    "with_expansion",
]  # fmt: skip


def __getattr__(name: str):
    # Lazy: `import torch` costs ~1 s, and only model building needs it.
    if name == "build_model":
        from .models import build_model

        return build_model
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
