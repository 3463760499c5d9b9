"""The design rules of bin/check_design.py (``make check-design``): module sizes, one class per
name, no import cycles, and the layering pages → ui → explorer, on the real import graph (grimp).
Each rule is also run on a planted violation, so a checker that finds nothing fails here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_design", ROOT / "bin" / "check_design.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load_checker()


@pytest.fixture(scope="module")
def graph():
    return check.import_graph()


def test_the_project_has_no_design_violations():
    assert check.violations() == []


def test_explorer_has_no_import_cycles(graph):
    assert check.find_cycle(graph, check.modules_of(graph, "explorer")) is None


def test_the_cycle_finder_finds_a_planted_cycle():
    planted = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        planted.add_import(importer=a, imported=b)
    assert check.find_cycle(planted, {"p.a", "p.b", "p.c", "p.d"}) == ["p.a", "p.b", "p.c", "p.a"]


def test_the_pages_are_in_the_graph_with_what_they_import(graph):
    # The layering rule is only as good as the graph: the pages must be read, imports and all.
    assert "app_pages.v2" in graph.modules
    assert {"ui", "streamlit"} <= {m.split(".")[0] for m in graph.find_modules_directly_imported_by("app_pages.v2")}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """A small tree with one violation of every rule (module names unique to this test)."""
    _write(tmp_path, {
        "explorer/__init__.py": "",
        "explorer/a.py": "import streamlit\nfrom . import b\nclass Thing: pass\n",
        "explorer/b.py": "from . import a\nclass Thing: pass\n" + "x = 1\n" * 460,
        "ui/__init__.py": "",
        "ui/view.py": "import app_pages.one\n",
        "app_pages/one.py": "import ui.view\n",
        "app_pages/two.py": "import app_pages.one\n",
    })
    for name in [m for m in sys.modules if m.split(".")[0] in check.PACKAGES]:
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


def test_every_rule_finds_its_planted_violation(planted):
    found = check.violations(planted)
    assert any(line.startswith("explorer/b.py: 46") for line in found), found
    assert "class Thing defined 2 times: explorer/a.py, explorer/b.py" in found
    assert any(line.startswith("import cycle: explorer.a -> explorer.b -> explorer.a") for line in found), found
    assert "explorer.a imports streamlit (explorer may not import streamlit)" in found
    assert "ui.view imports app_pages.one (ui may not import app_pages)" in found
    assert "app_pages.two imports app_pages.one (app_pages may not import app_pages)" in found
    assert not any("app_pages.one imports" in line for line in found), found  # a page may import ui
