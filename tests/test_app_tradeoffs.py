"""AppTest of the Trade-offs page: it runs, filters change the plots, the user's configs are placed
with a published figure, an estimate (marked) or no accuracy, and the budget finder answers."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import count, paper_config
from explorer.accuracy import architecture_changes
from explorer.config import with_expansion
from explorer.tradeoffs import find_configs

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def open_page(v1=None, v2=None, tab="Accuracy vs MACs", query=None):
    """Open the page with ``tab`` selected (tabs are lazy: only the open one renders), or with the
    link parameters ``query``."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()  # the first run registers st.navigation's pages
    if query is None:
        at.session_state["tradeoffs.view"] = tab
    else:
        at.query_params.update(query)
    if v1 is not None:
        at.session_state["config:mobilenet_v1"] = v1
    if v2 is not None:
        at.session_state["config:mobilenet_v2"] = v2
    at.switch_page("app_pages/tradeoffs.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at):
    return [m.value for m in at.markdown] + [c.value for c in at.caption]




def trace_names(at, index=0):
    import json

    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    return [t.get("name") for t in spec["data"]]


def test_default_run_places_the_paper_models_as_published():
    at = open_page()
    assert not at.error
    shown = texts(at)
    assert any("Your MobileNet V1" in t and "published top-1 **70.9%**" in t for t in shown)
    assert any("Your MobileNet V2" in t and "published top-1 **71.8%**" in t for t in shown)
    names = trace_names(at, 0)
    assert "Your MobileNet V2 (published)" in names
    assert "MobileNet V1 Pareto frontier" in names and "MobileNet V2 Pareto frontier" in names


def test_estimate_is_marked_and_explained():
    at = open_page(v2=paper_config("mobilenet_v2", width_multiplier=0.8, resolution=200))
    shown = texts(at)
    assert any("Your MobileNet V2" in t and "**estimate**" in t for t in shown)
    assert any("Estimate, not a measurement" in t for t in shown)  # the method sentence
    assert "Your MobileNet V2 (estimate)" in trace_names(at, 0)


def spec(at, index=0):
    import json

    return json.loads(at.get("plotly_chart")[index].proto.spec)


def trace(at, name, index=0):
    return next(t for t in spec(at, index)["data"] if t.get("name") == name)


def test_outside_the_grid_is_drawn_at_its_cost():
    config = paper_config("mobilenet_v1", width_multiplier=2.0)
    at = open_page(v1=config)
    assert any("Your MobileNet V1" in t and "accuracy not published" in t and "dashed vertical line" in t for t in texts(at))
    line = trace(at, "Your MobileNet V1 (accuracy not published)")
    assert line["x"] == [count(config).macs] * 2 and line["y"][0] < line["y"][1]
    assert "Your MobileNet V2 (published)" in trace_names(at, 0)


def test_a_custom_v2_is_drawn_at_its_exact_macs_and_params():
    """Issue 13: a V2 with t = 4 was "not plotted"; it is a labelled line at its exact cost."""
    config = paper_config("mobilenet_v2", blocks=[b.to_dict() for b in with_expansion(paper_config("v2").blocks, 4)])
    for tab, cost in (("Accuracy vs MACs", count(config).macs), ("Accuracy vs params", count(config).params)):
        at = open_page(v2=config, tab=tab)
        line = trace(at, "Your MobileNet V2 (accuracy not published)")
        assert line["x"] == [cost, cost]
        assert line["text"][-1] == "Your V2: accuracy not published"
        assert architecture_changes(config)[0] in line["customdata"][0][1]  # the reason, on hover


def test_baselines_are_their_own_series_outside_the_frontier():
    at = open_page()
    names = trace_names(at, 0)
    conv = next(n for n in names if n.startswith("MobileNet V1 baseline: Conv MobileNet"))
    shallow = next(n for n in names if n.startswith("MobileNet V1 baseline: Shallow MobileNet"))
    assert "Table 4" in conv and "Table 5" in shallow
    assert trace(at, conv)["text"] == ["Conv MobileNet"]  # labelled on the chart
    front = trace(at, "MobileNet V1 Pareto frontier")
    assert max(front["x"]) < 1e9  # the 4.9 GMACs full-convolution model no longer stretches it
    v1 = trace(at, "MobileNet V1")
    assert not any("Conv MobileNet" in c[0] or "Shallow" in c[0] for c in v1["customdata"])


def test_log_axes_with_readable_labels_and_labelled_references():
    at = open_page(tab="Accuracy vs params")
    at.toggle(key="tradeoffs.references").set_value(True).run()
    axis = spec(at)["layout"]["xaxis"]
    assert axis["type"] == "log"
    assert {"1M", "10M", "100M"} <= set(axis["ticktext"])
    assert all(t[-1] in "kMG" for t in axis["ticktext"])  # never bare digits
    refs = trace(at, "Reference networks")
    assert "VGG 16" in refs["text"] and "GoogleNet" in refs["text"] and "markers+text" == refs["mode"]
    macs_axis = spec(open_page())["layout"]["xaxis"]
    assert macs_axis["type"] == "log" and "100M" in macs_axis["ticktext"]


def test_tick_labels_and_log_choice():
    from ui.tradeoff_charts import log_ticks, needs_log

    ticks, text = log_ticks([4.7e5, 1.38e8])
    assert text[:3] == ["200k", "500k", "1M"] and text[-2:] == ["100M", "200M"]
    assert ticks == sorted(ticks)
    assert needs_log([10, 500]) and not needs_log([60, 140])


def test_budget_rows_open_in_their_explorer_page():
    from urllib.parse import parse_qsl, urlsplit

    from ui.links import decode

    at = open_page(tab="Budget finder")
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    found = find_configs()[: len(frame)]
    for link, c in zip(frame["open"], found):
        path, query = urlsplit(link).path, dict(parse_qsl(urlsplit(link).query))
        assert path == {"mobilenet_v1": "v1", "mobilenet_v2": "v2"}[c.family]
        assert decode(c.family, query) == c.config


def test_link_round_trips():
    at = open_page(tab="Budget finder")
    at.radio(key="tradeoffs.precision").set_value("Both").run()
    at.toggle(key="tradeoffs.references").set_value(True).run()
    at.number_input(key="budget.macs").set_value(150.0).run()
    at.multiselect(key="budget.families").set_value(["mobilenet_v2"]).run()
    at.checkbox(key="budget.sweep").set_value(False).run()
    link = dict(at.query_params)
    assert link == {"tab": "budget-finder", "models": "both", "references": "1", "max_macs": "150",
                    "families": "v2", "sweep": "0"}
    other = open_page(query=link)
    assert not other.warning
    assert other.radio(key="tradeoffs.precision").value == "Both"
    assert other.toggle(key="tradeoffs.references").value is True
    assert other.number_input(key="budget.macs").value == 150.0
    assert other.multiselect(key="budget.families").value == ["mobilenet_v2"]
    assert other.checkbox(key="budget.sweep").value is False
    frame = next(d for d in other.dataframe if "rank" in d.value.columns).value
    assert set(frame["family"]) == {"MobileNet V2"} and (frame["MACs (M)"] <= 150).all()
    assert dict(other.query_params) == link


def test_latency_tab_link_keeps_the_device():
    at = open_page(tab="Accuracy vs device latency")
    options = at.selectbox(key="tradeoffs.platform").options
    at.selectbox(key="tradeoffs.platform").set_value(options[-1]).run()
    link = dict(at.query_params)
    assert link["tab"] == "accuracy-vs-device-latency" and "device" in link
    assert open_page(query=link).selectbox(key="tradeoffs.platform").value == options[-1]


@pytest.mark.parametrize("query, field", [
    ({"models": "bogus"}, "models"),
    ({"tab": "budget-finder", "max_macs": "-5"}, "max_macs"),
    ({"tab": "budget-finder", "max_params": "nan"}, "max_params"),
    ({"families": "v3"}, "families"),
    ({"colour": "red"}, "colour"),
    ({"references": "x" * 500}, "references"),
])
def test_tampered_links_name_the_field_and_fall_back(query, field):
    at = open_page(query=query)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and f"({field}:" in at.warning[0].value and "defaults" in at.warning[0].value
    assert at.radio(key="tradeoffs.precision").value == "Float"
    assert at.toggle(key="tradeoffs.references").value is False


def test_filters_change_the_traces():
    at = open_page()
    assert not any("quantized" in (n or "") for n in trace_names(at, 0))
    at.radio(key="tradeoffs.precision").set_value("Both").run()
    assert "MobileNet V1 (quantized)" in trace_names(at, 0)
    assert "Reference networks" not in trace_names(at, 0)
    at.toggle(key="tradeoffs.references").set_value(True).run()
    assert "Reference networks" in trace_names(at, 0)


def test_latency_axis_follows_the_platform():
    at = open_page(tab="Accuracy vs device latency")
    before = at.get("plotly_chart")[0].proto.spec
    options = at.selectbox(key="tradeoffs.platform").options
    at.selectbox(key="tradeoffs.platform").select_index(len(options) - 1).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != before


def test_only_the_open_tab_renders():
    at = open_page(tab="Published vs computed")
    assert len(at.get("plotly_chart")) == 0
    assert not any("rank" in d.value.columns for d in at.dataframe)  # the budget finder did not run


def test_published_vs_computed_flags_differences():
    at = open_page(tab="Published vs computed")
    frame = next(d for d in at.dataframe if "explanation" in d.value.columns).value
    assert set(frame[""]) <= {"✓", "⚠"} and (frame[""] == "⚠").any()
    assert frame["explanation"].str.len().min() > 0
    # Each row says what it was computed with: the source's own classifier, from the data.
    classes = dict(zip(frame["model"] + " | " + frame["source"], frame["computed with"]))
    assert classes["1.0 MobileNet-224 | MobileNets paper arXiv:1704.04861, Table 6 / Table 7"] == "1000 classes"
    assert classes["mobilenet_v2_1.0_224 | TF-slim mobilenet/README.md V2 checkpoints (1001 classes), checkpoint table"] == "1001 classes"
    paper = frame[frame["source"].str.startswith("MobileNets paper") & (frame[""] == "✓")]
    assert len(paper) > 0 and not paper["explanation"].str.contains("TF-slim's background class").any()


def test_budget_finder_returns_fitting_rows():
    at = open_page(tab="Budget finder")
    at.number_input(key="budget.macs").set_value(150.0).run()
    at.number_input(key="budget.params").set_value(3.0).run()
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert len(frame) > 0
    assert (frame["MACs (M)"] <= 150).all() and (frame["params (M)"] <= 3).all()
    assert set(frame["kind"]) <= {"published", "custom (sweep)"}
    best = find_configs(max_macs=150e6, max_params=3e6)[0]
    assert frame.iloc[0]["config"] == best.label
    assert any("configs fit (answered in" in t for t in texts(at))


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """A fresh latency store for this test: others in the run may have stored measurements."""
    from ui.state import latency_store

    monkeypatch.setenv("MOBILENET_EXPLORER_DATA", str(tmp_path))
    latency_store.clear()
    yield
    latency_store.clear()  # the next test gets the session's store back


def test_budget_finder_on_a_published_device_and_measured_without_data(empty_store):
    at = open_page(tab="Budget finder")
    at.number_input(key="budget.latency").set_value(30.0).run()
    assert any("no batch-1 CPU measurements" in w.value for w in at.warning)  # the private store is empty
    platforms = at.selectbox(key="budget.source").options
    at.selectbox(key="budget.source").select_index(1).run()
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert (frame["latency (ms)"] <= 30).all() and len(frame) > 0
    assert len(platforms) >= 2


def test_differing_rows_are_listed_with_their_reasons():
    from explorer.reference import KNOWN_DISCREPANCIES

    at = open_page(tab="Published vs computed")
    listed = [m.value for m in at.markdown if m.value.startswith("- ⚠")]
    assert len(listed) == len(KNOWN_DISCREPANCIES)
    assert any("MobileNetV2 (1.4)" in t and "6.9M" in t for t in listed)


def test_measured_budget_uses_only_comparable_measurements(empty_store):
    """A 1-thread run on this machine is not what "measured here, all cores" means: left out."""
    import dataclasses

    from explorer.latency import LatencySettings, measure_latency
    from explorer.timing import available_cores
    from ui.state import latency_store
    from ui.tradeoffs_view import measured_latencies

    config = paper_config("v1", width_multiplier=0.25, resolution=96)
    all_cores = LatencySettings(threads=available_cores(), budget_s=0.05)
    one_thread = LatencySettings(threads=1, budget_s=0.05)
    report = measure_latency(config, all_cores)
    latency_store().put(config, all_cores, report)
    if available_cores() > 1:
        latency_store().put(config, one_thread, dataclasses.replace(report, threads=1, median_ms=report.median_ms * 50))
    assert measured_latencies() == {config: report.median_ms}


def test_a_typed_budget_is_not_rounded_by_the_link():
    at = open_page(tab="Budget finder")
    at.number_input(key="budget.params").set_value(2.6123456).run()
    assert at.query_params["max_params"] == "2.6123456"
    assert open_page(query=dict(at.query_params)).number_input(key="budget.params").value == 2.6123456
