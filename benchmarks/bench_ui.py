"""UI speed (issue: explorer pages). Targets on this 2-core machine, V2 α = 1 at 224 px:
a slider change re-renders in under 1 s; a cold load reaches its first full render in under 5 s.

Measured two ways: AppTest script-run times (server side only), and a real browser (Debian
Chromium + Playwright) against the app started by bin/serve, from navigation or key press to the
new MACs figure on screen.

    python benchmarks/bench_ui.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request

from _common import ROOT, fmt, report, summary

from explorer import count, paper_config
from explorer.units import human


def apptest_times(rounds: int = 10) -> dict:
    from streamlit.testing.v1 import AppTest

    start = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.run()  # the first run registers st.navigation's pages
    at.switch_page("app_pages/v2.py").run()
    first = time.perf_counter() - start
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        at.slider(key="mobilenet_v2.width").set_value(0.5 if i % 2 == 0 else 1.0).run()
        samples.append(time.perf_counter() - start)
        assert not at.exception
    return {"first_run_s": first, "slider_rerun_s": summary(samples)}


def browser_times(rounds: int = 5) -> dict:
    from playwright.sync_api import sync_playwright

    port = 8765
    env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1", PYTHON=sys.executable,
               MOBILENET_EXPLORER_DATA=tempfile.mkdtemp(prefix="bench-ui-"))
    server = subprocess.Popen([str(ROOT / "bin" / "serve")], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
        loads, first_load, changes = [], None, []
        paper = human(count(paper_config("v2")).macs)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            for i in range(rounds + 1):
                context = browser.new_context(viewport={"width": 1500, "height": 1000})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{url}/" if i == 0 else f"{url}/v2")
                if i == 0:  # the server's first session: imports torch, warms caches
                    page.get_by_role("heading", name="MobileNet Explorer").first.wait_for(timeout=60_000)
                    first_load = time.perf_counter() - start
                    context.close()
                    continue
                page.get_by_test_id("stMetricValue").filter(has_text=paper).first.wait_for(timeout=60_000)
                page.locator(".stDataFrame canvas").first.wait_for(timeout=60_000)
                loads.append(time.perf_counter() - start)
                slider = page.get_by_test_id("stSlider").filter(has_text="Width multiplier").get_by_role("slider")
                for step in range(3):
                    slider.focus()
                    expected = human(count(paper_config("v2", width_multiplier=round(0.95 - 0.05 * step, 2))).macs)
                    start = time.perf_counter()
                    page.keyboard.press("ArrowLeft")
                    page.get_by_test_id("stMetricValue").filter(has_text=expected).first.wait_for(timeout=30_000)
                    changes.append(time.perf_counter() - start)
                context.close()
            browser.close()
    finally:
        server.terminate()
    return {"server_first_session_s": first_load, "page_load_s": summary(loads), "slider_change_s": summary(changes)}


if __name__ == "__main__":
    app = apptest_times()
    print(f"AppTest, V2 page first run (cold imports): {app['first_run_s']:.2f} s")
    print(f"AppTest, V2 slider change re-run:           {fmt(app['slider_rerun_s'], 's')}   target < 1 s")
    web = browser_times()
    print(f"Browser, server's first session (home):     {web['server_first_session_s']:.2f} s")
    print(f"Browser, new session to full V2 render:     {fmt(web['page_load_s'], 's')}   target < 5 s")
    print(f"Browser, slider key press to new MACs:      {fmt(web['slider_change_s'], 's')}   target < 1 s")
    report("ui", {**app, **web})
