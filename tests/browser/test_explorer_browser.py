"""End to end in headless Chromium: the V2 page's slider, block table and shared link."""

from __future__ import annotations

import re

from explorer import count, paper_config
from explorer.units import human

from .conftest import screenshot, wait_idle


def macs_metric_text(page) -> str:
    metric = page.get_by_test_id("stMetric").filter(has_text="MACs").first
    return metric.get_by_test_id("stMetricValue").inner_text().strip()


def wait_for_macs(page, expected: int) -> None:
    wait_idle(page)
    page.get_by_test_id("stMetricValue").filter(has_text=human(expected)).first.wait_for(timeout=30_000)
    assert macs_metric_text(page) == human(expected)


def edit_cell(page, editor, column: str, row: int, value: str, columns=("t", "c", "n", "s")) -> None:
    """Type into a glide-data-grid cell: select the first data cell, move with the arrow keys,
    Enter, fill the overlay input, Enter. Arrow keys avoid depending on column pixel widths."""
    canvas = editor.locator("canvas").first
    box = canvas.bounding_box()
    header, row_height, row_marker, index_width, cell_width = 35, 35, 33, 44, 56
    page.mouse.click(box["x"] + row_marker + index_width + cell_width / 2, box["y"] + header + row_height / 2)
    page.wait_for_timeout(300)
    for _ in range(row):
        page.keyboard.press("ArrowDown")
    for _ in range(columns.index(column)):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    overlay = page.locator("#portal input, #portal textarea").first
    overlay.wait_for(timeout=10_000)
    overlay.fill(value)
    page.keyboard.press("Enter")


def test_v2_slider_table_and_shared_link(page, app_url, browser):
    page.goto(f"{app_url}/v2")
    wait_for_macs(page, 300_774_272)

    # 1. Move the width slider one step left: α 1.0 → 0.95.
    slider = page.get_by_test_id("stSlider").filter(has_text="Width multiplier").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    wait_for_macs(page, count(paper_config("v2", width_multiplier=0.95)).macs)
    assert "width_multiplier=0.95" in page.url

    # 2. Edit a block-table cell: row 2 (t=6, c=24) gets c = 40.
    editor = page.get_by_test_id("stDataFrame").first
    edit_cell(page, editor, column="c", row=1, value="40")
    blocks = [b.to_dict() for b in paper_config("v2").blocks]
    blocks[1]["c"] = 40
    expected = count(paper_config("v2", width_multiplier=0.95, blocks=blocks)).macs
    wait_for_macs(page, expected)
    assert re.search(r"blocks=1\.16\.1\.1_6\.40\.2\.2", page.url), page.url
    screenshot(page, "v2_after_edits")

    # 3. Open the shared link in a fresh browser context: the same config comes back.
    link = page.url
    other = browser.new_context(viewport={"width": 1500, "height": 1000}).new_page()
    other.goto(link)
    wait_for_macs(other, expected)
    assert other.get_by_test_id("stDataFrame").first.get_by_test_id("glide-cell-3-1").inner_text().strip() == "40"
    screenshot(other, "v2_shared_link")
    other.context.close()


def test_v1_page_renders_with_charts(page, app_url):
    page.goto(f"{app_url}/v1")
    wait_for_macs(page, count(paper_config("v1")).macs)
    page.get_by_role("tab", name="Cost by layer").click()
    page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    screenshot(page, "v1_default")
