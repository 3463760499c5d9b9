"""AppTest runs of the V1 and V2 pages: no exceptions, exact metrics, bad edits, links."""

import os
from pathlib import Path

import pytest

from explorer import count, paper_config
from explorer.units import human

ROOT = Path(__file__).resolve().parent.parent
PAGES = {"mobilenet_v1": "app_pages/v1.py", "mobilenet_v2": "app_pages/v2.py"}


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def shown_macs(at) -> int:
    """The exact MAC count from the MACs metric's help text ('300,774,272 multiply-…')."""
    return int(metric(at, "MACs").help.split(" ")[0].replace(",", ""))


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_default_run_shows_the_paper_model(open_page, arch):
    at = open_page(PAGES[arch])
    expected = count(paper_config(arch))
    assert shown_macs(at) == expected.macs
    assert metric(at, "MACs").value == human(expected.macs)
    assert metric(at, "Params").value == human(expected.params)
    assert not at.error


def test_v2_known_numbers_exactly(open_page):
    at = open_page("app_pages/v2.py")
    assert shown_macs(at) == 300_774_272
    assert metric(at, "Params").help.startswith("3,504,872 ")


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_width_and_resolution_sliders_update_macs_exactly(open_page, arch):
    at = open_page(PAGES[arch])
    at.slider(key=f"{arch}.width").set_value(0.5).run()
    assert shown_macs(at) == count(paper_config(arch, width_multiplier=0.5)).macs
    at.slider(key=f"{arch}.resolution").set_value(160).run()
    assert shown_macs(at) == count(paper_config(arch, width_multiplier=0.5, resolution=160)).macs
    assert metric(at, "MACs").delta.startswith("-")  # cheaper than the paper model
    assert any("ρ = 160/224 = **0.714**" in c.value for c in at.caption)


def test_v2_expansion_and_toggles(open_page):
    at = open_page("app_pages/v2.py")
    at.number_input(key="mobilenet_v2.expansion").set_value(4).run()
    blocks = [dict(b.to_dict(), t=4 if b.t != 1 else 1) for b in paper_config("v2").blocks]
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks)).macs
    at.toggle(key="mobilenet_v2.residual").set_value(False).run()
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks, residual=False)).macs  # residual adds cost no MACs
    link = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert link["residual"] == "0" and "blocks" in link


def test_v1_activation_select_and_full_convolution(open_page):
    at = open_page("app_pages/v1.py")
    at.radio(key="mobilenet_v1.activation").set_value("relu6").run()
    assert not at.exception
    at.toggle(key="mobilenet_v1.depthwise_separable").set_value(False).run()
    assert shown_macs(at) == count(paper_config("v1", depthwise_separable=False, activation="relu6")).macs


def inject_edit(at, arch, edited_rows=None, added_rows=None, deleted_rows=None):
    version = at.session_state[f"{arch}.table_version"]
    at.session_state[f"{arch}.editor.{version}"] = {
        "edited_rows": edited_rows or {}, "added_rows": added_rows or [], "deleted_rows": deleted_rows or [],
    }
    at.run()
    assert not at.exception, at.exception


def test_valid_block_edit_updates_the_profile(open_page):
    at = open_page("app_pages/v2.py")
    inject_edit(at, "mobilenet_v2", edited_rows={1: {"c": 32}})
    blocks = [b.to_dict() for b in paper_config("v2").blocks]
    blocks[1]["c"] = 32
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks)).macs
    assert not at.error


def test_invalid_block_edit_shows_message_and_keeps_last_valid_model(open_page):
    at = open_page("app_pages/v2.py")
    at.slider(key="mobilenet_v2.width").set_value(0.75).run()
    before = shown_macs(at)
    inject_edit(at, "mobilenet_v2", edited_rows={2: {"s": 3}})
    assert len(at.error) == 1
    assert "Block table, row 3, stride s: stride must be 1 or 2, got 3" in at.error[0].value
    assert "your edits are kept" in at.error[0].value
    assert shown_macs(at) == before


