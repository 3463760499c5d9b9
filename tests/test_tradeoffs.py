"""Trade-offs (issue 5): device latency data, Pareto fronts, honest accuracy, the budget finder,
the Compare page's stage/depth/width helpers, and the published-against-computed table."""

import csv
import math
from collections import namedtuple

import pytest

from explorer import ConfigError, count, paper_config
from explorer.accuracy import accuracy_for
from explorer.compare import depth_profile, match_width, stage_summary
from explorer.config import MAX_MACS
from explorer.fidelity import published_vs_computed
from explorer.reference import (
    DEVICE_LATENCY,
    KNOWN_DISCREPANCIES,
    all_published_results,
    config_for,
    latency_platforms,
    load_device_latency,
    load_device_latency_more,
)
from explorer.tradeoffs import MEASURED, SWEEP_SOURCE, device_candidates, find_configs, pareto_front

PIXEL1 = ("Pixel 1", "TF-Lite CPU, single large core")
V2_BLOCKS_CUSTOM = [{"t": 1, "c": 16, "n": 1, "s": 1}, {"t": 4, "c": 24, "n": 2, "s": 2}, {"t": 6, "c": 64, "n": 3, "s": 2}]


# --- device latency data ----------------------------------------------------------------------


def test_every_device_latency_row_parsed_with_its_source():
    rows = load_device_latency()
    with open(DEVICE_LATENCY, newline="") as f:
        raw = list(csv.DictReader(f))
    assert len(rows) == len(raw) == 111
    assert all(r.source and r.table and r.device and r.backend for r in rows)
    assert all(r.latency_ms > 0 for r in rows)
    # Blanks stay None, never 0: the paper's Table 4 rows publish no top-5 and no model size.
    for row, text in zip(rows, raw):
        assert (row.top5 is None) == (text["top5"].strip() == "")
        assert (row.model_size_mb is None) == (text["model_size_mb"].strip() == "")
    assert any(r.top5 is None for r in rows) and any(r.model_size_mb is None for r in rows)
    v2 = next(r for r in rows if r.model == "mobilenet_v2_1.0_224")
    assert (v2.width_multiplier, v2.resolution, v2.latency_ms, v2.quantized) == (1.0, 224, 73.8, False)


def test_platforms_in_file_order_with_their_threads():
    platforms = latency_platforms()
    assert platforms[:4] == (
        (*PIXEL1, None), ("Pixel 3", "TF-Lite CPU, 4 threads", None), ("Pixel 3", "TF-Lite GPU", None), ("Pixel 3", "NNAPI", None),
    )
    assert latency_platforms(load_device_latency()[:1]) == ((*PIXEL1, None),)
    # device_latency_more.csv follows; ncnn's 1- and 4-thread runs share a backend name: two platforms.
    more = {(r.device, r.backend, r.threads) for r in load_device_latency_more()}
    # mobilenet_v3.csv adds one platform of its own: Pixel 3 on a single core (Pixel 1 and 2 are already there).
    v3 = {("Pixel 3", "TF-Lite CPU, single large core", 1)}
    assert set(platforms[4:]) == more | v3 and len(platforms) == len(set(platforms))
    kirin = [p for p in platforms if p[0].startswith("Kirin 970 (Cortex") and p[1].startswith("ncnn CPU")]
    assert sorted(p[2] for p in kirin) == [1, 4]
    one, four = (device_candidates(*p) for p in sorted(kirin, key=lambda p: p[2]))
    assert {c.label for c in one} == {c.label for c in four}
    assert all(a.latency_ms > b.latency_ms for a, b in zip(sorted(one, key=lambda c: c.label), sorted(four, key=lambda c: c.label)))


def test_device_latency_classifiers_are_data():
    # TF-slim checkpoints and the TF-Lite models made from them have a background class; the V2
    # paper's own rows are 1000-class ImageNet classifiers, as in published_results.csv.
    for row in load_device_latency():
        expected = None if row.family == "other" else 1000 if row.source.startswith("MobileNetV2 paper") else 1001
        assert row.num_classes == expected, row.model
    assert all(c.config.num_classes == r.num_classes for r in load_device_latency() if r.family != "other"
               for c in device_candidates(*r.platform) if c.label == r.model)


# --- Pareto -----------------------------------------------------------------------------------

