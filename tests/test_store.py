"""LatencyStore: round trip, keys, verdicts (only good is reused), migration of schema-1 stores,
get-or-measure under the machine's lock (a CPU hog makes a result noisy, and it is measured
again), concurrent writers, damaged files, CSV export, CLI listing.

Reports here are mostly built from the pure layer_rows function with made-up latencies, so these
tests time little (except get-or-measure, the hog and the CLI ones, which measure or start Python).
"""

import csv
import dataclasses
import json
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from explorer import count, paper_config
from explorer.latency import MAX_ATTEMPTS, RETRY_WITHIN_S, layer_io_elements, layer_rows, measure_latency
from explorer.locations import CHECKOUT_DIR, ENV_DATA_DIR
from explorer.machine import available_cores, cpu_model, machine_name, torch_version
from explorer.measurement import UNVERIFIED_REASON, LatencyReport, LatencySettings
from explorer.quality import cpu_hogs
from explorer.store import FILE_NAME, SCHEMA_VERSION, LatencyStore, config_key, default_path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = LatencySettings(threads=1, budget_s=0.05)


def fake_report(config, settings=SETTINGS, median_ms=10.0, **changes) -> LatencyReport:
    """A good report as measure_latency would make on this machine, with made-up latencies."""
    cost = count(config)
    latencies = {row.name: 0.1 + 0.01 * i for i, row in enumerate(cost.layers)}
    rows = layer_rows(cost, layer_io_elements(config), latencies, settings.batch)
    layer_sum = sum(r.latency_ms for r in rows)
    report = LatencyReport(
        median_ms=median_ms, iqr_ms=0.5, runs=20, samples=20, threads=settings.resolved_threads, batch=settings.batch,
        device=settings.device, runtime=settings.runtime, torch_version=torch_version(), cpu=cpu_model(), machine=machine_name(),
        started_at="2026-01-02T03:04:05.000001+00:00", finished_at="2026-01-02T03:04:07.500000+00:00", layers=rows,
        layer_sum_ms=layer_sum, coverage=layer_sum / median_ms, layer_runs=7, budget_s=settings.budget_s, quality="good",
    )
    return dataclasses.replace(report, **changes)


NOISY = {"quality": "noisy", "quality_reasons": ("wide spread: IQR 4.00 ms is 40% of the median (limit 8%)",)}


def never(*args, **kwargs):
    raise AssertionError("measure was called although a good stored result exists")


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
    assert (row["arch"], row["width_multiplier"], row["resolution"], row["batch"], row["threads"], row["device"], row["runtime"]) == (
        "mobilenet_v2", 0.5, 128, 1, 1, "cpu", "eager")
    assert row["median_ms"] == report.median_ms and row["coverage"] == pytest.approx(report.coverage)
    assert (row["quality"], row["quality_reasons"], row["attempts"], row["waited_s"]) == ("good", [], 1, 0.0)
    assert (row["started_at"], row["finished_at"], row["measured_at"]) == (report.started_at, report.finished_at, report.finished_at)
    assert row["per_image_ms"] == report.median_ms and row["throughput_ips"] == pytest.approx(100.0)
    assert json.loads(row["config_json"]) == config.to_dict()


# --- verdicts: only good is reused ----------------------------------------------------------------


def test_noisy_is_stored_for_the_record_but_never_returned_as_an_answer(store):
    config = paper_config("v2", resolution=96)
    noisy = fake_report(config, **NOISY)
    assert store.put(config, SETTINGS, noisy) is True
    assert store.get(config, SETTINGS) is None
    assert store.lookup(config, SETTINGS) == dataclasses.replace(noisy, from_store=True)
    assert store.list_results()[0]["quality_reasons"] == list(NOISY["quality_reasons"])
    assert store.reusable_results() == []


def test_noisy_never_replaces_good_but_good_replaces_noisy(store):
    config = paper_config("v2", resolution=96)
    store.put(config, SETTINGS, fake_report(config, median_ms=10.0))
    assert store.put(config, SETTINGS, fake_report(config, median_ms=30.0, **NOISY)) is False
    assert store.get(config, SETTINGS).median_ms == 10.0
    other = paper_config("v1", resolution=96)
    store.put(other, SETTINGS, fake_report(other, median_ms=30.0, **NOISY))
    store.put(other, SETTINGS, fake_report(other, median_ms=31.0, **NOISY))  # noisy replaces noisy: the latest
    assert store.lookup(other, SETTINGS).median_ms == 31.0
    assert store.put(other, SETTINGS, fake_report(other, median_ms=11.0)) is True
    assert store.get(other, SETTINGS).median_ms == 11.0
    assert [r["quality"] for r in store.list_results()] == ["good", "good"]
    assert len(store.reusable_results()) == 2


