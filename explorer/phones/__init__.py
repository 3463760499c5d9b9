"""Predicted phone latency: a small model per published platform, fitted to the bundled
measurements, with its leave-one-out error, a prediction interval and an extrapolation check.

**How a prediction is made** depends on what the platform published for the config's family:

1. *fitted*: at least :data:`MIN_CONFIGS` distinct configs. The candidate with the lowest
   leave-one-out error on the platform's rows is fitted to them.
2. *anchored*: one to four configs (Pixel XL, Pixel 4, iPhones, ncnn phones, NPUs, and the other
   family on Pixel 1/2/3). No model of its own: the *shape* of a fitted platform of the same family
   (the closest: same processor kind, precision and threading) is scaled to pass through the
   published row(s). Its error cannot be measured on the platform itself; what borrowing a shape
   did on platforms that have data (:attr:`PhoneLatencyModel.anchor_check_same` and
   ``anchor_check_other``) sets the interval.
3. *other family*: no row of the config's family, but a fitted model of the other family (e.g. V2
   on Pixel 2 quantized). The features are family-agnostic, so that model applies; what it did on
   the platforms that published both families (:attr:`PhoneLatencyModel.cross_family_check`)
   sets the interval.
4. *declined*: nothing of the family and no fitted model (e.g. V1 on a Qualcomm NPU).

**Honest error.** Leave-one-out leaves out a *config* (all its rows), then redoes the model
*choice* and the fit on the rest and predicts it: the error is that of the whole procedure. The
interval is a 90% jackknife interval on those leave-one-out log errors, widened when the config
extrapolates.

The modules, each building on the ones before it:

- :mod:`~explorer.phones.samples`: the published rows and the platforms they were measured on;
- :mod:`~explorer.phones.plan_features`: plan → feature vector (MACs, activations, weights);
- :mod:`~explorer.phones.fitting`: candidate models, ``numpy.linalg.lstsq`` fits, leave-one-out
  choice, the jackknife interval;
- :mod:`~explorer.phones.extrapolation`: how far a config lies from the rows behind a model;
- :mod:`~explorer.phones.predictors`: a platform's own fitted model, a borrowed (anchored) shape,
  and the checks of borrowing;
- :mod:`~explorer.phones.model`: every platform's predictor together, predictions, validation,
  and the entry points re-exported here.
"""

from .extrapolation import DECLINE_FACTOR, Range, departures
from .fitting import CANDIDATES, COVERAGE, Choice, Formula, choose, jackknife_half_width
from .model import (
    PhoneLatencyModel,
    Prediction,
    ValidationRow,
    find_platform,
    fit_phone_model,
    phone_model,
    platforms,
    predict,
    predict_many,
)
from .plan_features import FEATURE_TITLES, FEATURES, feature_matrix, features
from .predictors import MIN_CONFIGS, Anchored, Check, Fitted, LooPoint, anchor, choose_donor, fit_platform
from .samples import FAMILIES, FAMILY_TITLES, PHONE_FAMILY, Platform, Sample, platform_of, samples_of

__all__ = [
    "CANDIDATES", "COVERAGE", "DECLINE_FACTOR", "FAMILIES", "FAMILY_TITLES", "PHONE_FAMILY", "FEATURES", "FEATURE_TITLES", "MIN_CONFIGS",
    "Anchored", "Check", "Choice", "Fitted", "Formula", "LooPoint", "PhoneLatencyModel", "Platform", "Prediction",
    "Range", "Sample", "ValidationRow",
    "anchor", "choose", "choose_donor", "departures", "feature_matrix", "features", "find_platform", "fit_phone_model",
    "fit_platform", "jackknife_half_width", "phone_model", "platform_of", "platforms", "predict", "predict_many",
    "samples_of",
]
