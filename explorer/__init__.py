"""MobileNet Explorer: MobileNet V1/V2 configs, exact cost model, real PyTorch models.

The notebook-sized API::

    import explorer
    config = explorer.paper_config("v2", width_multiplier=0.75, resolution=192)
    config = explorer.load_config("my_model.json")          # or a schema-v1 JSON file
    p = explorer.profile(config)                            # analytic, instant, torch-free
    p.params, p.macs, p.layers[3]
    model = explorer.build_model(config)                    # a real torch.nn.Module
    settings = explorer.LatencySettings(threads=1)
    report = explorer.LatencyStore().get_or_measure(config, settings, measure=explorer.measure_latency)

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
    "Block", "ConfigError", "LatencyReport", "LatencySettings", "LatencyStore", "LayerLatency",
    "MobileNetConfig", "Profile", "build_model", "count", "load_config", "loads_config", "make_divisible",
    "make_plan", "measure_latency", "paper_config", "parse_config", "profile", "with_expansion",
]

# Names loaded on first use: `import torch` costs ~1 s, and only building and timing need it.
_LAZY = {
    "build_model": "models",
    "LatencyReport": "measurement", "LatencySettings": "measurement", "LayerLatency": "measurement",
    "measure_latency": "latency",
    "LatencyStore": "store",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'explorer' has no attribute {name!r}")