def test_added_row_with_empty_cell_is_shown_as_incomplete(open_page):
    at = open_page("app_pages/v1.py")
    inject_edit(at, "mobilenet_v1", added_rows=[{"c": "128", "n": "1"}])
    assert "Block table, row 10 is incomplete: stride s is empty" in at.error[0].value
    assert shown_macs(at) == count(paper_config("v1")).macs
    inject_edit(at, "mobilenet_v1", added_rows=[{}])  # a row just added with "+": every cell empty
    assert "Block table, row 10 is incomplete: channels c, repeats n and stride s are empty" in at.error[0].value


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"s": "3"}, "Block table, row 3, stride s: stride must be 1 or 2, got 3"),
        ({"s": 3}, "Block table, row 3, stride s: stride must be 1 or 2, got 3"),
        ({"c": "99999"}, "Block table, row 3, channels c: must be between 1 and 4096, got 99999"),
        ({"c": "0"}, "Block table, row 3, channels c: must be between 1 and 4096, got 0"),
        ({"c": "abc"}, 'Block table, row 3, channels c: must be an integer, got string "abc"'),
        ({"n": "2.5"}, "Block table, row 3, repeats n: must be an integer, got 2.5"),
        ({"t": "17"}, "Block table, row 3, expansion t: must be between 1 and 16, got 17"),
        ({"c": None}, "Block table, row 3 is incomplete: channels c is empty"),
        ({"c": "  "}, "Block table, row 3 is incomplete: channels c is empty"),
    ],
)
def test_every_typed_value_reaches_validation(open_page, edit, message):
    at = open_page("app_pages/v2.py")
    at.slider(key="mobilenet_v2.width").set_value(0.75).run()
    before, link = shown_macs(at), dict(at.query_params)
    inject_edit(at, "mobilenet_v2", edited_rows={2: edit})
    assert [e.value for e in at.error] == [f"{message}. Showing the last valid model; your edits are kept."]
    assert shown_macs(at) == before and dict(at.query_params) == link  # the last valid model, and its link
    assert at.session_state["mobilenet_v2.editor." + str(at.session_state["mobilenet_v2.table_version"])]["edited_rows"]


def test_typed_numbers_with_spaces_or_exponent_are_read_as_numbers(open_page):
    at = open_page("app_pages/v2.py")
    inject_edit(at, "mobilenet_v2", edited_rows={1: {"c": " 40 "}, 2: {"c": "6.4e1"}})
    blocks = [b.to_dict() for b in paper_config("v2").blocks]
    blocks[1]["c"], blocks[2]["c"] = 40, 64
    assert not at.error
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks)).macs


def test_deleting_rows_and_reset_to_paper(open_page):
    at = open_page("app_pages/v1.py")
    inject_edit(at, "mobilenet_v1", deleted_rows=[6])  # the Shallow MobileNet of Table 5
    shallow = [b.to_dict() for i, b in enumerate(paper_config("v1").blocks) if i != 6]
    assert shown_macs(at) == count(paper_config("v1", blocks=shallow)).macs
    at.button(key="mobilenet_v1.reset").click().run()
    assert shown_macs(at) == count(paper_config("v1")).macs


def test_link_round_trip(open_page):
    at = open_page("app_pages/v2.py")
    at.slider(key="mobilenet_v2.width").set_value(0.35).run()
    at.slider(key="mobilenet_v2.resolution").set_value(128).run()
    inject_edit(at, "mobilenet_v2", edited_rows={6: {"c": 640}})
    link = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert link["width_multiplier"] == "0.35" and link["resolution"] == "128"
    expected = shown_macs(at)
    fresh = open_page("app_pages/v2.py", query=link)  # a new session opening the shared link
    assert shown_macs(fresh) == expected
    assert fresh.slider(key="mobilenet_v2.width").value == 0.35


