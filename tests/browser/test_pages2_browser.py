"""End to end in headless Chromium: the Trade-offs, Compare and separable pages (issue 13).

A custom V2 (t = 4) shows on Trade-offs; a link of each page opens the same state in a fresh
browser; nothing is fetched from outside the machine and the console stays clean; at 390 px the
legend leaves the chart its width, Compare's numbers stay under their headings and no formula is
cut off. Screenshots of each page at 1440 and 390 px go to test-artifacts/.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from explorer import count, paper_config
from explorer.config import with_expansion
from explorer.tradeoffs import find_configs
from explorer.units import human
from ui.links import PAGE_OF_ARCH, encode

from .conftest import Watch, screenshot, wait_idle

T4 = paper_config("v2", blocks=[b.to_dict() for b in with_expansion(paper_config("v2").blocks, 4)])
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def watched(browser, app_url):
    """A page whose outside requests (blocked) and console errors are recorded, and asserted empty
    after the test (conftest's Watch: Streamlit's own /<page>/_stcore/ probes aside)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    watch = Watch(context, app_url)
    pg = context.new_page()
    pg.on("pageerror", lambda err: watch.errors.append(f"page error: {err}"))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
    assert not watch.outside, f"requests left the machine: {watch.outside[:5]}"
    assert not watch.errors, f"console errors: {watch.errors[:5]}"


def full_shot(page, name: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width > 500 else PHONE["height"]})
    wait_idle(page)
    screenshot(page, name)


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_custom_v2_is_drawn_on_tradeoffs_and_its_link_round_trips(watched, app_url, browser):
    page = watched
    page.goto(f"{app_url}/v2?" + urlencode(encode(T4)))
    wait_idle(page)
    page.get_by_test_id("stMetricValue").filter(has_text=human(count(T4).macs)).first.wait_for()
    # In-app navigation keeps the session (a reload would start a new one without the tuned config).
    # By address, not by title: test_first_visitor_sidebar_has_the_page_titles checks the titles.
    page.locator("[data-testid=stSidebarNav] a[href$='/tradeoffs']").click()
    wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    chart.get_by_text("Your V2: accuracy not published").wait_for()  # the label on the chart
    chart.get_by_text("Your MobileNet V2 (accuracy not published)").wait_for()  # the legend entry
    page.get_by_text("so it is drawn as a dashed vertical line").wait_for()
    full_shot(page, "tradeoffs_1440", 1440)

    # Params on a log axis with the labelled reference networks (VGG 16's 138M no longer crushes the rest).
    page.get_by_role("tab", name="Accuracy vs params").click()
    wait_idle(page)
    page.get_by_test_id("stMain").get_by_text("Reference networks").click()  # on the page: reachable on a phone
    wait_idle(page)
    chart = page.locator(".js-plotly-plot").first
    for label in ("VGG 16", "GoogleNet", "100M", "Your V2: accuracy not published"):
        chart.get_by_text(label, exact=True).first.wait_for()
    full_shot(page, "tradeoffs_params_1440", 1440)

    # The budget finder's state goes into the link, and a fresh browser opens the same view.
    page.get_by_role("tab", name="Budget finder").click()
    wait_idle(page)
    macs = page.get_by_test_id("stNumberInput").filter(has_text="Max MACs").locator("input")
    macs.fill("150")
    macs.press("Enter")
    wait_idle(page)
    page.get_by_text("configs fit (answered in").wait_for()
    link = page.url
    assert query(link) == {"tab": "budget-finder", "references": "1", "max_macs": "150"}, link

    # The best answer opens in its family's explorer page with its full config, on the first click.
    best = find_configs(max_macs=150e6)[0]
    page.locator(".st-key-budget_answer_1").get_by_role("link", name="Open in explorer").click()
    page.wait_for_url(re.compile(r"/v[123]\?"))
    wait_idle(page)
    assert urlsplit(page.url).path == "/" + PAGE_OF_ARCH[best.family]  # V3-Large 0.75 since V3 (140.0M MACs)
    page.get_by_test_id("stMetricValue").filter(has_text=human(count(best.config).macs)).first.wait_for()
    other = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    other.goto(link)
    wait_idle(other)
    expect(other.get_by_role("tab", name="Budget finder")).to_have_attribute("aria-selected", "true")
    other.get_by_text("configs fit (answered in").wait_for()
    expect(other.get_by_test_id("stNumberInput").filter(has_text="Max MACs").locator("input")).to_have_value("150.00")
    assert query(other.url) == query(link)
    other.context.close()


