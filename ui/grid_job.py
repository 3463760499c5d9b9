"""Measuring a grid of configs on this machine from a page, left running while the user explores.

A grid measurement is an ``explorer.sweep.SweepJob`` started in its own (daemon) thread. The
jobs live in a registry kept by ``st.cache_resource``: one per server process, shared by every
session, so the job outlives the page (and the session) that started it, and any page that
shows the panel sees how far it is. The machine measures one thing at a time anyway (the
machine's one lock, which the job's measurements take whatever the store), so the registry holds
at most one running job per store; starting another while one runs is refused, with the reason.

The panel is a fragment that reruns itself every :data:`POLL_S` seconds while the job runs
(``st.fragment(run_every=...)``), so only the progress is redrawn, and asks the whole page to
rerun once when the job ends, so whatever uses the new measurements (the budget finder) updates.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import streamlit as st

from explorer.measure_worker import measure_in_worker
from explorer.sweep import RUNNING, STOPPING, LocalBackend, SweepJob, SweepPoint, format_duration

from .state import latency_store

POLL_S = 1.0


@dataclass
class Registry:
    """The grid jobs of this server process, by the store they measure into (all under the machine's one lock)."""

    jobs: dict[str, SweepJob] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource
def registry() -> Registry:
    return Registry()


def _key() -> str:
    return str(latency_store().path)


def current() -> SweepJob | None:
    """The latest grid job on this machine's store (running or ended), or None."""
    return registry().jobs.get(_key())


def running(job: SweepJob | None) -> bool:
    return job is not None and job.progress.state in (RUNNING, STOPPING, "pending")


def start(points: Sequence[SweepPoint]) -> tuple[SweepJob | None, str | None]:
    """Start measuring ``points`` in the background; (the job, None) or (None, why it was not started)."""
    reg = registry()
    with reg.lock:  # two sessions pressing "measure" at once start one job
        job = reg.jobs.get(_key())
        if running(job):
            return None, "A grid measurement is already running on this machine: see its progress below."
        if not points:
            return None, "Every candidate config already has a good measurement on this machine."
        job = SweepJob(points, latency_store(), backend=LocalBackend(eager_measure=measure_in_worker))
        reg.jobs[_key()] = job
        job.start()
    return job, None


def _progress_text(job: SweepJob) -> str:
    p = job.progress
    noisy = sum(1 for r in job.results if r.report is not None and r.report.quality != "good")
    verdicts = f"; {noisy} noisy, kept for the record but never used" if noisy else ""
    parts = [f"**{p.done} of {p.total} done** ({p.measured} measured, {p.reused} already stored"
             + (f", {p.failed} failed" if p.failed else "") + f"{verdicts}), **{p.remaining} remaining**"]
    if p.state in (RUNNING, STOPPING) and p.remaining:
        parts.append("estimating time left" if p.eta_s is None else f"about **{format_duration(p.eta_s)} left**")
    return ", ".join(parts) + "."


BUDGETS_S = (0.5, 1.0, 2.0, 5.0)  # timing budget per config: shorter is coarser, longer steadier


def panel(points: Sequence[SweepPoint], *, what: str, key: str, on_end: Callable[[], None] | None = None) -> None:
    """The "measure this grid" action and, once a job exists, its live progress with a stop button.

    ``points`` are the grid's points still to measure (good stored ones are reused by the job
    anyway); ``what`` names them in the button ("12 candidate configs").
    """
    job = current()
    if not running(job) and points:
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        given = points[0].budget_s  # the caller's budget is the default choice
        budget = right.select_slider("Timing budget per config (s)", sorted({*BUDGETS_S, given}), value=given, key=f"{key}.budget",
                                     help="Longer budgets time more runs: steadier medians, a slower grid. A noisy "
                                          "config is measured again, up to three attempts.")
        if left.button(f"Measure {what} on this machine", key=f"{key}.start", icon=":material/play_arrow:",
                       help="One at a time, under the machine's measurement lock (other measurements wait), batch 1, CPU, "
                            "all cores. Runs in the background: you can explore other pages meanwhile; results go "
                            "into the local latency store as they come."):
            _, problem = start([dataclasses.replace(p, budget_s=budget) for p in points])
            if problem:
                st.info(problem)
            else:
                st.rerun()  # redraw without the start button: the progress takes its place
    _live(key, on_end)


def _live(key: str, on_end: Callable[[], None] | None) -> None:
    job = current()
    if job is None:
        return
    seen_key = f"{key}.seen_end"

    @st.fragment(run_every=POLL_S if running(job) else None)
    def progress_fragment() -> None:
        job = current()
        if job is None:
            return
        p = job.progress
        if running(job):
            st.progress(p.fraction, text=f"Measuring the grid on this machine: {p.done}/{p.total}")
            st.markdown(_progress_text(job))
            now = ", ".join(p.running) or "starting"
            st.caption(f"Now: {now}" + (f" — {p.message}" if p.message else "") +
                       ". It keeps running while you visit other pages.")
            if st.button("Stop measuring", key=f"{key}.stop", icon=":material/stop_circle:",
                         help="The point being measured is abandoned; everything measured so far stays in the store."):
                job.stop()
                st.rerun(scope="fragment")
            st.session_state[seen_key] = False
            return
        ended = {"finished": "Grid measurement finished", "stopped": "Grid measurement stopped",
                 "error": "Grid measurement ended with an error"}.get(p.state, f"Grid measurement {p.state}")
        text = f"{ended}: {_progress_text(job)}"
        if p.error:
            st.error(f"{text} {p.error}")
        elif p.state == "stopped":
            st.info(text + " Measuring again picks up where it stopped.")
        else:
            st.success(text)
        failures = [r for r in job.results if r.status == "failed"]
        for r in failures[:5]:
            st.caption(f"Failed: {r.point.label}: {r.error}")
        if not st.session_state.get(seen_key, True):
            # The job ended while this fragment was polling: rerun the page once so what reads the
            # store (the budget finder) shows the new measurements.
            st.session_state[seen_key] = True
            if on_end:
                on_end()
            st.rerun(scope="app")

    progress_fragment()
