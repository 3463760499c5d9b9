"""Pure UI helpers: shareable-link codec, block-table conversion, error wording."""

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer import ConfigError, paper_config, parse_config
from ui import links
from ui.state import apply_editor_state, error_text, incomplete_row, parse_cell, parse_rows


@pytest.mark.parametrize(
    "config",
    [
        paper_config("v1"),
        paper_config("v2"),
        paper_config("v1", width_multiplier=0.35, resolution=97, num_classes=10, activation="relu6", depthwise_separable=False, dropout=0.5),
        paper_config("v2", width_multiplier=1.4, linear_bottleneck=False, residual=False,
                     blocks=[{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 3, "c": 40, "n": 4, "s": 2}]),
    ],
)
def test_link_round_trip(config):
    params = links.encode(config)
    assert all(isinstance(v, str) for v in params.values())
    assert links.decode(config.arch, params) == config


def test_paper_config_link_is_short():
    assert links.encode(paper_config("v2")) == {"width_multiplier": "1", "resolution": "224"}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"width_multiplier": "abc"}, "width_multiplier"),
        ({"width_multiplier": "nan"}, "width_multiplier"),
        ({"resolution": "22.5"}, "resolution"),
        ({"resolution": "5"}, "resolution"),
        ({"residual": "maybe"}, "residual"),
        ({"blocks": "1.16.1"}, "blocks[0]"),
        ({"blocks": "1.16.1.1_6.x.2.2"}, "blocks[1].c"),
        ({"blocks": "1.16.1.1_6.24.2.3"}, "blocks[1].s"),
        ({"evil": "1"}, "evil"),
        ({"blocks": "1.16.1.1_" * 500}, "blocks"),
    ],
)
def test_tampered_links_name_the_field(params, field):
    with pytest.raises(ConfigError) as info:
        links.decode("mobilenet_v2", params)
    assert info.value.field == field


def test_typed_rows_are_parsed_cell_by_cell():
    rows = [{"c": "64", "n": " 2", "s": "abc"}, {"c": "", "n": None, "s": "3"}, {"c": 64.0, "n": 1.5, "s": 2}]
    assert parse_rows(rows, ["c", "n", "s"]) == [{"c": 64, "n": 2, "s": "abc"}, {"c": None, "n": None, "s": 3},
                                                 {"c": 64, "n": 1.5, "s": 2}]


# --- issue 9, bug 2: shared links wrote floats with :g ---------------------------------------


@pytest.mark.parametrize("width", [0.12499999, 0.1 + 0.2, 1 / 3, 0.7500000000000001, 1.23456789012345])
def test_link_keeps_every_float_exactly(width):
    config = paper_config("v2", width_multiplier=width, dropout=0.123456789)
    params = links.encode(config)
    assert float(params["width_multiplier"]) == width  # :g wrote 0.125 for 0.12499999: another model
    assert links.decode("mobilenet_v2", params) == config


@given(st.floats(min_value=0.01, max_value=4.0, allow_nan=False), st.floats(min_value=0.0, max_value=0.99))
def test_number_text_reads_back_to_the_same_float(width, dropout):
    for value in (width, dropout):
        assert float(links.number_text(value)) == value


def test_short_numbers_stay_short():
    assert links.number_text(1.0) == "1" and links.number_text(0.75) == "0.75" and links.number_text(1.4) == "1.4"


# --- helpers for the other pages: prefixes, explorer links, page settings ----------------------


def test_prefixed_configs_share_one_url():
    a, b = paper_config("v1", width_multiplier=0.5), paper_config("v2", resolution=160, residual=False)
    params = {**links.encode(a, prefix="a."), **links.encode(b, prefix="b."), "view": "stages"}
    assert links.decode("mobilenet_v1", params, prefix="a.") == a
    assert links.decode("mobilenet_v2", params, prefix="b.") == b
    with pytest.raises(ConfigError) as info:
        links.decode("mobilenet_v2", {**params, "b.resolution": "9"}, prefix="b.")
    assert info.value.field == "b.resolution"


@pytest.mark.parametrize("config", [paper_config("v1", width_multiplier=0.25, resolution=128), paper_config("v2", num_classes=10)])
def test_explorer_link_round_trips_from_any_form_of_the_url(config):
    link = links.explorer_link(config)
    assert link.startswith(("v1?", "v2?"))
    for pasted in (link, "/" + link, f"http://example.org:8501/{link}", f"  https://host/app/{link}  "):
        assert links.config_from_link(pasted) == config


