"""Published figures against computed counts: every published MobileNet row next to the MACs and
params this project computes for its config, whether they agree within the source's rounding, and
why they differ where that is known (``reference.KNOWN_DISCREPANCIES``). The Trade-offs page's
"Published vs computed" table and the published-fidelity tests read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .config import MobileNetConfig
from .counting import count
from .plan import make_plan
from .reference import KNOWN_DISCREPANCIES, PublishedResult, all_published_results, config_for

MACS_TOLERANCE = 0.03  # relative, or MACS_TOLERANCE_ABS_M millions, whichever is looser
MACS_TOLERANCE_ABS_M = 1.0  # published MACs are rounded to 1M: 13.6M prints as 14M
PARAMS_TOLERANCE = 0.02

_CLASSIFIERS = {
    1001: "1001 classes (TF-slim's background class)",
    1000: "1000 classes (ImageNet's, as the source's classifier)",
}


@dataclass(frozen=True)
class Reconciliation:
    """A published MobileNet row next to the project's computed figures."""

    result: PublishedResult
    config: MobileNetConfig  # built with the row's own num_classes
    macs: int
    params: int  # all parameters, as PyTorch counts them
    weight_params: int  # conv + linear weights only

    @property
    def comparable_params(self) -> int:
        """The count that matches how the source counted."""
        return self.weight_params if self.result.weights_only else self.params

    @property
    def params_counted_as(self) -> str:
        """"weights only" or "all parameters": the source's convention, in words."""
        return self.result.params_convention.replace("_", " ")

    @property
    def macs_diff_m(self) -> float | None:
        """Computed − published MACs, in millions (None when nothing was published)."""
        return None if self.result.macs_m is None else self.macs / 1e6 - self.result.macs_m

    @property
    def params_diff_m(self) -> float | None:
        return None if self.result.params_m is None else self.comparable_params / 1e6 - self.result.params_m

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
        return abs(self.macs_diff_m) <= MACS_TOLERANCE_ABS_M or abs(self.macs_error) <= MACS_TOLERANCE

    @property
    def params_ok(self) -> bool:
        return self.params_error is None or abs(self.params_error) <= PARAMS_TOLERANCE

    @property
    def within_tolerance(self) -> bool:
        return self.macs_ok and self.params_ok

    @property
    def explanation(self) -> str:
        """Why computed and published differ, as short sentences; KNOWN_DISCREPANCIES first."""
        return _explain(self)


def reconcile(result: PublishedResult) -> Reconciliation | None:
    """Computed MACs and params for a published MobileNet row (None for other networks)."""
    config = config_for(result)
    if config is None:
        return None
    cost = count(config)
    return Reconciliation(result, config, cost.macs, cost.params, cost.weight_params)


def _decimals(value: float) -> int:
    """Decimals the source printed (4.2 → 1, 1.32 → 2): the precision it rounded to."""
    text = repr(value)
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def _explain(rec: Reconciliation) -> str:
    r = rec.result
    if r.key in KNOWN_DISCREPANCIES:
        return KNOWN_DISCREPANCIES[r.key]
    classifier = f"Computed with {_CLASSIFIERS.get(r.num_classes, f'{r.num_classes} classes')}"
    if r.num_classes == 1001:
        features = make_plan(rec.config).features  # the classifier's inputs: one weight per class each
        classifier += f"; 1000 classes would give {features:,} fewer MACs and {features + 1:,} fewer params"
    notes = [classifier + "."]
    if r.weights_only:
        notes.append(f"The source counts conv and linear weights only (no batch norm, no bias); with them PyTorch counts {rec.params:,}.")
    if r.macs_m is not None:
        diff_m = rec.macs_diff_m
        if abs(diff_m) <= MACS_TOLERANCE_ABS_M:
            notes.append("MACs agree up to the source's rounding to 1M.")
        elif rec.macs_ok:
            notes.append(
                f"MACs differ by {diff_m:+.1f}M ({rec.macs_error:+.2%}), more than rounding but within "
                f"the {MACS_TOLERANCE:.0%} tolerance."
            )
        else:
            notes.append(f"MACs differ by {diff_m:+.1f}M ({rec.macs_error:+.2%}): no known cause.")
    if r.params_m is not None:
        unit = 10.0 ** -_decimals(r.params_m)
        diff_m = rec.params_diff_m
        if rec.comparable_params == round(r.params_m * 1e6):
            notes.append("Params match exactly.")
        elif abs(diff_m) <= unit / 2 + 1e-9:
            notes.append(f"Params agree up to the source's rounding to {unit:g}M.")
        elif rec.params_ok:
            notes.append(
                f"Params differ by {diff_m:+.3f}M ({rec.params_error:+.2%}), more than rounding but within "
                f"the {PARAMS_TOLERANCE:.0%} tolerance."
            )
        else:
            notes.append(f"Params differ by {diff_m:+.3f}M ({rec.params_error:+.2%}): no known cause.")
    return " ".join(notes)


@lru_cache(maxsize=1)
def published_vs_computed() -> tuple[Reconciliation, ...]:
    """Every published MobileNet row, in file order, with its computed MACs and params."""
    return tuple(rec for rec in map(reconcile, all_published_results()) if rec is not None)
