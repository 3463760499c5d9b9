"""The store's good figures by machine (explorer.machine_latencies): one scan per store version."""

from test_store import SETTINGS, fake_report

from explorer import paper_config
from explorer.machine import machine_name
from explorer.machine_latencies import group_by_machine, machine_latencies, measured_latencies
from explorer.store import FILE_NAME, LatencyStore, config_key

HERE_CONDITIONS = ("cpu X", "eager", 4, "2.0")


def row(config, ms, machine="box", cpu="cpu X", runtime="eager", threads=4, torch="2.0", batch=1, device="cpu"):
    return dict(config_json=config_key(config), median_ms=ms, machine=machine, cpu=cpu, runtime=runtime, threads=threads,
                torch_version=torch, batch=batch, device=device)


def test_one_set_of_conditions_per_machine_the_latest_row_wins():
    v1, v2 = paper_config("v1"), paper_config("v2")
    rows = [
        row(v1, 30.0), row(v1, 20.0),  # measured twice: the later one counts
        row(v2, 5.0, threads=1),  # here, but not the preferred conditions: counted in "others"
        row(v1, 7.0, machine="other", runtime="onnxruntime"), row(v2, 8.0, machine="other", runtime="onnxruntime"),
        row(v1, 9.0, machine="other"),  # the other machine's smaller set
        row(v2, 1.0, batch=8), row(v2, 1.0, device="cuda"), dict(row(v2, 1.0), config_json="{"),  # not used at all
    ]
    got = group_by_machine(rows, here="box", preferred=HERE_CONDITIONS)
    assert list(got) == ["box", "other"]  # this machine first
    assert got["box"].by_config == {v1: 20.0} and got["box"].others == 1
    assert got["other"].runtime == "onnxruntime" and got["other"].by_config == {v1: 7.0, v2: 8.0} and got["other"].others == 1


def test_computed_once_per_store_version(tmp_path, monkeypatch):
    store = LatencyStore(tmp_path / FILE_NAME)
    scans = []
    real = store.reusable_results
    monkeypatch.setattr(store, "reusable_results", lambda: scans.append(1) or real())
    config = paper_config("v2", resolution=96)
    assert machine_latencies(store) == {}
    assert machine_latencies(store) == {} and len(scans) == 1  # unchanged store: no second scan
    store.put(config, SETTINGS, fake_report(config, median_ms=12.5))
    found = machine_latencies(store)  # a write changes the version: scanned again
    assert len(scans) == 2 and machine_name() in found
    assert found[machine_name()].by_config == {config: 12.5}
    measured_latencies(store, machine_name())
    assert len(scans) == 2