def test_compare_link_round_trips(watched, app_url, browser):
    page = watched
    page.goto(f"{app_url}/compare")
    wait_idle(page)
    slider = page.get_by_test_id("stSlider").filter(has_text="Width multiplier").first.get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")  # V1: α 1.0 → 0.975
    wait_idle(page)
    expected = count(paper_config("v1", width_multiplier=0.975)).macs
    page.get_by_test_id("stMetricValue").filter(has_text=human(expected)).first.wait_for()
    link = page.url
    assert query(link)["m1.width_multiplier"] == "0.975" and query(link)["models"] == "v1,v2", link
    other = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    other.goto(link)
    wait_idle(other)
    other.get_by_test_id("stMetricValue").filter(has_text=human(expected)).first.wait_for()
    assert query(other.url) == query(link)
    other.context.close()
    full_shot(page, "compare_1440", 1440)


def test_separable_link_round_trips(watched, app_url):
    page = watched
    link = {"shape": "custom", "k": "5", "m": "64", "n": "128", "f": "28", "s": "2"}
    page.goto(f"{app_url}/separable?" + urlencode(link))
    wait_idle(page)
    page.get_by_role("heading", name="1. The arithmetic").wait_for()
    # 5·5·64·128·28·28 = 160,563,200 standard MACs, rendered by KaTeX
    assert "160,563,200" in page.locator(".katex").first.inner_text()
    assert query(page.url) == link
    full_shot(page, "separable_1440", 1440)


def test_phone_layout(watched, app_url):
    page = watched
    page.set_viewport_size(PHONE)

    page.goto(f"{app_url}/tradeoffs")
    wait_idle(page)
    plot = page.locator(".js-plotly-plot").first
    plot.wait_for()
    area = plot.locator(".nsewdrag").first.bounding_box()  # the plotting area, without legend and axes
    assert area["width"] > 250 and area["height"] > 250, area  # the legend sits below, not on top
    full_shot(page, "tradeoffs_390", 390)

    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/compare")
    wait_idle(page)
    page.get_by_test_id("stMetric").filter(has_text="Params").nth(1).wait_for()  # both totals drawn
    headings = [page.get_by_role("heading", name=name, exact=True).bounding_box()["y"] for name in ("V1 (paper)", "V2 (paper)")]
    params = [m.bounding_box()["y"] for m in page.get_by_test_id("stMetric").filter(has_text="Params").all()]
    assert len(params) == 2 and headings[0] < params[0] < headings[1] < params[1], (headings, params)
    full_shot(page, "compare_390", 390)

    page.set_viewport_size(PHONE)
    page.goto(f"{app_url}/separable")
    wait_idle(page)
    page.locator(".katex-display").first.wait_for()
    # Cut off = drawn past the screen's right edge, or wider than its box (a few px of KaTeX's
    # italic correction aside).
    clipped = page.evaluate("""[...document.querySelectorAll('.katex-display')]
        .filter(e => e.querySelector('.katex-html').getBoundingClientRect().right > window.innerWidth
                     || e.scrollWidth > e.clientWidth + 4).length""")
    assert clipped == 0, f"{clipped} formulas wider than the screen"
    overflow = page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth")
    assert overflow <= 390, overflow
    full_shot(page, "separable_390", 390)


def test_first_visitor_sidebar_has_the_page_titles(browser, fresh_app_url):
    """The first visitor after a server start, opening a deep link to one of these pages, gets the
    app's navigation (page titles), not Streamlit's file-name listing of the pages/ folder."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(f"{fresh_app_url}/compare?v1.width_multiplier=0.5&v1.resolution=160")
    wait_idle(page)
    page.get_by_test_id("stMetricValue").filter(has_text=human(count(paper_config("v1", width_multiplier=0.5, resolution=160)).macs)).first.wait_for()
    nav = page.get_by_test_id("stSidebarNav")
    try:
        expect(nav).to_contain_text("Trade-offs", timeout=10_000)
        expect(nav).not_to_contain_text("streamlit app")
    finally:
        context.close()
