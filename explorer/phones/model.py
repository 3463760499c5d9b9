"""The phone-latency model of the bundled data: every platform's predictor, the predictions with
their intervals and caveats, the validation of every published row, and the library's entry points
(:func:`predict`, :func:`predict_many`, :func:`find_platform`).

Which predictor a (platform, family) gets is :meth:`PhoneLatencyModel.method_for`: its own fitted
model, a borrowed shape, the other family's model, or none (*declined*: nothing of the family and no
fitted model, e.g. V1 on a Qualcomm NPU). A prediction is *extrapolating* when it is anchored or of
the other family, or for the reasons of :mod:`explorer.phones.extrapolation`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..config import MobileNetConfig
from ..reference import DeviceLatency, load_all_device_latency
from .extrapolation import DECLINE_FACTOR, departures
from .fitting import jackknife_half_width
from .plan_features import feature_matrix
from .predictors import Anchored, Check, Fitted, anchor, anchoring_check, cross_family_check, fit_platform
from .samples import FAMILIES, FAMILY_TITLES, PHONE_FAMILY, Platform, Sample, config_key_of, samples_of


@dataclass(frozen=True)
class Prediction:
    """A predicted latency on one platform, with its interval, its error and its caveats."""

    platform: Platform
    family: str
    ms: float | None  # None: declined
    low_ms: float | None
    high_ms: float | None
    method: str  # "fitted" | "anchored" | "other family" | "declined"
    basis: str  # the model in words: what it is and which rows are behind it
    loo_median_error_pct: float | None  # the platform's own leave-one-out (None: not measurable)
    loo_max_error_pct: float | None
    loo_n: int
    extrapolating: bool
    reason: str  # empty when not extrapolating
    published_ms: tuple[float, ...] = ()  # published on this platform for this very config

    @property
    def device(self) -> str:
        return self.platform.device

    @property
    def backend(self) -> str:
        return self.platform.backend

    @property
    def quantized(self) -> bool:
        return self.platform.quantized

    def to_dict(self) -> dict[str, Any]:
        def r(v):
            return None if v is None else round(v, 4)

        return {
            **self.platform.to_dict(), "ms": r(self.ms), "low_ms": r(self.low_ms), "high_ms": r(self.high_ms),
            "loo_median_error_pct": r(self.loo_median_error_pct), "loo_max_error_pct": r(self.loo_max_error_pct),
            "loo_n": self.loo_n, "extrapolating": self.extrapolating, "reason": self.reason,
            "method": self.method, "basis": self.basis, "published_ms": list(self.published_ms),
        }


def _sentence(parts: Sequence[str]) -> str:
    text = "; ".join(p for p in parts if p)
    return text[:1].upper() + text[1:] + ("." if text and not text.endswith(".") else "")


@dataclass(frozen=True, eq=False)
class PhoneLatencyModel:
    """Every platform's predictor, built once from the published rows (see :mod:`explorer.phones`)."""

    samples: tuple[Sample, ...]
    platforms: tuple[Platform, ...]
    fitted: dict[tuple[Platform, str], Fitted]
    anchored: dict[tuple[Platform, str], Anchored]
    anchor_check_same: Check
    anchor_check_other: Check
    cross_family_check: Check
    published: dict[Platform, dict[tuple, tuple[float, ...]]]  # platform → config key → published ms

    # -- one platform --------------------------------------------------------------------------

    def method_for(self, platform: Platform, family: str) -> str:
        if (platform, family) in self.fitted:
            return "fitted"
        if (platform, family) in self.anchored:
            return "anchored"
        if any((platform, f) in self.fitted for f in FAMILIES if f != family):
            return "other family"
        return "declined"

    def predict_grid(self, configs: Sequence[MobileNetConfig], platforms: Sequence[Platform] | None = None) -> list[list[Prediction]]:
        """Every config on every platform (or those given): ``[platform][config]``. Features and
        architecture checks are computed once per config, then each platform's model is applied to
        all of them at once: the sweep's entry point."""
        platforms = self.platforms if platforms is None else platforms
        for platform in platforms:
            if platform not in self.platforms:
                raise ValueError(f"platform: unknown {platform.label!r}; see PhoneLatencyModel.platforms")
        F = feature_matrix(configs)
        changes = [departures(c) for c in configs]
        families = {f: [i for i, c in enumerate(configs) if PHONE_FAMILY[c.arch] == f] for f in FAMILIES}
        grid = []
        for platform in platforms:
            out: list[Prediction | None] = [None] * len(configs)
            for family, idx in families.items():
                if idx:
                    predicted = self._predict_family([configs[i] for i in idx], F[idx], [changes[i] for i in idx], platform, family)
                    for i, p in zip(idx, predicted):
                        out[i] = p
            grid.append(out)
        return grid  # type: ignore[return-value]

    def predict_many(self, configs: Sequence[MobileNetConfig], platform: Platform) -> list[Prediction]:
        """Many configs on one platform (vectorized)."""
        return self.predict_grid(configs, [platform])[0]

    def predict(self, config: MobileNetConfig, platforms: Sequence[Platform] | None = None) -> list[Prediction]:
        """``config`` on every platform (or those given), in file order."""
        return [row[0] for row in self.predict_grid([config], platforms)]

    def _source(self, platform: Platform, family: str) -> tuple[str, Any]:
        method = self.method_for(platform, family)
        if method == "fitted":
            return method, self.fitted[(platform, family)]
        if method == "anchored":
            return method, self.anchored[(platform, family)]
        if method == "other family":
            other = next(f for f in FAMILIES if f != family and (platform, f) in self.fitted)
            return method, self.fitted[(platform, other)]
        return method, None

    def _predict_family(self, configs: Sequence[MobileNetConfig], F: np.ndarray, changes: Sequence[tuple[str, ...]],
                        platform: Platform, family: str) -> list[Prediction]:
        method, source = self._source(platform, family)
        name = FAMILY_TITLES[family]
        if source is None:
            rows = sum(1 for s in self.samples if s.platform == platform)
            others = "its only row is" if rows == 1 else f"its {rows} rows are"
            reason = (f"No prediction: nothing published for MobileNet {name} on this platform, and {others} "
                      f"of the other family, too few for a model of its own.")
            return [Prediction(platform, family, None, None, None, method, "", None, None, 0, True, reason) for _ in configs]

        ms = source.predict_ms(F)
        published = self.published.get(platform, {})
        base_reasons: list[str] = []
        if method == "fitted":
            base_hw, data_range = source.half_width, source.range
            loo = (source.loo_median_pct, source.loo_max_pct, len(source.loo))
            basis = source.describe()
        elif method == "anchored":
            check = self.anchor_check_same if source.same_processor else self.anchor_check_other
            base_hw, data_range, loo = check.half_width, source.donor.range, (None, None, 0)
            basis = source.describe()
            rows = "one published row" if len(source.anchors) == 1 else f"{len(source.anchors)} published rows"
            base_reasons.append(f"only {rows} of {name} here, so no model of its own: {basis}. "
                                f"Its error here is unknown; {check.describe()}")
        else:
            check = self.cross_family_check
            base_hw, data_range, loo = max(source.half_width, check.half_width), source.range, (None, None, 0)
            other = FAMILY_TITLES[source.family]
            basis = f"the {other} model of this platform: {source.describe()}"
            base_reasons.append(f"no {name} row published here: predicted by the {other} model of this platform "
                                f"(its features do not depend on the family); {check.describe()}")

        out, data_text = [], data_range.describe()
        distances = data_range.distances(configs, F[:, 0])
        for config, value, row, departs, distance in zip(configs, ms, F, changes, distances):
            if not (departs or distance or base_reasons):  # the common case, kept cheap for sweeps
                value = float(value)
                pub = published.get(config_key_of(config), ())
                out.append(Prediction(platform, family, value, value * math.exp(-base_hw), value * math.exp(base_hw), method, basis,
                                      *loo, False, "", pub))
                continue
            reasons = list(base_reasons)
            distance, outside = data_range.outside(config, float(row[0]))
            hw = base_hw + distance
            if departs:
                reasons.append("departs from the architecture the sources ran: " + ", ".join(departs))
                hw = max(hw, self.cross_family_check.half_width + distance)
            if outside:
                reasons.append(f"outside the rows behind the model ({data_text}): " + ", ".join(outside)
                               + "; the interval widens by that distance")
            pub = published.get(config_key_of(config), ()) if not departs else ()
            if distance > math.log(DECLINE_FACTOR):
                reasons.append(f"more than {DECLINE_FACTOR:g}× beyond the data: no prediction")
                out.append(Prediction(platform, family, None, None, None, "declined", basis, *loo, True, _sentence(reasons), pub))
                continue
            value = float(value)
            out.append(Prediction(
                platform, family, value, value * math.exp(-hw), value * math.exp(hw), method, basis, *loo,
                bool(reasons), _sentence(reasons), pub,
            ))
        return out

    # -- tables ----------------------------------------------------------------------------------

    def loo_table(self) -> list[dict[str, Any]]:
        """Per platform and family: how predictions are made there and their leave-one-out error."""
        rows = []
        for platform in self.platforms:
            for family in FAMILIES:
                n = sum(1 for s in self.samples if s.platform == platform and s.family == family)
                method = self.method_for(platform, family)
                fitted = self.fitted.get((platform, family))
                rows.append({
                    **platform.to_dict(), "family": family, "rows": n, "method": method,
                    "configs": len({s.config_key for s in self.samples if s.platform == platform and s.family == family}),
                    "model": fitted.choice.candidate.name if fitted else None,
                    "loo_median_error_pct": fitted.loo_median_pct if fitted else None,
                    "loo_max_error_pct": fitted.loo_max_pct if fitted else None,
                    "interval_pct": 100 * math.expm1(fitted.half_width) if fitted else None,
                })
        return rows

    def validation(self) -> list[ValidationRow]:
        """Every bundled MobileNet row predicted without it (and without its config's other rows
        on that platform), by the same rules a user's config gets."""
        out = []
        fitted_all = list(self.fitted.values())
        for i, s in enumerate(self.samples):
            key = (s.platform, s.family)
            if key in self.fitted:
                f = self.fitted[key]
                point = next(p for p in f.loo if p.sample is s)
                others = [e for p, e in zip(f.loo, f.log_errors) if p.sample.config_key != s.config_key]
                hw = jackknife_half_width(others)
                out.append(ValidationRow(s, point.predicted_ms, point.predicted_ms * math.exp(-hw), point.predicted_ms * math.exp(hw),
                                         "fitted", f"{point.model} (refitted without this config)"))
                continue
            anchors = [a for a in self.samples if (a.platform, a.family) == key and a.config_key != s.config_key]
            pred_f = feature_matrix([s.config])
            a = anchor(s.family, s.platform, anchors, fitted_all) if anchors else None
            if a is not None:
                check = self.anchor_check_same if a.same_processor else self.anchor_check_other
                value, hw, method, model = float(a.predict_ms(pred_f)[0]), check.half_width, "anchored", a.describe()
            elif (other := next((self.fitted[(s.platform, f)] for f in FAMILIES if f != s.family and (s.platform, f) in self.fitted), None)):
                value = float(other.predict_ms(pred_f)[0])
                hw = max(other.half_width, self.cross_family_check.half_width)
                method, model = "other family", f"the {FAMILY_TITLES[other.family]} model of this platform ({other.choice.candidate.name})"
            else:
                out.append(ValidationRow(s, None, None, None, "declined", "nothing left on this platform to predict it from"))
                continue
            out.append(ValidationRow(s, value, value * math.exp(-hw), value * math.exp(hw), method, model))
        return out


