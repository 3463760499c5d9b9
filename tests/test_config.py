"""Schema v1 validation: every rule, each rejection naming its field (and row)."""

import dataclasses
import json
import math

import pytest

from explorer import Block, ConfigError, MobileNetConfig, count, load_config, loads_config, paper_config, parse_config
from explorer.config import MAX_FILE_BYTES, V1_PAPER_BLOCKS, V2_PAPER_BLOCKS

V1 = {"schema_version": 1, "arch": "mobilenet_v1"}
V2 = {"schema_version": 1, "arch": "mobilenet_v2"}


def rejects(data, field, *fragments):
    with pytest.raises(ConfigError) as info:
        parse_config(data) if isinstance(data, dict) or not isinstance(data, (str, bytes)) else loads_config(data)
    assert info.value.field == field, str(info.value)
    for fragment in fragments:
        assert fragment in str(info.value)
    return info.value


def test_defaults_are_the_papers_tables():
    assert parse_config(V1).blocks == V1_PAPER_BLOCKS
    assert parse_config(V2).blocks == V2_PAPER_BLOCKS
    assert [b.to_dict() for b in V2_PAPER_BLOCKS][1] == {"t": 6, "c": 24, "n": 2, "s": 2}
    v1, v2 = parse_config(V1), parse_config(V2)
    assert (v1.activation, v2.activation) == ("relu", "relu6")
    assert v2.linear_bottleneck and v2.residual and v1.depthwise_separable


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_normalized_json_round_trips_exactly(arch):
    config = paper_config(arch, width_multiplier=0.35, resolution=160, num_classes=10, dropout=0.1)
    again = loads_config(config.to_json())
    assert again == config
    assert again.to_dict() == config.to_dict()
    assert json.loads(config.to_json())["blocks"][0] == config.blocks[0].to_dict()


def test_optional_fields_round_trip():
    config = parse_config({**V2, "activation": "relu", "linear_bottleneck": False, "residual": False})
    assert loads_config(config.to_json()) == config
    assert config.to_dict()["linear_bottleneck"] is False
    full = parse_config({**V1, "depthwise_separable": False})
    assert loads_config(full.to_json()).depthwise_separable is False


def test_width_multiplier_int_is_accepted_as_float():
    assert parse_config({**V1, "width_multiplier": 1}).width_multiplier == 1.0


