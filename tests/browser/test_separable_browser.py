"""End to end in headless Chromium: the separable page renders its formulas (KaTeX) and charts."""

from __future__ import annotations

from .conftest import screenshot, wait_idle


def test_separable_page_shows_the_formulas(page, app_url):
    page.goto(f"{app_url}/separable")
    wait_idle(page)
    page.get_by_role("heading", name="1. The arithmetic").wait_for()
    latex = page.get_by_test_id("stMarkdownContainer").locator(".katex").first
    latex.wait_for()
    # V1's default layer, blocks.6 (14×14, 512→512): KaTeX renders 462{,}422{,}016 as 462,422,016
    assert "462,422,016" in page.locator(".katex").first.inner_text()
    page.get_by_text("8.84× fewer MACs").first.wait_for()
    page.get_by_text("4,867,293,184 MACs").first.wait_for()
    page.get_by_test_id("stMetricValue").filter(has_text="8.84×").first.wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()  # the V2 block's two charts, at the bottom
    assert not page.get_by_test_id("stException").count()
    # Streamlit scrolls inside its main container, so a full-page shot needs a viewport as tall as the page.
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1500, "height": min(max(height, 1000), 8000)})
    wait_idle(page)
    screenshot(page, "separable_page")