def test_runtime_is_part_of_the_key(store, monkeypatch):
    import explorer.measurement as measurement

    monkeypatch.setattr(measurement, "RUNTIMES", ("eager", "other"))  # a runtime another module may add
    config = paper_config("v2", resolution=96)
    other = LatencySettings(threads=1, budget_s=0.05, runtime="other")
    store.put(config, other, fake_report(config, settings=other, median_ms=3.0))
    assert store.get(config, SETTINGS) is None and store.get(config, other).median_ms == 3.0
    store.put(config, SETTINGS, fake_report(config, median_ms=9.0))
    assert sorted(r["runtime"] for r in store.list_results()) == ["eager", "other"]


# --- get or measure -------------------------------------------------------------------------------


def test_get_or_measure_reuses_only_good(store):
    config = paper_config("v1", width_multiplier=0.25, resolution=32)
    store.put(config, SETTINGS, fake_report(config, median_ms=4.0))
    got = store.get_or_measure(config, SETTINGS, measure=never)
    assert got.from_store and got.median_ms == 4.0

    noisy = paper_config("v1", width_multiplier=0.25, resolution=40)
    store.put(noisy, SETTINGS, fake_report(noisy, **NOISY))
    calls = []

    def measure(config, settings, **kwargs):
        calls.append(kwargs)
        return measure_latency(config, settings, max_attempts=1, **kwargs)

    fresh = store.get_or_measure(noisy, SETTINGS, measure=measure)
    assert len(calls) == 1 and not fresh.from_store and fresh.median_ms != 10.0  # measured again, not reused
    assert store.lookup(noisy, SETTINGS).started_at == fresh.started_at  # the new one replaced the noisy row
    assert not store.lock.is_held()


def test_get_or_measure_remeasure_and_progress(store):
    config = paper_config("v1", width_multiplier=0.25, resolution=32)
    store.put(config, SETTINGS, fake_report(config, median_ms=4.0))
    messages = []
    fresh = store.get_or_measure(config, SETTINGS, measure=measure_latency, remeasure=True, max_attempts=1,
                                 progress=lambda f, m: messages.append((f, m)))
    assert not fresh.from_store and fresh.waited_s == 0.0 and messages[-1] == (1.0, "done")


@pytest.mark.parametrize("quality, kept_ms", [("good", 4.2), ("noisy", 4.0)])
def test_a_remeasurement_replaces_a_good_row_only_when_it_is_good_itself(store, quality, kept_ms):
    config = paper_config("v1", width_multiplier=0.25, resolution=32)
    store.put(config, SETTINGS, fake_report(config, median_ms=4.0))
    new = fake_report(config, median_ms=4.2, **(NOISY if quality == "noisy" else {}))  # 4.2 agrees with 4.0: no cross check

    def scripted(config, settings, progress, **kwargs):
        progress(1.0, "done")
        return new

    fresh = store.get_or_measure(config, SETTINGS, measure=scripted, remeasure=True)
    assert fresh.quality == quality and fresh.median_ms == 4.2
    stored = store.lookup(config, SETTINGS)
    assert stored.median_ms == kept_ms and stored.quality == "good"  # a noisy one never replaces the good row


def test_a_cpu_hog_on_every_core_makes_it_noisy_and_a_later_request_measures_again(store):
    config = paper_config("v2", width_multiplier=0.5, resolution=96)
    settings = LatencySettings(budget_s=0.4)  # all cores: the hogs leave none free
    calls = []

    def measure(config, settings, **kwargs):
        calls.append(1)
        return measure_latency(config, settings, retry_pause_s=0.1, **kwargs)

    with cpu_hogs(available_cores()):
        loaded = store.get_or_measure(config, settings, measure=measure)
    assert loaded.quality == "noisy"
    assert loaded.attempts == MAX_ATTEMPTS or loaded.elapsed_s > RETRY_WITHIN_S  # retried, within its bounds
    assert any("other processes used" in r or "measuring thread ran only" in r for r in loaded.quality_reasons), loaded.quality_reasons
    assert store.lookup(config, settings).quality == "noisy" and store.get(config, settings) is None
    later = store.get_or_measure(config, settings, measure=measure)
    assert len(calls) == 2 and not later.from_store  # not reused: measured again


