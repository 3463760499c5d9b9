"""End to end in headless Chromium: the /v3 page (issue 21). A first visitor of a fresh server
opens a V3-Small deep link, then edits the block table; the URL follows, and a second context
opening it gets the same model. A screenshot goes to test-artifacts/."""

from __future__ import annotations

import re

from explorer import count, paper_config

from .conftest import Watch, screenshot
from .test_explorer_browser import cell_text, edit_cell, url_params, wait_for_macs

V3_COLUMNS = ("k", "exp", "c", "se", "nl", "s")


def test_first_visitor_opens_a_v3_deep_link_and_edits_the_table(browser, fresh_app_url):
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    watch = Watch(page.context, fresh_app_url)
    config = paper_config("v3-small", width_multiplier=0.75, resolution=192)
    page.goto(f"{fresh_app_url}/v3?model=small&width_multiplier=0.75&resolution=192")
    wait_for_macs(page, count(config).macs)
    assert page.get_by_role("dialog").count() == 0 and page.get_by_text("Page not found").count() == 0

    # Row 2 of V3-Small's table (k 3, exp 72, c 24) gets 32 output channels.
    editor = page.get_by_test_id("stDataFrame").first
    edit_cell(page, editor, column="c", row=1, value="32", columns=V3_COLUMNS)
    blocks = [b.to_dict() for b in config.blocks]
    blocks[1]["c"] = 32
    edited = config.replace(blocks=blocks)
    wait_for_macs(page, count(edited).macs)
    assert url_params(page)["model"] == "small" and re.search(r"blocks=3\.16\.16\.1\.RE\.2_3\.72\.32\.0\.RE\.2", page.url), page.url
    screenshot(page, "v3_small_after_edit")

    other = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    other.goto(page.url)
    wait_for_macs(other, count(edited).macs)
    assert cell_text(other.get_by_test_id("stDataFrame").first, "c", 1, V3_COLUMNS) == "32"
    other.context.close()
    assert watch.outside == [] and watch.errors == []
    page.context.close()
