"""AppTest of the export/import panel on the V1 and V2 pages: downloads present, hostile uploads
rejected with the field's message and the model unchanged, a valid upload applied once."""

import json

import pytest

from explorer import count, paper_config
from explorer.config import MAX_FILE_BYTES
from explorer.export import config_json

PAGES = {"mobilenet_v1": "app_pages/v1.py", "mobilenet_v2": "app_pages/v2.py"}


def shown_macs(at) -> int:
    return int(next(m for m in at.metric if m.label == "MACs").help.split(" ")[0].replace(",", ""))


def upload(at, arch, name, data: bytes, mime="application/json"):
    at.file_uploader(key=f"{arch}.upload").set_value((name, data, mime)).run()
    assert not at.exception, at.exception
    return at


def test_panel_offers_the_downloads(open_page):
    at = open_page("app_pages/v2.py")
    buttons = {b.label: b for b in at.get("download_button")}
    for label in ("Download JSON config", "Download PyTorch model (.py)", "Download per-layer CSV", "Download torchvision variant (.py)"):
        assert label in buttons
    assert not buttons["Download torchvision variant (.py)"].proto.disabled


def test_torchvision_download_says_why_it_is_off_for_v1(open_page):
    at = open_page("app_pages/v1.py")
    button = next(b for b in at.get("download_button") if b.label == "Download torchvision variant (.py)")
    assert button.proto.disabled and "torchvision has no MobileNet V1" in button.proto.help


def _nested(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def _bad_stride() -> bytes:
    data = json.loads(config_json(paper_config("mobilenet_v2")))
    data["blocks"][3]["s"] = 3
    return json.dumps(data).encode()


HOSTILE = {
    "not json": (b"width: 0.5\nthis is not json", "file"),
    "binary": (bytes(range(256)) * 4, "file"),
    "huge": (b"{" + b" " * (MAX_FILE_BYTES + 10) + b"}", "bytes"),
    "wrong schema": (json.dumps({"schema_version": 99, "arch": "mobilenet_v2"}).encode(), "schema_version"),
    "bad field": (_bad_stride(), "Block table, row 4, stride s"),  # counted as the table shows rows
    "nesting": (_nested(100_000), "file"),
    "a list": (b"[1, 2, 3]", ""),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_upload_shows_an_error_and_keeps_the_model(open_page, case):
    data, field = HOSTILE[case]
    arch = "mobilenet_v2"
    at = open_page(PAGES[arch])
    at.slider(key=f"{arch}.width").set_value(0.5).run()
    before = shown_macs(at)
    upload(at, arch, f"{case}.json", data)
    errors = [e.value for e in at.error]
    assert any("was not imported" in e and field in e for e in errors), errors
    assert shown_macs(at) == before
    assert at.slider(key=f"{arch}.width").value == 0.5
    at.run()  # later reruns neither apply nor re-report anything new
    assert shown_macs(at) == before


def test_config_of_the_other_family_is_refused(open_page):
    at = open_page("app_pages/v1.py")
    upload(at, "mobilenet_v1", "v2.json", config_json(paper_config("mobilenet_v2")).encode())
    assert any("V2 config" in e.value for e in at.error)
    assert shown_macs(at) == count(paper_config("mobilenet_v1")).macs


@pytest.mark.parametrize("arch", ["mobilenet_v1", "mobilenet_v2"])
def test_valid_upload_changes_the_model_exactly(open_page, arch):
    config = paper_config(arch, width_multiplier=0.75, resolution=160)
    at = open_page(PAGES[arch])
    upload(at, arch, "mine.json", config_json(config).encode())
    assert not at.error, [e.value for e in at.error]
    assert shown_macs(at) == count(config).macs
    assert at.slider(key=f"{arch}.width").value == 0.75
    assert at.slider(key=f"{arch}.resolution").value == 160
    assert any("Imported mine.json" in s.value for s in at.success)
    order = [(node.type, getattr(node, "value", None)) for node in at.main]
    first_import = next(i for i, (kind, value) in enumerate(order) if kind == "success" and "Imported mine.json" in str(value))
    assert first_import < next(i for i, (kind, _) in enumerate(order) if kind == "metric")  # above the numbers it changed
    # Applied once: a later edit on the page is not overwritten by the same upload, and the
    # "Imported" message, which is about the imported model, goes away with it.
    at.slider(key=f"{arch}.width").set_value(0.5).run()
    assert shown_macs(at) == count(paper_config(arch, width_multiplier=0.5, resolution=160)).macs
    assert not any("Imported" in s.value for s in at.success)
