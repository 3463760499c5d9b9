"""AppTest of the Trade-offs page: it runs, filters change the plots, the user's configs are placed
with a published figure, an estimate (marked) or no accuracy, and the budget finder answers."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import count, paper_config
from explorer.config import architecture_changes, with_expansion
from explorer.tradeoffs import find_configs
from ui.tradeoffs_view import MEASURED_ON

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


@pytest.fixture
def tradeoffs_page(open_page):
    """``tradeoffs_page(v1=None, v2=None, tab="Accuracy vs MACs", query=None)``: the page opened with ``tab`` selected (tabs are lazy: only the open
    one renders), or with the link parameters ``query``; ``v1``/``v2``: the configs last tuned on the
    explorer pages."""

    def open_(v1=None, v2=None, tab="Accuracy vs MACs", query=None):
        state = {} if query is not None else {"tradeoffs.view": tab}
        state.update({f"config:{arch}": config for arch, config in (("mobilenet_v1", v1), ("mobilenet_v2", v2)) if config is not None})
        return open_page("app_pages/tradeoffs.py", query=query, state=state)

    return open_


def texts(at):
    return [m.value for m in at.markdown] + [c.value for c in at.caption]




def trace_names(at, index=0):
    import json

    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    return [t.get("name") for t in spec["data"]]


def test_default_run_places_the_paper_models_as_published(tradeoffs_page):
    at = tradeoffs_page()
    assert not at.error
    shown = texts(at)
    assert any("Your MobileNet V1" in t and "published top-1 **70.9%**" in t for t in shown)
    assert any("Your MobileNet V2" in t and "published top-1 **71.8%**" in t for t in shown)
    names = trace_names(at, 0)
    assert "Your MobileNet V2 (published)" in names
    assert "MobileNet V1 Pareto frontier" in names and "MobileNet V2 Pareto frontier" in names


def test_estimate_is_marked_and_explained(tradeoffs_page):
    at = tradeoffs_page(v2=paper_config("mobilenet_v2", width_multiplier=0.8, resolution=200))
    shown = texts(at)
    assert any("Your MobileNet V2" in t and "**estimate**" in t for t in shown)
    assert any("Estimate, not a measurement" in t for t in shown)  # the method sentence
    assert "Your MobileNet V2 (estimate)" in trace_names(at, 0)


def spec(at, index=0):
    import json

    return json.loads(at.get("plotly_chart")[index].proto.spec)


def trace(at, name, index=0):
    return next(t for t in spec(at, index)["data"] if t.get("name") == name)


def test_outside_the_grid_is_drawn_at_its_cost(tradeoffs_page):
    config = paper_config("mobilenet_v1", width_multiplier=2.0)
    at = tradeoffs_page(v1=config)
    assert any("Your MobileNet V1" in t and "accuracy not published" in t and "dashed vertical line" in t for t in texts(at))
    line = trace(at, "Your MobileNet V1 (accuracy not published)")
    assert line["x"] == [count(config).macs] * 2 and line["y"][0] < line["y"][1]
    assert "Your MobileNet V2 (published)" in trace_names(at, 0)


def test_a_custom_v2_is_drawn_at_its_exact_macs_and_params(tradeoffs_page):
    """Issue 13: a V2 with t = 4 was "not plotted"; it is a labelled line at its exact cost."""
    config = paper_config("mobilenet_v2", blocks=[b.to_dict() for b in with_expansion(paper_config("v2").blocks, 4)])
    for tab, cost in (("Accuracy vs MACs", count(config).macs), ("Accuracy vs params", count(config).params)):
        at = tradeoffs_page(v2=config, tab=tab)
        line = trace(at, "Your MobileNet V2 (accuracy not published)")
        assert line["x"] == [cost, cost]
        assert line["text"][-1] == "Your V2: accuracy not published"
        assert architecture_changes(config)[0] in line["customdata"][0][1]  # the reason, on hover


def test_baselines_are_their_own_series_outside_the_frontier(tradeoffs_page):
    at = tradeoffs_page()
    names = trace_names(at, 0)
    conv = next(n for n in names if n.startswith("MobileNet V1 baseline: Conv MobileNet"))
    shallow = next(n for n in names if n.startswith("MobileNet V1 baseline: Shallow MobileNet"))
    assert "Table 4" in conv and "Table 5" in shallow
    assert trace(at, conv)["text"] == ["Conv MobileNet"]  # labelled on the chart
    front = trace(at, "MobileNet V1 Pareto frontier")
    assert max(front["x"]) < 1e9  # the 4.9 GMACs full-convolution model no longer stretches it
    v1 = trace(at, "MobileNet V1")
    assert not any("Conv MobileNet" in c[0] or "Shallow" in c[0] for c in v1["customdata"])


def test_log_axes_with_readable_labels_and_labelled_references(tradeoffs_page):
    at = tradeoffs_page(tab="Accuracy vs params")
    at.toggle(key="tradeoffs.references").set_value(True).run()
    axis = spec(at)["layout"]["xaxis"]
    assert axis["type"] == "log"
    assert {"1M", "10M", "100M"} <= set(axis["ticktext"])
    assert all(t[-1] in "kMG" for t in axis["ticktext"])  # never bare digits
    refs = trace(at, "Reference networks")
    assert "VGG 16" in refs["text"] and "GoogleNet" in refs["text"] and "markers+text" == refs["mode"]
    macs_axis = spec(tradeoffs_page())["layout"]["xaxis"]
    assert macs_axis["type"] == "log" and "100M" in macs_axis["ticktext"]


def test_tick_labels_and_log_choice():
    from ui.tradeoff_charts import log_ticks, needs_log

    ticks, text = log_ticks([4.7e5, 1.38e8])
    assert text[:3] == ["200k", "500k", "1M"] and text[-2:] == ["100M", "200M"]
    assert ticks == sorted(ticks)
    assert needs_log([10, 500]) and not needs_log([60, 140])


def test_budget_rows_open_in_their_explorer_page(tradeoffs_page):
    from urllib.parse import parse_qsl, urlsplit

    from ui.links import PAGE_OF_ARCH, config_from_link

    at = tradeoffs_page(tab="Budget finder")
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    from explorer.tradeoffs import merge_same_architecture

    found = [m.best for m in merge_same_architecture(find_configs())][: len(frame)]  # one row per architecture
    assert len(frame) == len(found)
    for link, c in zip(frame["open"], found):
        path, query = urlsplit(link).path, dict(parse_qsl(urlsplit(link).query))
        assert path == PAGE_OF_ARCH[c.family]  # v1, v2, or v3 (with model=large|small in the query)
        assert config_from_link(link) == c.config and (c.family not in ("mobilenet_v3_large", "mobilenet_v3_small") or "model" in query)


def test_link_round_trips(tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.radio(key="tradeoffs.precision").set_value("Both").run()
    at.toggle(key="tradeoffs.references").set_value(True).run()
    at.number_input(key="budget.macs").set_value(150.0).run()
    at.multiselect(key="budget.families").set_value(["mobilenet_v2"]).run()
    at.checkbox(key="budget.sweep").set_value(False).run()
    link = dict(at.query_params)
    assert link == {"tab": "budget-finder", "models": "both", "references": "1", "max_macs": "150",
                    "families": "v2", "sweep": "0"}
    other = tradeoffs_page(query=link)
    assert not other.warning
    assert other.radio(key="tradeoffs.precision").value == "Both"
    assert other.toggle(key="tradeoffs.references").value is True
    assert other.number_input(key="budget.macs").value == 150.0
    assert other.multiselect(key="budget.families").value == ["mobilenet_v2"]
    assert other.checkbox(key="budget.sweep").value is False
    frame = next(d for d in other.dataframe if "rank" in d.value.columns).value
    assert set(frame["family"]) == {"MobileNet V2"} and (frame["MACs (M)"] <= 150).all()
    assert dict(other.query_params) == link


def test_latency_tab_link_keeps_the_device(tradeoffs_page):
    at = tradeoffs_page(tab="Accuracy vs device latency")
    options = at.selectbox(key="tradeoffs.platform").options
    at.selectbox(key="tradeoffs.platform").set_value(options[-1]).run()
    link = dict(at.query_params)
    assert link["tab"] == "accuracy-vs-device-latency" and "device" in link
    assert tradeoffs_page(query=link).selectbox(key="tradeoffs.platform").value == options[-1]


@pytest.mark.parametrize("query, field", [
    ({"models": "bogus"}, "models"),
    ({"tab": "budget-finder", "max_macs": "-5"}, "max_macs"),
    ({"tab": "budget-finder", "max_params": "nan"}, "max_params"),
    ({"families": "v3"}, "families"),
    ({"colour": "red"}, "colour"),
    ({"references": "x" * 500}, "references"),
])
def test_tampered_links_name_the_field_and_fall_back(query, field, tradeoffs_page):
    at = tradeoffs_page(query=query)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and f"({field}:" in at.warning[0].value and "defaults" in at.warning[0].value
    assert at.radio(key="tradeoffs.precision").value == "Float"
    assert at.toggle(key="tradeoffs.references").value is False


def test_filters_change_the_traces(tradeoffs_page):
    at = tradeoffs_page()
    assert not any("quantized" in (n or "") for n in trace_names(at, 0))
    at.radio(key="tradeoffs.precision").set_value("Both").run()
    assert "MobileNet V1 (quantized)" in trace_names(at, 0)
    assert "Reference networks" not in trace_names(at, 0)
    at.toggle(key="tradeoffs.references").set_value(True).run()
    assert "Reference networks" in trace_names(at, 0)


def test_latency_axis_follows_the_platform(tradeoffs_page):
    at = tradeoffs_page(tab="Accuracy vs device latency")
    before = at.get("plotly_chart")[0].proto.spec
    # The last published platform: the options after it are this run's measured machines, whose chart
    # depends on what earlier tests left in the store (no published config measured: a note, no chart).
    options = at.selectbox(key="tradeoffs.platform").options
    published = [i for i, option in enumerate(options) if not option.startswith(MEASURED_ON)]
    assert len(published) >= 2
    at.selectbox(key="tradeoffs.platform").select_index(published[-1]).run()
    assert not at.exception
    assert at.get("plotly_chart")[0].proto.spec != before


def test_only_the_open_tab_renders(tradeoffs_page):
    at = tradeoffs_page(tab="Published vs computed")
    assert len(at.get("plotly_chart")) == 0
    assert not any("rank" in d.value.columns for d in at.dataframe)  # the budget finder did not run


def test_published_vs_computed_flags_differences(tradeoffs_page):
    at = tradeoffs_page(tab="Published vs computed")
    frame = next(d for d in at.dataframe if "explanation" in d.value.columns).value
    assert set(frame[""]) <= {"✓", "⚠"} and (frame[""] == "⚠").any()
    assert frame["explanation"].str.len().min() > 0
    # Each row says what it was computed with: the source's own classifier, from the data.
    classes = dict(zip(frame["model"] + " | " + frame["source"], frame["computed with"]))
    assert classes["1.0 MobileNet-224 | MobileNets paper arXiv:1704.04861, Table 6 / Table 7"] == "1000 classes"
    assert classes["mobilenet_v2_1.0_224 | TF-slim mobilenet/README.md V2 checkpoints (1001 classes), checkpoint table"] == "1001 classes"
    paper = frame[frame["source"].str.startswith("MobileNets paper") & (frame[""] == "✓")]
    assert len(paper) > 0 and not paper["explanation"].str.contains("TF-slim's background class").any()


def test_budget_finder_returns_fitting_rows(tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.number_input(key="budget.macs").set_value(150.0).run()
    at.number_input(key="budget.params").set_value(3.0).run()
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert len(frame) > 0
    assert (frame["MACs (M)"] <= 150).all() and (frame["params (M)"] <= 3).all()
    assert set(frame["kind"]) <= {"published", "custom (sweep)"}
    best = find_configs(max_macs=150e6, max_params=3e6)[0]
    assert frame.iloc[0]["config"] == best.label
    assert any("configs fit (answered in" in t for t in texts(at))
    # The answer leads: the best config as a card with its accuracy and a link that opens it.
    assert any(t.startswith(f"top-1 **{best.top1:.1f}%") for t in texts(at))
    opens = [link.proto for link in at.get("page_link") if link.proto.label == "Open in explorer"]
    assert len(opens) == min(3, len(frame)), opens


def test_budget_answer_names_every_source_of_a_merged_architecture(tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.number_input(key="budget.latency").set_value(40.0).run()
    at.selectbox(key="budget.latency_kind").set_value("published").run()
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert list(frame.columns[:4]) == ["rank", "config", "top-1 (%)", "latency (ms)"]  # visible without scrolling right
    configs = list(zip(frame["α"], frame["resolution"], frame["family"], frame["quantized"]))
    assert len(configs) == len(set(configs))  # one row per architecture on this device


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """A fresh latency store for this test: others in the run may have stored measurements."""
    from ui.state import latency_store

    monkeypatch.setenv("MOBILENET_EXPLORER_DATA", str(tmp_path))
    latency_store.clear()
    yield
    latency_store.clear()  # the next test gets the session's store back


def test_budget_finder_on_a_published_device_and_measured_without_data(empty_store, tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.number_input(key="budget.latency").set_value(30.0).run()
    # The private store is empty: the page says that nothing is measured, not "loosen a budget".
    assert any("No candidate config has a good measurement on this machine" in w.value for w in at.warning)
    assert not any("Loosen one" in i.value for i in at.info)
    at.selectbox(key="budget.latency_kind").set_value("published").run()
    platforms = at.selectbox(key="budget.platform").options
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert (frame["latency (ms)"] <= 30).all() and len(frame) > 0
    assert len(platforms) >= 2


def test_differing_rows_are_listed_with_their_reasons(tradeoffs_page):
    from explorer.reference import KNOWN_DISCREPANCIES

    at = tradeoffs_page(tab="Published vs computed")
    listed = [m.value for m in at.markdown if m.value.startswith("- ⚠")]
    assert len(listed) == len(KNOWN_DISCREPANCIES)
    assert any("MobileNetV2 (1.4)" in t and "6.9M" in t for t in listed)


def test_measured_budget_uses_only_comparable_measurements(empty_store):
    """A 1-thread run on this machine is not what "measured here, all cores" means: left out."""
    import dataclasses

    from explorer.latency import LatencySettings, measure_latency
    from explorer.timing import available_cores
    from ui.budget_finder import measured_latencies
    from ui.state import latency_store

    config = paper_config("v1", width_multiplier=0.25, resolution=96)
    all_cores = LatencySettings(threads=available_cores(), budget_s=0.05)
    one_thread = LatencySettings(threads=1, budget_s=0.05)
    report = dataclasses.replace(measure_latency(config, all_cores), quality="good", quality_reasons=())  # busy machines: noisy
    latency_store().put(config, all_cores, report)
    if available_cores() > 1:
        latency_store().put(config, one_thread, dataclasses.replace(report, threads=1, median_ms=report.median_ms * 50))
    assert measured_latencies() == {config: report.median_ms}


def test_a_typed_budget_is_not_rounded_by_the_link(tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.number_input(key="budget.params").set_value(2.6123456).run()
    assert at.query_params["max_params"] == "2.6123456"
    assert tradeoffs_page(query=dict(at.query_params)).number_input(key="budget.params").value == 2.6123456


# --- measured by machine, predicted, the grid job (tradeoffs3) ----------------------------------------

SMALL = dict(max_macs=15e6, families=["mobilenet_v1"], include_quantized=False)  # a handful of candidates


def _report(config):
    """A real (tiny-budget) measurement of ``config`` on this machine, all cores."""
    from explorer.latency import LatencySettings, measure_latency
    from explorer.machine import available_cores

    settings = LatencySettings(threads=available_cores(), budget_s=0.05)
    return settings, measure_latency(config, settings)


def _seed(config, quality="good", **changes):
    import dataclasses

    from ui.state import latency_store

    settings, report = _report(config)
    report = dataclasses.replace(report, quality=quality, quality_reasons=() if quality == "good" else ("seeded noisy row",), **changes)
    assert latency_store().put(config, settings, report)
    return report


def small_budget(at, latency=1000.0):
    at.number_input(key="budget.macs").set_value(SMALL["max_macs"] / 1e6)
    at.multiselect(key="budget.families").set_value(SMALL["families"])
    at.checkbox(key="budget.quantized").uncheck()
    at.number_input(key="budget.latency").set_value(latency).run()
    assert not at.exception, at.exception
    return at


def test_measured_budget_counts_only_good_measurements(empty_store, tradeoffs_page):
    """A good row counts and answers; a noisy row is neither counted nor used."""
    candidates = find_configs(**SMALL)
    assert len(candidates) >= 3
    good, noisy = candidates[0].config, candidates[1].config
    report = _seed(good)
    _seed(noisy, quality="noisy")
    at = small_budget(tradeoffs_page(tab="Budget finder"))
    assert f"**1 of {len(candidates)}** candidate configs have a good measurement on this machine" in " ".join(texts(at))
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert list(frame["config"]) == [candidates[0].label]
    assert frame.iloc[0]["latency (ms)"] == pytest.approx(report.median_ms)
    assert "measured on" in frame.iloc[0]["latency from"]
    # A budget below the one measurement: the page says why nothing fits (few measured), not "loosen one".
    small_budget(at, latency=report.median_ms / 10)
    warnings = [w.value for w in at.warning]
    assert any("None of the 1 measured configs fits" in w and f"{len(candidates) - 1} candidates have no measurement" in w
               for w in warnings), warnings
    assert not any("Loosen one" in i.value for i in at.info)


def test_measured_budget_groups_the_store_by_machine(empty_store, tradeoffs_page):
    """Another machine's good rows are listed under its name and never mixed with this machine's."""
    from explorer.machine import machine_name

    candidates = find_configs(**SMALL)
    here = _seed(candidates[0].config)
    there = _seed(candidates[1].config, machine="lab-node-7", median_ms=here.median_ms * 3)
    _seed(candidates[2].config, quality="noisy", machine="lab-node-7")
    at = small_budget(tradeoffs_page(tab="Budget finder"))
    machines = at.selectbox(key="budget.machine").options
    assert machines[0].startswith(machine_name()) and "lab-node-7" in machines
    at.selectbox(key="budget.machine").set_value("lab-node-7").run()
    assert any(f"**1 of {len(candidates)}** candidate configs have a good measurement on **lab-node-7**" in t for t in texts(at))
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert list(frame["config"]) == [candidates[1].label]
    assert frame.iloc[0]["latency (ms)"] == pytest.approx(there.median_ms)
    assert frame.iloc[0]["latency from"] == "measured on lab-node-7"
    assert not any(b.key == "budget.grid.start" for b in at.button)  # another machine's grid is not measured from here


def test_your_configs_are_placed_as_predicted_with_their_interval(tradeoffs_page):
    import json

    from explorer.phones import predict_many

    v2 = paper_config("v2", width_multiplier=0.75, resolution=192)
    at = tradeoffs_page(v2=v2, tab="Accuracy vs device latency")
    label = next(o for o in at.selectbox(key="tradeoffs.platform").options if o.startswith("Pixel 1 — TF-Lite CPU"))
    at.selectbox(key="tradeoffs.platform").set_value(label).run()
    expected = predict_many([v2], "Pixel 1", "TF-Lite CPU, single large core")[0]
    data = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    star = next(t for t in data if t.get("name") == "Your MobileNet V2 (predicted)")
    assert star["marker"]["symbol"] == "star-open" and star["text"][0].startswith("predicted")
    assert star["x"][0] == pytest.approx(expected.ms)
    assert star["error_x"]["array"][0] == pytest.approx(expected.high_ms - expected.ms)
    assert star["error_x"]["arrayminus"][0] == pytest.approx(expected.ms - expected.low_ms)
    published = [t for t in data if t.get("name") == "MobileNet V2"]
    assert published and published[0]["marker"]["symbol"] != "star-open"  # published points are marked differently
    assert any(f"{expected.low_ms:.1f}–{expected.high_ms:.1f} ms" in t for t in texts(at))
    # The paper V1 has one published row on Pixel 1: its prediction extrapolates, and says why.
    v1 = predict_many([paper_config("v1")], "Pixel 1", "TF-Lite CPU, single large core")[0]
    assert v1.extrapolating and v1.reason
    assert any(t.get("name") == "Your MobileNet V1 (predicted, extrapolating)" for t in data)
    assert any(f"Extrapolating: {v1.reason}" in t for t in texts(at))


def test_a_declined_prediction_is_not_plotted_and_says_why(tradeoffs_page):
    import json

    at = tradeoffs_page(tab="Accuracy vs device latency")
    label = next(o for o in at.selectbox(key="tradeoffs.platform").options if o.startswith("Samsung Galaxy S24"))
    at.selectbox(key="tradeoffs.platform").set_value(label).run()
    names = [t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]]
    assert not any(str(n).startswith("Your MobileNet V1 (predicted") for n in names)
    assert any("Your MobileNet V1" in t and "not plotted" in t and "nothing published for MobileNet V1" in t for t in texts(at))


def test_device_latency_more_devices_are_choices_with_their_threads(tradeoffs_page):
    at = tradeoffs_page(tab="Accuracy vs device latency")
    options = at.selectbox(key="tradeoffs.platform").options
    ncnn = [o for o in options if o.startswith("Kirin 970 (Cortex") and "ncnn CPU" in o]
    assert sorted(ncnn) == sorted(o for o in ncnn if "thread" in o) and len(ncnn) == 2  # 1 and 4 threads


def test_budget_finder_searches_the_sweep_by_predicted_latency(tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.selectbox(key="budget.latency_kind").set_value("predicted").run()
    label = next(o for o in at.selectbox(key="budget.platform").options if o.startswith("Pixel 1 — TF-Lite CPU"))
    at.selectbox(key="budget.platform").set_value(label)
    at.checkbox(key="budget.sweep").check()
    at.selectbox(key="budget.limit").set_value(500)
    at.number_input(key="budget.latency").set_value(20.0).run()
    assert not at.exception
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    sweep = frame[frame["kind"] == "custom (sweep)"]
    assert len(sweep) > 0  # not only the published configs
    assert (frame["latency high (ms)"] <= 20).all()  # conservative: the interval's upper end
    assert (frame["latency (ms)"] < frame["latency high (ms)"]).all()
    assert frame["latency from"].str.endswith("(predicted)").all()
    assert any("predicted" in t and "high_ms" in t for t in texts(at))  # the note, in one caption under the answer


def _grid_app():
    from explorer.sweep import grid
    from ui import grid_job

    points = grid(["mobilenet_v1"], [0.25], [32, 40, 48], budget_s=0.05)
    grid_job.panel(points, what="the tiny grid", key="test.grid")


def _wait_for_end(timeout=120):
    from ui import grid_job

    job = grid_job.current()
    assert job is not None and job.wait(timeout)
    return job


def test_grid_job_runs_in_the_background_reports_progress_and_can_be_stopped(empty_store):
    from ui import grid_job
    from ui.state import latency_store

    at = AppTest.from_function(_grid_app, default_timeout=60)
    at.run()
    at.button(key="test.grid.start").click().run()
    assert not at.exception, at.exception
    job = grid_job.current()
    assert job is not None
    # While it runs, the page shows done/remaining; once it ends, the totals.
    seen = " ".join(m.value for m in at.markdown)
    assert "of 3 done" in seen and "remaining" in seen
    _wait_for_end()
    at.run()
    assert any("Grid measurement finished" in s.value and "3 of 3 done" in s.value for s in at.success)
    assert len(latency_store().list_results()) == job.progress.measured == 3 - job.progress.failed
    # What the grid stored is what the budget finder counts: its good rows, under this machine's conditions.
    import json

    from explorer import parse_config
    from ui.budget_finder import measured_latencies

    good_rows = {parse_config(json.loads(r["config_json"])) for r in latency_store().list_results() if r["quality"] == "good"}
    assert set(measured_latencies()) == good_rows
    # A second job over the same grid reuses the stored good ones (noisy ones are measured again).
    good = sum(r["quality"] == "good" for r in latency_store().list_results())
    at.button(key="test.grid.start").click().run()
    _wait_for_end()
    assert grid_job.current() is not job and grid_job.current().progress.reused == good


def test_grid_job_stops_on_request(empty_store, monkeypatch):
    from ui import grid_job

    def slow_app():
        from explorer.sweep import grid
        from ui import grid_job

        grid_job.panel(grid(["mobilenet_v1"], [0.25, 0.5], [32, 40, 48], budget_s=0.5), what="the grid", key="test.slow")

    at = AppTest.from_function(slow_app, default_timeout=60)
    at.run()
    at.button(key="test.slow.start").click().run()
    at.button(key="test.slow.stop").click().run()
    job = _wait_for_end()
    assert job.progress.state == "stopped" and job.progress.done < 6
    at.run()
    assert any("Grid measurement stopped" in i.value for i in at.info)
    assert grid_job.start([])[1] is not None  # nothing to measure: refused with the reason


def test_latency_chart_shows_each_machines_good_measurements(empty_store, tradeoffs_page):
    """A machine in the store is a source of the latency chart: its good measurements of published
    configs, at their published accuracy; a noisy row is not drawn."""
    import json

    published = paper_config("v1", width_multiplier=0.25, resolution=128)  # MobileNet_v1_0.25_128's network
    noisy = paper_config("v1", width_multiplier=0.5, resolution=128)
    good = _seed(published, machine="lab-node-7")
    _seed(noisy, quality="noisy", machine="lab-node-7")
    at = tradeoffs_page(tab="Accuracy vs device latency")
    assert "measured on lab-node-7" in at.selectbox(key="tradeoffs.platform").options
    at.selectbox(key="tradeoffs.platform").set_value("measured on lab-node-7").run()
    assert not at.exception
    data = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    xs = [x for t in data if t.get("name") == "MobileNet V1" for x in t["x"]]
    assert xs and all(x == pytest.approx(good.median_ms) for x in xs)  # only the good one, under its published names
    assert any("lab-node-7" in c.value and "Noisy and unverified measurements are never used" in c.value for c in at.caption)


def test_predicted_budget_says_which_candidates_are_declined(tradeoffs_page):
    at = tradeoffs_page(tab="Budget finder")
    at.selectbox(key="budget.latency_kind").set_value("predicted").run()
    label = next(o for o in at.selectbox(key="budget.platform").options if o.startswith("Samsung Galaxy S24"))
    at.selectbox(key="budget.platform").set_value(label)
    at.number_input(key="budget.latency").set_value(50.0).run()
    frame = next(d for d in at.dataframe if "rank" in d.value.columns).value
    assert set(frame["family"]) == {"MobileNet V2"}  # V1 is declined on that NPU
    note = next(c.value for c in at.caption if "the predictor declines them" in c.value)
    # its most common reason names a family that the table lacks (V1, and V3 since it was bundled)
    assert any(f"nothing published for {family}" in note for family in ("MobileNet V1", "MobileNet V3")), note
