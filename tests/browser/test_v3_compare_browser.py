"""End to end in headless Chromium (issue 21): Compare opens V1, V2 and V3 (Large) from one link,
in the UI round's format (``models=v1,v2,v3-large&m1.…``). A screenshot at 1440 px goes to SHOTS."""

from __future__ import annotations

from urllib.parse import urlencode

from playwright.sync_api import expect

from explorer import count, paper_config
from explorer.units import human
from ui.links import encode

from .test_round3_browser import DESKTOP, open_at, shot  # noqa: F401 (open_at: the fixture)

THREE_FAMILIES = [paper_config("v1"), paper_config("v2"), paper_config("v3-large")]


def three_family_link() -> str:
    params = {"models": "v1,v2,v3-large"}
    for i, config in enumerate(THREE_FAMILIES, 1):
        params |= encode(config, prefix=f"m{i}.")
    return urlencode(params)


def test_compare_opens_v1_v2_and_v3_large_from_one_link(open_at):  # noqa: F811
    page = open_at("/compare?" + three_family_link(), DESKTOP)
    for name in ("V1 (paper)", "V2 (paper)", "V3 Large (paper)"):
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    for config in THREE_FAMILIES:  # each model's own MACs, computed here independently of the page
        expect(page.get_by_test_id("stMetricValue").filter(has_text=human(count(config).macs)).first).to_be_visible()
    assert not page.get_by_test_id("stException").count()
    assert not page.get_by_text("invalid", exact=False).count()  # the link was taken as it is
    shot(page, "compare_v1_v2_v3_1440")