P = namedtuple("P", "name macs top1")


def test_pareto_front_on_hand_made_points():
    points = [
        P("a", 100, 60.0),
        P("b", 200, 65.0),
        P("c", 150, 59.0),  # dominated by a (costlier, less accurate)
        P("d", 300, 65.0),  # dominated by b (same accuracy, costlier)
        P("e", 400, 70.0),
        P("f", 50, None),  # no accuracy: left out
        P("g", 200, 64.0),  # same cost as b, less accurate
    ]
    assert [p.name for p in pareto_front(points)] == ["a", "b", "e"]


def test_pareto_front_cost_and_accuracy_are_pluggable():
    points = [{"ms": 10, "acc": 50}, {"ms": 5, "acc": 55}, {"ms": 20, "acc": 54}]
    front = pareto_front(points, cost=lambda p: p["ms"], accuracy=lambda p: p["acc"])
    assert front == [{"ms": 5, "acc": 55}]
    assert pareto_front([]) == []


def test_pareto_front_keeps_one_of_exact_duplicates_and_is_monotone():
    points = [P("x", 10, 50.0), P("y", 10, 50.0), P("z", 5, 40.0)]
    assert [p.name for p in pareto_front(points)] == ["z", "x"]
    front = pareto_front(find_configs(families=("mobilenet_v2",)))
    assert len(front) >= 5
    assert all(a.macs < b.macs and a.top1 < b.top1 for a, b in zip(front, front[1:]))


# --- accuracy ---------------------------------------------------------------------------------


def test_published_config_returns_the_tf_slim_float_figure():
    for classes in (1000, 1001):  # 1000 vs 1001 classes is the same ImageNet classifier
        est = accuracy_for(paper_config("v2", num_classes=classes))
        assert (est.kind, est.value) == ("published", 71.8)
        assert est.sources[0].model == "mobilenet_v2_1.0_224" and est.sources[0].source.startswith("TF-slim")
        assert {s.model for s in est.sources} >= {"MobileNetV2", "torchvision mobilenet_v2 IMAGENET1K_V1"}
        assert "mobilenet_v2_1.0_224" in est.method and "Also published" in est.method
    est = accuracy_for(paper_config("v1", width_multiplier=0.5, resolution=160))
    assert (est.kind, est.value) == ("published", 59.1)
    assert not any(s.quantized for s in est.sources)


def test_published_variants_of_the_v1_paper_match_their_configs():
    conv = accuracy_for(paper_config("v1", depthwise_separable=False))
    assert (conv.kind, conv.value) == ("published", 71.7)  # V1 paper Table 4
    shallow = [b.to_dict() for b in paper_config("v1").blocks if not (b.c == 512 and b.n == 5)]
    assert accuracy_for(paper_config("v1", blocks=shallow)).value == 65.3  # Table 5


def test_inside_the_grid_is_an_estimate_between_its_corners():
    est = accuracy_for(paper_config("v2", width_multiplier=0.85, resolution=176))
    assert est.kind == "estimate" and "Estimate" in est.method and "interpolation" in est.method
    assert {s.model for s in est.sources} == {
        "mobilenet_v2_0.75_160", "mobilenet_v2_0.75_192", "mobilenet_v2_1.0_160", "mobilenet_v2_1.0_192",
    }
    assert est.low == 66.4 and est.high == 70.7 and est.low < est.value < est.high
    # The documented method, recomputed by hand: bilinear in (log α, log resolution).
    u = math.log(0.85 / 0.75) / math.log(1.0 / 0.75)
    v = math.log(176 / 160) / math.log(192 / 160)
    expected = (1 - u) * (1 - v) * 66.4 + (1 - u) * v * 68.7 + u * (1 - v) * 68.8 + u * v * 70.7
    assert est.value == pytest.approx(expected, abs=0.005)
    # Midway in log coordinates between two published points along one axis: between them.
    mid = accuracy_for(paper_config("v2", width_multiplier=1.0, resolution=round(math.sqrt(192 * 224))))
    assert mid.kind == "estimate" and 70.7 < mid.value < 71.8 and len(mid.sources) == 2


