"""The layering the README promises: no import cycles in explorer/, explorer never imports
streamlit, and pages → ui → explorer only. Checked on the real import graph (grimp), with imports
under ``if TYPE_CHECKING:`` left out since they never run."""

from __future__ import annotations

import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def graph():
    sys.path.insert(0, str(ROOT))
    try:
        # pages/ is a folder of scripts, not a package: it is read from its files below.
        return grimp.build_graph("explorer", "ui", include_external_packages=True, exclude_type_checking_imports=True)
    finally:
        sys.path.remove(str(ROOT))


def find_cycle(graph, modules: set[str]) -> list[str] | None:
    """A cycle among ``modules`` as a list of module names, or None (depth-first search)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in edges[module]:
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(modules):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_explorer_has_no_import_cycles(graph):
    modules = {m for m in graph.find_children("explorer") | graph.find_descendants("explorer")}
    assert find_cycle(graph, modules) is None


def test_the_cycle_finder_finds_a_planted_cycle():
    planted = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d")]:
        planted.add_import(importer=a, imported=b)
    assert find_cycle(planted, {"p.a", "p.b", "p.c", "p.d"}) == ["p.a", "p.b", "p.c", "p.a"]


def test_explorer_never_imports_streamlit_or_the_ui(graph):
    for module in graph.find_descendants("explorer"):
        imported = graph.find_modules_directly_imported_by(module)
        assert not {m for m in imported if m.split(".")[0] in ("streamlit", "ui")}, module


def test_pages_import_ui_and_explorer_only_from_the_project():
    for page in (ROOT / "app_pages").glob("*.py"):
        text = page.read_text()
        assert "import pages" not in text and "from pages" not in text, page
    for module in (ROOT / "ui").glob("*.py"):
        text = module.read_text()
        assert "from pages" not in text and "import pages" not in text, module
