"""Every routed page runs without an exception and shows its title (AppTest)."""

import ast
from pathlib import Path

import pytest

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


def routes() -> dict[str, str]:
    """Each st.Page's file and its url_path (the file's stem when none is given)."""
    tree = ast.parse(APP.read_text())
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args:
            path = {k.arg: k.value.value for k in node.keywords}.get("url_path", Path(node.args[0].value).stem)
            out[node.args[0].value] = path
    return out


def test_no_pages_folder_next_to_the_entry_file():
    # A pages/ folder makes Streamlit run a server's first session as an old-style multipage app, so
    # the first visitor of a deep link gets the page without the app around it (see streamlit_app.py).
    assert not (ROOT / "pages").exists()


def test_every_page_file_is_named_after_its_url_path():
    default = [file for file in routes() if file.endswith("home.py")]
    for file, url_path in routes().items():
        assert file in default or Path(file).stem == url_path, (file, url_path)


def test_every_page_file_is_routed():
    assert sorted(routed_pages()) == sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))


@pytest.mark.parametrize("page", routed_pages())
def test_page_runs_without_exception(open_page, page):
    at = open_page(page)  # asserts that the page ran without an exception
    assert not at.error, [e.value for e in at.error]
    assert at.title, "every page starts with a title"