@pytest.mark.parametrize(
    "query, fragment",
    [
        ({"width_multiplier": "lots"}, "width_multiplier: expected a number"),
        ({"blocks": "1.16.1.1_6.24.2.9"}, "Block table, row 2, stride s"),
        ({"resolution": "900"}, "outside the slider range"),
    ],
)
def test_bad_link_shows_message_and_falls_back(open_page, query, fragment):
    at = open_page("app_pages/v2.py", query=query)
    assert any(fragment in w.value for w in at.warning), [w.value for w in at.warning]
    assert shown_macs(at) == count(paper_config("v2")).macs


def test_a_link_opens_any_width_a_config_file_accepts(open_page):
    config = paper_config("v1", width_multiplier=3.0, resolution=128)  # α up to 4 in a config file
    from ui import links

    at = open_page("app_pages/v1.py", query=links.encode(config))
    assert not any("link" in w.value for w in at.warning), [w.value for w in at.warning]  # (phones warn: α 3 is unlike them)
    assert shown_macs(at) == count(config).macs
    assert at.slider(key="mobilenet_v1.width").value == 3.0 and at.slider(key="mobilenet_v1.width").max == 4.0


def test_config_is_kept_across_pages(open_page):
    at = open_page("app_pages/v1.py")
    at.slider(key="mobilenet_v1.width").set_value(0.5).run()
    at.switch_page(PAGES["mobilenet_v2"]).run()
    at.switch_page(PAGES["mobilenet_v1"]).run()
    assert not at.exception
    assert shown_macs(at) == count(paper_config("v1", width_multiplier=0.5)).macs


def test_latency_button_measures_then_reuses_only_a_good_result(open_page):
    from explorer.measure_worker import _WORKER

    _WORKER.close()  # a worker started by an earlier test would not show that this page started one
    at = open_page("app_pages/v1.py")
    at.slider(key="mobilenet_v1.resolution").set_value(64).run()
    at.slider(key="mobilenet_v1.width").set_value(0.25).run()
    assert metric(at, "Latency").value == "—"
    at.button(key="mobilenet_v1.measure").click().run(timeout=120)
    assert not at.exception, at.exception
    shown = metric(at, "Latency")
    # Every result carries its verdict: good (green) or noisy (a warning with the reasons).
    good = [s.value for s in at.success if "measured just now" in s.value]
    noisy = [w.value for w in at.warning if "Noisy measurement" in w.value and "measured just now" in w.value]
    assert len(good) + len(noisy) == 1, (good, noisy)
    assert shown.value.endswith("ms") and shown.delta == ("" if good else "noisy")  # the verdict next to the number
    assert "Quality: **good**" in good[0] if good else "- " in noisy[0]  # a noisy one lists its reasons
    shown_text = (good or noisy)[0]  # with its conditions: batch, threads, device, runtime, torch
    assert "batch 1, " in shown_text and " thread" in shown_text and "cpu, eager, torch " in shown_text
    table = next(d.value for d in at.dataframe if "latency (ms)" in d.value.columns)
    assert len(table) == len(count(paper_config("v1", width_multiplier=0.25, resolution=64)).layers)
    assert (table["latency (ms)"] > 0).all()
    assert _WORKER.pid() not in (None, os.getpid())  # measured in the worker process, not the server's thread


@pytest.fixture
def own_store(tmp_path, monkeypatch):
    """An empty latency store for this test alone (the app's store is one per server process)."""
    from ui.state import latency_store

    monkeypatch.setenv("MOBILENET_EXPLORER_DATA", str(tmp_path))
    latency_store.clear()
    yield latency_store()
    latency_store.clear()