def test_v2_wide_models_are_estimated_only_where_published():
    assert accuracy_for(paper_config("v2", width_multiplier=1.2, resolution=224)).kind == "estimate"
    outside = accuracy_for(paper_config("v2", width_multiplier=1.2, resolution=192))
    assert (outside.kind, outside.value) == ("none", None)  # no 1.3 or 1.4 checkpoint at 192 px
    assert "Outside the published grid" in outside.method and "1.3 and 1.4 at 224 px only" in outside.method


@pytest.mark.parametrize(
    "arch, overrides, reason",
    [
        ("v1", {"width_multiplier": 1.2}, "Outside"),
        ("v1", {"resolution": 112}, "Outside"),
        ("v2", {"width_multiplier": 0.3}, "Outside"),
        ("v2", {"resolution": 256}, "Outside"),
        ("v2", {"blocks": V2_BLOCKS_CUSTOM}, "custom block table"),
        ("v2", {"linear_bottleneck": False}, "non-linear bottleneck"),
        ("v2", {"residual": False}, "no residual"),
        ("v2", {"activation": "relu"}, "activation relu"),
        ("v1", {"depthwise_separable": False, "width_multiplier": 0.5}, "full convolutions"),
        ("v2", {"num_classes": 10}, "10 classes"),
    ],
)
def test_no_accuracy_outside_the_grid_or_for_modified_architectures(arch, overrides, reason):
    est = accuracy_for(paper_config(arch, **overrides))
    assert (est.kind, est.value, est.sources) == ("none", None, ())
    assert reason in est.method


def test_dropout_does_not_change_the_published_match():
    assert accuracy_for(paper_config("v2", dropout=0.5)).value == 71.8


# --- budget finder ----------------------------------------------------------------------------


def test_budget_300m_macs_top_answer_is_the_best_published_config_under_it():
    answer = find_configs(max_macs=300e6)
    assert answer and all(c.macs <= 300e6 for c in answer)
    best_published = max(
        (r.top1 for r in all_published_results()
         if r.family.startswith("mobilenet") and r.top1 is not None
         and count(_config(r)).macs <= 300e6)
    )
    top = answer[0]
    assert top.published and top.accuracy_kind == "published" and top.top1 == best_published
    assert top.label == "v3-large_224_1.0_float"  # 216.6M; before V3 it was V2 1.0 at 192 (V2 at 224 is 300.8M)


def _config(row):
    return config_for(row)


def test_ranking_published_then_estimates_then_none_by_cost():
    answer = find_configs(max_macs=400e6, max_params=4e6)
    kinds = [c.accuracy_kind for c in answer]
    assert kinds == sorted(kinds, key=["published", "estimate", "none"].index)
    for kind in ("published", "estimate"):
        tops = [c.top1 for c in answer if c.accuracy_kind == kind]
        assert tops and tops == sorted(tops, reverse=True)
    rest = [c.macs for c in answer if c.accuracy_kind == "none"]
    assert rest and rest == sorted(rest)
    assert all(c.params <= 4e6 and c.macs <= 400e6 for c in answer)


def test_custom_points_are_labelled_and_never_duplicate_published_ones():
    answer = find_configs()
    custom = [c for c in answer if not c.published]
    assert custom and all(c.label.startswith("custom") and c.source == SWEEP_SOURCE for c in custom)
    assert {c.accuracy_kind for c in custom} == {"estimate", "none"}
    published_points = {(c.family, c.width_multiplier, c.resolution) for c in answer if c.published}
    assert not any((c.family, c.width_multiplier, c.resolution) in published_points for c in custom)
    assert {c.family for c in custom} == {"mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"}
    for c in custom[:20]:  # the candidate's numbers are its config's
        assert (c.macs, c.params) == (count(c.config).macs, count(c.config).params)
        assert c.top1 == accuracy_for(c.config).value


def test_quantized_rows_keep_their_flag_and_can_be_left_out():
    answer = find_configs(max_macs=50e6)
    assert any(c.quantized for c in answer)
    assert not any(c.quantized for c in find_configs(max_macs=50e6, include_quantized=False))
    assert all(c.published for c in find_configs(include_sweep=False))
    assert {c.family for c in find_configs(families=("mobilenet_v1",))} == {"mobilenet_v1"}


def test_an_impossible_budget_finds_nothing():
    assert find_configs(max_macs=1e6) == ()