@pytest.mark.parametrize(
    "data, field, fragment",
    [
        ({**V1, "widht_multiplier": 1.0}, "widht_multiplier", "unknown key"),
        ({**V1, "residual": False}, "residual", "only for mobilenet_v2"),
        ({**V2, "depthwise_separable": False}, "depthwise_separable", "only for mobilenet_v1"),
        ({**V1, "resolution": True}, "resolution", "must be an integer, got boolean"),
        ({**V1, "resolution": 224.0}, "resolution", "must be an integer"),
        ({**V1, "resolution": "224"}, "resolution", 'string "224"'),
        ({**V1, "num_classes": False}, "num_classes", "boolean"),
        ({**V1, "width_multiplier": True}, "width_multiplier", "must be a number"),
        ({**V1, "width_multiplier": math.nan}, "width_multiplier", "finite"),
        ({**V1, "width_multiplier": math.inf}, "width_multiplier", "finite"),
        ({**V1, "width_multiplier": 0}, "width_multiplier", "greater than 0"),
        ({**V1, "width_multiplier": -0.5}, "width_multiplier", "greater than 0"),
        ({**V1, "width_multiplier": 50}, "width_multiplier", "at most 4"),
        ({**V1, "resolution": 8}, "resolution", "between 16 and 1024"),
        ({**V1, "resolution": 100000}, "resolution", "between 16 and 1024"),
        ({**V1, "num_classes": 0}, "num_classes", "between 1 and"),
        ({**V1, "num_classes": 10**9}, "num_classes", "between 1 and"),
        ({**V1, "dropout": 1.0}, "dropout", "at most 0.99"),
        ({**V1, "activation": "gelu"}, "activation", "relu, relu6"),
        ({**V2, "linear_bottleneck": "yes"}, "linear_bottleneck", "true or false"),
        ({"arch": "mobilenet_v1"}, "schema_version", "missing"),
        ({**V1, "schema_version": 2}, "schema_version", "unsupported version 2"),
        ({**V1, "schema_version": True}, "schema_version", "unsupported"),
        ({"schema_version": 1}, "arch", "missing"),
        ({**V1, "arch": "resnet50"}, "arch", "mobilenet_v1, mobilenet_v2"),
        ({**V1, "blocks": []}, "blocks", "at least one row"),
        ({**V1, "blocks": {"c": 64}}, "blocks", "list of rows"),
        ({**V1, "blocks": [[64, 1, 1]]}, "blocks[0]", "must be an object"),
        ({**V1, "blocks": [{"c": 64, "n": 1, "s": 1}, {"c": 64, "n": 1, "s": 3}]}, "blocks[1].s", "stride must be 1 or 2, got 3"),
        ({**V1, "blocks": [{"c": 64, "n": 1, "s": True}]}, "blocks[0].s", "stride must be 1 or 2"),
        ({**V1, "blocks": [{"c": 64, "n": 1, "s": 1.0}]}, "blocks[0].s", "stride must be 1 or 2"),
        ({**V1, "blocks": [{"c": 64, "n": 1}]}, "blocks[0].s", "missing"),
        ({**V1, "blocks": [{"t": 6, "c": 64, "n": 1, "s": 1}]}, "blocks[0].t", "V1 rows have no expansion"),
        ({**V2, "blocks": [{"c": 64, "n": 1, "s": 1}]}, "blocks[0].t", "missing"),
        ({**V2, "blocks": [{"t": 0, "c": 64, "n": 1, "s": 1}]}, "blocks[0].t", "between 1 and 16"),
        ({**V2, "blocks": [{"t": 6, "c": -8, "n": 1, "s": 1}]}, "blocks[0].c", "between 1 and 4096"),
        ({**V2, "blocks": [{"t": 6, "c": 8, "n": 0, "s": 1}]}, "blocks[0].n", "between 1 and 16"),
        ({**V2, "blocks": [{"t": 6, "c": 8, "n": 1, "s": 1}] * 33}, "blocks", "at most 32 rows"),
        ([1, 2], "config", "must be a JSON object"),
    ],
)
def test_rejections_name_the_field(data, field, fragment):
    rejects(data, field, fragment)


def test_documented_minimum_ranges_are_accepted():
    for arch in ("mobilenet_v1", "mobilenet_v2"):
        for width in (0.1, 0.35, 1.0, 2.0):
            for resolution in (32, 224, 512):
                assert paper_config(arch, width_multiplier=width, resolution=resolution).resolution == resolution
    rows = [{"t": 12, "c": 64, "n": 10, "s": 1 if i else 2} for i in range(20)]
    assert len(parse_config({**V2, "resolution": 64, "blocks": rows}).blocks) == 20
    assert parse_config({**V1, "num_classes": 10000}).num_classes == 10000
    assert parse_config({**V1, "blocks": [{"c": 2048, "n": 1, "s": 2}]}).blocks[0].c == 2048


def test_configs_up_to_5_gmacs_and_50m_params_are_accepted():
    from explorer import count

    near_5_gmacs = count(parse_config({**V1, "width_multiplier": 3.0}))
    assert 4.9e9 < near_5_gmacs.macs <= 5e9
    near_50m_params = count(parse_config({**V1, "width_multiplier": 2.9, "num_classes": 7800}))
    assert 49e6 < near_50m_params.params <= 50e6
    widest_v2 = count(parse_config({**V2, "width_multiplier": 2.0, "resolution": 512}))
    assert widest_v2.macs > 5e9  # accepted too: the documented ranges hold beyond 5 GMACs


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({**V2, "width_multiplier": 4.0, "resolution": 1024}, "GMACs is over the limit of 20"),
        ({**V1, "num_classes": 100000, "width_multiplier": 4.0}, "parameters is over the limit"),
        ({**V1, "resolution": 1024, "blocks": [{"c": 4096, "n": 1, "s": 1}]}, "GMACs"),
    ],
)
def test_absurd_sizes_are_rejected_before_building(data, fragment):
    rejects(data, "config", fragment)


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (b"", "is empty"),
        (b"   \n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"\xff\xfe\xfa", "not UTF-8"),
        (b"{not json}", "not valid JSON"),
        (b'{"schema_version": 1, "arch": "mobilenet_v1", "width_multiplier": NaN}', "NaN"),
        (b'{"schema_version": 1, "arch": "mobilenet_v1", "resolution": Infinity}', "Infinity"),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
        (b'{"a": ' * 50 + b"1" + b"}" * 50, "nests deeper"),
        (b" " * (MAX_FILE_BYTES + 1), "bytes"),
    ],
)
def test_hostile_files(raw, fragment):
    rejects(raw, "file", fragment)


