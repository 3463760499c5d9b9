"""In headless Chromium: download the V2 config as JSON, reopen the page at its defaults, upload the
file, and see the model restored. Also screenshots of the Trade-offs and Compare pages."""

from __future__ import annotations

import json

from explorer import count, paper_config
from explorer.units import human

from .conftest import screenshot, wait_idle


def wait_for_macs(page, expected: int) -> None:
    wait_idle(page)
    page.get_by_test_id("stMetricValue").filter(has_text=human(expected)).first.wait_for(timeout=30_000)
    metric = page.get_by_test_id("stMetric").filter(has_text="MACs").first
    assert metric.get_by_test_id("stMetricValue").inner_text().strip() == human(expected)


def open_panel(page):
    page.get_by_test_id("stExpander").filter(has_text="Export / import config").locator("summary").click()
    wait_idle(page)


def test_download_then_import_restores_the_model(page, app_url, tmp_path):
    page.goto(f"{app_url}/v2")
    wait_for_macs(page, count(paper_config("v2")).macs)
    # The "Paper widths α" pills: one click, one rerun (five quick slider key presses can race the reruns).
    page.get_by_test_id("stButtonGroup").first.get_by_text("0.75", exact=True).click()
    changed = paper_config("v2", width_multiplier=0.75)
    wait_for_macs(page, count(changed).macs)

    open_panel(page)
    with page.expect_download() as info:
        page.get_by_test_id("stDownloadButton").filter(has_text="Download JSON config").locator("button").click()
    download = info.value
    assert download.suggested_filename == "mobilenet_v2_0.75_224.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert json.loads(saved.read_text())["width_multiplier"] == 0.75
    screenshot(page, "v2_export_panel")

    page.goto(f"{app_url}/v2")  # a fresh session at the paper's defaults
    page.reload()
    wait_for_macs(page, count(paper_config("v2")).macs)
    open_panel(page)
    page.get_by_test_id("stFileUploader").filter(has_text="Import a JSON config").locator("input[type=file]").set_input_files(str(saved))
    wait_for_macs(page, count(changed).macs)
    page.get_by_text("Imported mobilenet_v2_0.75_224.json").first.wait_for()  # above the metrics and by the uploader

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    page.get_by_test_id("stFileUploader").filter(has_text="Import a JSON config").locator("input[type=file]").set_input_files(str(bad))
    wait_idle(page)
    page.get_by_text("bad.json was not imported").first.wait_for()
    wait_for_macs(page, count(changed).macs)  # unchanged
    screenshot(page, "v2_import_error")


def test_tradeoffs_and_compare_pages_render(page, app_url):
    page.goto(f"{app_url}/tradeoffs")
    wait_idle(page)
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    assert not page.get_by_test_id("stException").count()
    screenshot(page, "tradeoffs")
    page.get_by_role("tab", name="Budget finder").click()
    wait_idle(page)
    screenshot(page, "tradeoffs_budget")
    page.get_by_role("tab", name="Published vs computed").click()
    wait_idle(page)
    screenshot(page, "tradeoffs_published")

    page.goto(f"{app_url}/compare")
    wait_idle(page)
    page.get_by_test_id("stPlotlyChart").first.wait_for()
    assert not page.get_by_test_id("stException").count()
    screenshot(page, "compare")
    page.get_by_role("tab", name="Through depth").click()
    wait_idle(page)
    screenshot(page, "compare_depth")
