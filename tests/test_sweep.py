"""Measured sweeps (issue 14): reuse of stored points, stop and resume, the CLI, and the Ray backend.

Every measurement here is real (eager PyTorch), with tiny budgets and small resolutions; the
checks are about which points get measured, what is stored and when, never about timings.
The Ray tests share one local cluster (module scope) and talk to it both in-process and from a
CLI subprocess (``--ray ADDRESS``). The other CLI runs are in-process (the ``cli`` fixture), except
the sweep that is killed by a signal.

Only *good* measurements are reused (the quality rules of issue 10): where a tiny-budget
measurement comes out noisy on a busy machine, the tests expect it to be measured again, so they
hold whatever the verdicts are. A report without a verdict (``quality`` None) comes from a version
that does not judge quality, whose store reuses everything.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from explorer.cli.formatters import sweep_result_dict
from explorer.config import ConfigError
from explorer.machine import machine_name
from explorer.store import LatencyStore
from explorer.sweep import FAILED, FINISHED, MEASURED, REUSED, STOPPED, SweepJob, SweepPoint, check_settings, grid

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 0.1
FOUR = dict(archs=["v2"], widths=[0.5, 1.0], resolutions=[32, 48])  # 4 points
CLI_GRID = ["--arch", "v2", "--widths", "0.5,1.0", "--resolutions", "32,48", "--threads", "1"]


def points(budget: float = BUDGET, **grid_args) -> list[SweepPoint]:
    args = {**FOUR, **grid_args}
    return grid(args.pop("archs"), args.pop("widths"), args.pop("resolutions"), threads=[1], budget_s=budget, **args)


def sweep_argv(*args: str, store: Path) -> list[str]:
    return ["sweep", "--latency", *args, "--store", str(store)]


def run_cli_process(*args: str, store: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter, for the runs that need one: a sweep killed by a signal, and a
    driver joining a Ray cluster that this test process is already connected to (ray.init once)."""
    return subprocess.run([sys.executable, "-m", "explorer", *sweep_argv(*args, store=store)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def statuses(results) -> list[str]:
    return [r.status for r in results]


def set_stored_quality(store: LatencyStore, quality: str, *, resolution: int | None = None) -> int:
    """Set the verdict of the stored rows (those at ``resolution``, or all), whatever the measurements
    said: a state where exactly one outcome of the next sweep is right. Returns the rows changed."""
    where, args = (" WHERE resolution = ?", (resolution,)) if resolution is not None else ("", ())
    with closing(sqlite3.connect(store.path)) as conn, conn:
        return conn.execute(f"UPDATE measurements SET quality = ?{where}", (quality, *args)).rowcount


def when(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


# --- the grid -----------------------------------------------------------------------------------


def test_grid_is_every_combination_in_a_stable_order():
    ps = grid(["v1", "v2"], [0.5, 1.0], [32, 64], runtimes=["eager"], batches=[1, 2], threads=[1])
    assert len(ps) == 2 * 2 * 2 * 2
    assert [(p.config.arch, p.config.width_multiplier, p.config.resolution, p.batch) for p in ps[:3]] == [
        ("mobilenet_v1", 0.5, 32, 1), ("mobilenet_v1", 0.5, 32, 2), ("mobilenet_v1", 0.5, 64, 1)]
    assert len({p.label for p in ps}) == len(ps)  # labels tell points apart (progress lines, task names)


def test_grid_names_the_bad_point():
    with pytest.raises(ConfigError) as err:
        grid(["v2"], [1.0, 9.0], [224])
    assert "width 9" in str(err.value) and "width_multiplier" in str(err.value)


def test_settings_are_checked_before_anything_is_measured():
    with pytest.raises(ConfigError) as err:
        check_settings(points(runtimes=["eager", "nonsense"]))
    assert err.value.field == "runtime"
    with pytest.raises(ConfigError) as err:
        check_settings(grid(["v2"], [1.0], [32], threads=[10_000]))
    assert err.value.field == "threads"
    # On a cluster the nodes' cores decide, so a large count passes here; a non-positive one never does.
    check_settings(grid(["v2"], [1.0], [32], threads=[10_000]), local=False)
    with pytest.raises(ConfigError):
        check_settings(grid(["v2"], [1.0], [32], threads=[0]), local=False)


# --- the job, on this machine -------------------------------------------------------------------


def test_a_stopped_job_resumes_with_only_the_missing_points(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    grid_points = points()

    def stop_after_two(result, progress):
        if progress.measured == 2:
            job.stop()

    job = SweepJob(grid_points, store, on_result=stop_after_two)
    first = job.run()
    assert statuses(first) == [MEASURED, MEASURED]
    assert job.progress.state == STOPPED and job.progress.remaining == 2
    assert len(store.list_results()) == 2  # each result was stored as it came

    assert set_stored_quality(store, "good") == 2
    second = SweepJob(grid_points, store).run()
    assert statuses(second) == [REUSED, REUSED, MEASURED, MEASURED]
    for before, after in zip(first, second[:2]):  # the stored reports, not new ones
        assert after.report.from_store and after.report.median_ms == before.report.median_ms
    assert len(store.list_results()) == 4

    # A noisy stored row is measured again, a good one reused (grid order: 0.5/32, 0.5/48, 1.0/32, 1.0/48).
    assert set_stored_quality(store, "good") == 4 and set_stored_quality(store, "noisy", resolution=48) == 2
    third = SweepJob(grid_points, store).run()
    assert statuses(third) == [REUSED, MEASURED, REUSED, MEASURED]


def test_a_background_job_reports_progress_until_done(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    job = SweepJob(points(widths=[0.5]), store)
    seen = []
    job.start()
    while not job.wait(0.02):
        seen.append(job.progress)
    final = job.progress
    assert final.state == FINISHED and final.done == final.total == 2 and final.remaining == 0 and final.eta_s == 0
    assert final.running == ()
    dones = [p.done for p in seen]
    assert dones == sorted(dones)  # never goes backwards
    measuring = [p for p in seen if p.running]
    assert measuring and all(len(p.running) == 1 for p in measuring)  # one at a time on one machine
    assert all(p.eta_s is None for p in seen if p.measured == 0)  # no estimate before a measurement
    assert any(p.eta_s is not None and p.eta_s > 0 for p in seen if p.measured == 1)


def test_a_failing_point_is_reported_and_the_sweep_goes_on(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    grid_points = points(widths=[0.5], resolutions=[32], runtimes=["eager", "no-such-runtime"])
    results = SweepJob(grid_points, store).run()
    assert statuses(results) == [MEASURED, FAILED]
    assert "runtime" in results[1].error and results[1].report is None
    assert sweep_result_dict(results[1])["latency"] is None and sweep_result_dict(results[1])["settings"]["runtime"] == "no-such-runtime"
    assert len(store.list_results()) == 1


def test_stop_abandons_the_running_measurement_without_storing_it(tmp_path):
    store = LatencyStore(tmp_path / "s.sqlite3")
    job = SweepJob(points(budget=3.0, widths=[0.5], resolutions=[64]), store)
    job.start()
    deadline = time.monotonic() + 60
    while not job.progress.running and time.monotonic() < deadline:
        time.sleep(0.01)
    job.stop()
    assert job.wait(30)
    # Left at its next phase: had it run to the end, it would be a result and a stored row.
    assert job.progress.state == STOPPED and job.results == [] and job.progress.running == ()
    assert store.list_results() == []


# --- the command line ---------------------------------------------------------------------------


def test_cli_measures_four_points_then_reuses_all_four(cli, tmp_path):
    store = tmp_path / "s.sqlite3"
    first = cli(*sweep_argv(*CLI_GRID, "--budget", str(BUDGET), "--json", store=store))
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    assert [o["status"] for o in out] == [MEASURED] * 4
    assert [(o["config"]["width_multiplier"], o["config"]["resolution"]) for o in out] == [(0.5, 32), (0.5, 48), (1.0, 32), (1.0, 48)]
    for o in out:
        assert {"config", "params", "macs", "latency"} <= set(o)
        assert o["params"] > 0 and o["macs"] > 0 and o["config"]["schema_version"] == 1
        lat = o["latency"]
        assert {"runtime", "quality", "from_store", "started_at", "finished_at", "machine", "median_ms", "threads", "layers"} <= set(lat)
        assert lat["runtime"] == "eager" and lat["from_store"] is False and lat["threads"] == 1 and lat["machine"] == machine_name()
        assert when(lat["started_at"]) < when(lat["finished_at"])
    intervals = sorted((when(o["latency"]["started_at"]), when(o["latency"]["finished_at"])) for o in out)
    assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:]))  # one at a time
    assert "[4/4]" in first.stderr and "to go" in first.stderr and "left" in first.stderr  # progress on stderr

    assert set_stored_quality(LatencyStore(store), "good") == 4  # whatever the verdicts: all four are to be reused
    second = cli(*sweep_argv(*CLI_GRID, "--budget", str(BUDGET), "--json", store=store))
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert [o["status"] for o in again] == [REUSED] * 4
    for before, after in zip(out, again):
        assert after["latency"]["from_store"] is True and after["latency"]["median_ms"] == before["latency"]["median_ms"]
    assert "all 4 points were already in the store" in second.stderr

    table = cli(*sweep_argv(*CLI_GRID, "--budget", str(BUDGET), store=store))
    assert table.returncode == 0 and "median ms" in table.stdout
    assert table.stdout.count("reused") + table.stdout.count("measured") == 4


def test_cli_killed_mid_sweep_resumes_with_only_the_missing_points(cli, tmp_path):
    store_path = tmp_path / "s.sqlite3"
    args = ["--arch", "v2", "--widths", "0.35,0.5,0.75", "--resolutions", "32,48", "--threads", "1", "--budget", "0.3"]
    # A subprocess: the test sends it SIGTERM mid-sweep, as a user's kill would.
    proc = subprocess.Popen([sys.executable, "-m", "explorer", *sweep_argv(*args, store=store_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if store_path.exists() and LatencyStore(store_path).list_results():
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert out == "" and "sweep interrupted" in err and "Traceback" not in err
    rows = LatencyStore(store_path).list_results()
    assert 1 <= len(rows) < 6
    set_stored_quality(LatencyStore(store_path), "good")  # every stored point is then to be reused, whatever its verdict
    stored = {(r["width_multiplier"], r["resolution"]) for r in rows}

    resumed = cli(*sweep_argv(*args, "--json", store=store_path))
    assert resumed.returncode == 0, resumed.stderr
    again = json.loads(resumed.stdout)
    reused = {(o["config"]["width_multiplier"], o["config"]["resolution"]) for o in again if o["status"] == REUSED}
    measured = [o for o in again if o["status"] == MEASURED]
    assert reused == stored and len(measured) == 6 - len(stored)  # nothing lost, nothing measured twice
    assert len(LatencyStore(store_path).list_results()) == 6


def test_cli_rejects_bad_sweep_input_with_one_line(cli, tmp_path):
    store = str(tmp_path / "s.sqlite3")
    cases = [
        (["--runtime", "eager,nonsense"], "--runtime"),
        (["--threads", "0"], "--threads"),
        (["--threads", "one"], "--threads"),
        (["--batch", "0"], "--batch"),
        (["--budget", "-1"], "--budget"),
        (["--widths", "9"], "width 9"),
        (["--every-node"], "--every-node"),
    ]
    for extra, named in cases:
        argv = ["sweep", "--latency", "--arch", "v2", "--widths", "1.0", "--resolutions", "32", "--store", store, *extra]
        result = cli(*argv)
        assert result.returncode == 2, extra
        err = result.stderr.strip()
        assert err.startswith("error: ") and named in err and "\n" not in err, (extra, err)
    assert not Path(store).exists() or LatencyStore(store).list_results() == []
    err = cli("sweep", "--arch", "v2", "--widths", "1.0", "--resolutions", "32", "--runtime", "eager", check_rc=2).stderr
    assert "--runtime needs --latency" in err


def test_cli_analytic_sweep_is_unchanged(cli):
    out = json.loads(cli("sweep", "--arch", "v1", "--widths", "0.5,1.0", "--resolutions", "128,224", "--json", check_rc=0).stdout)
    assert [(o["config"]["width_multiplier"], o["config"]["resolution"]) for o in out] == [(0.5, 128), (0.5, 224), (1.0, 128), (1.0, 224)]
    assert set(out[0]) == {"config", "params", "weight_params", "macs", "fp32_bytes"}
    header = cli("sweep", "--arch", "v2", "--widths", "1.0", "--resolutions", "224", check_rc=0).stdout.splitlines()[0].split()
    assert header == ["width", "resolution", "params", "MACs"]


def test_cli_ray_without_ray_installed_exits_2_with_the_install_command(cli, tmp_path, monkeypatch):
    import explorer.sweep_ray

    monkeypatch.setattr(explorer.sweep_ray, "ray", None)  # what its guarded `import ray` leaves when Ray is not installed
    result = cli(*sweep_argv(*CLI_GRID, "--ray", "local", store=tmp_path / "s.sqlite3"))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("error: --ray:")
    assert "pip install 'mobilenet-explorer[distributed]'" in line and "requirements-distributed.txt" in line


# --- on a Ray cluster -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ray_cluster():
    """One local Ray cluster for the module: a node with 2 CPUs and one latency slot."""
    ray = pytest.importorskip("ray", reason="Ray is an optional extra (requirements-distributed.txt)")
    ray.init(address="local", num_cpus=2, resources={"latency_slot": 1}, include_dashboard=False, log_to_driver=False,
             logging_level="ERROR")
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def ray_backend(**options):
    from explorer.sweep_ray import ray_backend

    return ray_backend("local", **options)  # the fixture's cluster is already initialized: it is used as is


def assert_one_at_a_time_per_node(results):
    by_node: dict[str, list] = {}
    for r in results:
        if r.status == MEASURED:
            assert r.node  # the node that measured it is recorded
            by_node.setdefault(r.node, []).append((when(r.started_at), when(r.finished_at)))
    for intervals in by_node.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:])), intervals


def shape(value):
    """The structure of a JSON value: keys and types, list lengths of layers; no numbers. A list of
    plain values is just a list: how many quality reasons a measurement has depends on the machine."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value] if any(isinstance(v, (dict, list)) for v in value) else "list"
    return type(value).__name__ if value is not None else None


def test_ray_sweep_stores_results_like_a_local_one_and_never_overlaps_on_a_node(ray_cluster, tmp_path):
    grid_points = points(archs=["v1", "v2"], widths=[0.5], resolutions=[32, 48])
    local_store, ray_store = LatencyStore(tmp_path / "local.sqlite3"), LatencyStore(tmp_path / "ray.sqlite3")
    local = SweepJob(grid_points, local_store).run()
    job = SweepJob(grid_points, ray_store, backend=ray_backend())
    remote = job.run()
    assert statuses(remote) == [MEASURED] * 4 and job.progress.parallelism == 1
    assert_one_at_a_time_per_node(remote)
    for a, b in zip(local, remote):
        da, db = sweep_result_dict(a), sweep_result_dict(b)
        assert da["config"] == db["config"] and da["params"] == db["params"] and da["macs"] == db["macs"]
        assert shape(da["latency"]) == shape(db["latency"])
        assert db["latency"]["machine"] == machine_name() and b.pid != os.getpid()  # measured in a Ray worker
        stored = ray_store.lookup(b.point.config, b.point.settings())  # get() would hide a noisy result
        assert stored is not None and stored.median_ms == b.report.median_ms  # the driver stored it
    assert set_stored_quality(ray_store, "good") == 4 and set_stored_quality(ray_store, "noisy", resolution=32) == 2
    assert statuses(SweepJob(grid_points, ray_store, backend=ray_backend()).run()) == [MEASURED, REUSED, MEASURED, REUSED]


def test_cli_on_an_existing_ray_cluster(cli, ray_cluster, tmp_path):
    # A subprocess: a second driver joining the cluster; this process is already connected to it.
    result = run_cli_process(*CLI_GRID, "--budget", str(BUDGET), "--json", "--ray", ray_cluster, store=tmp_path / "s.sqlite3")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [o["status"] for o in out] == [MEASURED] * 4
    local = cli(*sweep_argv(*CLI_GRID, "--budget", str(BUDGET), "--json", store=tmp_path / "local.sqlite3"), check_rc=0)
    assert [shape(o["latency"]) for o in out] == [shape(o["latency"]) for o in json.loads(local.stdout)]
    tasks = sorted((when(o["task"]["started_at"]), when(o["task"]["finished_at"])) for o in out)
    assert len({o["task"]["node"] for o in out}) == 1 and all(a[1] <= b[0] for a, b in zip(tasks, tasks[1:]))
    assert len(LatencyStore(tmp_path / "s.sqlite3").list_results()) == 4


def test_every_node_pins_each_point_to_each_node(ray_cluster, tmp_path):
    from explorer.sweep_ray import every_node

    store = LatencyStore(tmp_path / "s.sqlite3")
    with ray_backend() as backend:
        nodes = backend.nodes()
        assert [n["machine"] for n in nodes] == [machine_name()] and nodes[0]["cores"] >= 1
        pinned = every_node(points(widths=[0.5]), nodes)
        results = SweepJob(pinned, store, backend=backend).run()
    assert statuses(results) == [MEASURED] * 2
    assert {r.node for r in results} == {nodes[0]["node"]} and all(machine_name() in r.point.label for r in results)
    assert set_stored_quality(store, "good") == 2
    assert statuses(SweepJob(pinned, store, backend=ray_backend()).run()) == [REUSED, REUSED]


def test_a_killed_ray_worker_loses_nothing_and_its_point_is_retried(ray_cluster, tmp_path):
    import psutil

    store = LatencyStore(tmp_path / "s.sqlite3")
    grid_points = points(budget=2.0, widths=[0.5], resolutions=[32, 48, 64])
    job = SweepJob(grid_points, store, backend=ray_backend(max_retries=1)).start()
    victim, deadline = None, time.monotonic() + 120
    while victim is None and time.monotonic() < deadline and not job.wait(0.05):
        for proc in psutil.process_iter(["pid", "cmdline"]):
            title = " ".join(proc.info["cmdline"] or [])
            if title.startswith("ray::measure ") and job.progress.done >= 1:  # one point stored, the next one running
                victim = (proc.info["pid"], title.removeprefix("ray::measure ").strip())
                break
    assert victim is not None, "no measuring Ray worker seen"
    stored_before = {r["resolution"] for r in store.list_results()}
    os.kill(victim[0], signal.SIGKILL)
    killed_at = dt.datetime.now(dt.timezone.utc)
    assert job.wait(180)
    results = job.results
    assert job.progress.state == FINISHED and len(results) == 3
    killed = next(r for r in results if r.point.label == victim[1])
    if killed.status == MEASURED:  # retried, by a fresh worker, after the kill
        assert killed.pid != victim[0] and when(killed.started_at) > killed_at
    else:
        assert killed.status == FAILED and killed.error
    assert_one_at_a_time_per_node(results)
    rows = store.list_results()
    assert stored_before <= {r["resolution"] for r in rows}  # nothing stored earlier was lost
    assert len(rows) == sum(r.status == MEASURED for r in results)  # exactly the measured points, each readable
    for r in results:
        if r.status == MEASURED:
            assert store.lookup(r.point.config, r.point.settings()).median_ms == r.report.median_ms  # noisy ones too
