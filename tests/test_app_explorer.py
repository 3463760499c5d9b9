"""AppTest runs of the V1 and V2 pages: no exceptions, exact metrics, bad edits, links."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer import count, paper_config
from explorer.units import human

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGES = {"mobilenet_v1": "pages/mobilenet_v1.py", "mobilenet_v2": "pages/mobilenet_v2.py"}


def open_page(arch, query=None):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGES[arch])
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def shown_macs(at) -> int:
    """The exact MAC count from the MACs metric's help text ('300,774,272 multiply-…')."""
    return int(metric(at, "MACs").help.split(" ")[0].replace(",", ""))


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_default_run_shows_the_paper_model(arch):
    at = open_page(arch)
    expected = count(paper_config(arch))
    assert shown_macs(at) == expected.macs
    assert metric(at, "MACs").value == human(expected.macs)
    assert metric(at, "Params").value == human(expected.params)
    assert not at.error


def test_v2_known_numbers_exactly():
    at = open_page("mobilenet_v2")
    assert shown_macs(at) == 300_774_272
    assert metric(at, "Params").help.startswith("3,504,872 ")


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_width_and_resolution_sliders_update_macs_exactly(arch):
    at = open_page(arch)
    at.slider(key=f"{arch}.width").set_value(0.5).run()
    assert shown_macs(at) == count(paper_config(arch, width_multiplier=0.5)).macs
    at.slider(key=f"{arch}.resolution").set_value(160).run()
    assert shown_macs(at) == count(paper_config(arch, width_multiplier=0.5, resolution=160)).macs
    assert metric(at, "MACs").delta.startswith("-")  # cheaper than the paper model
    assert any("ρ = 160/224 = **0.714**" in c.value for c in at.caption)


def test_v2_expansion_and_toggles():
    at = open_page("mobilenet_v2")
    at.number_input(key="mobilenet_v2.expansion").set_value(4).run()
    blocks = [dict(b.to_dict(), t=4 if b.t != 1 else 1) for b in paper_config("v2").blocks]
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks)).macs
    at.toggle(key="mobilenet_v2.residual").set_value(False).run()
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks, residual=False)).macs  # residual adds cost no MACs
    link = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert link["residual"] == "0" and "blocks" in link


def test_v1_activation_select_and_full_convolution():
    at = open_page("mobilenet_v1")
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


def test_valid_block_edit_updates_the_profile():
    at = open_page("mobilenet_v2")
    inject_edit(at, "mobilenet_v2", edited_rows={1: {"c": 32}})
    blocks = [b.to_dict() for b in paper_config("v2").blocks]
    blocks[1]["c"] = 32
    assert shown_macs(at) == count(paper_config("v2", blocks=blocks)).macs
    assert not at.error


def test_invalid_block_edit_shows_message_and_keeps_last_valid_model():
    at = open_page("mobilenet_v2")
    at.slider(key="mobilenet_v2.width").set_value(0.75).run()
    before = shown_macs(at)
    inject_edit(at, "mobilenet_v2", edited_rows={2: {"s": 3}})
    assert len(at.error) == 1
    assert "Block table, row 3, stride s: stride must be 1 or 2, got 3" in at.error[0].value
    assert "your edits are kept" in at.error[0].value
    assert shown_macs(at) == before


def test_added_row_with_empty_cell_is_named():
    at = open_page("mobilenet_v1")
    inject_edit(at, "mobilenet_v1", added_rows=[{"c": 128, "n": 1}])
    assert "Block table, row 10, stride s" in at.error[0].value
    assert shown_macs(at) == count(paper_config("v1")).macs


def test_deleting_rows_and_reset_to_paper():
    at = open_page("mobilenet_v1")
    inject_edit(at, "mobilenet_v1", deleted_rows=[6])  # the Shallow MobileNet of Table 5
    shallow = [b.to_dict() for i, b in enumerate(paper_config("v1").blocks) if i != 6]
    assert shown_macs(at) == count(paper_config("v1", blocks=shallow)).macs
    at.button(key="mobilenet_v1.reset").click().run()
    assert shown_macs(at) == count(paper_config("v1")).macs


