"""Phone / this machine on LiteRT (issue 20, item 3): the ratio's statistics on synthetic lab figures
(torch-free, nothing measured), the grid it measures, and the /phones section with an empty store."""

import math
from pathlib import Path

import pytest

from explorer.counting import count
from explorer.phones.litert_ratio import grid, is_tflite_cpu, ratios, summary_rows, tflite_samples

ROOT = Path(__file__).resolve().parent.parent


def published(config, runtime):
    """Each config's published figure on its first TF-Lite CPU platform of that precision (a lookup)."""
    quantized = runtime == "litert-int8"
    return next(s.latency_ms for s in tflite_samples() if s.config == config and s.platform.quantized == quantized)


def test_grid_is_every_published_tflite_cpu_config_once_per_precision():
    pairs = grid()
    assert len(pairs) == len(set(pairs)) and {runtime for _, runtime in pairs} == {"litert", "litert-int8"}
    samples = tflite_samples()
    assert samples and all(is_tflite_cpu(s.platform) and "TF-Lite" in s.platform.backend for s in samples)
    assert {(s.config, "litert-int8" if s.platform.quantized else "litert") for s in samples} == set(pairs)
    assert any(s.platform.device == "Pixel 1" and s.family == "mobilenet_v2" for s in samples)


def test_a_constant_factor_has_no_spread_and_predicts_exactly():
    results = ratios(lambda config, runtime: (published(config, runtime) / 7.0, 0.01))
    assert results
    for r in results:  # the first platform of each precision is exactly 7×; the others have their own spread
        assert r.n >= 3 and r.median_ratio > 0 and r.ratio_range[0] <= r.median_ratio <= r.ratio_range[1]
    exact = [r for r in results if r.ratio_spread_pct == pytest.approx(0, abs=1e-9)]
    assert exact and all(r.median_ratio == pytest.approx(7.0) and r.loo_worst_pct == pytest.approx(0, abs=1e-9) for r in exact)
    assert all(r.helps for r in exact if r.fitted_loo_median_pct)  # 0% beats any fitted model's leave-one-out


def test_a_figure_proportional_to_macs_makes_the_ratio_as_unsteady_as_ms_per_gmac():
    results = ratios(lambda config, runtime: (count(config).macs / 1e8, 0.01))
    for r in results:
        assert r.ratio_spread_pct == pytest.approx(r.mac_spread_pct)
    rows = summary_rows(results)
    assert {"platform", "median ratio", "ratio spread %", "ms/GMAC spread %", "ratio LOO median %", "fitted LOO median %"} <= set(rows[0])


def test_missing_figures_leave_platforms_out():
    assert ratios(lambda config, runtime: None) == []
    only_v1 = ratios(lambda config, runtime: (1.0, 0.0) if config.arch == "mobilenet_v1" else None)
    assert only_v1 and all(r.family == "mobilenet_v1" for r in only_v1)
    assert all(math.isfinite(r.mac_spread_pct) for r in only_v1)


def test_phones_page_says_how_to_measure_when_nothing_is_stored(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MOBILENET_EXPLORER_DATA", str(tmp_path))  # an empty store
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page("app_pages/phones.py")
    at.run()
    assert not at.exception, at.exception
    assert any("bench_litert_phones.py" in i.value for i in at.info)
    assert any("LiteRT" in h.value for h in at.subheader)
