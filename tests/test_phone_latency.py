"""Predicted phone latency: leave-one-out by refitting, the issue's targets, monotonicity,
extrapolation, the CLI contract, and the pages that show it (AppTest)."""

import csv
import dataclasses
import json
import math

import numpy as np
import pytest

from explorer import paper_config
from explorer.phones import (
    CANDIDATES,
    Formula,
    choose,
    feature_matrix,
    find_platform,
    fit_platform,
    jackknife_half_width,
    phone_model,
    predict,
    predict_many,
    samples_of,
)
from explorer.reference import DEVICE_LATENCY, DEVICE_LATENCY_MORE, V3_RESULTS, load_all_device_latency

SINGLE_CORE = "TF-Lite CPU, single large core"
PAPER_GRID = {
    "mobilenet_v1": ([0.25, 0.5, 0.75, 1.0], [128, 160, 192, 224]),
    "mobilenet_v2": ([0.35, 0.5, 0.75, 1.0, 1.3, 1.4], [96, 128, 160, 192, 224]),
}


def rows_on(device, quantized, family, rows=None):
    rows = load_all_device_latency() if rows is None else rows
    return [r for r in rows if r.device == device and r.backend == SINGLE_CORE and r.quantized == quantized and r.family == family]


def loo_by_model(fitted):
    return {(p.sample.row.model, p.sample.row.source): p for p in fitted.loo}


# --- leave-one-out is computed by refitting --------------------------------------------------------


def test_loo_prediction_ignores_the_left_out_row():
    """If the left-out row leaked into its own fit, multiplying its latency by 10 would move its
    prediction; refitting without it leaves the prediction exactly where it was."""
    rows = rows_on("Pixel 2", False, "mobilenet_v1")
    victim = rows[4]
    base = fit_platform(samples_of(rows))
    tampered_rows = [dataclasses.replace(r, latency_ms=r.latency_ms * 10) if r is victim else r for r in rows]
    tampered = fit_platform(samples_of(tampered_rows))
    key = (victim.model, victim.source)
    assert loo_by_model(tampered)[key].predicted_ms == pytest.approx(loo_by_model(base)[key].predicted_ms, rel=1e-12)
    assert loo_by_model(tampered)[key].error == pytest.approx(loo_by_model(base)[key].predicted_ms / (10 * victim.latency_ms) - 1)
    # ...while every other row's prediction sees the tampered row (so the test can tell).
    moved = [k for k, p in loo_by_model(tampered).items() if k != key and p.predicted_ms != pytest.approx(loo_by_model(base)[k].predicted_ms)]
    assert len(moved) == len(rows) - 1


def test_loo_point_equals_choosing_and_fitting_on_the_other_rows():
    samples = samples_of(rows_on("Pixel 2", True, "mobilenet_v1"))
    fitted = fit_platform(samples)
    for i in (0, 5, 11):
        rest = [s for j, s in enumerate(samples) if j != i]
        F = feature_matrix([s.config for s in rest])
        y = np.array([s.latency_ms for s in rest])
        choice = choose(F, y, [s.config_key for s in rest])
        expected = choice.candidate.predict(feature_matrix([samples[i].config]), choice.coef)[0]
        assert fitted.loo[i].predicted_ms == pytest.approx(expected, rel=1e-12)
        assert fitted.loo[i].model == choice.candidate.name


def test_twin_rows_of_one_config_leave_together():
    """Pixel 1 has V2 1.0/224 from TF-slim (73.8 ms) and from the V2 paper (75 ms): predicting one
    must not use the other, or the error would be the sources' disagreement, not the model's."""
    rows = rows_on("Pixel 1", False, "mobilenet_v2")
    twins = [r for r in rows if r.width_multiplier == 1.0 and r.resolution == 224]
    assert len(twins) == 2
    tampered_rows = [dataclasses.replace(r, latency_ms=500.0) if r is twins[1] else r for r in rows]
    key = (twins[0].model, twins[0].source)
    before = loo_by_model(fit_platform(samples_of(rows)))[key].predicted_ms
    after = loo_by_model(fit_platform(samples_of(tampered_rows)))[key].predicted_ms
    assert after == pytest.approx(before, rel=1e-12)