def test_file_is_in_wal_mode(store):
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_default_path(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / FILE_NAME
    assert LatencyStore().path == tmp_path / "data" / FILE_NAME and (tmp_path / "data" / FILE_NAME).exists()
    monkeypatch.delenv(ENV_DATA_DIR)
    assert default_path() == CHECKOUT_DIR / ".data" / FILE_NAME
    # A directory given as the path holds the default file name.
    assert LatencyStore(tmp_path).path == tmp_path / FILE_NAME


# --- migration from schema 1 (no runtime, no verdict) ---------------------------------------------

# The store's schema before verdicts existed, as shipped: a file made by the previous version.
SCHEMA_1 = """
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY, config_json TEXT NOT NULL, batch INTEGER NOT NULL, threads INTEGER NOT NULL,
    device TEXT NOT NULL, torch_version TEXT NOT NULL, cpu TEXT NOT NULL, machine TEXT NOT NULL, gpu TEXT NOT NULL,
    arch TEXT NOT NULL, width_multiplier REAL NOT NULL, resolution INTEGER NOT NULL, num_classes INTEGER NOT NULL,
    median_ms REAL NOT NULL, iqr_ms REAL NOT NULL, runs INTEGER NOT NULL, layer_sum_ms REAL NOT NULL, coverage REAL NOT NULL,
    measured_at TEXT NOT NULL, report_json TEXT NOT NULL,
    UNIQUE (config_json, batch, threads, device, torch_version, cpu, machine, gpu)
);
PRAGMA user_version = 1;
"""
V1_REPORT_KEYS = ("median_ms", "iqr_ms", "runs", "threads", "batch", "device", "torch_version", "cpu", "machine", "layer_sum_ms",
                  "coverage", "layer_runs", "budget_s", "elapsed_s", "gpu", "from_store")


def old_store(path: Path, configs) -> None:
    """A schema-1 file with one row per config, each report JSON as the old code wrote it."""
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SCHEMA_1)
        for i, config in enumerate(configs):
            r = fake_report(config, median_ms=10.0 + i)
            data = {k: v for k, v in r.to_dict().items() if k in V1_REPORT_KEYS or k == "layers"}
            data["measured_at"] = f"2025-0{i + 1}-02T03:04:05+00:00"
            conn.execute(
                "INSERT INTO measurements (config_json, batch, threads, device, torch_version, cpu, machine, gpu, arch, width_multiplier, "
                "resolution, num_classes, median_ms, iqr_ms, runs, layer_sum_ms, coverage, measured_at, report_json) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (config_key(config), r.batch, r.threads, r.device, r.torch_version, r.cpu, r.machine, "", config.arch,
                 config.width_multiplier, config.resolution, config.num_classes, r.median_ms, r.iqr_ms, r.runs, r.layer_sum_ms,
                 r.coverage, data["measured_at"], json.dumps(data)))
        conn.commit()


OLD_CONFIGS = [paper_config("v1", resolution=64), paper_config("v2", resolution=96), paper_config("v2", width_multiplier=0.5)]


def test_old_store_is_migrated_without_losing_rows(tmp_path):
    path = tmp_path / FILE_NAME
    old_store(path, OLD_CONFIGS)
    store = LatencyStore(path)
    assert store.warning is None and not store.disabled
    rows = store.list_results()
    assert len(rows) == len(OLD_CONFIGS)
    assert [r["median_ms"] for r in rows] == [10.0, 11.0, 12.0]  # same order (measured_at), same values
    assert {r["quality"] for r in rows} == {"unverified"} and {r["runtime"] for r in rows} == {"eager"}
    assert all(r["quality_reasons"] == [UNVERIFIED_REASON] for r in rows)
    assert [r["started_at"] for r in rows] == [r["finished_at"] for r in rows] == [f"2025-0{i + 1}-02T03:04:05+00:00" for i in range(3)]
    assert rows[1]["per_image_ms"] == 11.0 and rows[1]["throughput_ips"] == pytest.approx(1000 / 11)
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for i, config in enumerate(OLD_CONFIGS):
        assert store.get(config, SETTINGS) is None  # never reused silently
        old = store.lookup(config, SETTINGS)  # but shown, as unverified, with its numbers and layers
        assert old.quality == "unverified" and not old.reusable and old.median_ms == 10.0 + i
        assert old.quality_reasons == (UNVERIFIED_REASON,) and old.started_at == old.finished_at == rows[i]["measured_at"]
        assert len(old.layers) == len(count(config).layers)
    # A new good measurement replaces the unverified row; the others stay.
    store.put(OLD_CONFIGS[0], SETTINGS, fake_report(OLD_CONFIGS[0], median_ms=9.0))
    assert store.get(OLD_CONFIGS[0], SETTINGS).median_ms == 9.0 and len(store.list_results()) == 3


