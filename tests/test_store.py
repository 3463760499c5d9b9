"""LatencyStore: round trip, keys, concurrent writers, damaged files, CSV export, CLI listing.

Reports here are built from the pure layer_rows function with made-up latencies, so these tests
time nothing and run in well under a second each (except the CLI ones, which start Python).
"""

import csv
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from explorer import count, paper_config
from explorer.latency import (
    LatencyReport,
    LatencySettings,
    cpu_model,
    layer_io_elements,
    layer_rows,
    machine_name,
    torch_version,
)
from explorer.store import ENV_DATA_DIR, FILE_NAME, REPO_ROOT, LatencyStore, config_key, default_path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = LatencySettings(threads=1, budget_s=0.05)


def fake_report(config, settings=SETTINGS, median_ms=10.0, **changes) -> LatencyReport:
    """A report as measure_latency would make on this machine, with made-up latencies."""
    cost = count(config)
    latencies = {row.name: 0.1 + 0.01 * i for i, row in enumerate(cost.layers)}
    rows = layer_rows(cost, layer_io_elements(config), latencies, settings.batch)
    layer_sum = sum(r.latency_ms for r in rows)
    report = LatencyReport(
        median_ms=median_ms, iqr_ms=0.5, runs=20, threads=settings.resolved_threads, batch=settings.batch,
        device=settings.device, torch_version=torch_version(), cpu=cpu_model(), machine=machine_name(),
        measured_at="2026-01-02T03:04:05+00:00", layers=rows, layer_sum_ms=layer_sum, coverage=layer_sum / median_ms,
        layer_runs=7, budget_s=settings.budget_s,
    )  # fmt: skip
    return dataclasses.replace(report, **changes)


@pytest.fixture
def store(tmp_path):
    return LatencyStore(tmp_path / FILE_NAME)


def test_round_trip(store):
    config = paper_config("v2", resolution=96)
    assert store.get(config, SETTINGS) is None
    report = fake_report(config)
    assert store.put(config, SETTINGS, report) is True
    got = store.get(config, SETTINGS)
    assert got == dataclasses.replace(report, from_store=True)
    assert store.warning is None


def test_key_separates_config_settings_and_machine(store):
    config = paper_config("v2", resolution=96)
    store.put(config, SETTINGS, fake_report(config))
    assert store.get(paper_config("v2", resolution=128), SETTINGS) is None
    assert store.get(config, LatencySettings(threads=1, batch=2)) is None
    # Equal configs built differently share the key: it is the normalized config.
    same = paper_config("mobilenet_v2", resolution=96, blocks=[b.to_dict() for b in config.blocks])
    assert config_key(same) == config_key(config) and store.get(same, SETTINGS) is not None
    # Measured elsewhere (another torch or machine): stored, but not reused here.
    other = paper_config("v1", resolution=64)
    store.put(other, SETTINGS, fake_report(other, torch_version="1.0.0"))
    store.put(other, SETTINGS, fake_report(other, machine="elsewhere"))
    assert store.get(other, SETTINGS) is None
    assert len(store.list_results()) == 3


def test_put_replaces_the_same_key(store):
    config = paper_config("v1", resolution=64)
    store.put(config, SETTINGS, fake_report(config, median_ms=10.0))
    store.put(config, SETTINGS, fake_report(config, median_ms=12.0))
    rows = store.list_results()
    assert len(rows) == 1 and rows[0]["median_ms"] == 12.0
    assert store.get(config, SETTINGS).median_ms == 12.0


def test_put_rejects_a_report_from_other_settings(store):
    config = paper_config("v1", resolution=64)
    with pytest.raises(ValueError):
        store.put(config, LatencySettings(threads=1, batch=4), fake_report(config))


def test_list_results_rows(store):
    config = paper_config("v2", width_multiplier=0.5, resolution=128)
    report = fake_report(config)
    store.put(config, SETTINGS, report)
    (row,) = store.list_results()
    assert (row["arch"], row["width_multiplier"], row["resolution"], row["batch"], row["threads"], row["device"]) == (
        "mobilenet_v2", 0.5, 128, 1, 1, "cpu")  # fmt: skip
    assert row["median_ms"] == report.median_ms and row["coverage"] == pytest.approx(report.coverage)
    assert json.loads(row["config_json"]) == config.to_dict()


