"""The phone-latency predictions in plain words, for a reader who is not a statistician.

Pure functions (no streamlit) from ``explorer.phones`` predictions to what the V1/V2 pages show:
one sentence about the phone most people will recognise, a table without a single "None", and
the reasons a prediction is shaky grouped by kind, the most important first, each said once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from explorer.phones import Prediction

# The phone the sentence is about, in this order of preference: a platform with a model of its
# own fitted to many published rows, which most readers know. The first that has a prediction wins.
HEADLINE_PLATFORMS = (
    ("Pixel 1", "TF-Lite CPU, single large core", False),
    ("Pixel 3", "TF-Lite CPU, 4 threads", False),
    ("Pixel 2", "TF-Lite CPU, single large core", False),
)
HOW = {"fitted": "own model", "anchored": "borrowed shape", "other family": "other family's model", "declined": "none"}


def _ms(value: float) -> str:
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def headline(predictions: Sequence[Prediction]) -> tuple[str, str] | None:
    """("Pixel 1 would take about 36 ms (32–41 ms in 9 of 10 cases like this one).", how sure)"""
    shown = [p for p in predictions if p.ms is not None]
    if not shown:
        return None
    by_key = {(p.platform.device, p.platform.backend, p.platform.quantized): p for p in shown}
    known = [by_key[k] for k in HEADLINE_PLATFORMS if k in by_key]
    # A well-known phone with a model of its own; else the platform fitted to the most rows.
    p = next((q for q in known if q.method == "fitted"), None) or max(shown, key=lambda q: (q.method == "fitted", q.loo_n))
    backend = p.platform.backend.split(",")[0]
    sentence = (f"{p.platform.device} ({backend}, {p.platform.precision}) would take about **{_ms(p.ms)} ms** "
                f"({_ms(p.low_ms)}–{_ms(p.high_ms)} ms in 9 of 10 cases like this one).")
    if p.loo_median_error_pct is not None:
        trust = (f"Checked on the {p.loo_n} configs published for that phone, each predicted without its own "
                 f"measurement: typically {p.loo_median_error_pct:.0f}% off, at worst {p.loo_max_error_pct:.0f}%.")
    else:
        trust = "How far off this is cannot be checked on that phone: too few configs were published for it."
    if departs_or_outside(p):
        trust += " Your model is unlike the ones measured there, so take it as a rough guide (why: below the table)."
    return sentence, trust


def _dash(value: float | None, fmt: str) -> str:
    return "—" if value is None else fmt.format(value)


def prediction_frame(predictions: Sequence[Prediction]) -> pd.DataFrame:
    """One row per platform, every cell text or a number: a dash (explained in the column's help)
    where there is no value, never "None". Threads are part of the backend's name."""
    rows = []
    for p in predictions:
        threads = p.platform.threads
        backend = p.platform.backend + (f", {threads} thread{'s' if threads != 1 else ''}"
                                        if threads is not None and "thread" not in p.platform.backend else "")
        rows.append({
            "phone": p.platform.device,
            "runtime": backend,
            "precision": p.platform.precision,
            "predicted (ms)": p.ms,
            "9 in 10 between": "—" if p.ms is None else f"{_ms(p.low_ms)}–{_ms(p.high_ms)} ms",
            "typical error": _dash(p.loo_median_error_pct, "{:.1f}%"),
            "worst error": _dash(p.loo_max_error_pct, "{:.1f}%"),
            "checked on": "—" if not p.loo_n else f"{p.loo_n} configs",
            "published (ms)": ", ".join(f"{v:g}" for v in p.published_ms) or "—",
            "how": ("⚠ " if p.extrapolating else "") + HOW[p.method],
        })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ReasonGroup:
    """One kind of caveat: what it means in plain words, and the platforms it applies to."""

    rank: int  # 0 first
    text: str
    platforms: tuple[str, ...]


_DEPARTS = re.compile(r"departs from the architecture the sources ran: ([^;]+?)(?:[;.]|$)", re.IGNORECASE)
_OUTSIDE = re.compile(r"outside the rows behind the model \(([^)]*)\): ([^;]+?)(?:;|$)", re.IGNORECASE)
OUTSIDE = "outside"  # the key of the "outside the measured sizes" group, worded once its details are known
_BEYOND = re.compile(r"more than ([\d.]+)× beyond the data", re.IGNORECASE)


def reason_groups(predictions: Sequence[Prediction]) -> list[ReasonGroup]:
    """The caveats of every prediction, grouped by kind and said once, most important first:
    your model differs from every measured one; it is outside the measured sizes; there is no
    prediction; the phone has too few rows for a model of its own; the other family's model."""
    groups: dict[tuple[int, str], list[str]] = {}
    outside_details: dict[str, None] = {}  # the distinct "how far outside", in first-seen order

    def add(rank: int, text: str, p: Prediction) -> None:
        groups.setdefault((rank, text), []).append(p.platform.label)

    for p in predictions:
        if not p.reason:
            continue
        if p.ms is None:
            beyond = _BEYOND.search(p.reason)
            if beyond:
                add(2, f"No prediction: your model is more than {beyond.group(1)}× beyond the sizes measured on these phones.", p)
            else:  # the family was never published there ("its only row is" / "its 2 rows are" of the other one)
                add(2, "No prediction: nothing of this family was published on these phones, and too few configs of the "
                       "other family for a model of their own.", p)
            continue
        departs = _DEPARTS.search(p.reason)
        if departs:
            add(0, f"Your model differs from every model measured on phones ({departs.group(1)}): its predictions are rough "
                   "guides, with ranges as wide as predicting one family from the other.", p)
        outside = _OUTSIDE.search(p.reason)
        if outside:  # one group whatever the bounds: each phone's data stops at a different size
            add(1, OUTSIDE, p)
            outside_details.setdefault(outside.group(2).strip(), None)
        if p.method == "anchored":
            add(3, "Only one or two configs were published on these phones, too few for a model of their own: the "
                   "prediction borrows the shape of a similar phone's model, scaled to those published rows. How far off it is "
                   "cannot be measured there; the range comes from checking the same borrowing where it can be.", p)
        elif p.method == "other family":
            add(4, "Nothing of this family was published on these phones: predicted with the other family's model of "
                   "the same phone (the model's inputs do not depend on the family).", p)
    def said(text: str) -> str:
        if text != OUTSIDE:
            return text
        return (f"Your model is outside the sizes measured on these phones ({'; or '.join(outside_details)}): its ranges "
                "widen by that distance.")

    return [ReasonGroup(rank, said(text), tuple(labels)) for (rank, text), labels in sorted(groups.items(), key=lambda kv: kv[0][0])]


def departs_or_outside(p: Prediction) -> bool:
    """True when ``p``'s model is unlike the configs measured on its phone (not merely borrowed)."""
    return bool(_DEPARTS.search(p.reason) or _OUTSIDE.search(p.reason))