# --- the targets and the table ------------------------------------------------------------


@pytest.mark.parametrize(("device", "quantized", "family"), [
    ("Pixel 1", False, "mobilenet_v2"), ("Pixel 2", False, "mobilenet_v1"), ("Pixel 2", True, "mobilenet_v1"),
])
def test_loo_median_error_is_within_ten_percent(device, quantized, family):
    fitted = phone_model().fitted[(find_platform(device, SINGLE_CORE, quantized), family)]
    errors = [abs(p.error) for p in fitted.loo]
    assert len(errors) == len(rows_on(device, quantized, family)) >= 12
    assert 100 * float(np.median(errors)) == pytest.approx(fitted.loo_median_pct)
    assert fitted.loo_median_pct <= 10.0


def test_every_bundled_mobilenet_row_is_validated_once():
    model = phone_model()
    rows = model.validation()
    expected = sum(1 for path in (DEVICE_LATENCY, DEVICE_LATENCY_MORE, V3_RESULTS) for r in csv.DictReader(open(path, encoding="utf-8"))
                   if r["family"].startswith("mobilenet"))
    assert len(rows) == expected == len(model.samples)
    for v in rows:
        if v.method == "fitted":  # the nested leave-one-out point of its platform's model
            f = model.fitted[(v.sample.platform, v.sample.family)]
            assert v.predicted_ms == next(p.predicted_ms for p in f.loo if p.sample is v.sample)
        if v.predicted_ms is not None:
            assert v.low_ms < v.predicted_ms < v.high_ms


def test_jackknife_half_width():
    errors = [0.01 * k for k in range(1, 20)]  # n = 19: the ⌈0.9·20⌉ = 18th smallest
    assert jackknife_half_width(errors) == pytest.approx(0.18)
    assert jackknife_half_width([-0.3, 0.1, 0.2]) == pytest.approx(0.3)  # too few for 90%: the largest


def test_implausible_fits_are_rejected():
    """Latency falling as MACs grow gives a negative slope: no candidate may use it."""
    samples = samples_of(rows_on("Pixel 2", False, "mobilenet_v1"))
    F = feature_matrix([s.config for s in samples])
    backwards = 1000.0 / F[:, 0]
    fits = {c.name: c.fit(F, backwards) for c in CANDIDATES}
    # Only "proportional to MACs" cannot bend backwards: its one coefficient stays positive.
    assert [name for name, coef in fits.items() if coef is not None] == ["proportional to MACs"]
    assert fits["proportional to MACs"][0] > 0
    assert choose(F, backwards, [s.config_key for s in samples]).candidate.name == "proportional to MACs"
    # Latency growing with MACs: an overhead plus a cost per MAC is recovered exactly.
    affine = next(c for c in CANDIDATES if c.name == "affine in MACs")
    assert isinstance(affine, Formula) and affine.fit(F, 2 + 0.3 * F[:, 0]) == pytest.approx([2, 0.3])


# --- predictions ----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(PAPER_GRID))
def test_predictions_are_monotone_in_width_and_resolution(family):
    widths, resolutions = PAPER_GRID[family]
    grid = [[paper_config(family, width_multiplier=w, resolution=r) for r in resolutions] for w in widths]
    flat = [c for row in grid for c in row]
    model = phone_model()
    checked = 0
    for platform in model.platforms:
        ms = [p.ms for p in model.predict_many(flat, platform)]
        table = [ms[i * len(resolutions):(i + 1) * len(resolutions)] for i in range(len(widths))]
        for i in range(len(widths)):
            for j in range(len(resolutions)):
                here = table[i][j]
                if here is None:
                    continue
                if i + 1 < len(widths) and table[i + 1][j] is not None:
                    assert table[i + 1][j] > here, (platform.label, widths[i], resolutions[j])
                    checked += 1
                if j + 1 < len(resolutions) and table[i][j + 1] is not None:
                    assert table[i][j + 1] > here, (platform.label, widths[i], resolutions[j])
                    checked += 1
    assert checked > 100


