"""The runtimes by name: labels, what each needs installed, whether it works here, and the errors
that say why one cannot run or cannot be trusted. Torch-free: listing the runtimes or checking
which are installed imports only their own packages, once per process.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import lru_cache

from ..measurement import RUNTIMES

__all__ = ["RUNTIMES"]  # re-exported: the names live in explorer.measurement (torch-free settings)

LABELS = {
    "eager": "PyTorch eager",
    "onnxruntime": "ONNX Runtime fp32",
    "onnxruntime-int8": "ONNX Runtime int8",
    "executorch": "ExecuTorch + XNNPACK fp32",
    "executorch-int8": "ExecuTorch + XNNPACK int8",
    "litert": "LiteRT (TFLite) + XNNPACK fp32",
    "litert-int8": "LiteRT (TFLite) + XNNPACK int8",
}
INT8 = ("onnxruntime-int8", "executorch-int8", "litert-int8")

# The modules each runtime needs, imported to check that it works here (not only that a package
# is on disk: a wheel built for another torch fails at import, and that is what the page must say).
REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "eager": ("torch",),
    "onnxruntime": ("onnx", "onnxscript", "onnxruntime"),
    "onnxruntime-int8": ("onnx", "onnxscript", "onnxruntime", "onnxruntime.quantization"),
    "executorch": ("executorch.runtime", "executorch.extension.pybindings.portable_lib"),
    "executorch-int8": ("executorch.runtime", "executorch.extension.pybindings.portable_lib", "torchao.quantization.pt2e"),
    "litert": ("ai_edge_litert.interpreter", "litert_torch"),
    "litert-int8": ("ai_edge_litert.interpreter", "litert_torch", "ai_edge_quantizer.quantizer"),
}
# What `pip install` needs when LiteRT is missing (requirements.txt has the same pins).
LITERT_INSTALL = "litert-torch==0.10.0 ai-edge-litert==2.3.0 ai-edge-quantizer==0.10.0"
PIP_PACKAGES = {"onnx": "onnx", "onnxscript": "onnxscript", "onnxruntime": "onnxruntime", "executorch": "executorch",
                "torchao": "torchao", "torch": "torch",
                # LiteRT's three packages come together (README "Deployment runtimes")
                "ai_edge_litert": LITERT_INSTALL, "litert_torch": LITERT_INSTALL, "ai_edge_quantizer": LITERT_INSTALL}


class RuntimeUnavailable(RuntimeError):
    """A runtime cannot run here: its package is missing or fails to import. ``reason`` says why."""

    def __init__(self, runtime: str, reason: str):
        super().__init__(f"{runtime}: not available here: {reason}")
        self.runtime = runtime
        self.reason = reason


class RuntimeFailure(RuntimeError):
    """A runtime ran but cannot be trusted or timed (export failed, output differs from eager)."""

    def __init__(self, runtime: str, reason: str):
        super().__init__(f"{runtime}: {reason}")
        self.runtime = runtime
        self.reason = reason


class UnknownRuntime(ValueError):
    """Not one of :data:`RUNTIMES`; the message lists the valid names."""

    def __init__(self, name: object):
        super().__init__(f"runtime: must be one of {', '.join(RUNTIMES)}, got {name!r}")
        self.field = "runtime"


def check_runtime_name(name: object) -> str:
    if name not in RUNTIMES:
        raise UnknownRuntime(name)
    return name  # type: ignore[return-value]


# --- availability ---------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _import_problem(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except Exception as err:  # noqa: BLE001 - any import failure makes the runtime unavailable; say which
        top = module.split(".")[0]
        hint = f" (pip install {PIP_PACKAGES[top]})" if isinstance(err, ModuleNotFoundError) and top in PIP_PACKAGES else ""
        return f"import {module} failed: {type(err).__name__}: {err}{hint}"
    return None


def _not_on_disk(module: str) -> str | None:
    top = module.split(".")[0]
    if importlib.util.find_spec(top) is not None:
        return None
    return f"package {top!r} is not installed (pip install {PIP_PACKAGES.get(top, top)})"


def unavailable_reason(runtime: str, *, imports: bool = True) -> str | None:
    """Why ``runtime`` cannot run here, or None when it can. Imports are tried once per process.

    ``imports=False``: only whether its packages are on disk (``find_spec``, nothing imported: cheap
    enough for every rerun of a page); a wheel that fails at import is then found when it is used.
    """
    check_runtime_name(runtime)
    for module in REQUIREMENTS[runtime]:
        if not imports:
            if problem := _not_on_disk(module):
                return problem
            continue
        problem = _import_problem(module)
        if problem:
            return problem
    return None


def available_runtimes() -> dict[str, str | None]:
    """Every runtime name → None when it works here, or the reason it does not."""
    return {name: unavailable_reason(name) for name in RUNTIMES}


def require(runtime: str) -> None:
    reason = unavailable_reason(runtime)
    if reason:
        raise RuntimeUnavailable(runtime, reason)


def package_version(runtime: str) -> str:
    import importlib.metadata as md

    package = {"eager": "torch", "executorch": "executorch", "executorch-int8": "executorch", "litert": "ai-edge-litert",
               "litert-int8": "ai-edge-litert"}.get(runtime, "onnxruntime")
    try:
        return f"{package} {md.version(package)}"
    except md.PackageNotFoundError:
        return package