@pytest.mark.parametrize("stored_quality", ["good", "noisy"])
def test_a_stored_measurement_is_reused_only_when_good(open_page, own_store, monkeypatch, stored_quality):
    """One state, one right outcome: a good stored row is reused without measuring; a noisy one is
    named before the press and measured again on it."""
    from test_store import fake_report

    import explorer.measure_worker
    from explorer.measurement import LatencySettings
    from explorer.timing import available_cores

    config = paper_config("v1", width_multiplier=0.25, resolution=64)
    settings = LatencySettings(threads=available_cores())  # the page's defaults: all cores, batch 1, cpu, eager
    reasons = () if stored_quality == "good" else ("wide spread: IQR 4.00 ms is 40% of the median (limit 8%)",)
    own_store.put(config, settings, fake_report(config, settings, median_ms=7.25, quality=stored_quality, quality_reasons=reasons))
    measured = []

    def measure(config_, settings_, **kwargs):  # a fresh good figure, without timing anything
        measured.append(config_)
        return fake_report(config_, settings_, median_ms=7.5)

    monkeypatch.setattr(explorer.measure_worker, "measure_in_worker", measure)  # where the page measures eager latency
    at = open_page("app_pages/v1.py")
    at.slider(key="mobilenet_v1.resolution").set_value(64).run()
    at.slider(key="mobilenet_v1.width").set_value(0.25).run()
    named = any("holds a noisy measurement" in i.value for i in at.info)
    at.button(key="mobilenet_v1.measure").click().run(timeout=120)
    assert not at.exception, at.exception
    reused = [s.value for s in at.success if "reused from the local store" in s.value]
    if stored_quality == "good":
        assert measured == [] and len(reused) == 1 and not named
        assert metric(at, "Latency").value == "7.25 ms"  # the stored figure
    else:
        assert measured == [config] and reused == [] and named
        assert any("measured just now" in s.value for s in at.success)
        assert metric(at, "Latency").value == "7.5 ms"  # the new one


def plotly_array(value):
    """Plotly sends numeric arrays as base64 typed arrays ({"dtype", "bdata"})."""
    import base64

    import numpy as np

    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def test_cost_tabs_render_the_exact_counts_when_opened(open_page):
    import json

    at = open_page(PAGES["mobilenet_v1"], state={"mobilenet_v1.view": "Cost by layer"})
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    macs_bars = [t for t in spec["data"] if t.get("yaxis", "y") == "y"]  # top subplot: MACs
    assert sum(int(plotly_array(t["y"]).sum()) for t in macs_bars) == count(paper_config("v1")).macs
    at.session_state["mobilenet_v1.view"] = "Cost by kind"
    at.run()
    # The V1 paper's Table 2: 1×1 convolutions take 94.86% of the MACs.
    assert any("1×1 convolutions take **94.9%** of the MACs" in c.value for c in at.caption)


def test_only_the_open_tab_is_rendered(open_page):
    at = open_page("app_pages/v2.py")
    assert len(at.get("plotly_chart")) == 0  # the Layers tab is open: no chart was built


def test_link_with_another_expansion_sets_the_global_t(open_page):
    blocks = [dict(b.to_dict(), t=3 if b.t != 1 else 1) for b in paper_config("v2").blocks]
    config = paper_config("v2", blocks=blocks)
    from ui import links

    at = open_page("app_pages/v2.py", query=links.encode(config))
    assert at.number_input(key="mobilenet_v2.expansion").value == 3
    assert shown_macs(at) == count(config).macs


def test_messages_are_shown_above_the_metrics(open_page):
    at = open_page("app_pages/v2.py", query={"blocks": "1.16.1.1_6.24.2.9"})
    order = [node.type for node in at.main]
    assert order.index("warning") < order.index("metric")  # the bad link's message
    inject_edit(at, "mobilenet_v2", edited_rows={0: {"c": None}})
    order = [node.type for node in at.main]
    assert order.index("error") < order.index("metric")  # the invalid edit's message


def layer_table(at):
    return next(d.value for d in at.dataframe if "layer" in d.value.columns)


