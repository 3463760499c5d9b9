import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


import os  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import pytest  # noqa: E402

# Every test (and the app under AppTest) uses a throwaway latency store, never the developer's.
os.environ.setdefault("MOBILENET_EXPLORER_DATA", tempfile.mkdtemp(prefix="explorer-test-data-"))
# ... and a lock of its own: the machine's lock is one file for every store (explorer.lock), so
# without this a test run would wait for, and hold up, real measurements on the machine. Every
# test of one run, its subprocesses and Ray workers (the environment is inherited) share it.
os.environ.setdefault("MOBILENET_EXPLORER_LOCK_DIR", tempfile.mkdtemp(prefix="explorer-test-lock-"))

APP = ROOT / "streamlit_app.py"


# --- the app under AppTest -------------------------------------------------------------------------


def page_file(page: str) -> str:
    """A page script relative to the entry file: ``"app_pages/v2.py"`` as is, a URL path (``"v2"``)
    as its file: every page file is named after its URL path (tests/test_app_pages.py checks it)."""
    return page if page.endswith(".py") else f"app_pages/{page.strip('/')}.py"


@pytest.fixture
def open_page():
    """``open_page(page, query=None, state=None, timeout=60)``: the app opened on ``page`` (a page file
    or URL path; None stays on the default page), rendered once, with no exception.

    ``query`` is the link's query string (a dict), ``state`` session-state entries set before the
    page renders (their keys, like ``"mobilenet_v1.view"``, are not Python names, hence a dict).
    """

    def open_(page: str | None, query: dict | None = None, state: dict | None = None, timeout: float = 60):
        from streamlit.testing.v1 import AppTest

        # The 3 s default timeout is too short once torch loads (FIELD-NOTES, AppTest).
        at = AppTest.from_file(str(APP), default_timeout=timeout)
        at.run()  # the first run registers st.navigation's pages; switch_page needs them
        for key, value in (state or {}).items():
            at.session_state[key] = value
        if query:
            at.query_params.update(query)
        if page is not None:
            at.switch_page(page_file(page))
        if page is not None or state or query:
            at.run()
        assert not at.exception, at.exception
        return at

    return open_


# --- the command line, in-process -------------------------------------------------------------------


@dataclass
class CliResult:
    """What a run of the CLI gave, named like subprocess.CompletedProcess's fields."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys, monkeypatch):
    """``cli(*args, check_rc=None, env=None)``: ``python -m explorer ARGS`` run in this process through
    ``explorer.cli.main`` (what ``__main__`` calls), with its exit status and captured output.

    In-process is seconds faster per call than a fresh interpreter (torch, pandas imports) and an
    unexpected exception fails the test with its own traceback. argparse's own errors exit through
    SystemExit(2), whose code is returned like main's. ``env`` sets environment variables for this
    call only (e.g. MOBILENET_EXPLORER_DATA). tests/test_cli.py keeps one real subprocess run.
    """
    from explorer.cli import main

    def run(*args, check_rc: int | None = None, env: dict | None = None) -> CliResult:
        capsys.readouterr()  # output printed before this call is not this call's
        with monkeypatch.context() as patch:
            for name, value in (env or {}).items():
                patch.setenv(name, str(value))
            try:
                code = main([str(a) for a in args])
            except SystemExit as exit_:  # argparse: bad flags, parser.error(...)
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        out, err = capsys.readouterr()
        result = CliResult(code, out, err)
        if check_rc is not None:
            assert result.returncode == check_rc, result.stderr
        assert "Traceback" not in result.stderr
        return result

    return run
