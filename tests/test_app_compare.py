"""AppTest of the Compare page: defaults α = 1, 224 px; widgets update exact totals; budget matching;
latency per stage/kind appears after measuring (private store, tiny budget)."""

import json
import math
from pathlib import Path
from urllib.parse import urlencode

import pytest

from explorer import count, paper_config
from explorer.compare import match_width
from explorer.config import architecture_changes, with_expansion
from explorer.units import human
from ui.links import encode

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def compare_page(open_page):
    """``compare_page(tab="Cost by kind", query=None, v1=None, v2=None)``: the page opened with ``tab`` selected (tabs are lazy: only the open
    one renders), or with the link parameters ``query``; ``v1``/``v2``: the configs last tuned on the
    explorer pages."""

    def open_(tab="Cost by kind", query=None, v1=None, v2=None):
        state = {} if query is not None else {"compare.view": tab}
        state.update({f"config:{arch}": config for arch, config in (("mobilenet_v1", v1), ("mobilenet_v2", v2)) if config is not None})
        return open_page("app_pages/compare.py", query=query, state=state, timeout=120)

    return open_


def macs_metrics(at):
    return [int(m.help.split(" ")[0].replace(",", "")) for m in at.metric if m.label == "MACs"]


def test_defaults_are_both_paper_models(compare_page):
    at = compare_page()
    assert not at.error
    assert macs_metrics(at) == [count(paper_config("mobilenet_v1")).macs, count(paper_config("mobilenet_v2")).macs]
    assert [m.value for m in at.metric if m.label == "Params"] == [human(count(paper_config(a)).params) for a in ("mobilenet_v1", "mobilenet_v2")]


def test_widgets_update_the_totals_and_charts(compare_page):
    at = compare_page()
    before = [c.proto.spec for c in at.get("plotly_chart")]
    at.slider(key="compare.m2.width").set_value(0.5).run()
    at.select_slider(key="compare.m1.resolution").set_value(160).run()
    assert not at.exception
    assert macs_metrics(at) == [count(paper_config("mobilenet_v1", resolution=160)).macs,
                                count(paper_config("mobilenet_v2", width_multiplier=0.5)).macs]
    after = [c.proto.spec for c in at.get("plotly_chart")]
    assert after != before