def table_ts(at) -> list:
    return [row["t"] for row in at.session_state["mobilenet_v2.table"]]


def test_expansion_one_then_six_gives_six_again(open_page):
    at = open_page("app_pages/v2.py")
    at.number_input(key="mobilenet_v2.expansion").set_value(1).run()
    assert table_ts(at) == [1] * 7
    ones = [dict(b.to_dict(), t=1) for b in paper_config("v2").blocks]
    assert shown_macs(at) == count(paper_config("v2", blocks=ones)).macs
    at.number_input(key="mobilenet_v2.expansion").set_value(6).run()
    assert table_ts(at) == [1, 6, 6, 6, 6, 6, 6]
    assert shown_macs(at) == count(paper_config("v2")).macs
    assert at.number_input(key="mobilenet_v2.expansion").value == 6


def test_expansion_control_follows_the_table(open_page):
    at = open_page("app_pages/v2.py")
    inject_edit(at, "mobilenet_v2", edited_rows={i: {"t": "4"} for i in range(1, 7)})
    assert at.number_input(key="mobilenet_v2.expansion").value == 4  # typed in the table, shown by the control
    inject_edit(at, "mobilenet_v2", edited_rows={**{i: {"t": "4"} for i in range(1, 7)}, 1: {"t": "3"}})
    field = at.number_input(key="mobilenet_v2.expansion")
    assert field.value is None and field.placeholder == "mixed: 1, 3, 4"  # no single t: the field says so
    assert any("The rows use t = 1, 3, 4" in c.value and "rows 2–7" in c.value for c in at.caption)
    at.number_input(key="mobilenet_v2.expansion").set_value(5).run()
    assert table_ts(at) == [1, 5, 5, 5, 5, 5, 5]
    assert any("t = 5 set on rows 2–7" in s.value for s in at.success)  # the change is announced


def test_one_custom_t_shows_as_mixed_and_names_the_rows_a_change_sets(open_page):
    at = open_page("app_pages/v2.py")
    assert any("Sets rows 2–7; rows at t = 1 stay at 1" in c.value for c in at.caption)
    inject_edit(at, "mobilenet_v2", edited_rows={2: {"t": "4"}})  # row 3 of the table
    assert at.number_input(key="mobilenet_v2.expansion").placeholder == "mixed: 1, 4, 6"
    assert at.number_input(key="mobilenet_v2.expansion").value is None


def test_preset_pills_follow_the_slider(open_page):
    at = open_page("app_pages/v2.py")
    assert at.session_state["mobilenet_v2.width_preset"] == 1.0
    at.slider(key="mobilenet_v2.width").set_value(0.8).run()
    assert at.session_state["mobilenet_v2.width_preset"] is None  # un-highlighted: off every preset
    at.pills(key="mobilenet_v2.width_preset").set_value(0.75).run()  # one click selects
    assert at.slider(key="mobilenet_v2.width").value == 0.75
    assert shown_macs(at) == count(paper_config("v2", width_multiplier=0.75)).macs
    at.slider(key="mobilenet_v2.resolution").set_value(160).run()
    assert at.session_state["mobilenet_v2.resolution_preset"] == 160


def test_v1_caption_follows_depthwise_separation(open_page):
    at = open_page("app_pages/v1.py")
    assert any("Each repeat is a 3×3 depthwise then a 1×1 pointwise layer" in c.value for c in at.caption)
    at.toggle(key="mobilenet_v1.depthwise_separable").set_value(False).run()
    assert not any("3×3 depthwise then a 1×1 pointwise" in c.value for c in at.caption)
    assert any("Each repeat is one full 3×3 convolution" in c.value for c in at.caption)