@pytest.mark.parametrize("link, field", [("/tradeoffs?x=1", "link"), ("v2?resolution=abc", "resolution"), ("v1?t=1", "t")])
def test_config_from_link_names_the_problem(link, field):
    with pytest.raises(ConfigError) as info:
        links.config_from_link(link)
    assert info.value.field == field


SETTINGS = (
    links.Setting("precision", "Float", choices=("Float", "Quantized", "Both")),
    links.Setting("references", False, kind=bool),
    links.Setting("budget_macs", 300.0, kind=float, lo=1, hi=20_000),
    links.Setting("row", 2, kind=int, lo=0, hi=31),
)


def test_page_settings_round_trip_and_leave_defaults_out():
    values = {"precision": "Both", "references": True, "budget_macs": 123.45, "row": 2}
    params = links.encode_settings(values, SETTINGS)
    assert params == {"precision": "Both", "references": "1", "budget_macs": "123.45"}
    assert links.decode_settings(params, SETTINGS) == values
    assert links.decode_settings({}, SETTINGS) == {s.name: s.default for s in SETTINGS}


@pytest.mark.parametrize("params, field", [({"precision": "int4"}, "precision"), ({"references": "yes"}, "references"),
                                           ({"budget_macs": "nan"}, "budget_macs"), ({"row": "40"}, "row")])
def test_bad_page_settings_name_the_field(params, field):
    with pytest.raises(ConfigError) as info:
        links.decode_settings(params, SETTINGS)
    assert info.value.field == field


# --- the block table as typed ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, value",
    [("3", 3), (" 16 ", 16), ("+2", 2), ("1e3", 1000), ("2.0", 2), (2.0, 2), ("2.5", 2.5), ("abc", "abc"), ("", None),
     ("   ", None), (None, None), (float("nan"), None), (pd.NA, None), (True, True)],
)
def test_parse_cell_keeps_what_was_typed(typed, value):
    assert parse_cell(typed) == value and type(parse_cell(typed)) is type(value)


def test_editor_state_is_applied_as_streamlit_applies_it():
    rows = [{"c": 64, "n": 1, "s": 1}, {"c": 128, "n": 1, "s": 2}, {"c": 256, "n": 1, "s": 2}]
    state = {"edited_rows": {0: {"c": "32"}, 2: {"s": "3", "_index": 9}}, "deleted_rows": [1], "added_rows": [{"c": "8"}]}
    out = apply_editor_state(rows, state, ["c", "n", "s"])
    assert out == [{"c": "32", "n": 1, "s": 1}, {"c": 256, "n": 1, "s": "3"}, {"c": "8", "n": None, "s": None}]
    assert parse_rows(out, ["c", "n", "s"])[1] == {"c": 256, "n": 1, "s": 3}
    assert rows[0]["c"] == 64  # the stored rows are not changed
    assert apply_editor_state(rows, None, ["c", "n", "s"]) == rows


def test_incomplete_row_names_every_empty_cell():
    assert incomplete_row([{"c": 1, "n": 1, "s": 1}]) is None
    assert incomplete_row([{"c": 1, "n": 1, "s": 1}, {"c": None, "n": 1, "s": None}]) == (
        "Block table, row 2 is incomplete: channels c and stride s are empty")


def test_error_text_names_row_and_column():
    with pytest.raises(ConfigError) as info:
        parse_config({"schema_version": 1, "arch": "mobilenet_v2", "blocks": [{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 6, "c": 24, "n": 2, "s": 3}]})
    assert error_text(info.value) == "Block table, row 2, stride s: stride must be 1 or 2, got 3"
    with pytest.raises(ConfigError) as info:
        parse_config({"schema_version": 1, "arch": "mobilenet_v1", "blocks": [{"c": None, "n": 1, "s": 1}]})
    assert error_text(info.value) == "Block table, row 1, channels c: is empty"


def test_explorer_pages_are_the_routed_ones():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    entry = (root / "streamlit_app.py").read_text()
    for arch, file in links.PAGE_FILE.items():
        assert (root / file).exists()
        assert re.search(rf'st\.Page\("{re.escape(file)}".*url_path="{links.PAGE_OF_ARCH[arch]}"', entry), arch
