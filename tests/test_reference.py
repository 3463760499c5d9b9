"""Published fidelity: every MobileNet row of the bundled reference data against our counts, and
the bundled copies against the shared reference (values never edited, provenance columns added)."""

import csv
from pathlib import Path

import pytest

from explorer.config import ARCHS
from explorer.fidelity import reconcile
from explorer.reference import (
    DEVICE_LATENCY,
    KNOWN_DISCREPANCIES,
    PARAMS_CONVENTIONS,
    PUBLISHED_RESULTS,
    load_published_results,
)

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
RESULTS = load_published_results()
MOBILENET_ROWS = [r for r in RESULTS if r.family in ARCHS]
NUMBERS = {"width_multiplier": float, "resolution": int, "top1": float, "top5": float, "macs_m": float,
           "params_m": float, "num_classes": int}


def raw_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_row_parsed_with_its_source():
    raw = raw_rows(PUBLISHED_RESULTS)
    assert len(RESULTS) == len(raw)
    assert all(r.source and r.table for r in RESULTS)
    assert len(MOBILENET_ROWS) == 69
    # Blank cells stay None and written ones keep their value; a 0 is never made up.
    for row, text in zip(RESULTS, raw):
        for name, kind in NUMBERS.items():
            cell = text[name].strip()
            assert getattr(row, name) == (kind(cell) if cell else None), (row.model, name)
            assert getattr(row, name) != 0, (row.model, name)
    assert any(r.top5 is None for r in RESULTS) and any(r.top5 is not None for r in RESULTS)


@pytest.mark.parametrize("name", ["published_results.csv", "device_latency.csv"])
def test_bundled_copy_keeps_the_shared_reference(name):
    """The bundled copy is the shared file with provenance columns appended: every shared column of
    every row is unchanged, in the same order."""
    shared = SHARED / name
    if not shared.exists():
        pytest.skip("shared/ is not beside this checkout")
    bundled = {"published_results.csv": PUBLISHED_RESULTS, "device_latency.csv": DEVICE_LATENCY}[name]
    theirs, ours = raw_rows(shared), raw_rows(bundled)
    with open(shared, newline="", encoding="utf-8") as f:
        shared_columns = next(csv.reader(f))
    with open(bundled, newline="", encoding="utf-8") as f:
        bundled_columns = next(csv.reader(f))
    assert bundled_columns[: len(shared_columns)] == shared_columns
    assert set(bundled_columns[len(shared_columns):]) <= {"num_classes", "params_convention"}
    assert len(ours) == len(theirs)
    for mine, original in zip(ours, theirs):
        assert {k: mine[k] for k in shared_columns} == original


def test_provenance_columns():
    for r in RESULTS:
        if r.family not in ARCHS:
            assert (r.num_classes, r.params_convention) == (None, None), r.model
            continue
        assert r.params_convention in PARAMS_CONVENTIONS, r.model
        # The columns agree with what each source says of itself.
        if r.source.startswith("TF-slim"):
            assert r.num_classes == 1001 and "1001 classes" in r.source
            assert r.weights_only == (r.family == "mobilenet_v2")  # V2's table counts weights only
        elif r.source.startswith("torchvision"):
            assert r.num_classes == 1000 and not r.weights_only
        else:  # the papers: an ImageNet classifier of 1000 classes (V1 Table 1: FC 1024 × 1000), weights only
            assert r.source.startswith(("MobileNets paper", "MobileNetV2 paper"))
            assert r.num_classes == 1000 and r.weights_only


def test_a_mobilenet_row_without_num_classes_is_refused(tmp_path):
    text = PUBLISHED_RESULTS.read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1]
    assert first.endswith(",1000,weights_only")
    bad = tmp_path / "published_results.csv"
    bad.write_text(header + "\n" + first.removesuffix("1000,weights_only") + ",weights_only\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: num_classes is blank"):
        load_published_results(bad)
    bad.write_text(header + "\n" + first.replace("weights_only", "weights") + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="params_convention must be one of"):
        load_published_results(bad)


@pytest.mark.parametrize("result", MOBILENET_ROWS, ids=lambda r: f"{r.model}|{r.source[:12]}")
def test_published_fidelity(result):
    rec = reconcile(result)
    assert rec.config.num_classes == result.num_classes
    if result.key in KNOWN_DISCREPANCIES:
        # Listed with its reason; it must really be off, or the entry is stale.
        assert not rec.within_tolerance, f"{result.model} is within tolerance now: remove it from KNOWN_DISCREPANCIES"
    else:
        assert rec.macs_ok, f"MACs {rec.macs:,} vs published {result.macs_m}M ({rec.macs_error:+.1%})"
        assert rec.params_ok, f"params {rec.comparable_params:,} vs published {result.params_m}M ({rec.params_error:+.1%})"


def test_known_discrepancies_are_exactly_these_rows():
    listed = {key[0] for key in KNOWN_DISCREPANCIES}
    assert listed == {
        "0.25 MobileNet-224",  # paper rounds 0.47M to 0.5M
        "MobileNet_v1_0.25_192",  # TF-slim typo: 34M MACs, its grid gives 30M
        "MobileNet_v1_0.25_192_quant",
        "MobileNetV2",  # V2 paper rounds 3.47M down to 3.4M
        "MobileNetV2 (1.4)",  # V2 paper says 6.9M, TF-slim 6.06M
        "v3-large_224_0.75_float",  # TF-slim rounds V3 at α 0.75 otherwise: 155M, torchvision 140.0M
        "v3-small_224_0.75_float",
        "v3-small_224_1.0_float",  # TF-slim README's 66M against 56.5M: unexplained
        "v3-small_224_1.0_uint8",
        "v3-small-minimalistic_224_1.0_float",
    }
    assert all(len(reason) > 40 for reason in KNOWN_DISCREPANCIES.values())


def test_torchvision_row_is_exact():
    row = next(r for r in RESULTS if r.model.startswith("torchvision mobilenet_v2"))
    assert reconcile(row).params == round(row.params_m * 1e6) == 3_504_872


def test_conv_mobilenet_row_is_the_table_4_baseline():
    # The paper's full-convolution row, computed with the paper's 1000 classes.
    row = next(r for r in RESULTS if r.model.startswith("Conv MobileNet"))
    rec = reconcile(row)
    assert (rec.macs, rec.params) == (4_867_293_184, 29_294_088)