def test_paper_config_inside_the_data_is_not_extrapolating():
    p = predict_many([paper_config("v2", width_multiplier=0.75, resolution=176)], "Pixel 1", SINGLE_CORE)[0]
    assert (p.method, p.extrapolating, p.reason) == ("fitted", False, "")
    assert p.low_ms < p.ms < p.high_ms and p.loo_n == 24
    assert 30.4 < p.ms < 41.6  # between the published 0.75/160 and 0.75/192


def test_other_family_on_a_one_family_platform_is_extrapolating():
    """Pixel 2 published quantized V1 only: V2 there is predicted by the V1 model, and says so."""
    v2 = paper_config("v2")
    p = predict_many([v2], "Pixel 2", SINGLE_CORE, quantized=True)[0]
    assert p.method == "other family" and p.extrapolating and "No V2 row published here" in p.reason
    assert p.loo_median_error_pct is None
    inside = predict_many([paper_config("v1")], "Pixel 2", SINGLE_CORE, quantized=True)[0]
    assert not inside.extrapolating
    assert p.high_ms / p.low_ms > inside.high_ms / inside.low_ms  # wider: the cross-family error
    # V1 on Pixel 1, which published one V1 row: a borrowed shape, scaled to that row.
    v1 = predict_many([paper_config("v1", width_multiplier=0.5)], "Pixel 1", SINGLE_CORE)[0]
    assert v1.method == "anchored" and v1.extrapolating and "Pixel 2" in v1.reason
    # V1 on a Qualcomm NPU, which published one V2 row only: declined, with the reason.
    npu = next(p for p in predict(paper_config("v1")) if p.device == "Samsung Galaxy S24")
    assert npu.ms is None and npu.extrapolating and "No prediction" in npu.reason


def test_anchored_prediction_passes_through_its_row():
    published = paper_config("v1", num_classes=1001)  # the TF checkpoints' background class
    iphone = predict_many([published], "iPhone 8", "TFLite iOS benchmark app, CPU", threads=1)[0]
    assert iphone.ms == pytest.approx(32.2, rel=1e-9) and iphone.published_ms == (32.2,)
    pixel_xl = predict_many([published], "Pixel XL", "TFLite CPU (big cores via taskset)")[0]
    assert pixel_xl.ms == pytest.approx(math.sqrt(122.9 * 113.3), rel=1e-9)  # two revisions: geometric mean
    assert pixel_xl.published_ms == (122.9, 113.3)
    # 1000 classes instead of 1001: one class fewer, a hair faster, the same published row.
    assert predict_many([paper_config("v1")], "iPhone 8", "TFLite iOS benchmark app, CPU", threads=1)[0].published_ms == (32.2,)


def test_beyond_the_data_widens_then_declines():
    at = lambda **kw: predict_many([paper_config("v1", **kw)], "Pixel 2", SINGLE_CORE)[0]  # noqa: E731
    inside, beyond, far = at(resolution=224), at(resolution=288), at(width_multiplier=2.0, resolution=512)
    assert not inside.extrapolating
    assert beyond.extrapolating and "resolution 288 px is above the data's 224 px" in beyond.reason
    assert beyond.high_ms / beyond.low_ms > inside.high_ms / inside.low_ms
    assert far.ms is None and far.extrapolating and "beyond the data" in far.reason


def test_custom_block_table_is_extrapolating():
    base = paper_config("v2")
    blocks = [b.to_dict() for b in base.blocks]
    blocks[3]["n"] = 2
    custom = base.replace(blocks=blocks)
    p = predict_many([custom], "Pixel 1", SINGLE_CORE)[0]
    assert p.extrapolating and "custom block table" in p.reason and p.published_ms == ()
    paper = predict_many([base], "Pixel 1", SINGLE_CORE)[0]
    assert p.ms < paper.ms  # fewer layers, fewer MACs
    assert p.high_ms / p.low_ms > paper.high_ms / paper.low_ms


