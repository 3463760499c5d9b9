"""End to end in headless Chromium, round 3 (issue 19): the app's own .onnx is accepted by its
checker, a too-large file gets a message on the page; /phones keeps a usable plot on a phone; one
custom t shows as "mixed" in the expansion field; Compare opens three models from one link; the
budget finder's best answer shows its accuracy and latency in a 1440 px window; the 404s of a
deep link are only Streamlit's own probes. Screenshots at 1440 and 390 px go to SHOTS."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from explorer import count, paper_config
from explorer.config import with_expansion
from explorer.units import human
from ui.links import encode

from .conftest import wait_idle
from .test_explorer_browser import edit_cell

SHOTS = Path(os.environ.get("EXPLORER_SCREENSHOTS", "/work/screenshots"))
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
T4 = paper_config("v2", width_multiplier=0.75, blocks=[b.to_dict() for b in with_expansion(paper_config("v2").blocks, 4)])
THREE = [paper_config("v1"), paper_config("v2"), T4]


def three_model_link() -> str:
    params = {"models": "v1,v2,v2"}
    for i, config in enumerate(THREE, 1):
        params |= encode(config, prefix=f"m{i}.")
    return urlencode(params)


@pytest.fixture
def open_at(browser, app_url):
    """``open_at(path, viewport)``: a fresh browser context on ``path``, the app idle."""
    contexts = []

    def open_(path: str, viewport: dict):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"{app_url}{path}")
        wait_idle(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main container, so the viewport is stretched."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(document.documentElement.scrollHeight, ...[...document.querySelectorAll('*')]
        .filter(e => /auto|scroll/.test(getComputedStyle(e).overflowY)).map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 14_000))})
    try:
        wait_idle(page)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    finally:
        page.set_viewport_size(size)


def test_the_apps_own_v2_onnx_is_accepted_and_a_too_large_file_is_told_on_the_page(open_at, tmp_path):
    from explorer.runtimes.onnx_export import export_onnx

    onnx = tmp_path / "mobilenet_v2_1.0_224.onnx"
    onnx.write_bytes(export_onnx(paper_config("v2")).data)  # what the app's download button gives
    assert onnx.stat().st_size > 10 * 2**20  # ~14 MB: over the old 1 MB server limit
    page = open_at("/v2", DESKTOP)
    # The checker sits in the collapsed "Deployment runtimes" panel: open it as a user would.
    panel = page.get_by_test_id("stExpander").filter(has_text="Deployment runtimes")
    panel.locator("summary").first.click()
    checker = panel.get_by_test_id("stFileUploader").filter(has_text="Check an ONNX file")
    checker.scroll_into_view_if_needed()
    expect(checker).to_contain_text("400 MB")  # the widget states the server's real limit
    checker.locator("input[type=file]").set_input_files(str(onnx))
    expect(page.get_by_text("mobilenet_v2_1.0_224.onnx is a valid ONNX model")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("self-declared SHA-256 matches")).to_be_visible()
    # Over the limit: the browser refuses it before sending, with a message in the widget (no 413).
    big = tmp_path / "too_big.onnx"
    with open(big, "wb") as f:
        f.truncate(401 * 2**20)  # sparse: no disk used
    checker.locator("input[type=file]").set_input_files(str(big))
    expect(checker.get_by_text("File must be 400.0MB or smaller.")).to_be_visible()


def test_phones_plot_keeps_its_area_on_a_phone(open_at):
    page = open_at("/phones", PHONE)
    chart = page.get_by_test_id("stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    area = chart.locator(".nsewdrag").first.bounding_box()  # plotly's plotting area
    assert area["width"] >= 280 and area["height"] >= 200, area
    shot(page, "phones_390")
    page.set_viewport_size(DESKTOP)
    wait_idle(page)
    shot(page, "phones_1440")


def test_one_custom_t_shows_as_mixed_in_the_expansion_field(open_at):
    page = open_at("/v2", DESKTOP)
    field = page.get_by_role("spinbutton", name="Expansion factor t")
    expect(field).to_have_value("6")
    edit_cell(page, page.get_by_test_id("stDataFrame").first, "t", 2, "4")  # row 3 of the table
    expect(field).to_have_attribute("placeholder", "mixed: 1, 4, 6", timeout=30_000)
    expect(field).to_have_value("")
    expect(page.get_by_text("The rows use t = 1, 4, 6")).to_be_visible()
    shot(page, "v2_mixed_t_1440")


def test_v2_screenshots(open_at):
    page = open_at("/v2", DESKTOP)
    page.get_by_text("would take about").first.wait_for()
    shot(page, "v2_1440")
    page.set_viewport_size(PHONE)
    wait_idle(page)
    shot(page, "v2_390")


def test_compare_opens_three_models_from_one_link(open_at):
    page = open_at("/compare?" + three_model_link(), DESKTOP)
    expect(page).to_have_title("Compare models · MobileNet Explorer")  # each page titles its browser tab
    for name in ("V1 (paper)", "V2 (paper)", "V2, t = 4, α 0.75"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    for config in THREE:
        expect(page.get_by_test_id("stMetricValue").filter(has_text=human(count(config).macs)).first).to_be_visible()
    shot(page, "compare_three_models_1440")
    page.get_by_role("tab", name="Architecture").click()
    wait_idle(page)
    expect(page.locator("[data-testid=stGraphVizChart] svg text")).not_to_have_count(0)  # drawn (WebAssembly Graphviz)
    sizes = page.locator("[data-testid=stGraphVizChart] svg text").evaluate_all(
        "els => els.map(e => parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a)")
    assert sizes and min(sizes) >= 11, sorted(sizes)[:5]  # the diagram's text, as drawn on screen
    shot(page, "compare_three_models_architecture_1440")
    page.get_by_role("tab", name="Cost by kind").click()
    page.set_viewport_size(PHONE)
    wait_idle(page)
    shot(page, "compare_three_models_390")


def test_budget_finder_top_answer_shows_accuracy_and_latency_in_a_1440_window(open_at):
    page = open_at("/tradeoffs?tab=budget-finder&max_latency=40&latency_from=published", DESKTOP)
    card = page.locator(".st-key-budget_answer_1")
    expect(card).to_contain_text("top-1")
    for text in ("top-1", "ms published"):
        box = card.get_by_text(text).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= DESKTOP["width"], (text, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"], (text, box)  # no scrolling needed
    link = card.get_by_role("link", name="Open in explorer")
    link.click()  # the first click opens it
    page.wait_for_url(re.compile(r"/v[123]\?"), timeout=30_000)
    shot_page = open_at("/tradeoffs?tab=budget-finder&max_latency=40&latency_from=published", DESKTOP)
    shot(shot_page, "budget_finder_1440")
    shot_page.set_viewport_size(PHONE)
    wait_idle(shot_page)
    shot(shot_page, "budget_finder_390")


def test_a_deep_link_404s_only_on_streamlits_own_probes(browser, app_url):
    """Streamlit's frontend, opened on /v2, first asks /v2/_stcore/health and /v2/_stcore/host-config
    (it guesses that the app may be served under /v2), gets 404 and uses the root: harmless."""
    context = browser.new_context(viewport=DESKTOP)
    failed, root_ok = [], []
    page = context.new_page()
    page.on("response", lambda r: failed.append(r.url.replace(app_url, "")) if r.status == 404 else
            root_ok.append(r.url.replace(app_url, "")) if r.url.startswith(f"{app_url}/_stcore/") and r.ok else None)
    try:
        page.goto(f"{app_url}/v2?width_multiplier=0.5")
        wait_idle(page)
        page.get_by_test_id("stMetricValue").first.wait_for()
    finally:
        context.close()
    assert set(failed) <= {"/v2/_stcore/health", "/v2/_stcore/host-config"}, failed
    assert {"/_stcore/health", "/_stcore/host-config"} <= set(root_ok), root_ok  # then the root answers
