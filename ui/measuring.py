"""Measuring from a page: one at a time on the machine, the wait and the progress in view.

Every page that measures goes through :func:`measure_in_page`: a stored good result, or a new
measurement under the machine's lock (``LatencyStore.get_or_measure``). While another session or
process measures, the page shows what it is waiting for and how far that one is; then its own
progress. :func:`show_verdict` says how far a result can be trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from explorer import ConfigError, MobileNetConfig

from .state import latency_store

WAITING_TEXT = "Waiting for another latency measurement on this machine"


def _waiting_text(label: str, waiting) -> tuple[float, str]:
    holder = waiting.holder
    detail = (f"{holder.what}: {holder.message}, {holder.fraction:.0%}" if holder else "it is starting")
    return (holder.fraction if holder else 0.0,
            f"{label}{WAITING_TEXT} ({detail}). Waited {waiting.waited_s:.1f} s; yours starts when it ends.")


@contextmanager
def machine_job(what: str, label: str = "") -> Iterator[object]:
    """Hold the machine's measurement lock for a CPU-heavy job of a page (an export, a timing), the wait in view.

    Every CPU-heavy job takes the one lock a latency measurement takes, so neither disturbs the
    other. Raises :class:`explorer.lock.LockTimeout` when the wait is too long (the page says so).
    """
    from explorer.lock import MeasurementLock

    status = st.empty()

    def on_wait(waiting) -> None:
        fraction, text = _waiting_text(label, waiting)
        status.progress(fraction, text=text)

    try:
        with MeasurementLock.machine().hold(what, on_wait=on_wait) as holding:
            status.empty()
            yield holding
    finally:
        status.empty()


def measure_for(runtime: str) -> Callable[..., object]:
    """How a page measures ``runtime`` (the ``measure`` of ``LatencyStore.get_or_measure``).

    Eager PyTorch runs in a process of its own: in this server's threads, other sessions' reruns
    hold the GIL and made a V2 figure ~8× too slow (explorer.measure_worker). The deployment
    runtimes measure here: their timed call is one native call a forward.
    """
    from explorer.latency import measure_latency
    from explorer.measure_worker import measure_in_worker

    return measure_in_worker if runtime == "eager" else measure_latency


def measure_in_page(config: MobileNetConfig, settings, *, remeasure: bool = False, model=None, label: str = ""):
    """Measure ``config`` (or reuse a good stored result); returns the report, or None after an error message.

    ``label`` prefixes the messages (``"MobileNet V1: "``) when a page measures several models.
    """
    from explorer.lock import LockTimeout

    status = st.empty()  # one element, replaced as the wait and the measurement advance

    def on_wait(waiting) -> None:
        fraction, text = _waiting_text(label, waiting)
        status.progress(fraction, text=text)

    def progress(fraction: float, message: str) -> None:
        status.progress(min(max(fraction, 0.0), 1.0), text=f"{label}Measuring: {message}")

    try:
        report = latency_store().get_or_measure(config, settings, measure=measure_for(settings.runtime), remeasure=remeasure, model=model,
                                                progress=progress, on_wait=on_wait)
    except (ConfigError, LockTimeout, RuntimeError) as err:  # RuntimeError: torch, e.g. out of memory
        status.empty()
        st.error(f"{label}The model could not be measured: {err}")
        return None
    status.empty()
    return report


def _clock(iso: str) -> str:
    """``2026-01-02T03:04:05.123456+00:00`` → ``2026-01-02 03:04:05.12 UTC``."""
    return iso[:22].replace("T", " ") + " UTC"


def conditions(report) -> str:
    """The conditions every shown latency carries: runtime, threads, batch, device, machine."""
    device = report.device + (f" ({report.gpu})" if report.gpu else "")
    return (f"batch {report.batch}, {report.threads} thread{'s' if report.threads != 1 else ''}, {device}, {report.runtime}, "
            f"torch {report.torch_version}, {report.cpu}")


def show_verdict(report, *, label: str = "") -> None:
    """The result with its conditions and quality: green when good, a warning with the reasons when not."""
    figures = f"**{report.median_ms:.2f} ms** median (IQR {report.iqr_ms:.2f} ms, {report.runs} runs)"
    if report.batch > 1:
        figures += f", **{report.per_image_ms:.3f} ms per image**, **{report.throughput_ips:,.0f} images/s**"
    if report.from_store:
        source = f"reused from the local store (measured {_clock(report.started_at)} to {_clock(report.finished_at)[11:]})"
    else:
        waited = f", after waiting {report.waited_s:.1f} s for another measurement" if report.waited_s > 0 else ""
        source = (f"measured just now, {_clock(report.started_at)} to {_clock(report.finished_at)[11:]} "
                  f"({report.attempts} attempt{'s' if report.attempts != 1 else ''}{waited})")
    text = f"{label}{figures}; {conditions(report)}: {source}."
    if report.quality == "good":
        st.success(f"{text} Quality: **good**.", icon=":material/verified:")
        return
    what = ("**Noisy measurement: do not rely on this figure.** It is shown, and kept for the record, but never reused."
            if report.quality == "noisy" else
            "**Unverified measurement** (stored before quality checks existed): never reused; measure again to verify.")
    reasons = "\n".join(f"- {reason}" for reason in report.quality_reasons)
    st.warning(f"{what}\n\n{text}\n\n{reasons}", icon=":material/warning:")
