"""One availability check for the pages and the library: explorer.runtimes.names.unavailable_reason."""

from __future__ import annotations

import importlib.util

from explorer.runtimes import RUNTIMES, names


def test_the_cheap_check_names_the_missing_package_without_importing(monkeypatch):
    real_find_spec = importlib.util.find_spec
    asked = []

    def find_spec(name, *args, **kwargs):
        asked.append(name)
        return None if name == "onnxruntime" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    monkeypatch.setattr(names, "_import_problem", lambda module: f"imported {module}")  # must not be reached
    reason = names.unavailable_reason("onnxruntime", imports=False)
    assert reason == "package 'onnxruntime' is not installed (pip install onnxruntime)"
    assert "onnx" in asked and "onnxruntime" in asked
    # The page's check is this one (its own find_spec loop said "pip install -r requirements.txt").
    from ui.runtimes_view import installed

    missing = installed()
    assert set(missing) == set(RUNTIMES)
    assert missing["onnxruntime"] == missing["onnxruntime-int8"] == reason and missing["eager"] is None