@dataclass(frozen=True)
class ValidationRow:
    """A published row next to what the predictor says without it."""

    sample: Sample
    predicted_ms: float | None
    low_ms: float | None
    high_ms: float | None
    method: str
    model: str

    @property
    def error_pct(self) -> float | None:
        return None if self.predicted_ms is None else 100 * (self.predicted_ms / self.sample.latency_ms - 1)

    @property
    def inside(self) -> bool | None:
        if self.predicted_ms is None:
            return None
        return self.low_ms <= self.sample.latency_ms <= self.high_ms


def fit_phone_model(rows: Iterable[DeviceLatency]) -> PhoneLatencyModel:
    """Build every platform's predictor from published rows (see :mod:`explorer.phones`)."""
    samples = samples_of(rows)
    platforms = tuple(dict.fromkeys(s.platform for s in samples))
    by_key: dict[tuple[Platform, str], list[Sample]] = {}
    for s in samples:
        by_key.setdefault((s.platform, s.family), []).append(s)
    fitted = {key: f for key, group in by_key.items() if (f := fit_platform(group)) is not None}
    fitted_list = list(fitted.values())
    anchored = {
        key: a for key, group in by_key.items()
        if key not in fitted and (a := anchor(key[1], key[0], group, fitted_list)) is not None
    }
    published: dict[Platform, dict[tuple, list[float]]] = {}
    for s in samples:
        published.setdefault(s.platform, {}).setdefault(s.config_key, []).append(s.latency_ms)
    return PhoneLatencyModel(
        samples, platforms, fitted, anchored,
        anchoring_check(fitted_list, same_processor=True), anchoring_check(fitted_list, same_processor=False),
        cross_family_check(fitted_list, samples),
        {p: {k: tuple(v) for k, v in d.items()} for p, d in published.items()},
    )


