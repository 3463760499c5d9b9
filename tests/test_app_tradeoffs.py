"""AppTest of the Trade-offs page: it runs, filters change the plots, the user's configs are placed
with a published figure, an estimate (marked) or no accuracy, and the budget finder answers."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import paper_config
from explorer.tradeoffs import find_configs

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def open_page(v1=None, v2=None, tab="Accuracy vs MACs"):
    """Open the page with ``tab`` selected (tabs are lazy: only the open one renders)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()  # the first run registers st.navigation's pages
    at.session_state["tradeoffs.view"] = tab
    if v1 is not None:
        at.session_state["config:mobilenet_v1"] = v1
    if v2 is not None:
        at.session_state["config:mobilenet_v2"] = v2
    at.switch_page("pages/tradeoffs.py")
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


def test_outside_the_grid_is_not_plotted():
    at = open_page(v1=paper_config("mobilenet_v1", width_multiplier=2.0))
    assert any("Your MobileNet V1" in t and "no accuracy" in t for t in texts(at))
    names = trace_names(at, 0)
    assert not any(n and n.startswith("Your MobileNet V1") for n in names)
    assert "Your MobileNet V2 (published)" in names


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