def test_published_device_latency_budget():
    answer = find_configs(max_latency_ms=20, latency_source=PIXEL1)
    assert answer and all(c.latency_ms <= 20 and c.published for c in answer)
    assert all(c.latency_source.startswith("Pixel 1") for c in answer)
    assert answer[0].label == "v3-small_224_1.0_float" and answer[0].top1 == 67.5  # 15.8 ms (before V3: V2 0.5/160, 61.0%)
    # Only rows published on that platform qualify: 25 V1/V2 rows and 9 V3 checkpoints.
    assert len(find_configs(latency_source=PIXEL1)) == len(device_candidates(*PIXEL1)) == 34
    combined = find_configs(max_latency_ms=20, max_macs=55e6, latency_source=PIXEL1)
    assert combined and all(c.macs <= 55e6 for c in combined)


def test_measured_latency_budget_uses_the_callers_measurements():
    v1 = paper_config("v1", width_multiplier=0.5, resolution=160)  # published, so not in the sweep
    pool = [c for c in find_configs(max_macs=100e6) if not c.quantized]
    measured = {c.config: 2.0 + i for i, c in enumerate(pool[:6])}
    answer = find_configs(max_latency_ms=5.0, latency_source=MEASURED, measured_latency_ms=measured)
    assert answer and all(c.config in measured and c.latency_ms <= 5.0 for c in answer)
    assert all(c.latency_source == MEASURED for c in answer)
    assert len(answer) == 4  # 2, 3, 4, 5 ms
    as_function = find_configs(max_latency_ms=5.0, latency_source=MEASURED, measured_latency_ms=measured.get)
    assert as_function == answer
    # A 1000-class measurement also times the published 1001-class rows of the same network.
    twins = find_configs(latency_source=MEASURED, measured_latency_ms={v1: 1.0})
    # ... but not the quantized row: a float measurement is not an int8 model's latency.
    assert {c.label for c in twins} == {"0.50 MobileNet-160", "MobileNet_v1_0.50_160"}
    assert all(c.latency_ms == 1.0 for c in twins)
    # The paper's row is that very config; the TF-slim rows (1001 classes) take it as their twin's.
    assert {c.label: c.config.num_classes for c in twins}["0.50 MobileNet-160"] == 1000
    assert {c.config.num_classes for c in twins if c.label.startswith("MobileNet_v1")} == {1001}
    assert find_configs(latency_source=MEASURED, measured_latency_ms={}) == ()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_macs": -1}, "max_macs"),
        ({"max_params": float("nan")}, "max_params"),
        ({"max_latency_ms": 10}, "latency_source"),
        ({"max_latency_ms": 10, "latency_source": ("Pixel 9", "CPU")}, "Pixel 1"),
        ({"latency_source": MEASURED}, "measured_latency_ms"),
        ({"families": ("mobilenet_v3",)}, "mobilenet_v3"),
    ],
)
def test_bad_budgets_are_rejected_with_a_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        find_configs(**kwargs)


# --- Compare page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [paper_config("v1"), paper_config("v2", width_multiplier=0.75, resolution=192),
     paper_config("v2", blocks=V2_BLOCKS_CUSTOM), paper_config("v1", depthwise_separable=False)],
    ids=["v1", "v2-0.75-192", "v2-custom", "v1-conv"],
)
def test_stage_and_kind_sums_equal_the_totals(config):
    cost = count(config)
    summary = stage_summary(config)
    for groups in (summary.stages, summary.kinds):
        assert sum(g.macs for g in groups) == cost.macs == summary.macs
        assert sum(g.params for g in groups) == cost.params == summary.params
        assert sum(g.weight_params for g in groups) == cost.weight_params
        assert sum(g.layers for g in groups) == len(cost.layers)
    rows = [s for s in summary.stages if s.row is not None]
    assert [s.row for s in rows] == list(range(len(config.blocks)))
    assert [s.block for s in rows] == list(config.blocks)
    assert summary.stages[0].name == "stem" and summary.stages[-1].name == "head"


def test_stage_summary_v2_names_and_latency():
    config = paper_config("v2")
    summary = stage_summary(config)
    names = [s.name for s in summary.stages]
    assert names[1] == "row 0 (t=1, c=16, n=1, s=1)" and "last conv" in names
    assert {k.name for k in summary.kinds} == {"stem", "depthwise", "project", "expand", "pointwise", "pool", "head"}
    latency = {layer.name: 0.5 for layer in count(config).layers if layer.name.startswith("blocks.1.")}
    timed = stage_summary(config, latency_ms_by_layer=latency)
    by_name = {s.name: s.latency_ms for s in timed.stages}
    assert by_name["row 1 (t=6, c=24, n=2, s=2)"] == pytest.approx(1.5)  # blocks.1 has 3 layers
    assert by_name["stem"] is None  # unknown stays None, never 0


