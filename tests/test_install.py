"""The package installs (`pip install .`): the console script, the bundled CSVs and the exported
Python snippet work from a folder outside the checkout, and the latency store goes to a per-user
data folder instead of the checkout's .data/.

The install goes to a --target folder with --no-deps (the dependencies are this venv's), so the
test builds and installs the real wheel in seconds; the README's fresh-venv check is the same
install with dependencies.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import count, paper_config
from explorer.export import python_snippet

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    # Build from a copy of the sources: setuptools builds in the source tree's build/, and a stale
    # build/lib there from an earlier run could hide a package missing from pyproject.toml.
    source = tmp_path_factory.mktemp("source") / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", ".data", "test-artifacts", "__pycache__"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check", "--target", str(target), str(source)],
                   check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    # Only the installed copy on the path: the checkout is neither the working folder nor on PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(target), "HOME": str(elsewhere), "XDG_DATA_HOME": str(elsewhere / "data")}
    env.pop("MOBILENET_EXPLORER_DATA", None)
    return target, elsewhere, env


def run(args, installed, **kwargs):
    target, elsewhere, env = installed
    proc = subprocess.run(args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, **kwargs)
    assert proc.returncode == 0, proc.stderr
    return proc


def test_console_script_equals_python_m_explorer(installed):
    target = installed[0]
    script = target / "bin" / "mobilenet-explorer"
    out = json.loads(run([sys.executable, str(script), "profile", "--arch", "v2", "--json"], installed).stdout)
    assert (out["params"], out["macs"]) == (3_504_872, 300_774_272)
    same = json.loads(run([sys.executable, "-m", "explorer", "profile", "--arch", "v2", "--json"], installed).stdout)
    assert same == out


def test_installed_package_is_the_one_imported_with_its_data(installed):
    target, elsewhere, _ = installed
    code = ("import explorer, explorer.locations as l, explorer.reference as r; "
            "import explorer.store as s; "
            "print(explorer.__file__); print(l.assets_dir()); print(s.default_path().parent); print(len(r.load_published_results()))")
    lines = run([sys.executable, "-c", code], installed).stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert Path(lines[1]) == target / "explorer" / "assets"
    assert Path(lines[2]) == elsewhere / "data" / "mobilenet-explorer"  # platformdirs' per-user data folder
    assert int(lines[3]) > 50


def test_exported_python_snippet_runs_outside_the_checkout(installed):
    config = paper_config("v2", width_multiplier=0.5, resolution=128)
    script = installed[1] / "rebuild.py"
    script.write_text(python_snippet(config))
    out = run([sys.executable, str(script)], installed).stdout
    assert f"{count(config).params:,} params" in out and f"{count(config).macs:,} MACs" in out


def test_every_subpackage_of_the_checkout_is_installed(installed):
    """pyproject.toml lists the packages by name: a new subpackage left out of the list would be
    missing from every install while the checkout's tests pass."""
    target = installed[0]
    ours = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "explorer").rglob("__init__.py")}
    theirs = {p.parent.relative_to(target).as_posix() for p in (target / "explorer").rglob("__init__.py")}
    assert ours - theirs == set(), "add them to [tool.setuptools] packages in pyproject.toml"


def test_installed_phone_latency_prediction_runs(installed):
    out = run([sys.executable, "-m", "explorer", "predict", "--arch", "v2", "--width", "0.6", "--resolution", "200",
               "--device", "Pixel 1", "--json"], installed)
    predictions = json.loads(out.stdout)[0]["predictions"]
    assert predictions and all(p["device"] == "Pixel 1" for p in predictions)
    assert any(p["ms"] is not None and p["low_ms"] < p["ms"] < p["high_ms"] for p in predictions)
