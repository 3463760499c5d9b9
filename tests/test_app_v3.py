"""AppTest runs of the /v3 page (issue 21): Large/Small switch, presets, switches, table edits, links."""

import pytest

from explorer import count, paper_config
from explorer.config import v3_preset
from ui import links

PAGE = "app_pages/v3.py"


def shown_macs(at) -> int:
    return int(next(m for m in at.metric if m.label == "MACs").help.split(" ")[0].replace(",", ""))


def inject_edit(at, arch, edited_rows=None, added_rows=None):
    version = at.session_state[f"{arch}.table_version"]
    at.session_state[f"{arch}.editor.{version}"] = {"edited_rows": edited_rows or {}, "added_rows": added_rows or [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def test_default_is_v3_large_and_the_switch_shows_small(open_page):
    at = open_page(PAGE)
    assert shown_macs(at) == 216_589_760 and not at.error
    at.segmented_control(key="v3.model").set_value("mobilenet_v3_small").run()
    assert shown_macs(at) == 56_510_400
    assert at.query_params["model"] in ("small", ["small"])
    at.slider(key="mobilenet_v3_small.width").set_value(0.75).run()
    assert shown_macs(at) == 39_115_576
    at.segmented_control(key="v3.model").set_value("mobilenet_v3_large").run()
    assert shown_macs(at) == 216_589_760  # each model keeps its own settings


def test_switches_and_minimalistic_preset(open_page):
    at = open_page(PAGE)
    at.toggle(key="mobilenet_v3_large.squeeze_excite").set_value(False).run()
    assert shown_macs(at) == count(paper_config("v3-large", squeeze_excite=False)).macs
    at.button(key="mobilenet_v3_large.preset_minimalistic").click().run()
    assert not at.exception
    assert shown_macs(at) == count(v3_preset("v3-large", "minimalistic")).macs
    assert at.toggle(key="mobilenet_v3_large.hard_swish").value is False


def test_table_edit_and_hostile_cells(open_page):
    at = open_page(PAGE)
    inject_edit(at, "mobilenet_v3_large", edited_rows={3: {"k": "3", "se": False}})
    blocks = [b.to_dict() for b in paper_config("v3-large").blocks]
    blocks[3].update(k=3, se=False)
    assert shown_macs(at) == count(paper_config("v3-large", blocks=blocks)).macs
    before = shown_macs(at)
    inject_edit(at, "mobilenet_v3_large", edited_rows={3: {"k": "4"}})
    assert len(at.error) == 1 and "Block table, row 4, kernel k: kernel must be 3 or 5, got 4" in at.error[0].value
    assert shown_macs(at) == before  # the last valid model stays
    inject_edit(at, "mobilenet_v3_large", edited_rows={3: {"k": "5"}, 5: {"s": "3"}})
    assert "Block table, row 6, stride s: stride must be 1 or 2, got 3" in at.error[0].value


@pytest.mark.parametrize("config", [paper_config("v3-small", width_multiplier=0.75, resolution=192),
                                    v3_preset("v3-large", "minimalistic", resolution=160)], ids=["small", "large-min"])
def test_deep_link_for_a_first_visitor(open_page, config):
    at = open_page(PAGE, query=links.page_params(config))
    assert not at.error and not any("link" in w.value for w in at.warning), [w.value for w in at.warning]
    assert shown_macs(at) == count(config).macs
    assert at.session_state["v3.model"] == config.arch


def test_bad_link_names_the_field(open_page):
    at = open_page(PAGE, query={"model": "medium"})
    assert any("model: must be one of large, small" in w.value for w in at.warning)
    at = open_page(PAGE, query={"model": "small", "blocks": "4.16.16.1.RE.2"})
    assert any("kernel k" in w.value for w in at.warning)