def test_find_platform_names_the_ambiguity():
    with pytest.raises(ValueError, match="threads"):
        find_platform("Qualcomm MSM8998 Snapdragon 835, adb host taimen", "ncnn CPU (powersave=2, big cores)", False)
    with pytest.raises(ValueError, match="platform: no published"):
        find_platform("Pixel 9", SINGLE_CORE, False)
    assert find_platform("Qualcomm MSM8998 Snapdragon 835, adb host taimen", "ncnn CPU (powersave=2, big cores)", False, threads=4).threads == 4


def test_predict_many_agrees_with_predict():
    configs = [paper_config("v2", width_multiplier=w, resolution=r) for w in (0.5, 1.0) for r in (128, 224)] + [paper_config("v1")]
    many = predict_many(configs, "Pixel 3", "TF-Lite GPU")
    for config, p in zip(configs, many):
        one = next(q for q in predict(config) if (q.device, q.backend, q.quantized) == ("Pixel 3", "TF-Lite GPU", False))
        assert dataclasses.replace(p, ms=0, low_ms=0, high_ms=0) == dataclasses.replace(one, ms=0, low_ms=0, high_ms=0)
        assert (p.ms, p.low_ms, p.high_ms) == pytest.approx((one.ms, one.low_ms, one.high_ms), rel=1e-12)


# --- CLI contract ---------------------------------------------------------------------------------


