"""Every routed page runs without an exception and shows its title (AppTest)."""

import ast
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "streamlit_app.py"


def routed_pages() -> list[str]:
    """The page files named in streamlit_app.py's st.Page(...) calls, read from its source."""
    tree = ast.parse(APP.read_text())
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args
    ]


def test_no_pages_folder_next_to_the_entry_file():
    # A pages/ folder makes Streamlit route the server's first session by file names, so the first
    # visitor of a deep link gets a "Page not found" dialog (see streamlit_app.py's docstring).
    assert not (ROOT / "pages").exists()


def test_every_page_file_is_routed():
    assert sorted(routed_pages()) == sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))


@pytest.mark.parametrize("page", routed_pages())
def test_page_runs_without_exception(page):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()  # the first run registers st.navigation's pages
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page starts with a title"
