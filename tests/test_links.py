"""Pure UI helpers: shareable-link codec, block-table conversion, error wording."""

import pandas as pd
import pytest

from explorer import ConfigError, paper_config, parse_config
from ui import links
from ui.state import error_text, rows_from_frame


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


def test_rows_from_frame_keeps_empty_cells_as_none():
    frame = pd.DataFrame([{"c": 64, "n": 1, "s": 1}, {"c": None, "n": 2, "s": 2}]).astype("Int64")
    assert rows_from_frame(frame) == [{"c": 64, "n": 1, "s": 1}, {"c": None, "n": 2, "s": 2}]
    floats = pd.DataFrame([{"c": 64.0, "n": 1.0, "s": 1.5}])
    assert rows_from_frame(floats) == [{"c": 64, "n": 1, "s": 1.5}]


def test_error_text_names_row_and_column():
    with pytest.raises(ConfigError) as info:
        parse_config({"schema_version": 1, "arch": "mobilenet_v2", "blocks": [{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 6, "c": 24, "n": 2, "s": 3}]})
    assert error_text(info.value) == "Block table, row 2, stride s: stride must be 1 or 2, got 3"
    with pytest.raises(ConfigError) as info:
        parse_config({"schema_version": 1, "arch": "mobilenet_v1", "blocks": [{"c": None, "n": 1, "s": 1}]})
    assert error_text(info.value) == "Block table, row 1, channels c: is empty"