def test_flops_switch_doubles_every_count_and_is_kept_across_pages(open_page):
    at = open_page("app_pages/v2.py")
    at.segmented_control(key="mobilenet_v2.count_unit").set_value("FLOPs").run()
    flops = metric(at, "FLOPs")
    assert flops.value == human(2 * 300_774_272)
    assert flops.help.startswith(f"{2 * 300_774_272:,} FLOPs = 2 × 300,774,272 ")
    table = layer_table(at)
    assert int(table["FLOPs"].sum()) == 2 * 300_774_272
    at.switch_page(PAGES["mobilenet_v1"]).run()
    assert metric(at, "FLOPs").value == human(2 * count(paper_config("v1")).macs)


def test_layer_table_has_kernel_stride_groups_and_input_shape(open_page):
    at = open_page("app_pages/v2.py")
    table = layer_table(at).set_index("layer")
    assert list(table.columns[:9]) == ["kind", "params", "MACs", "share (%)", "kernel", "stride", "groups", "input", "output"]
    assert table.loc["stem", ["kernel", "stride", "groups", "input", "output"]].tolist() == ["3×3", 2, 1, "3×224×224", "32×112×112"]
    assert table.loc["blocks.1.depthwise", ["kernel", "stride", "groups", "input"]].tolist() == ["3×3", 2, 96, "96×112×112"]
    assert table.loc["head", "input"] == "1280" and table.loc["pool", "input"] == "1280×7×7"


def test_architecture_tab_draws_the_plan(open_page):
    from ui.architecture import architecture_dot

    at = open_page(PAGES["mobilenet_v2"], state={"mobilenet_v2.view": "Architecture"})
    at.slider(key="mobilenet_v2.width").set_value(0.5).run()
    charts = at.get("graphviz_chart")
    assert len(charts) == 1 and charts[0].proto.spec == architecture_dot(paper_config("v2", width_multiplier=0.5))


def test_module_printout_is_built_only_when_opened(open_page):
    at = open_page("app_pages/v1.py")
    assert not [c for c in at.code if "ConvBNAct" in c.value]
    at.session_state["mobilenet_v1.module"] = True  # open the "print(model)" expander
    at.run()
    text = next(c.value for c in at.code if "ConvBNAct" in c.value)
    assert text.startswith("MobileNet(") and "(depthwise): ConvBNAct(" in text
    assert "Conv2d(32, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), groups=32, bias=False)" in text


def test_link_keeps_a_width_that_short_formatting_would_round(open_page):
    # Issue 9, bug 2: links wrote floats with :g, so α = 0.12499999 came back as 0.125.
    at = open_page("app_pages/v2.py", query={"width_multiplier": "0.12499999", "resolution": "224"})
    assert not any("link" in w.value for w in at.warning)  # the link is taken as it is
    config = paper_config("v2", width_multiplier=0.12499999)
    assert shown_macs(at) == count(config).macs
    at.slider(key="mobilenet_v2.resolution").set_value(192).run()
    assert at.query_params["width_multiplier"] in ("0.12499999", ["0.12499999"])
    assert shown_macs(at) == count(config.replace(resolution=192)).macs


def test_home_links_to_every_page(open_page):
    at = open_page(None)  # the default page: Home
    linked = {element.proto.page.strip("/") for element in at.get("page_link")}
    assert linked == {"v1", "v2", "v3", "tradeoffs", "compare", "separable", "phones"}
    assert len(list((ROOT / "app_pages").glob("*.py"))) == len(linked) + 1  # every page but Home itself


def test_latency_panel_says_when_another_measurement_is_running(open_page):
    from explorer.store import LatencyStore

    with LatencyStore().lock.hold("mobilenet_v2 α=1 224px, batch 1, 2 threads, cpu, eager") as holding:  # the app's store
        holding.report(0.4, "timing every leaf layer")
        at = open_page("app_pages/v1.py")
        assert any("Another latency measurement is running on this machine (mobilenet_v2 α=1 224px" in c.value and "40%" in c.value
                   for c in at.caption)
    at.run()
    assert not any("Another latency measurement is running" in c.value for c in at.caption)