def test_depth_charts_show_both_families(compare_page):
    at = compare_page(tab="Through depth")
    names = {t["name"] for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"] if t.get("mode") == "lines+markers"}
    assert names == {"V1 (paper)", "V2 (paper)"}  # each model named by what differs from its paper


def test_budget_matching_sets_the_matched_width(compare_page):
    at = compare_page(tab="Budget matching")
    match = match_width(count(paper_config("mobilenet_v1")).macs, "mobilenet_v2")
    assert any(f"α = **{match.width_multiplier:g}**" in m.value for m in at.markdown)
    at.button(key="compare.match.m2").click().run()
    width = at.slider(key="compare.m2.width").value
    assert abs(width - match.width_multiplier) <= 0.0125 + 1e-9


def test_latency_appears_after_measuring(compare_page):
    at = compare_page()
    # Small models keep the measurement short.
    at.slider(key="compare.m1.width").set_value(0.25).run()
    at.select_slider(key="compare.m1.resolution").set_value(96).run()
    at.slider(key="compare.m2.width").set_value(0.35).run()
    at.select_slider(key="compare.m2.resolution").set_value(96).run()
    assert not any("latency" in json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart"))
    at.button(key="compare.measure").click().run()
    assert not at.exception and not at.error
    caption = next(c.value for c in at.caption if c.value.startswith("Latency:"))
    assert caption.count("ms median") == 2 and caption.count("quality") == 2 and "batch 1" in caption
    noisy = caption.count("quality noisy")  # a busy machine may give noisy results: shown with their verdict
    assert len([w for w in at.warning if "Noisy measurement" in w.value]) == noisy
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    # Per-kind latency is drawn from good measurements only: a noisy one keeps it off, and the page says so.
    assert ("latency (ms) by layer kind" in titles) == (noisy == 0)
    if noisy:
        assert any("No per-stage latency" in c.value and "noisy" in c.value for c in at.caption)


def test_per_stage_latency_uses_only_good_measurements(tmp_path, monkeypatch, compare_page):
    """A good V1 measurement and a noisy V2 one (this session's): no latency chart, and the reason."""
    import dataclasses

    from explorer.latency import LatencySettings, measure_latency
    from ui.state import latency_store

    monkeypatch.setenv("MOBILENET_EXPLORER_DATA", str(tmp_path))
    latency_store.clear()
    try:
        v1 = paper_config("v1", width_multiplier=0.25, resolution=96)
        v2 = paper_config("v2", width_multiplier=0.35, resolution=96)
        settings = LatencySettings(batch=1, device="cpu", budget_s=0.05)
        good = dataclasses.replace(measure_latency(v1, settings), quality="good", quality_reasons=())
        noisy = dataclasses.replace(measure_latency(v2, settings), quality="noisy", quality_reasons=("seeded noisy",))
        latency_store().put(v1, settings, good)
        latency_store().put(v2, settings, noisy)  # stored, but never handed out again
        at = compare_page(v1=v1, v2=v2)
        titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
        assert "latency (ms) by layer kind" not in titles
        status = next(c.value for c in at.caption if "per-stage latency" in c.value.lower())
        assert "No per-stage latency" in status and "V2, α 0.35, 96 px (no good measurement)" in status
        # The same noisy result as this session's own: shown with its verdict, still not drawn.
        at.session_state["compare.reports"] = {v2: dataclasses.replace(noisy, from_store=False)}
        at.run()
        titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
        assert "latency (ms) by layer kind" not in titles
        assert any("Noisy measurement" in w.value for w in at.warning)
        assert any("V2, α 0.35, 96 px (its measurement is noisy, so not drawn)" in c.value for c in at.caption)
        # Both good: drawn.
        at.session_state["compare.reports"] = {v2: dataclasses.replace(noisy, quality="good", quality_reasons=())}
        at.run()
        titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
        assert "latency (ms) by layer kind" in titles
    finally:
        latency_store.clear()


T4 = paper_config("mobilenet_v2", blocks=[b.to_dict() for b in with_expansion(paper_config("v2").blocks, 4)])


def test_starts_from_the_configs_tuned_on_the_explorer_pages(compare_page):
    v1 = paper_config("mobilenet_v1", width_multiplier=0.5, resolution=160, depthwise_separable=False)
    at = compare_page(v1=v1, v2=T4)
    assert macs_metrics(at) == [count(v1).macs, count(T4).macs]
    captions = [c.value for c in at.caption]
    for config in (v1, T4):
        assert any(c.startswith("Architecture: " + architecture_changes(config)[0]) for c in captions)
    assert [h.value for h in at.subheader][:2] == ["V1, full convolutions, α 0.5, 160 px", "V2, t = 4"]
    # Its width slider works over the tuned architecture, not the paper's.
    at.slider(key="compare.m2.width").set_value(0.5).run()
    assert macs_metrics(at)[1] == count(T4.replace(width_multiplier=0.5)).macs


def test_link_round_trips_every_model_and_the_tab(compare_page):
    at = compare_page(v2=T4, tab="Through depth")
    at.slider(key="compare.m1.width").set_value(0.75).run()
    at.select_slider(key="compare.m2.resolution").set_value(160).run()
    link = dict(at.query_params)
    assert link["models"] == "v1,v2" and link["tab"] == "through-depth"
    assert link["m1.width_multiplier"] == "0.75" and link["m2.resolution"] == "160"
    assert link["m2.blocks"].startswith("1.16.1.1_4.24.2.2")
    expected = macs_metrics(at)
    other = compare_page(query=link)  # a fresh session: its explorer pages hold the paper models
    assert not other.warning and not other.exception
    assert macs_metrics(other) == expected == [count(paper_config("v1", width_multiplier=0.75)).macs,
                                               count(T4.replace(resolution=160)).macs]
    assert other.session_state["compare.view"] == "Through depth"
    assert dict(other.query_params) == link


THREE = [paper_config("v1"), paper_config("v2"), T4.replace(width_multiplier=0.75)]


def three_model_link() -> dict:
    link = {"models": "v1,v2,v2"}
    for i, config in enumerate(THREE, 1):
        link |= encode(config, prefix=f"m{i}.")
    return link


def test_a_link_opens_three_models_of_two_families_each_named_by_what_differs(compare_page):
    at = compare_page(query=three_model_link() | {"tab": "cost-by-stage"})
    assert not at.warning and not at.exception
    assert macs_metrics(at) == [count(c).macs for c in THREE]
    assert [h.value for h in at.subheader] == ["V1 (paper)", "V2 (paper)", "V2, t = 4, α 0.75"]
    assert [m.delta for m in at.metric if m.label == "MACs"][1:] == [f"{count(c).macs / count(THREE[0]).macs:.2f}× V1 (paper)" for c in THREE[1:]]
    titles = [a["text"] for c in at.get("plotly_chart") for a in json.loads(c.proto.spec)["layout"]["annotations"]]
    assert {"V2, t = 4, α 0.75: MACs by stage", "V1 (paper): params by stage"} <= set(titles)  # a panel per model
    assert dict(at.query_params) == three_model_link() | {"tab": "cost-by-stage"}


def test_an_old_two_model_link_still_opens(compare_page):
    at = compare_page(query={"v1.width_multiplier": "0.5", "v1.resolution": "160", "v2.resolution": "192"})
    assert not at.warning
    assert macs_metrics(at) == [count(paper_config("v1", width_multiplier=0.5, resolution=160)).macs,
                                count(paper_config("v2", resolution=192)).macs]
    assert dict(at.query_params)["models"] == "v1,v2"  # rewritten in the current form


def test_models_are_added_from_the_pages_up_to_four_and_removed(compare_page):
    at = compare_page(v2=T4)
    at.selectbox(key="compare.add_choice").set_value(("paper", "mobilenet_v2")).run()
    at.button(key="compare.add").click().run()
    assert [h.value for h in at.subheader] == ["V1 (paper)", "V2, t = 4", "V2 (paper)"]
    at.selectbox(key="compare.add_choice").set_value(("page", "mobilenet_v1")).run()
    at.button(key="compare.add").click().run()
    assert len(at.subheader) == 4 and at.button(key="compare.add").disabled  # four at most
    at.button(key="compare.m2.remove").click().run()
    assert [h.value for h in at.subheader] == ["V1 (paper)", "V2 (paper)", "V1 (paper) (2)"]
    assert dict(at.query_params)["models"] == "v1,v2,v1"


@pytest.mark.parametrize("query, field", [
    ({"v2.blocks": "6.24.3.9"}, "v2: Block table, row 1, stride s: stride must be 1 or 2"),  # rows counted as the table shows them
    ({"v1.width_multiplier": "abc"}, "v1.width_multiplier"),
    ({"v1.resolution": "224", "tab": "nope"}, "tab:"),
    ({"colour": "red"}, "colour:"),
    ({"models": "v1,v9", "m1.resolution": "224"}, "models: unknown family 'v9'"),
    ({"models": "v1,v1,v1,v1,v1"}, "models: lists 5 models"),
])
def test_tampered_links_name_the_field_and_fall_back(query, field, compare_page):
    at = compare_page(query=query, v2=T4)
    assert not at.exception
    assert len(at.warning) == 1 and field in at.warning[0].value and "explorer pages' configs" in at.warning[0].value
    assert macs_metrics(at) == [count(paper_config("v1")).macs, count(T4).macs]


def test_a_pasted_link_adds_a_model(compare_page):
    at = compare_page()
    config = paper_config("v2", width_multiplier=0.5, resolution=128)
    link = "http://localhost:8501/v2?" + urlencode(encode(config))
    at.text_input(key="compare.paste").input(link).run()
    assert macs_metrics(at) == [count(paper_config("v1")).macs, count(paper_config("v2")).macs, count(config).macs]
    at.text_input(key="compare.paste").input("http://localhost:8501/v2?resolution=9999").run()
    assert any("resolution" in e.value and "nothing was changed" in e.value for e in at.error)
    assert macs_metrics(at)[2] == count(config).macs
    at.text_input(key="compare.paste").input("hello").run()
    assert any("Paste a whole link" in e.value for e in at.error)


def test_a_later_tuning_on_an_explorer_page_replaces_that_side_only(compare_page):
    at = compare_page()
    at.slider(key="compare.m2.width").set_value(0.5).run()
    at.run()  # a rerun keeps this page's own choice
    v2_half = count(paper_config("v2", width_multiplier=0.5)).macs
    assert macs_metrics(at)[1] == v2_half
    tuned = paper_config("v1", resolution=128)
    at.session_state["config:mobilenet_v1"] = tuned  # what the V1 page stores when it is tuned
    at.run()
    assert macs_metrics(at) == [count(tuned).macs, v2_half]


def test_channels_through_depth_on_a_log_axis_with_readable_ticks(compare_page):
    at = compare_page(tab="Through depth")
    axis = next(json.loads(c.proto.spec)["layout"]["yaxis"] for c in at.get("plotly_chart")
                if json.loads(c.proto.spec)["layout"]["yaxis"].get("title", {}).get("text") == "channels")
    assert axis["type"] == "log"
    assert {"10", "100", "1k"} <= set(axis["ticktext"])  # 3…1280 channels
    # 1-2-5 ticks only, each labelled with its magnitude (plotly's own log labels repeat 2 … 9 per decade)
    assert all(round(v / 10 ** math.floor(math.log10(v)), 6) in (1, 2, 5) for v in axis["tickvals"])
    assert len(set(axis["ticktext"])) == len(axis["ticktext"])


def test_architecture_tab_draws_every_model(compare_page):
    from ui.architecture import architecture_dot

    v1 = paper_config("v1", width_multiplier=0.5, resolution=160)
    at = compare_page(tab="Architecture", v1=v1)
    dots = [chart.proto.spec for chart in at.get("graphviz_chart")]
    assert dots == [architecture_dot(v1), architecture_dot(paper_config("v2"))]


def test_config_files_add_models_and_a_bad_one_is_named(compare_page):
    from explorer.export import config_json

    at = compare_page()
    quarter = paper_config("v1", width_multiplier=0.25, resolution=128)
    at.file_uploader(key="compare.files").set_value([("quarter.json", config_json(quarter).encode(), "application/json"),
                                                     ("bad.json", b"{not json", "application/json")]).run()
    assert not at.exception
    assert macs_metrics(at)[2] == count(quarter).macs
    assert [h.value for h in at.subheader][2] == "V1, α 0.25, 128 px"
    assert any("bad.json was not added" in e.value for e in at.error)
