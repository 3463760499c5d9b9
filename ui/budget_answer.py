"""The budget finder's answer, as the Trade-offs page shows it: the best configs that fit first,
each with its accuracy and latency and a link that opens it; then every fitting config in a
table; what was left out in one line, with the details on demand.

The configs come ranked from ``explorer.tradeoffs.find_configs``; rows of one architecture (the
paper's, TF-slim's and torchvision's V2 1.0/224) are merged by ``merge_same_architecture``, so the
answer lists each network once and names every source that published it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from explorer.tradeoffs import MEASURED, Candidate, MergedCandidate
from explorer.units import human

from . import links
from .state import ARCH_TITLES

LEADING = 3  # answers shown as cards above the table: the ones a reader acts on


def short_name(c: Candidate) -> str:
    """What the config is, in the explorer's words: "V2 α 1.4, 224 px" (+ "int8")."""
    family = ARCH_TITLES.get(c.family, c.family).replace("MobileNet ", "")
    return f"{family} α {c.width_multiplier:g}, {c.resolution} px" + (", int8" if c.quantized else "")


def latency_text(c: Candidate, machine: str | None = None) -> str | None:
    """The latency a card shows, with where it comes from; None without a latency budget."""
    if c.latency_ms is None:
        return None
    if c.latency_high_ms is not None:  # a prediction: the budget was judged on the interval's upper end
        return f"≤ {c.latency_high_ms:.1f} ms predicted (about {c.latency_ms:.1f})"
    if c.latency_source == MEASURED:
        return f"{c.latency_ms:.1f} ms measured" + (f" on {machine}" if machine else "")
    return f"{c.latency_ms:.1f} ms published"


def lead(merged: Sequence[MergedCandidate], machine: str | None = None) -> None:
    """The top answers as cards: rank and name, top-1, latency, cost, and "Open in explorer".

    A real page link, not a link cell of the table: the grid took up to three clicks (focus the
    grid, select the cell, follow the link) before a tab opened."""
    for rank, m in enumerate(merged[:LEADING], 1):
        c = m.best
        with st.container(border=True, key=f"budget_answer_{rank}"):
            name, accuracy, latency, cost, action = st.columns([2.3, 1.2, 1.8, 1.5, 1.5], vertical_alignment="center")
            name.markdown(f"**{rank}. {short_name(c)}**  \n{'published' if c.published else 'custom (sweep)'}"
                          + (f" · {len(m.rows)} sources" if len(m.rows) > 1 else ""),
                          help="Published by: " + "; ".join(m.source_texts))
            top1 = "—" if c.top1 is None else f"{c.top1:.1f}%"
            accuracy.markdown(f"top-1 **{top1}**" + ("  \n(estimate)" if c.accuracy_kind == "estimate" else ""),
                              help=c.accuracy_method)
            ms = latency_text(c, machine)
            latency.markdown(f"latency **{ms}**" if ms else "latency: set a latency budget",
                             help=c.latency_source or "The latency budget is empty, so no latency was looked up.")
            cost.markdown(f"{human(c.macs)} MACs  \n{human(c.params)} params")
            action.page_link(links.PAGE_FILE[c.family], label="Open in explorer", query_params=links.encode(c.config),
                             icon=":material/open_in_new:")


def frame(merged: Sequence[MergedCandidate], machine: str | None = None) -> pd.DataFrame:
    """Every fitting config, one row per architecture: accuracy and latency next to the name (they
    were off-screen to the right at 1440 px), then the cost, then every source."""
    predicted = any(m.best.latency_high_ms is not None for m in merged)
    rows = []
    for i, m in enumerate(merged, 1):
        c = m.best
        row = {"rank": i, "config": c.label, "top-1 (%)": c.top1, "latency (ms)": c.latency_ms}
        if predicted:
            row |= {"latency low (ms)": c.latency_low_ms, "latency high (ms)": c.latency_high_ms}
        row |= {"MACs (M)": c.macs / 1e6, "params (M)": c.params / 1e6, "open": links.explorer_link(c.config),
                "kind": "published" if c.published else "custom (sweep)", "family": ARCH_TITLES.get(c.family, c.family),
                "α": c.width_multiplier, "resolution": c.resolution, "quantized": c.quantized, "accuracy": c.accuracy_kind}
        if predicted:
            row["latency note"] = c.latency_note
        if c.latency_source is not None:
            row["latency from"] = f"measured on {machine}" if c.latency_source == MEASURED and machine else c.latency_source
        row["sources"] = "; ".join(m.source_texts)
        rows.append(row)
    return pd.DataFrame(rows)


COLUMNS = {
    "rank": st.column_config.NumberColumn("rank", width=50),
    "config": st.column_config.TextColumn("config", width=190, pinned=True),
    "top-1 (%)": st.column_config.NumberColumn("top-1 (%)", format="%.2f", width=80),
    "latency (ms)": st.column_config.NumberColumn("latency (ms)", format="%.1f", width=95),
    "latency low (ms)": st.column_config.NumberColumn("low (ms)", format="%.1f", width=75, help="the 90% interval's lower end"),
    "latency high (ms)": st.column_config.NumberColumn("high (ms)", format="%.1f", width=75,
                                                       help="the 90% interval's upper end: what the budget is judged on"),
    "MACs (M)": st.column_config.NumberColumn("MACs (M)", format="%.1f", width=85),
    "params (M)": st.column_config.NumberColumn("params (M)", format="%.2f", width=85),
    "open": st.column_config.LinkColumn("open", display_text="Open in explorer", width=130,
                                        help="This config on its explorer page, with its full settings in the link"),
    "sources": st.column_config.TextColumn("sources", width="large", help="Every published row of this architecture"),
}


def table(merged: Sequence[MergedCandidate], machine: str | None = None) -> None:
    st.dataframe(frame(merged, machine), hide_index=True, width="stretch", key="budget.results", column_config=COLUMNS)


def left_out(declined: Sequence[tuple[Candidate, str]], pool: int) -> None:
    """One line: how many candidates were left out and the main reason; the rest on demand."""
    if not declined:
        return
    reasons: dict[str, int] = {}
    for _, reason in declined:
        reasons[reason] = reasons.get(reason, 0) + 1
    ranked = sorted(reasons.items(), key=lambda item: -item[1])
    main, n = ranked[0]
    line = (f"{len(declined)} of {pool} candidates are left out: the predictor declines them on this device "
            f"(mostly: {_first_sentence(main)}).")
    st.caption(line)
    with st.expander(f"Why {len(declined)} candidates are left out ({len(ranked)} reason{'s' if len(ranked) != 1 else ''})"):
        for reason, count in ranked:
            st.markdown(f"- **{count}** × {reason}")


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].rstrip(".")
    return head if len(head) <= 120 else head[:117] + "…"
