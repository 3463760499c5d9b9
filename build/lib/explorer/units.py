"""Readable numbers with units: 3,504,872 → "3.50M", 0.0345 s → "34.5 ms"."""

from __future__ import annotations


def human(n: float, unit: str = "", digits: int = 2) -> str:
    """Scale by G/M/k: human(300_774_272, "MACs") → '300.77M MACs'."""
    sep = " " if unit else ""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.{digits}f}{suffix}{sep}{unit}"
    return f"{n:g}{sep}{unit}"


def mebibytes(n_bytes: float) -> str:
    return f"{n_bytes / 2**20:.3g} MiB"


def milliseconds(ms: float) -> str:
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
