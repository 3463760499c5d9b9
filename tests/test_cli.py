"""CLI: exit codes, messages and JSON shape. The tests run `python -m explorer` in-process (the
`cli` fixture in conftest.py); one smoke test runs it as a user would, in a fresh interpreter."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import paper_config

ROOT = Path(__file__).resolve().parent.parent


def test_python_m_explorer_runs_as_a_subprocess():
    """The one subprocess run: ``__main__``, the exit status reaching the shell, and a bad flag's
    one-line message with no traceback, which in-process runs of main() cannot show."""
    run = [sys.executable, "-m", "explorer", "profile", "--arch", "v2"]
    proc = subprocess.run([*run, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)["macs"] == 300_774_272
    proc = subprocess.run([*run, "--width", "0"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and not proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --width: must be greater than 0"), proc.stderr


def test_profile_v2_json_shape(cli):
    out = json.loads(cli("profile", "--arch", "v2", "--json", check_rc=0).stdout)
    assert (out["params"], out["macs"]) == (3_504_872, 300_774_272)
    assert out["config"]["blocks"][1] == {"t": 6, "c": 24, "n": 2, "s": 2}
    assert out["config"]["schema_version"] == 1
    layers = out["layers"]
    assert {"name", "kind", "output_shape", "params", "macs"} <= set(layers[0])
    assert sum(r["params"] for r in layers) == out["params"]
    assert sum(r["macs"] for r in layers) == out["macs"]
    assert {r["kind"] for r in layers} >= {"stem", "depthwise", "expand", "project", "pointwise", "head"}


def test_profile_flags(cli):
    out = json.loads(cli("profile", "--arch", "v1", "--width", "0.5", "--resolution", "160", "--num-classes", "1001", "--json", check_rc=0).stdout)
    assert out["config"]["width_multiplier"] == 0.5 and out["config"]["num_classes"] == 1001
    assert round(out["macs"] / 1e6) == 77  # TF-slim MobileNet_v1_0.50_160: 77M


def test_arch_accepts_long_names(cli):
    # Regression: `--arch mobilenet_v1` was offered by --help but crashed with a KeyError.
    out = json.loads(cli("profile", "--arch", "mobilenet_v1", "--json", check_rc=0).stdout)
    assert (out["config"]["arch"], out["macs"]) == ("mobilenet_v1", 568_740_352)


def test_expansion_sets_rows_whose_paper_t_is_not_1(cli):
    out = json.loads(cli("profile", "--arch", "v2", "--expansion", "4", "--json", check_rc=0).stdout)
    assert [b["t"] for b in out["config"]["blocks"]] == [1, 4, 4, 4, 4, 4, 4]


def test_profile_config_files_gives_array(cli, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(paper_config("v1").to_json())
    b.write_text(paper_config("v2", resolution=96).to_json())
    out = json.loads(cli("profile", "--config", a, b, "--json", check_rc=0).stdout)
    assert isinstance(out, list) and [o["config"]["arch"] for o in out] == ["mobilenet_v1", "mobilenet_v2"]
    single = json.loads(cli("profile", "--config", a, "--json", check_rc=0).stdout)
    assert isinstance(single, dict)


def test_profile_readable_table(cli):
    text = cli("profile", "--arch", "v2", check_rc=0).stdout
    assert "blocks.3.expand" in text and "300,774,272" in text and "3,469,760" in text


def test_sweep_json(cli):
    out = json.loads(cli("sweep", "--arch", "v2", "--widths", "0.35,1.0", "--resolutions", "96,224", "--json", check_rc=0).stdout)
    assert len(out) == 4
    assert {(o["config"]["width_multiplier"], o["config"]["resolution"]) for o in out} == {(0.35, 96), (0.35, 224), (1.0, 96), (1.0, 224)}
    assert next(o for o in out if o["config"]["width_multiplier"] == 1.0 and o["config"]["resolution"] == 224)["macs"] == 300_774_272


def test_validate(cli, tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(paper_config("v2").to_json())
    bad.write_text(json.dumps({"schema_version": 1, "arch": "mobilenet_v2", "blocks": [{"t": 1, "c": 16, "n": 1, "s": 3}]}))
    proc = cli("validate", good, check_rc=0)
    assert proc.stdout.strip() == f"{good}: ok"
    proc = cli("validate", good, bad, check_rc=2)
    assert proc.stdout.splitlines() == [f"{good}: ok", f"{bad}: error: blocks[0].s: stride must be 1 or 2, got 3"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["profile", "--arch", "v1", "--expansion", "3"], "--expansion: only applies to mobilenet_v2"),
        (["profile", "--arch", "v2", "--expansion", "0"], "--expansion: must be between 1 and 16, got 0"),
        (["profile", "--arch", "v2", "--width", "0"], "--width: must be greater than 0"),
        (["profile", "--arch", "v2", "--resolution", "4"], "--resolution: must be between 16 and 1024"),
        (["profile", "--arch", "v3"], "invalid choice"),
        (["profile", "--arch", "v2", "--width", "abc"], "invalid float value"),
        (["sweep", "--arch", "v2", "--widths", "a,b", "--resolutions", "224"], "--widths"),
        (["sweep", "--arch", "v2", "--widths", "1.0", "--resolutions", "1"], "resolution 1: resolution: must be between"),
    ],
)
def test_bad_flags_exit_2_with_one_line(cli, args, fragment):
    proc = cli(*args, check_rc=2)
    assert fragment in proc.stderr
    assert not proc.stdout


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "file: is empty"),
        (b"\x00\x01binary", "file: is binary"),
        (b"{", "file: is not valid JSON"),
        (b'{"schema_version": 1, "arch": "mobilenet_v2", "resolutoin": 224}', "resolutoin: unknown key"),
    ],
)
def test_bad_files_name_file_and_field(cli, tmp_path, content, fragment):
    path = tmp_path / "c.json"
    path.write_bytes(content)
    proc = cli("profile", "--config", path, check_rc=2)
    assert proc.stderr.strip() == f"error: {path}: {proc.stderr.strip().split(': ', 2)[2]}"
    assert fragment in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_missing_file(cli):
    proc = cli("validate", "/nonexistent/x.json", check_rc=2)
    assert "file: cannot be read" in proc.stdout
