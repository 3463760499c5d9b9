"""Real-browser fixtures: the app served by bin/serve, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_app():
    """Start the app exactly as `make run` does, on a free port, with a private latency store."""
    port = _free_port()
    data_dir = tempfile.mkdtemp(prefix="explorer-data-")
    env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1", PYTHON=sys.executable, MOBILENET_EXPLORER_DATA=data_dir)
    log = open(tempfile.mktemp(prefix="streamlit-", suffix=".log"), "w")
    proc = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}; see {log.name}")
    else:
        proc.kill()
        raise RuntimeError(f"the app did not start within 60 s; see {log.name}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def app_url():
    """One server for the session's tests. No warm-up visit: any test may be its first visitor."""
    with serve_app() as url:
        yield url


@pytest.fixture
def fresh_app_url():
    """A server started for this test alone, so the test is its first visitor."""
    with serve_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


# Streamlit's own probes: on a nested path (/v2) the frontend first asks /v2/_stcore/health and
# /v2/_stcore/host-config, which 404, then falls back to the root. Upstream behaviour, not ours.
STCORE_PROBE = re.compile(r"^https?://[^/]+/[^/?#]+/_stcore/(health|host-config)$")


class Watch:
    """Every request that would leave the machine (blocked, so the page works as offline) and every
    console error, except Streamlit's ``/<page>/_stcore/…`` probes."""

    def __init__(self, context, app_url: str):
        self.outside: list[str] = []
        self.errors: list[str] = []
        local = app_url.rstrip("/")

        def route(request_route):
            url = request_route.request.url
            if url.startswith((local + "/", "data:", "blob:")) or url == local:
                request_route.continue_()
            else:
                self.outside.append(url)
                request_route.abort()

        context.route("**/*", route)
        context.on("console", self._console)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        if "status of 404" in message.text and STCORE_PROBE.match(where):
            return
        self.errors.append(f"{message.text} ({where})")


QUIET_MS = 300  # how long the app must stay idle to count as settled (a debounced rerun starts within ~250 ms)


def wait_idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app has finished its rerun and stays idle for QUIET_MS (FIELD-NOTES: the root's
    script-state attribute). A condition, not a fixed sleep: it returns as soon as the app has been
    idle that long, however long the rerun took, and a rerun that starts late (a debounced slider)
    resets the clock instead of being missed."""
    page.evaluate("() => { window.__explorerIdleSince = null; }")
    page.wait_for_function(
        """quiet => {
            const state = document.querySelector("[data-testid='stApp']")?.getAttribute("data-test-script-state");
            if (state !== "notRunning") { window.__explorerIdleSince = null; return false; }
            window.__explorerIdleSince ??= performance.now();
            return performance.now() - window.__explorerIdleSince >= quiet;
        }""", arg=QUIET_MS, polling=50, timeout=timeout_ms)


def screenshot(page, name: str) -> Path:
    """The whole page. Streamlit scrolls inside its own main container, so Playwright's full_page
    would capture one screen: the viewport is stretched to the content for the shot instead."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(document.documentElement.scrollHeight, ...[...document.querySelectorAll('*')]
        .filter(e => /auto|scroll/.test(getComputedStyle(e).overflowY)).map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 12_000))})
    try:
        wait_idle(page)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
    return path