def test_depth_profile_follows_the_feature_maps():
    config = paper_config("v2")
    points = depth_profile(config)
    assert points[0].name == "input" and (points[0].channels, points[0].size) == (3, 224)
    assert len(points) == len(count(config).layers) + 1
    assert (points[1].channels, points[1].size) == (32, 112)  # stem
    last_conv = next(p for p in points if p.name == "last_conv")
    assert (last_conv.channels, last_conv.size) == (1280, 7)
    assert (points[-1].kind, points[-1].channels, points[-1].size) == ("head", 1000, 1)
    assert [p.index for p in points] == list(range(len(points)))


def test_match_width_finds_the_closest_width():
    v1 = count(paper_config("v1")).macs
    match = match_width(v1, "v2")
    assert match.config.arch == "mobilenet_v2" and match.macs == count(match.config).macs
    # MACs are a staircase in α: check against a brute-force scan near the answer.
    base = paper_config("v2")
    nearby = [round(match.width_multiplier + 0.001 * i, 3) for i in range(-60, 61)]
    best = min(abs(count(base.replace(width_multiplier=w)).macs - v1) for w in nearby)
    assert abs(match.macs - v1) == best
    # Its own MACs give back its own width class: V2 1.0 at 224 from V2's MACs.
    v2 = paper_config("v2", resolution=160)
    back = match_width(count(v2).macs, v2)
    assert back.macs == count(v2).macs and back.config.resolution == 160
    assert abs(match_width(count(paper_config("v2")).macs, "v1").relative_error) < 0.02


def test_match_width_rejects_a_bad_target():
    with pytest.raises(ValueError, match="target_macs"):
        match_width(0, "v1")
    with pytest.raises(ConfigError, match="target_macs: must be a positive number, got inf"):
        match_width(float("inf"), "v1")


def test_match_width_answers_only_configs_within_the_limits():
    # At 512 px V1 passes the 20 GMAC limit near α = 2.64 (11.6 GMACs at α = 2; MACs grow as α²):
    # the widths above are skipped, so a target at the limit gets a buildable width, not an error.
    match = match_width(MAX_MACS, "v1", resolution=512)
    assert match.macs <= MAX_MACS and match.macs == count(match.config).macs
    with pytest.raises(ConfigError):
        paper_config("v1", resolution=512, width_multiplier=round(match.width_multiplier + 0.01, 3))


# --- published against computed --------------------------------------------------------------


def test_published_vs_computed_covers_every_mobilenet_row():
    table = published_vs_computed()
    mobilenet = [r for r in all_published_results() if r.family.startswith("mobilenet")]
    assert [row.result for row in table] == mobilenet
    flagged = {row.result.key for row in table if not row.within_tolerance}
    assert flagged == set(KNOWN_DISCREPANCIES)
    for row in table:
        assert row.explanation
        if row.result.key in KNOWN_DISCREPANCIES:
            assert row.explanation == KNOWN_DISCREPANCIES[row.result.key]
        assert "no known cause" not in row.explanation
        assert row.config == config_for(row.result) and row.config.num_classes == row.result.num_classes


def test_published_vs_computed_explains_classes_and_counting_convention():
    table = {(row.result.model, row.result.source[:8]): row for row in published_vs_computed()}
    slim_v2 = table[("mobilenet_v2_1.0_224", "TF-slim ")]
    assert slim_v2.params_counted_as == "weights only"
    assert slim_v2.comparable_params == slim_v2.weight_params == 3_471_040  # 3,469,760 + 1280 weights of the 1001st class
    assert "1001 classes" in slim_v2.explanation and "weights only" in slim_v2.explanation
    assert slim_v2.macs_diff_m == pytest.approx(slim_v2.macs / 1e6 - 300)
    torchvision = table[("torchvision mobilenet_v2 IMAGENET1K_V1", "torchvis")]
    assert torchvision.params_counted_as == "all parameters" and torchvision.params_diff_m == 0
    assert "match exactly" in torchvision.explanation and "1001" not in torchvision.explanation
    # The papers' rows are computed with the papers' 1000-class classifier, and say so.
    paper = table[("1.0 MobileNet-224", "MobileNe")]
    assert paper.config.num_classes == 1000 and paper.params_counted_as == "weights only"
    assert paper.explanation.startswith("Computed with 1000 classes") and "TF-slim" not in paper.explanation
    assert paper.macs == 568_740_352 and paper.comparable_params == paper.weight_params


