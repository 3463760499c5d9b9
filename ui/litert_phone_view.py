"""On ``/phones``: every published TF-Lite CPU figure beside this machine's LiteRT figure for the
same config, and how steady their ratio is per phone (one call from ``app_pages/phones.py``).

The computation is :mod:`explorer.phones.litert_ratio`; the lab's figures come from the latency
store (good measurements only, 1 thread), filled by ``benchmarks/bench_litert_phones.py`` or by
measuring those configs on LiteRT. Nothing is measured on a plain page view.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from explorer.counting import count
from explorer.phones.litert_ratio import THREADS, grid, ratios, store_figures, summary_rows

from .state import latency_store


def litert_section() -> None:
    import importlib.util

    st.subheader("The phones' runtime on this machine: LiteRT")
    st.caption("Every TF-Lite CPU figure above was measured with TensorFlow Lite (now LiteRT). The lab runs the same "
               f"configs on LiteRT with XNNPACK on this machine's CPU ({THREADS} thread, batch 1; only measurements the lab "
               "judged good, from the latency store). If phones and this "
               "machine slowed down alike, phone ms / this machine's ms would be one factor per phone.")
    if importlib.util.find_spec("ai_edge_litert") is None:
        from explorer.runtimes.names import LITERT_INSTALL

        st.info(f"LiteRT is not installed here (pip install {LITERT_INSTALL}); stored LiteRT measurements are still shown.",
                icon=":material/extension_off:")
    results = ratios(store_figures(latency_store()))
    if not results:
        st.info(f"No good LiteRT measurements of the published configs are stored on this machine yet ({len(grid())} "
                "config and precision pairs). Measure them with `python benchmarks/bench_litert_phones.py` (about ten "
                "minutes: each config converts to .tflite first).", icon=":material/hourglass_empty:")
        return
    frame = pd.DataFrame(summary_rows(results))
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        "median ratio": st.column_config.NumberColumn(format="%.2f", help="phone ms / this machine's LiteRT ms, median over the configs"),
        **{c: st.column_config.NumberColumn(format="%.1f") for c in frame.columns if c.endswith("%")},
    })
    steadier = sum(r.ratio_spread_pct < r.mac_spread_pct for r in results)
    helps = [r for r in results if r.helps]
    st.markdown(f"- The ratio is steadier than the MACs-based feature (phone ms per GMAC) on **{steadier} of {len(results)}** "
                "platforms (spread: median absolute deviation of the logs, 0% = one constant factor).\n"
                f"- Leave-one-out (each config predicted as the other configs' median ratio × its figure here) beats the "
                f"fitted predictor on **{len(helps)} of {len(results)}** platforms, so the predictor "
                f"{'could use it there, but does not yet' if helps else 'does not use it'}.")
    st.plotly_chart(_chart(results), width="stretch", key="phones.litert.chart")
    st.caption("Each point is a published config: its phone figure over this machine's LiteRT median, against its MACs. "
               "A flat line would be a constant factor. This machine's figures are single measurements on a shared "
               "machine; see each one's IQR in the table below.")
    with st.expander("Every published row beside this machine's LiteRT figure", icon=":material/table_rows:"):
        st.dataframe(_rows(results), hide_index=True, width="stretch")


def _chart(results) -> go.Figure:
    fig = go.Figure()
    for r in results:
        rows = sorted(r.rows, key=lambda row: count(row.sample.config).macs)
        fig.add_scatter(x=[count(row.sample.config).macs / 1e6 for row in rows], y=[row.ratio for row in rows],
                        mode="markers+lines", name=f"{r.platform.label} ({r.family.replace('mobilenet_', '').upper()})",
                        hovertemplate="%{x:.0f} MMACs<br>ratio %{y:.2f}<extra>%{fullData.name}</extra>")
    fig.update_layout(height=380, margin=dict(t=20, b=10, l=10, r=10), xaxis_title="MMACs (log)",
                      yaxis_title="phone ms / this machine's LiteRT ms (log)", legend=dict(font_size=10))
    fig.update_xaxes(type="log")
    fig.update_yaxes(type="log")
    return fig


def _rows(results) -> pd.DataFrame:
    out = []
    for r in results:
        for row in r.rows:
            c = row.sample.config
            out.append({"platform": r.platform.label, "config": f"{c.arch} α={c.width_multiplier:g} {c.resolution}px",
                        "published ms": row.sample.latency_ms, "this machine LiteRT ms": round(row.lab_ms, 3),
                        "IQR ms": round(row.lab_iqr_ms, 3), "ratio": round(row.ratio, 2)})
    return pd.DataFrame(out)
