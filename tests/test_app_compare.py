"""AppTest of the Compare page: defaults α = 1, 224 px; widgets update exact totals; budget matching;
latency per stage/kind appears after measuring (private store, tiny budget)."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from explorer import count, paper_config
from explorer.compare import match_width
from explorer.units import human

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def open_page(tab="Cost by kind"):
    """Open the page with ``tab`` selected (tabs are lazy: only the open one renders)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()  # the first run registers st.navigation's pages
    at.session_state["compare.view"] = tab
    at.switch_page("pages/compare.py")
    at.run()
    assert not at.exception, at.exception
    return at


def macs_metrics(at):
    return [int(m.help.split(" ")[0].replace(",", "")) for m in at.metric if m.label == "MACs"]


def test_defaults_are_both_paper_models():
    at = open_page()
    assert not at.error
    assert macs_metrics(at) == [count(paper_config("mobilenet_v1")).macs, count(paper_config("mobilenet_v2")).macs]
    assert [m.value for m in at.metric if m.label == "Params"] == [human(count(paper_config(a)).params) for a in ("mobilenet_v1", "mobilenet_v2")]


def test_widgets_update_the_totals_and_charts():
    at = open_page()
    before = [c.proto.spec for c in at.get("plotly_chart")]
    at.slider(key="compare.mobilenet_v2.width").set_value(0.5).run()
    at.select_slider(key="compare.mobilenet_v1.resolution").set_value(160).run()
    assert not at.exception
    assert macs_metrics(at) == [count(paper_config("mobilenet_v1", resolution=160)).macs,
                                count(paper_config("mobilenet_v2", width_multiplier=0.5)).macs]
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert after != before


def test_depth_charts_show_both_families():
    at = open_page(tab="Through depth")
    names = {t["name"] for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"] if t.get("mode") == "lines+markers"}
    assert names == {"MobileNet V1", "MobileNet V2"}


def test_budget_matching_sets_the_matched_width():
    at = open_page(tab="Budget matching")
    match = match_width(count(paper_config("mobilenet_v1")).macs, "mobilenet_v2")
    assert any(f"α = **{match.width_multiplier:g}**" in m.value for m in at.markdown)
    at.button(key="compare.match.mobilenet_v2").click().run()
    width = at.slider(key="compare.mobilenet_v2.width").value
    assert abs(width - match.width_multiplier) <= 0.0125 + 1e-9


def test_latency_appears_after_measuring():
    at = open_page()
    # Small models keep the measurement short.
    at.slider(key="compare.mobilenet_v1.width").set_value(0.25).run()
    at.select_slider(key="compare.mobilenet_v1.resolution").set_value(96).run()
    at.slider(key="compare.mobilenet_v2.width").set_value(0.35).run()
    at.select_slider(key="compare.mobilenet_v2.resolution").set_value(96).run()
    assert not any("latency" in json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart"))
    at.button(key="compare.measure").click().run()
    assert not at.exception and not at.error
    assert any("from the local latency store" in c.value for c in at.caption)
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert "latency (ms) by layer kind" in titles