def test_file_is_in_wal_mode(store):
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_path(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / FILE_NAME
    assert LatencyStore().path == tmp_path / "data" / FILE_NAME and (tmp_path / "data" / FILE_NAME).exists()
    monkeypatch.delenv(ENV_DATA_DIR)
    assert default_path() == REPO_ROOT / ".data" / FILE_NAME
    # A directory given as the path holds the default file name.
    assert LatencyStore(tmp_path).path == tmp_path / FILE_NAME


@pytest.mark.parametrize("shared_instance", [True, False])
def test_two_threads_write_at_once(tmp_path, shared_instance):
    path = tmp_path / FILE_NAME
    first = LatencyStore(path)
    stores = [first, first] if shared_instance else [first, LatencyStore(path)]
    configs = [[paper_config("v1", resolution=32 + 8 * (2 * i + w)) for i in range(25)] for w in range(2)]
    start, results, errors = threading.Barrier(2), [[], []], []

    def writer(w):
        try:
            start.wait()
            for config in configs[w]:
                results[w].append(stores[w].put(config, SETTINGS, fake_report(config)))
                stores[w].get(config, SETTINGS)
                stores[w].list_results()
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and results == [[True] * 25, [True] * 25]
    assert all(s.warning is None for s in stores)
    assert len(LatencyStore(path).list_results()) == 50
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for w in range(2):
        assert all(LatencyStore(path).get(c, SETTINGS) is not None for c in configs[w])


def asides(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-") and not p.name.endswith(("-wal", "-shm")))


def test_garbage_file_is_kept_aside_and_replaced(tmp_path):
    path = tmp_path / FILE_NAME
    garbage = b"this is not a database, just some bytes " * 100
    path.write_bytes(garbage)
    store = LatencyStore(path)
    assert store.warning and "damaged" in store.warning and ".corrupt-" in store.warning
    (aside,) = asides(path)
    assert aside.read_bytes() == garbage  # kept, never deleted
    config = paper_config("v2", resolution=64)
    assert store.put(config, SETTINGS, fake_report(config)) is True
    assert store.get(config, SETTINGS) is not None and not store.disabled


def test_file_damaged_while_in_use(tmp_path):
    path = tmp_path / FILE_NAME
    store = LatencyStore(path)
    config = paper_config("v2", resolution=64)
    store.put(config, SETTINGS, fake_report(config))
    for suffix in ("-wal", "-shm"):  # checkpointed already: only the main file matters
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with open(path, "r+b") as f:  # overwrite the header and the first pages
        f.write(b"\xff" * 4096)
    assert store.get(config, SETTINGS) is None  # no exception: a miss, and a fresh store
    assert store.warning and "damaged" in store.warning
    assert len(asides(path)) == 1
    assert store.list_results() == []
    assert store.put(config, SETTINGS, fake_report(config)) is True
    assert len(store.list_results()) == 1


def test_file_deleted_while_in_use_gets_a_fresh_store(tmp_path):
    path = tmp_path / FILE_NAME
    store = LatencyStore(path)
    config = paper_config("v2", resolution=64)
    store.put(config, SETTINGS, fake_report(config))
    for suffix in ("", "-wal", "-shm"):  # e.g. someone cleaned the data folder
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    assert store.get(config, SETTINGS) is None
    assert store.put(config, SETTINGS, fake_report(config)) is True
    assert len(store.list_results()) == 1 and not store.disabled


def test_unreadable_stored_report_is_a_miss(store):
    config = paper_config("v2", resolution=64)
    store.put(config, SETTINGS, fake_report(config))
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE measurements SET report_json = '{'")
    assert store.get(config, SETTINGS) is None
    assert "unreadable stored report" in store.warning


def test_store_that_cannot_be_created_is_disabled_not_fatal(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    store = LatencyStore(blocker / "sub" / FILE_NAME)
    config = paper_config("v2", resolution=64)
    assert store.disabled and store.warning and "cannot be created" in store.warning
    assert store.get(config, SETTINGS) is None
    assert store.put(config, SETTINGS, fake_report(config)) is False
    assert store.list_results() == []
    assert blocker.read_text() == "not a folder"


def test_export_csv(store, tmp_path):
    configs = [paper_config("v1", resolution=64), paper_config("v2", resolution=96)]
    for i, config in enumerate(configs):
        store.put(config, SETTINGS, fake_report(config, median_ms=10.0 + i))
    target = tmp_path / "out.csv"
    assert store.export_csv(target) == 2
    with open(target, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["arch"] for r in rows] == ["mobilenet_v1", "mobilenet_v2"]
    assert [float(r["median_ms"]) for r in rows] == [10.0, 11.0]
    assert {"measured_at", "batch", "threads", "device", "iqr_ms", "runs", "coverage", "torch_version", "cpu", "machine", "config_json"} <= set(rows[0])
    assert json.loads(rows[1]["config_json"]) == configs[1].to_dict()


# --- command line: latency list / export --------------------------------------------------------


def cli(*args, env_dir, check_rc=None):
    env = {**os.environ, ENV_DATA_DIR: str(env_dir)}
    proc = subprocess.run([sys.executable, "-m", "explorer", *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def test_cli_list_and_export(tmp_path):
    assert "no stored measurements" in cli("latency", "list", env_dir=tmp_path, check_rc=0).stdout
    store = LatencyStore(tmp_path / FILE_NAME)
    config = paper_config("v2", width_multiplier=0.75, resolution=160)
    store.put(config, SETTINGS, fake_report(config, median_ms=12.345))

    rows = json.loads(cli("latency", "list", "--json", env_dir=tmp_path, check_rc=0).stdout)
    assert len(rows) == 1 and rows[0]["median_ms"] == 12.345 and rows[0]["resolution"] == 160
    text = cli("latency", "list", env_dir=tmp_path, check_rc=0).stdout
    assert "mobilenet_v2 α=0.75 160px" in text and "12.35" in text and "1 measurement in" in text

    target = tmp_path / "export.csv"
    proc = cli("latency", "export", "--csv", target, env_dir=tmp_path, check_rc=0)
    assert proc.stdout.strip() == f"wrote 1 measurement to {target}"
    with open(target, newline="") as f:
        assert [r["resolution"] for r in csv.DictReader(f)] == ["160"]

    other = tmp_path / "elsewhere.sqlite3"
    assert json.loads(cli("latency", "list", "--json", "--store", other, env_dir=tmp_path, check_rc=0).stdout) == []


def test_cli_export_errors(tmp_path):
    proc = cli("latency", "export", "--csv", tmp_path / "missing" / "x.csv", env_dir=tmp_path, check_rc=2)
    assert proc.stderr.startswith("error: --csv: cannot write") and len(proc.stderr.strip().splitlines()) == 1
    proc = cli("latency", "export", env_dir=tmp_path, check_rc=2)
    assert "--csv" in proc.stderr


def test_cli_damaged_store_warns_and_goes_on(tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"\x00garbage" * 64)
    proc = cli("latency", "list", env_dir=tmp_path, check_rc=0)
    assert proc.stderr.startswith("warning: latency store") and "damaged" in proc.stderr
    assert "no stored measurements" in proc.stdout
    assert len(asides(tmp_path / FILE_NAME)) == 1