@lru_cache(maxsize=1)
def phone_model() -> PhoneLatencyModel:
    """The model of the bundled data, built once per process (well under a second)."""
    return fit_phone_model(load_all_device_latency())


# --- the library's entry points ---------------------------------------------------------------


def platforms() -> tuple[Platform, ...]:
    return phone_model().platforms


def find_platform(device: str, backend: str, quantized: bool, threads: int | None = None) -> Platform:
    """The platform spelled so in the CSV files; ``threads`` only where one backend name has
    several (ncnn's 1 and 4 threads). ValueError names what exists otherwise."""
    matches = [p for p in platforms() if (p.device, p.backend, p.quantized) == (device, backend, quantized)
               and (threads is None or p.threads == threads)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = sorted({f"{p.device} / {p.backend}" for p in platforms()})
        raise ValueError(f"platform: no published {'int8' if quantized else 'float'} latency on {device!r} with {backend!r}; "
                         f"known: {'; '.join(known)}")
    raise ValueError(f"threads: {device!r} with {backend!r} was published at {sorted(p.threads for p in matches)} threads; say which")


def predict(config: MobileNetConfig) -> list[Prediction]:
    """``config`` on every published platform."""
    return phone_model().predict(config)


def predict_many(configs: Sequence[MobileNetConfig], device: str, backend: str, quantized: bool = False,
                 threads: int | None = None) -> list[Prediction]:
    """Many configs on one platform, for sweeps and the budget finder (vectorized: a thousand
    configs take milliseconds once their plans are counted)."""
    return phone_model().predict_many(configs, find_platform(device, backend, quantized, threads))