def test_duplicate_keys_are_rejected():
    rejects('{"schema_version": 1, "arch": "mobilenet_v1", "resolution": 224, "resolution": 160}', "resolution", "twice")


def test_brackets_inside_strings_do_not_count_as_nesting():
    rejects('{"schema_version": 1, "arch": "[[[[[[[[[[[[[[[[[[[["}', "arch", "must be one of")


def test_load_config_from_file(tmp_path):
    path = tmp_path / "v2.json"
    path.write_text(paper_config("v2", resolution=160).to_json())
    assert load_config(path).resolution == 160
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "missing.json")


def test_replace_revalidates():
    config = paper_config("v2")
    assert config.replace(resolution=192).resolution == 192
    with pytest.raises(ConfigError, match="blocks\\[0\\].s"):
        config.replace(blocks=[{"t": 1, "c": 16, "n": 1, "s": 5}])


# --- a valid config is the only kind there is (issue 9) ------------------------------------------


def test_the_constructor_has_no_defaults_that_make_half_a_config():
    with pytest.raises(TypeError):
        MobileNetConfig("mobilenet_v2")  # used to build a V2 with no blocks and ReLU


def test_the_constructor_validates_every_field():
    fields = paper_config("v2").__dict__
    with pytest.raises(ConfigError) as info:
        MobileNetConfig(**{**fields, "blocks": ()})
    assert info.value.field == "blocks"
    with pytest.raises(ConfigError) as info:
        MobileNetConfig(**{**fields, "activation": "gelu"})
    assert info.value.field == "activation"
    with pytest.raises(ConfigError) as info:
        MobileNetConfig(**{**fields, "blocks": (Block(16, 1, 1),)})  # a V1 row in a V2 table
    assert info.value.field == "blocks[0].t"
    with pytest.raises(ConfigError) as info:
        MobileNetConfig(**{**paper_config("v1").__dict__, "residual": False})
    assert info.value.field == "residual" and "mobilenet_v2" in str(info.value)


@pytest.mark.parametrize("changes, field", [
    ({"width_multiplier": 0}, "width_multiplier"),
    ({"resolution": 4096}, "resolution"),
    ({"width_multiplier": 4.0, "resolution": 1024}, "config"),  # over the MAC limit
    ({"blocks": (Block(16, 1, 3, 1),)}, "blocks[0].s"),
])
def test_dataclasses_replace_validates_too(changes, field):
    with pytest.raises(ConfigError) as info:
        dataclasses.replace(paper_config("v2"), **changes)
    assert info.value.field == field


def test_replace_rejects_unknown_keys_and_accepts_rows():
    with pytest.raises(ConfigError) as info:
        paper_config("v1").replace(expansion=6)
    assert info.value.field == "expansion"
    config = paper_config("v2").replace(blocks=[{"t": 1, "c": 16, "n": 1, "s": 1}])
    assert config.blocks == (Block(16, 1, 1, 1),)


def test_largest_feature_map_is_the_real_one():
    # Regression: the cap used out_channels × max(in, out)², 1,605,632 for V1 at 224 px.
    assert count(paper_config("v1")).largest_activation == 64 * 112 * 112  # blocks.0.pointwise
    assert count(paper_config("v2")).largest_activation == 96 * 112 * 112  # blocks.1.expand
    # A valid 5.2-GMAC config that the old formula rejected as "264M elements" (real: 66M).
    config = paper_config("v1", depthwise_separable=False, resolution=520,
                          blocks=[{"c": 8, "n": 1, "s": 1}, {"c": 4096, "n": 1, "s": 2}])
    assert count(config).largest_activation == 4096 * 130 * 130
    assert count(config).macs == 5_202_265_600