def test_the_analytic_modules_do_not_import_torch():
    import subprocess
    import sys

    modules = "accuracy compare fidelity full_conv inverted_residual reference separable tradeoffs".split()
    code = f"import sys; import {', '.join('explorer.' + m for m in modules)}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- predicted device latency and the second device file (tradeoffs3) ------------------------------


def test_predicted_budget_searches_the_sweep_conservatively():
    from explorer.phones import predict_many
    from explorer.tradeoffs import PredictedOn

    on = PredictedOn(*PIXEL1)
    answer = find_configs(max_latency_ms=20, latency_source=on, include_quantized=False)
    sweep = [c for c in answer if not c.published]
    assert sweep and any(c.published for c in answer)
    assert all(c.latency_high_ms <= 20 and c.latency_low_ms < c.latency_ms < c.latency_high_ms for c in answer)
    assert all(c.latency_source.endswith("(predicted)") for c in answer)
    # The figures are the predictor's, config by config.
    p = predict_many([sweep[0].config], *PIXEL1)[0]
    assert (sweep[0].latency_ms, sweep[0].latency_high_ms) == pytest.approx((p.ms, p.high_ms), rel=1e-12)
    # A config whose prediction is below the budget but whose interval is not is left out.
    every = find_configs(latency_source=on, include_quantized=False)
    edge = [c for c in every if c.latency_ms <= 20 < c.latency_high_ms]
    assert edge and not {c.label for c in edge} & {c.label for c in answer}


def test_predicted_budget_leaves_out_declined_configs():
    from explorer.tradeoffs import PredictedOn

    npu = next(p for p in latency_platforms() if p[0] == "Samsung Galaxy S24")
    answer = find_configs(latency_source=PredictedOn(*npu), include_quantized=False)
    assert answer and {c.family for c in answer} == {"mobilenet_v2"}  # V1 is declined there


def test_rows_of_the_second_file_take_the_same_models_published_accuracy():
    pixel2 = ("Pixel 2", "TF-Lite CPU, single large core", 1)
    rows = device_candidates(*pixel2)
    assert len(rows) == 34 and all(c.top1 is not None for c in rows)  # 25 from the second file, 9 V3 checkpoints
    v1 = next(c for c in rows if c.label == "mobilenet_v1_1.0_224")
    assert v1.top1 == next(c.top1 for c in find_configs(families=["mobilenet_v1"])
                           if c.label == "MobileNet_v1_1.0_224" and not c.quantized)
    assert "same model" in v1.accuracy_method and v1.latency_source.startswith("Pixel 2")


def test_rows_of_one_architecture_merge_with_every_source_named():
    from explorer.tradeoffs import merge_same_architecture

    found = find_configs(families=["mobilenet_v2"], include_quantized=False, include_sweep=False)
    merged = merge_same_architecture(found)
    assert sum(len(m.rows) for m in merged) == len(found)  # nothing dropped
    keys = [(m.best.config.replace(num_classes=1000), m.best.quantized) for m in merged]
    assert len(keys) == len(set(keys))  # each architecture once
    v2 = next(m for m in merged if (m.best.width_multiplier, m.best.resolution) == (1.0, 224))
    assert len(v2.rows) >= 4 and len(v2.source_texts) == len(v2.rows)  # paper, TF-slim, two torchvision weights
    assert all(c.label in text and c.source in text for c, text in zip(v2.rows, v2.source_texts))
    big = next(m for m in merged if (m.best.width_multiplier, m.best.resolution) == (1.4, 224))
    assert {c.label for c in big.rows} >= {"mobilenet_v2_1.4_224", "MobileNetV2 (1.4)"}
    assert [m.best for m in merged] == sorted((m.best for m in merged), key=lambda c: found.index(c))  # rank kept
