"""Shared helpers for the benchmark scripts: robust summaries and one output format."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def summary(samples: list[float]) -> dict[str, float]:
    """min / median / max and interquartile range: timings drift 10–30% minute to minute here."""
    q1, med, q3 = statistics.quantiles(samples, n=4) if len(samples) > 1 else (samples[0],) * 3
    return {"n": len(samples), "min": min(samples), "median": med, "max": max(samples), "iqr": q3 - q1}


def fmt(s: dict[str, float], unit: str, scale: float = 1.0) -> str:
    return (
        f"median {s['median'] * scale:.3g} {unit} (IQR {s['iqr'] * scale:.2g}, "
        f"min {s['min'] * scale:.3g}, max {s['max'] * scale:.3g}, n={s['n']})"
    )


def machine() -> dict[str, object]:
    from explorer.latency import cpu_model  # torch-free at import; the same string the latency store keys on

    return {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()}


def report(name: str, results: dict) -> None:
    """Print a JSON line per benchmark, so runs can be compared and quoted."""
    print(json.dumps({"benchmark": name, "machine": machine(), **results}))
