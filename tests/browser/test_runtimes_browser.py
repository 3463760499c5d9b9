"""In headless Chromium: measure V2 on two runtimes (eager and ONNX Runtime) from the Deployment
runtimes panel, then download the checked .onnx file and load it in a plain ONNX Runtime session,
and the checked .tflite file in a plain LiteRT interpreter."""

from __future__ import annotations

import re

from explorer import paper_config
from explorer.runtimes import validate_onnx

from .conftest import screenshot, wait_idle

CONFIG = paper_config("v2", width_multiplier=0.35, resolution=96)


def test_measure_two_runtimes_and_download_onnx(page, app_url, tmp_path):
    page.goto(f"{app_url}/v2?width_multiplier=0.35&resolution=96")
    wait_idle(page)
    panel = page.get_by_test_id("stExpander").filter(has_text="Deployment runtimes")
    panel.locator("summary").click()
    wait_idle(page)
    # Keep eager and ONNX Runtime fp32: Backspace in the multiselect removes the last chosen runtime
    # (the int8 ONNX, both ExecuTorch and both LiteRT runtimes).
    chooser = panel.get_by_test_id("stMultiSelect").locator("input")
    chooser.click()
    for _ in range(5):
        chooser.press("Backspace")
    page.keyboard.press("Escape")
    wait_idle(page)
    removers = panel.get_by_test_id("stMultiSelect").locator("[aria-label^='Remove ']").all()
    chosen = list(dict.fromkeys(r.get_attribute("aria-label").removeprefix("Remove ") for r in removers))
    assert chosen == ["PyTorch eager", "ONNX Runtime fp32"]

    panel.get_by_role("button", name="Measure on these runtimes").click()
    # A speed-up sentence is written only from good figures; on a busy machine the page says which are still noisy.
    page.get_by_text(re.compile("ONNX Runtime fp32 runs this model|Still noisy")).first.wait_for(timeout=180_000)
    wait_idle(page)
    assert not page.get_by_test_id("stException").count()
    charts = page.get_by_test_id("stExpanderDetails").get_by_test_id("stPlotlyChart")
    charts.nth(1).wait_for(timeout=30_000)  # the runtimes chart and the per-layer bars (Plotly loads lazily)
    charts.first.scroll_into_view_if_needed()
    charts.first.locator(".main-svg").first.wait_for()  # drawn, not only mounted
    screenshot(page, "v2_runtimes")

    panel.get_by_role("button", name="Prepare .onnx and .pte files").click()
    download_button = panel.get_by_test_id("stDownloadButton").filter(has_text="Download ONNX (.onnx)")
    download_button.wait_for(timeout=240_000)
    wait_idle(page)
    with page.expect_download() as info:
        download_button.locator("button").first.click()  # the help tooltip renders the button a second time
    download = info.value
    assert download.suggested_filename == "mobilenet_v2_0.35_96.onnx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert validate_onnx(saved).config == CONFIG

    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(saved), providers=["CPUExecutionProvider"])
    out = session.run(None, {session.get_inputs()[0].name: np.zeros((1, 3, 96, 96), np.float32)})[0]
    assert out.shape == (1, 1000) and np.isfinite(out).all()
    download_button.scroll_into_view_if_needed()
    screenshot(page, "v2_runtimes_downloads")

    panel.get_by_role("button", name="Prepare .tflite files (fp32 and int8)").click()
    tflite_button = panel.get_by_test_id("stDownloadButton").filter(has_text="Download LiteRT fp32 (.tflite)")
    tflite_button.wait_for(timeout=240_000)
    panel.get_by_test_id("stDownloadButton").filter(has_text="Download LiteRT int8 (.tflite)").wait_for(timeout=60_000)
    wait_idle(page)
    with page.expect_download() as info:
        tflite_button.locator("button").first.click()
    download = info.value
    assert download.suggested_filename == "mobilenet_v2_0.35_96.tflite"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    from ai_edge_litert.interpreter import Interpreter

    from explorer.runtimes.tflite_file import validate_tflite

    assert validate_tflite(saved).config == CONFIG
    interpreter = Interpreter(model_path=str(saved))  # a plain interpreter
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], np.zeros((1, 3, 96, 96), np.float32))
    interpreter.invoke()
    assert interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).shape == (1, 1000)
    tflite_button.scroll_into_view_if_needed()
    screenshot(page, "v2_runtimes_tflite")