def test_two_processes_opening_an_old_store_migrate_it_once(tmp_path):
    path = tmp_path / FILE_NAME
    old_store(path, OLD_CONFIGS)
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from explorer.store import LatencyStore; s = LatencyStore({str(path)!r}); print(len(s.list_results()), s.warning)"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [out.strip() for out, _ in outs] == ["3 None"] * 3, outs
    assert len(LatencyStore(path).list_results()) == 3


def test_a_store_from_a_newer_version_is_left_alone(tmp_path):
    path = tmp_path / FILE_NAME
    old_store(path, OLD_CONFIGS)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    store = LatencyStore(path)
    assert store.disabled and "newer version" in store.warning
    assert store.list_results() == [] and path.read_bytes() == before and not asides(path)


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


def test_a_problem_is_the_callers_not_every_threads(store):
    """One store object serves every session: what one thread's operations met is not another's."""
    config = paper_config("v2", resolution=64)
    store.put(config, SETTINGS, fake_report(config))
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE measurements SET report_json = '{'")
    seen = {}

    def other_session():
        seen["before"] = store.warning
        store.list_results()  # reads fine: meets nothing
        seen["after"] = store.warning

    assert store.get(config, SETTINGS) is None and "unreadable stored report" in store.warning
    thread = threading.Thread(target=other_session)
    thread.start()
    thread.join()
    assert seen == {"before": None, "after": None}
    assert "unreadable stored report" in store.warning  # still this caller's, until it clears it
    store.warning = None
    assert store.warning is None and not store.disabled


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


def test_cli_list_and_export(cli, tmp_path):
    assert "no stored measurements" in cli("latency", "list", env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout
    store = LatencyStore(tmp_path / FILE_NAME)
    config = paper_config("v2", width_multiplier=0.75, resolution=160)
    store.put(config, SETTINGS, fake_report(config, median_ms=12.345))

    rows = json.loads(cli("latency", "list", "--json", env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout)
    assert len(rows) == 1 and rows[0]["median_ms"] == 12.345 and rows[0]["resolution"] == 160
    assert rows[0]["quality"] == "good" and rows[0]["quality_reasons"] == []
    text = cli("latency", "list", env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout
    assert "mobilenet_v2 α=0.75 160px" in text and "12.35" in text and "1 measurement in" in text
    assert "quality" in text.splitlines()[0] and " good " in text.splitlines()[2] and "never reused" not in text

    target = tmp_path / "export.csv"
    proc = cli("latency", "export", "--csv", target, env={ENV_DATA_DIR: tmp_path}, check_rc=0)
    assert proc.stdout.strip() == f"wrote 1 measurement to {target}"
    with open(target, newline="") as f:
        assert [r["resolution"] for r in csv.DictReader(f)] == ["160"]

    other = tmp_path / "elsewhere.sqlite3"
    assert json.loads(cli("latency", "list", "--json", "--store", other, env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout) == []


def test_cli_list_shows_noisy_and_unverified(cli, tmp_path):
    old_store(tmp_path / FILE_NAME, OLD_CONFIGS[:1])
    store = LatencyStore(tmp_path / FILE_NAME)
    noisy = OLD_CONFIGS[1]
    store.put(noisy, SETTINGS, fake_report(noisy, **NOISY))
    lines = cli("latency", "list", env={ENV_DATA_DIR: tmp_path}, check_rc=0).stdout.splitlines()
    assert " unverified " in lines[2] and " noisy " in lines[3]
    assert any("never reused" in line for line in lines[-2:])


def test_cli_export_errors(cli, tmp_path):
    proc = cli("latency", "export", "--csv", tmp_path / "missing" / "x.csv", env={ENV_DATA_DIR: tmp_path}, check_rc=2)
    assert proc.stderr.startswith("error: --csv: cannot write") and len(proc.stderr.strip().splitlines()) == 1
    proc = cli("latency", "export", env={ENV_DATA_DIR: tmp_path}, check_rc=2)
    assert "--csv" in proc.stderr


def test_cli_damaged_store_warns_and_goes_on(cli, tmp_path):
    (tmp_path / FILE_NAME).write_bytes(b"\x00garbage" * 64)
    proc = cli("latency", "list", env={ENV_DATA_DIR: tmp_path}, check_rc=0)
    assert proc.stderr.startswith("warning: latency store") and "damaged" in proc.stderr
    assert "no stored measurements" in proc.stdout
    assert len(asides(tmp_path / FILE_NAME)) == 1
