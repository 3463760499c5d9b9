"""`python -m explorer export`: JSON round trip, the Python snippet's text, a parseable CSV, clean errors.

The exported Python file is executed once, in tests/test_export.py (with nothing but torch on the
path); here the check is that the CLI writes exactly that text for the config its flags describe.
"""

import csv
import io
import json

import pytest

from explorer import count, load_config, paper_config
from explorer.export import python_snippet


@pytest.mark.parametrize("arch,extra", [("v1", ["--width", "0.5", "--resolution", "160"]),
                                        ("v2", ["--width", "0.75", "--expansion", "4", "--num-classes", "1001"])])
def test_json_round_trip_gives_identical_counts(tmp_path, cli, arch, extra):
    out_file = tmp_path / "c.json"
    cli("export", "--arch", arch, *extra, "--format", "json", "-o", out_file, check_rc=0)
    config = load_config(out_file)
    cli("validate", out_file, check_rc=0)
    again = tmp_path / "again.json"
    cli("export", "--config", out_file, "--format", "json", "-o", again, check_rc=0)
    assert again.read_text() == out_file.read_text()
    shown = json.loads(cli("profile", "--config", out_file, "--json", check_rc=0).stdout)
    assert (shown["params"], shown["macs"]) == (count(config).params, count(config).macs)


def test_stdout_when_no_output_or_dash(cli):
    for argv in (["export", "--arch", "v2", "--format", "json"], ["export", "--arch", "v2", "--format", "json", "-o", "-"]):
        out = cli(*argv, check_rc=0).stdout
        assert json.loads(out)["arch"] == "mobilenet_v2"


def test_csv_parses_and_sums_to_the_totals(cli):
    out = cli("export", "--arch", "v1", "--format", "csv", check_rc=0).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    cost = count(paper_config("mobilenet_v1"))
    assert len(rows) == len(cost.layers)
    assert sum(int(r["macs"]) for r in rows) == cost.macs
    assert sum(int(r["params"]) for r in rows) == cost.params


def test_python_export_writes_the_snippet_of_the_flags_config(tmp_path, cli):
    snippet = tmp_path / "build.py"
    cli("export", "--arch", "v2", "--width", "0.35", "--resolution", "96", "--format", "python", "-o", snippet, check_rc=0)
    config = paper_config("mobilenet_v2", width_multiplier=0.35, resolution=96)
    text = snippet.read_text()
    assert text == python_snippet(config)  # the text tests/test_export.py runs
    assert f"EXPECTED_MACS = {count(config).macs}\n" in text and f"EXPECTED_PARAMS = {count(config).params}\n" in text
    assert cli("export", "--arch", "v2", "--width", "0.35", "--resolution", "96", "--format", "python", check_rc=0).stdout == text


@pytest.mark.parametrize("argv,fragment", [
    (["export", "--arch", "v1", "--width", "9", "--format", "json"], "--width"),
    (["export", "--arch", "v1", "--expansion", "4", "--format", "json"], "--expansion"),
    (["export", "--config", "/no/such/file.json", "--format", "json"], "/no/such/file.json"),
    (["export", "--arch", "v1", "--format", "json", "-o", "/no/such/dir/out.json"], "-o: cannot write"),
])
def test_bad_input_exits_2_with_one_line(cli, argv, fragment):
    err = cli(*argv, check_rc=2).stderr
    assert fragment in err and err.count("\n") == 1


def test_bad_config_file_names_the_field(tmp_path, cli):
    bad = tmp_path / "bad.json"
    data = paper_config("mobilenet_v2").to_dict()
    data["blocks"][3]["s"] = 3
    bad.write_text(json.dumps(data))
    assert "blocks[3].s" in cli("export", "--config", bad, "--format", "csv", check_rc=2).stderr


def test_format_is_required_and_checked(cli):
    assert "invalid choice: 'yaml'" in cli("export", "--arch", "v1", "--format", "yaml", check_rc=2).stderr
    assert "--format" in cli("export", "--arch", "v1", check_rc=2).stderr
