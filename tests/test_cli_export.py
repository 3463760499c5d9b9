"""`python -m explorer export`: JSON round trip, a runnable Python snippet, a parseable CSV, clean errors."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import count, load_config, paper_config
from explorer.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("arch,extra", [("v1", ["--width", "0.5", "--resolution", "160"]),
                                        ("v2", ["--width", "0.75", "--expansion", "4", "--num-classes", "1001"])])
def test_json_round_trip_gives_identical_counts(tmp_path, capsys, arch, extra):
    out_file = tmp_path / "c.json"
    code, _, _ = run_cli(capsys, "export", "--arch", arch, *extra, "--format", "json", "-o", str(out_file))
    assert code == 0
    config = load_config(out_file)
    code, _, _ = run_cli(capsys, "validate", str(out_file))
    assert code == 0
    again = tmp_path / "again.json"
    assert run_cli(capsys, "export", "--config", str(out_file), "--format", "json", "-o", str(again))[0] == 0
    assert again.read_text() == out_file.read_text()
    code, out, _ = run_cli(capsys, "profile", "--config", str(out_file), "--json")
    assert code == 0
    shown = json.loads(out)
    assert (shown["params"], shown["macs"]) == (count(config).params, count(config).macs)


def test_stdout_when_no_output_or_dash(capsys):
    for argv in (["export", "--arch", "v2", "--format", "json"], ["export", "--arch", "v2", "--format", "json", "-o", "-"]):
        code, out, _ = run_cli(capsys, *argv)
        assert code == 0
        assert json.loads(out)["arch"] == "mobilenet_v2"


def test_csv_parses_and_sums_to_the_totals(capsys):
    code, out, _ = run_cli(capsys, "export", "--arch", "v1", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    cost = count(paper_config("mobilenet_v1"))
    assert len(rows) == len(cost.layers)
    assert sum(int(r["macs"]) for r in rows) == cost.macs
    assert sum(int(r["params"]) for r in rows) == cost.params


def test_python_snippet_runs(tmp_path, capsys):
    snippet = tmp_path / "build.py"
    assert run_cli(capsys, "export", "--arch", "v2", "--width", "0.35", "--resolution", "96", "--format", "python", "-o", str(snippet))[0] == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(snippet)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{count(paper_config('mobilenet_v2', width_multiplier=0.35, resolution=96)).macs:,} MACs" in done.stdout


@pytest.mark.parametrize("argv,fragment", [
    (["export", "--arch", "v1", "--width", "9", "--format", "json"], "--width"),
    (["export", "--arch", "v1", "--expansion", "4", "--format", "json"], "--expansion"),
    (["export", "--config", "/no/such/file.json", "--format", "json"], "/no/such/file.json"),
    (["export", "--arch", "v1", "--format", "json", "-o", "/no/such/dir/out.json"], "-o: cannot write"),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, fragment):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_config_file_names_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    data = paper_config("mobilenet_v2").to_dict()
    data["blocks"][3]["s"] = 3
    bad.write_text(json.dumps(data))
    code, _, err = run_cli(capsys, "export", "--config", str(bad), "--format", "csv")
    assert code == 2 and "blocks[3].s" in err


def test_format_is_required_and_checked(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["export", "--arch", "v1", "--format", "yaml"])
    assert exc.value.code == 2