def test_cli_json_contract(cli, tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(paper_config("v1", width_multiplier=0.5).to_json())
    b.write_text(paper_config("v2", resolution=160).to_json())
    proc = cli("predict", a, b, "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert [o["config"] for o in out] == [str(a), str(b)]
    csv_spelling = {(r.device, r.backend) for r in load_all_device_latency()}
    keys = {"device", "backend", "quantized", "ms", "low_ms", "high_ms", "loo_median_error_pct", "loo_max_error_pct",
            "extrapolating", "reason"}
    for o in out:
        assert len(o["predictions"]) == len(phone_model().platforms)
        for p in o["predictions"]:
            assert keys <= set(p) and (p["device"], p["backend"]) in csv_spelling
            assert isinstance(p["extrapolating"], bool) and (p["reason"] == "") == (not p["extrapolating"])
    pixel1 = next(p for p in out[1]["predictions"] if p["device"] == "Pixel 1")
    assert pixel1["published_ms"] == [40.2] and pixel1["low_ms"] < pixel1["ms"] < pixel1["high_ms"]
    assert 0 < pixel1["loo_median_error_pct"] <= pixel1["loo_max_error_pct"]


def test_cli_arch_options_and_table(cli):
    out = json.loads(cli("predict", "--arch", "v2", "--width", "0.75", "--resolution", "192", "--device", "Pixel 1", "--json").stdout)
    assert len(out) == 1 and out[0]["model"].startswith("mobilenet_v2 α=0.75 192px")
    # Pixel 1 single core in float and, since the V3 rows, in int8.
    assert [(p["device"], p["quantized"]) for p in out[0]["predictions"]] == [("Pixel 1", False), ("Pixel 1", True)]
    text = cli("predict", "--arch", "v1", "--device", "Pixel 2").stdout
    assert text.count("Pixel 2") == 2 and "90% interval" in text and "LOO median" in text and "⚠" not in text.splitlines()[3]
    text = cli("predict", "--arch", "v2", "--device", "Pixel 2").stdout  # one V2 row there (float), none in int8: two notes
    assert "⚠ [1]" in text and "⚠ [2]" in text and "[2] No V2 row published here" in text


@pytest.mark.parametrize(("args", "message"), [
    (["missing.json"], "missing.json: file: cannot be read"),
    (["--arch", "v2", "--width", "-1"], "--width: must be greater than 0"),
    (["--arch", "v2", "--device", "Pixel 9"], "--device: no published latency on 'Pixel 9'"),
    ([], "give CONFIG.json file(s) or --arch"),
])
def test_cli_bad_input_exits_2_with_one_line(cli, args, message):
    proc = cli("predict", *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_cli_file_and_arch_together_exit_2(cli, tmp_path):
    a = tmp_path / "a.json"
    a.write_text('{"schema_version": 1, "arch": "mobilenet_v2", "resolution": 3}')
    proc = cli("predict", a)
    assert proc.returncode == 2 and f"{a}: resolution: must be between 16 and 1024" in proc.stderr
    a.write_text(paper_config("v2").to_json())
    assert cli("predict", a, "--arch", "v2").returncode == 2


# --- the pages ------------------------------------------------------------------------------------


def test_validation_page_shows_chart_and_tables(open_page):
    at = open_page("app_pages/phones.py")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = {t.get("name") for t in spec["data"]}
    assert "Pixel 1 · TF-Lite CPU, single large core · float" in names and "exact" in names
    points = sum(len(t["x"]) for t in spec["data"] if t.get("mode") == "markers" and t.get("showlegend") is False)  # not the legend keys
    assert points == sum(1 for v in phone_model().validation() if v.predicted_ms is not None)
    loo, table = at.dataframe[0].value, at.dataframe[1].value
    assert len(loo) == len(phone_model().fitted) and (loo["LOO median error (%)"] > 0).all()
    assert len(table) == len(phone_model().samples)
    for frame in (loo, table):  # a missing value is a dash, never "None"
        assert not frame.astype(str).isin(["None", "nan", "NaN", "<NA>"]).any().any()


def test_v2_page_shows_predicted_phone_latency(open_page):
    at = open_page("app_pages/v2.py")
    assert any(s.value == "Predicted phone latency" for s in at.subheader)
    frame = next(d.value for d in at.dataframe if "predicted (ms)" in d.value.columns)
    pixel1 = frame[(frame["phone"] == "Pixel 1") & (frame["precision"] == "float")].iloc[0]
    assert pixel1["published (ms)"] == "73.8, 75"  # TF-slim and the V2 paper, next to the prediction
    assert abs(pixel1["predicted (ms)"] / 74.4 - 1) < 0.1
    # For a newcomer: one plain sentence above the table, and no "None" anywhere in it.
    sentence = next(m.value for m in at.markdown if "would take about" in m.value)
    assert sentence.startswith("Pixel 1 (TF-Lite CPU, float) would take about **") and "in 9 of 10 cases like this one" in sentence
    order = [n for n in at.main if n.type in ("markdown", "arrow_data_frame") and ("would take about" in str(getattr(n, "value", ""))
                                                                                   or n.type == "arrow_data_frame")]
    assert order[0].type == "markdown"  # the sentence comes before the tables
    text = frame.astype(str)
    assert not text.isin(["None", "nan", "NaN", "<NA>"]).any().any()


def test_reasons_are_grouped_once_each_most_important_first():
    from explorer.config import with_expansion
    from ui.phone_words import reason_groups

    tuned = paper_config("v2", width_multiplier=0.35, resolution=96).replace(blocks=with_expansion(paper_config("v2").blocks, 4))
    predictions = phone_model().predict(tuned)
    groups = reason_groups(predictions)
    ranks = [g.rank for g in groups]
    assert ranks == sorted(ranks) and ranks[0] == 0  # "differs from every measured model" first
    assert len({g.text for g in groups}) == len(groups) <= 6  # said once each: not one paragraph per platform
    covered = {label for g in groups for label in g.platforms}
    assert covered == {p.platform.label for p in predictions if p.reason}  # every caveat is in some group
    paper = reason_groups(phone_model().predict(paper_config("v1")))
    # The paper's V1: one group per kind of caveat, not 29 paragraphs (borrowed shapes, platforms
    # without V1 rows, and since V3 was bundled, V3-only platforms whose sizes stop below V1's MACs).
    assert len(paper) == len({g.rank for g in paper}) <= 4, [g.text for g in paper]