def test_link_round_trip():
    at = open_page("mobilenet_v2")
    at.slider(key="mobilenet_v2.width").set_value(0.35).run()
    at.slider(key="mobilenet_v2.resolution").set_value(128).run()
    inject_edit(at, "mobilenet_v2", edited_rows={6: {"c": 640}})
    link = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert link["width_multiplier"] == "0.35" and link["resolution"] == "128"
    expected = shown_macs(at)
    fresh = open_page("mobilenet_v2", query=link)  # a new session opening the shared link
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
def test_bad_link_shows_message_and_falls_back(query, fragment):
    at = open_page("mobilenet_v2", query=query)
    assert any(fragment in w.value for w in at.warning), [w.value for w in at.warning]
    assert shown_macs(at) == count(paper_config("v2")).macs


def test_config_is_kept_across_pages():
    at = open_page("mobilenet_v1")
    at.slider(key="mobilenet_v1.width").set_value(0.5).run()
    at.switch_page(PAGES["mobilenet_v2"]).run()
    at.switch_page(PAGES["mobilenet_v1"]).run()
    assert not at.exception
    assert shown_macs(at) == count(paper_config("v1", width_multiplier=0.5)).macs


def test_latency_button_measures_then_reuses_only_a_good_result():
    at = open_page("mobilenet_v1")
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
    again = open_page("mobilenet_v1")  # another session asks for the same measurement
    again.slider(key="mobilenet_v1.resolution").set_value(64).run()
    again.slider(key="mobilenet_v1.width").set_value(0.25).run()
    if noisy:  # a noisy result is not reused: the page says so before measuring
        assert any("holds a noisy measurement" in i.value for i in again.info)
    again.button(key="mobilenet_v1.measure").click().run(timeout=120)
    reused = any("reused from the local store" in s.value for s in again.success)
    assert reused == bool(good)


def plotly_array(value):
    """Plotly sends numeric arrays as base64 typed arrays ({"dtype", "bdata"})."""
    import base64

    import numpy as np

    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def test_cost_tabs_render_the_exact_counts_when_opened():
    import json

    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["mobilenet_v1.view"] = "Cost by layer"
    at.switch_page(PAGES["mobilenet_v1"]).run()
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    macs_bars = [t for t in spec["data"] if t.get("yaxis", "y") == "y"]  # top subplot: MACs
    assert sum(int(plotly_array(t["y"]).sum()) for t in macs_bars) == count(paper_config("v1")).macs
    at.session_state["mobilenet_v1.view"] = "Cost by kind"
    at.run()
    # The V1 paper's Table 2: 1×1 convolutions take 94.86% of the MACs.
    assert any("1×1 convolutions take **94.9%** of the MACs" in c.value for c in at.caption)


def test_only_the_open_tab_is_rendered():
    at = open_page("mobilenet_v2")
    assert len(at.get("plotly_chart")) == 0  # the Layers tab is open: no chart was built


def test_link_with_another_expansion_sets_the_global_t():
    blocks = [dict(b.to_dict(), t=3 if b.t != 1 else 1) for b in paper_config("v2").blocks]
    config = paper_config("v2", blocks=blocks)
    from ui import links

    at = open_page("mobilenet_v2", query=links.encode(config))
    assert at.number_input(key="mobilenet_v2.expansion").value == 3
    assert shown_macs(at) == count(config).macs


def test_messages_are_shown_above_the_metrics():
    at = open_page("mobilenet_v2", query={"blocks": "1.16.1.1_6.24.2.9"})
    order = [node.type for node in at.main]
    assert order.index("warning") < order.index("metric")  # the bad link's message
    inject_edit(at, "mobilenet_v2", edited_rows={0: {"c": None}})
    order = [node.type for node in at.main]
    assert order.index("error") < order.index("metric")  # the invalid edit's message


def test_latency_panel_says_when_another_measurement_is_running():
    from explorer.store import LatencyStore

    with LatencyStore().lock.hold("mobilenet_v2 α=1 224px, batch 1, 2 threads, cpu, eager") as holding:  # the app's store
        holding.report(0.4, "timing every leaf layer")
        at = open_page("mobilenet_v1")
        assert any("Another latency measurement is running on this machine (mobilenet_v2 α=1 224px" in c.value and "40%" in c.value
                   for c in at.caption)
    at.run()
    assert not any("Another latency measurement is running" in c.value for c in at.caption)
