"""The Ray backend of measured sweeps: points go to a Ray cluster, results come back to the driver's store.

Ray is an optional extra (``pip install mobilenet-explorer[distributed]``): this module imports
without it, and :func:`ray_backend` then raises a :class:`ConfigError` with the install command.

* **One measurement at a time per node**: every task asks for one unit of the custom resource
  ``latency_slot``, and each node offers one (``ray start ... --resources='{"latency_slot": 1}'``;
  ``--ray local`` declares it itself). Ray then never runs two measurements on one node, while
  nodes measure in parallel; no global lock is involved. Each task also takes the node's
  machine-wide measurement lock (one file per machine, whatever the store or package,
  :func:`explorer.lock.machine_lock_path`), so the app, a CLI run or another Ray node on that
  machine waits for it and it waits for them: two Ray nodes started on one machine each offer a
  slot, and the lock keeps them from measuring at once.
* **Only the driver writes the store**: a task returns its report (which records the node's
  machine, CPU and torch version) and the driver stores it as soon as ``ray.wait`` hands it over.
  Only a few tasks per slot are in flight at a time, and each point is checked against the store
  again right before it is sent, so another sweep's results are not measured twice.
* **Failures**: a task whose worker process or node dies is run again by Ray (``max_retries``,
  on any node with a free slot); when the retries are spent the point is reported as failed.
  Nothing stored earlier is touched: results are written one row per transaction by the driver.
  An error inside the measurement (a runtime that cannot load the model) is not retried: it is
  returned and reported as the point's failure.
* **Code**: when the backend connects, it ships the driver's own ``explorer`` package to the
  cluster (Ray's ``py_modules``, uploaded once and cached by content), so every node measures with
  the same code whatever is installed there and wherever the driver was started; the nodes need
  the dependencies (torch, the runtimes, Ray itself). A connection made by someone else is used
  as it is: its ``runtime_env`` must make ``explorer`` importable on the workers.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import utc_now
from .config import ConfigError
from .errors import error_text
from .machine import available_cores
from .sweep import FAILED, MEASURED, REUSED, SweepJob, SweepPoint, SweepResult, machine_lock, measure_once

try:
    import ray
    from ray.exceptions import GetTimeoutError, RayError
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
except ImportError:  # the optional extra is not installed: ray_backend() says how to install it
    ray = None

if TYPE_CHECKING:
    from collections.abc import Sequence

SLOT = "latency_slot"
MAX_RETRIES = 2  # runs of a point after its worker or node died, beyond the first
IN_FLIGHT_PER_SLOT = 2  # one measuring and one queued behind it, per slot: a freed slot never idles
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Ray colours task names in its error messages
WAIT_S = 0.5  # ray.wait timeout: keeps Ctrl-C and stop() responsive
NO_SLOT_GRACE_S = 60.0  # a cluster without any latency slot for this long cannot finish: fail what is left
START_COMMAND = 'ray start --address=HEAD:6379 --resources=\'{"latency_slot": 1}\''


INSTALL = ("Ray is not installed: pip install 'mobilenet-explorer[distributed]' "
           "(or, in a checkout, pip install -r requirements-distributed.txt)")


def ray_backend(address: str = "local", **options: Any) -> RayBackend:
    """A backend that measures on the Ray cluster at ``address`` (``"local"`` starts one on this machine).

    Raises :class:`ConfigError` (field ``ray``) with the install command when Ray is not installed.
    """
    if ray is None:
        raise ConfigError("ray", INSTALL)
    return RayBackend(address, **options)


def measure_task(point: SweepPoint, store_path: str | None = None) -> dict[str, Any]:
    """Run on a Ray worker: measure one point; returns the report or the error (never raises for it).

    ``store_path`` is the driver's store: when this worker had to wait for the machine's lock and
    that file is on its machine (``--ray local``, or a node sharing the driver's disk), a good
    result stored meanwhile is returned instead of measuring again (``"reused"``).
    """
    started, started_at = time.monotonic(), utc_now()
    envelope: dict[str, Any] = {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid(), "started_at": started_at}
    try:
        settings = point.settings()  # built here: "all cores" and the thread limit are this node's
        envelope["report"] = measure_once(point.config, settings, lock=machine_lock(), stored=_stored(point, settings, store_path))
        envelope["settings"] = settings
        envelope["reused"] = envelope["report"].from_store
    except Exception as err:
        envelope["error"] = error_text(err)
    envelope["finished_at"] = utc_now()
    envelope["duration_s"] = time.monotonic() - started
    return envelope


def _stored(point: SweepPoint, settings: Any, store_path: str | None) -> Any:
    def reuse() -> Any:
        if store_path is None or not Path(store_path).is_file():
            return None
        from .store import LatencyStore

        return LatencyStore(store_path).get(point.config, settings)

    return reuse


def describe_node() -> dict[str, Any]:
    """Run on a node: its id and machine, named as the latency store names machines."""
    from .latency import cpu_model, machine_name

    return {"node": ray.get_runtime_context().get_node_id(), "machine": machine_name(), "cpu": cpu_model(), "cores": available_cores()}


class RayBackend:
    """Measure on the Ray cluster at ``address`` (``"local"``: start a one-node cluster on this machine).

    Each :meth:`run` connects and disconnects (a local cluster is started and shut down again),
    unless the backend is used as a context manager, which keeps one connection for every job
    run inside it. If Ray is already initialized in this process (a test's cluster, an app), that
    connection is used as it is and left open.
    """

    name = "ray"

    def __init__(self, address: str = "local", *, num_cpus: int | None = None, max_retries: int = MAX_RETRIES,
                 ship_code: bool = True):
        self.address = address
        self.num_cpus = num_cpus
        self.max_retries = max_retries
        self.ship_code = ship_code
        self._connected_here = False
        self._held = False

    def __enter__(self) -> RayBackend:
        self._connected_here = self._connect()
        self._held = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._held = False
        self.close()

    def close(self) -> None:
        """Disconnect if this backend connected (shutting down a local cluster it started)."""
        if self._connected_here:
            self._connected_here = False
            ray.shutdown()

    def run(self, job: SweepJob, todo: Sequence[int]) -> None:
        if not self._held:
            self._connected_here = self._connect()
        inflight: dict[Any, int] = {}
        try:
            self._run(job, todo, inflight)
        finally:
            for ref in inflight:  # stopped or interrupted: running measurements are abandoned, never stored
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # already finished, or the cluster is gone
                    pass
            if not self._held:
                self.close()

    # --- internals ------------------------------------------------------------------------------

    def _connect(self) -> bool:
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False}
        if self.address == "local":
            # address="local" always starts a new cluster, even if one is running here already. Ray's
            # notice that a new local cluster uses token authentication is not news to a sweep user.
            options.update(address="local", num_cpus=self.num_cpus or available_cores(), resources={SLOT: 1}, logging_level=logging.ERROR)
        else:
            options["address"] = self.address
        if self.ship_code:
            import explorer

            options["runtime_env"] = {"py_modules": [str(Path(explorer.__file__).parent)]}
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as err:
            hint = "" if self.address == "local" else (
                " (is Ray running there, the same version? A cluster with token authentication needs RAY_AUTH_MODE=token "
                "and its token in ~/.ray/auth_token or RAY_AUTH_TOKEN; on a node of the cluster, --ray auto finds both)")
            raise ConfigError("ray", f"cannot connect to the Ray cluster at {self.address!r}: {error_text(err)}{hint}") from None
        return True

    def nodes(self) -> list[dict[str, Any]]:
        """The alive nodes that offer a latency slot, each described by itself (``node``, ``machine``, ``cpu``, ``cores``).

        Call inside ``with backend:`` (the connection must be open). For :func:`every_node` sweeps.
        """
        ids = [n["NodeID"] for n in ray.nodes() if n.get("Alive") and n.get("Resources", {}).get(SLOT, 0) >= 1]
        probe = ray.remote(num_cpus=0)(describe_node)
        refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False)).remote() for node_id in ids]
        return sorted(ray.get(refs, timeout=120), key=lambda n: (n["machine"], n["node"]))

    def _slots(self) -> int:
        return int(ray.cluster_resources().get(SLOT, 0))

    def _run(self, job: SweepJob, todo: Sequence[int], inflight: dict[Any, int]) -> None:
        slots = self._slots()
        if slots == 0:
            raise ConfigError("ray", f"no node of the Ray cluster at {self.address!r} offers a {SLOT!r}: start every node with {START_COMMAND}")
        job.set_parallelism(slots)
        task = ray.remote(resources={SLOT: 1}, num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(measure_task)
        pending = deque(todo)
        checked, no_slot_since = time.monotonic(), None
        while pending or inflight:
            if job.stop_requested:
                return
            while pending and len(inflight) < IN_FLIGHT_PER_SLOT * slots:
                index = pending.popleft()
                stored = job.lookup(index)  # another sweep may have stored it since the job began
                if stored is not None:
                    job.record(SweepResult(index, job.points[index], REUSED, report=stored))
                    continue
                point = job.points[index]
                options: dict[str, Any] = {"name": f"measure {point.label}"}
                if point.node is not None:  # this node's measurement: never retried elsewhere
                    options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(point.node, soft=False)
                inflight[task.options(**options).remote(point, str(job.store.path))] = index
                job.measuring(index, True)
            if not inflight:
                continue
            ready, _ = ray.wait(list(inflight), num_returns=1, timeout=WAIT_S)
            for ref in ready:
                index = inflight.pop(ref)
                self._collect(job, index, ref)
            if time.monotonic() - checked > 5.0:  # nodes join and leave: follow the cluster's slots
                checked, slots = time.monotonic(), self._slots()
                job.set_parallelism(slots)
                no_slot_since = None if slots else (no_slot_since or checked)
                if no_slot_since is not None and checked - no_slot_since > NO_SLOT_GRACE_S:
                    for ref in inflight:
                        ray.cancel(ref, force=True)
                    self._fail_all(job, [*inflight.values(), *pending], f"no node with a {SLOT!r} is left in the cluster")
                    inflight.clear()
                    pending.clear()
                slots = max(slots, 1)

    def _collect(self, job: SweepJob, index: int, ref: Any) -> None:
        point = job.points[index]
        try:
            envelope = ray.get(ref, timeout=60)
        except (RayError, GetTimeoutError) as err:  # the worker or node died and the retries are spent, or Ray failed
            job.record(SweepResult(index, point, FAILED, error=self._ray_error(err)))
            return
        common = {"node": envelope["node"], "pid": envelope["pid"], "started_at": envelope["started_at"],
                  "finished_at": envelope["finished_at"], "duration_s": envelope["duration_s"]}
        if "error" in envelope:
            job.record(SweepResult(index, point, FAILED, error=envelope["error"], **common))
        elif envelope.get("reused"):
            job.record(SweepResult(index, point, REUSED, report=envelope["report"]))
        else:
            job.record(SweepResult(index, point, MEASURED, report=envelope["report"], **common), envelope["settings"])

    def _ray_error(self, err: Exception) -> str:
        from ray.exceptions import NodeDiedError, WorkerCrashedError

        cause = getattr(err, "cause", None)  # a RayTaskError wraps what went wrong
        text = ANSI.sub("", error_text(cause if isinstance(cause, BaseException) else err))
        if isinstance(err, (WorkerCrashedError, NodeDiedError)):
            tries = self.max_retries + 1
            text += f" (tried {tries} time{'s' if tries != 1 else ''})"
        return text

    @staticmethod
    def _fail_all(job: SweepJob, indices: Sequence[int], reason: str) -> None:
        for index in indices:
            job.record(SweepResult(index, job.points[index], FAILED, error=reason))


def every_node(points: Sequence[SweepPoint], nodes: Sequence[dict[str, Any]]) -> list[SweepPoint]:
    """Each point once per node, pinned to it: the grid measured on every machine of the cluster.

    Ordered point by point (all nodes of a point, then the next), so every node has work from the start.
    """
    return [p.on(n["node"], n["machine"]) for p in points for n in nodes]


