#!/usr/bin/env python3
"""The design rules the README promises, checked on the code as it is (``make check-design``).

- one job per module: no module in ``explorer/`` or ``ui/`` over ``MAX_LINES`` lines;
- one of each: no class name defined twice in ``explorer/``;
- no import cycle in ``explorer/``;
- layering: ``app_pages/`` → ``ui/`` → ``explorer/``. explorer imports neither streamlit nor ``ui``
  nor the pages; ``ui`` never imports a page; a page imports nothing of the project but ``ui`` and
  ``explorer`` (no other page).

Imports are read from the real import graph (grimp), with those under ``if TYPE_CHECKING:`` left
out since they never run. Prints one line per violation and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 450
PACKAGES = ("explorer", "ui", "app_pages")


def long_modules(root: Path = ROOT, limit: int = MAX_LINES) -> list[str]:
    found = []
    for package in ("explorer", "ui"):
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append(f"{path.relative_to(root)}: {lines} lines (limit {limit})")
    return found


def duplicate_classes(root: Path = ROOT) -> list[str]:
    where = defaultdict(list)
    for path in sorted((root / "explorer").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                where[node.name].append(str(path.relative_to(root)))
    return [f"class {name} defined {len(paths)} times: {', '.join(paths)}" for name, paths in sorted(where.items()) if len(paths) > 1]


def import_graph(root: Path = ROOT):
    import grimp

    sys.path.insert(0, str(root))
    try:
        return grimp.build_graph(*PACKAGES, include_external_packages=True, exclude_type_checking_imports=True)
    finally:
        sys.path.remove(str(root))


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


def modules_of(graph, package: str) -> set[str]:
    return {package} | graph.find_descendants(package) if package in graph.modules else set()


def layering_violations(graph) -> list[str]:
    # What each layer may import from the project and the outside world: stdlib and third-party
    # packages are free, except streamlit in the library.
    forbidden = {"explorer": {"ui", "app_pages", "streamlit"}, "ui": {"app_pages"}, "app_pages": {"app_pages"}}
    found = []
    for package, banned in forbidden.items():
        for module in sorted(modules_of(graph, package)):
            for imported in sorted(graph.find_modules_directly_imported_by(module)):
                top = imported.split(".")[0]
                if top in banned and not (package == "app_pages" and imported == module):
                    found.append(f"{module} imports {imported} ({package} may not import {top})")
    return found


def violations(root: Path = ROOT) -> list[str]:
    graph = import_graph(root)
    cycle = find_cycle(graph, modules_of(graph, "explorer"))
    return [
        *long_modules(root),
        *duplicate_classes(root),
        *([f"import cycle: {' -> '.join(cycle)}"] if cycle else []),
        *layering_violations(graph),
    ]


def main() -> int:
    found = violations()
    for line in found:
        print(line)
    print(f"design check: {len(found)} violation{'s' if len(found) != 1 else ''}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
