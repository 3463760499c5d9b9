"""Comparing a runtime with eager PyTorch: the reference model, its inputs, and the measures and
tolerances an output must meet (fp32: max |difference|; int8: SQNR and cosine).

torch and numpy are imported inside the functions that need them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..config import MobileNetConfig

if TYPE_CHECKING:
    import torch

# fp32 runtimes must give eager's output up to float rounding: they fold batch norm into the
# convolutions and sum in another order, which moves logits by ~1e-6 at 224 px (FIELD-NOTES). Some
# configs amplify rounding (at 32 px the last stages are 1×1 maps whose batch-norm statistics came
# from two values per channel): there eager's own fp32 output is off its fp64 value by up to 0.1.
# So the tolerance is ``FP32_ATOL + FP32_RTOL·max|eager| + FP32_ROUNDING_FACTOR·rounding``, where
# ``rounding = max|eager fp32 − eager fp64|`` is measured on the same input. A runtime outside it
# computes something else and is never timed.
FP32_ATOL = 1e-4
FP32_RTOL = 1e-4
FP32_ROUNDING_FACTOR = 4.0  # two fp32 computations, each ~rounding away from the exact value, with margin
# int8 outputs are compared by signal-to-quantization-noise ratio (SQNR) and cosine similarity.
# With this project's random weights SQNR is ~12 dB at 1.0/224 and can be below 0 dB on tiny
# configs at low resolution (noise accumulates over ~50 quantized layers), so SQNR alone cannot
# separate "imprecise" from "broken". A cosine below this floor means the int8 output is barely
# related to eager's (a wrong layout or scale, not rounding): reported as failed, never timed.
INT8_MIN_COSINE = 0.3
# Static quantization is calibrated on this many random inputs (seeded; no images are bundled).
CALIBRATION_INPUTS = 16
CHECK_SEED, CALIBRATION_SEED, WEIGHTS_SEED = 0, 1, 0


def max_abs_diff(reference: Any, output: Any) -> float:
    import numpy as np

    return float(np.max(np.abs(np.asarray(reference, dtype=np.float64) - np.asarray(output, dtype=np.float64))))


def sqnr_db(reference: Any, output: Any) -> float:
    """Signal-to-quantization-noise ratio, ``10·log10(Σref² / Σ(ref − out)²)``, in dB (inf if equal)."""
    import numpy as np

    ref = np.asarray(reference, dtype=np.float64)
    noise = float(np.sum((ref - np.asarray(output, dtype=np.float64)) ** 2))
    signal = float(np.sum(ref**2))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def cosine(reference: Any, output: Any) -> float:
    import numpy as np

    a, b = np.asarray(reference, dtype=np.float64).ravel(), np.asarray(output, dtype=np.float64).ravel()
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / denom) if denom > 0 else 0.0


def fp32_tolerance(reference: Any, rounding: float = 0.0) -> float:
    """How far an fp32 runtime may be from eager's ``reference`` output (see :data:`FP32_ATOL`)."""
    import numpy as np

    return FP32_ATOL + FP32_RTOL * float(np.max(np.abs(reference))) + FP32_ROUNDING_FACTOR * rounding


def eager_reference(model: torch.nn.Module, x: torch.Tensor) -> tuple[Any, float]:
    """Eager's fp32 output on ``x`` and its own rounding error: max |fp32 − fp64| of the same model."""
    import copy

    import numpy as np
    import torch

    with torch.inference_mode():
        expected = model(x).numpy()
        exact = copy.deepcopy(model).double()(x.double()).numpy()
    return expected, float(np.max(np.abs(expected - exact)))


# --- reference model and inputs ---------------------------------------------------------------------


def reference_model(config: MobileNetConfig, model: torch.nn.Module | None = None) -> torch.nn.Module:
    """The eager model every runtime is compared with: ``model`` itself (never mutated: exports work
    on copies) or, without one, a model built from ``config`` with seeded weights, so two calls
    give the same weights and the exported files can be cached."""
    import torch

    from ..models import build_model

    if model is not None:
        if model.training:  # never switch a shared model's mode: work on a copy
            import copy

            return copy.deepcopy(model).eval()
        return model
    with torch.random.fork_rng():
        torch.manual_seed(WEIGHTS_SEED)
        return build_model(config)


def check_input(config: MobileNetConfig, batch: int) -> torch.Tensor:
    """The input every runtime is checked and timed on (the same as the eager lab's)."""
    import torch

    generator = torch.Generator().manual_seed(CHECK_SEED)
    return torch.randn(batch, 3, config.resolution, config.resolution, generator=generator)


def calibration_inputs(config: MobileNetConfig, batch: int, count: int = CALIBRATION_INPUTS) -> list[torch.Tensor]:
    """Seeded random inputs for static int8 calibration (another seed than the check input)."""
    import torch

    generator = torch.Generator().manual_seed(CALIBRATION_SEED)
    return [torch.randn(batch, 3, config.resolution, config.resolution, generator=generator) for _ in range(count)]


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A hash of the model's state dict: cached exports are reused only for the same weights."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def row_names(config: MobileNetConfig) -> Sequence[str]:
    from ..counting import count

    return [row.name for row in count(config).layers]
