"""The store's good whole-model latencies, grouped by machine: what the trade-off charts and the
budget finder plot and judge as "measured".

One pass over the store's good rows gives every machine's figures; the result is kept until the
store changes (:meth:`explorer.store.LatencyStore.version`), so the charts, the machine list and
the budget finder of one rerun, and the reruns after it, share one scan instead of each reading the
whole store again. No Streamlit here: the page asks, this module answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .config import ConfigError, MobileNetConfig, parse_config


@dataclass(frozen=True)
class MachineLatencies:
    """The good whole-model medians one machine holds in the store under one set of conditions.

    A machine may hold runs under several conditions (1 thread and all cores, eager and ONNX
    Runtime, two torch versions): one set is used, never a mix, and :attr:`others` counts the rest.
    """

    machine: str
    cpu: str
    runtime: str
    threads: int
    torch_version: str
    by_config: dict[MobileNetConfig, float]
    others: int = 0  # good batch-1 CPU rows of this machine under other conditions, not used

    @property
    def conditions(self) -> str:
        return (f"{self.runtime}, batch 1, {self.threads} thread{'s' if self.threads != 1 else ''}, CPU ({self.cpu}), "
                f"torch {self.torch_version}")


def group_by_machine(rows: Iterable[dict[str, Any]], here: str, preferred: tuple) -> dict[str, MachineLatencies]:
    """Good rows (oldest first) → one :class:`MachineLatencies` per machine, ``here`` first.

    Only batch-1 CPU rows. Per machine, one set of conditions ``(cpu, runtime, threads, torch)``:
    on ``here``, ``preferred`` when it has any rows, elsewhere the set with most configs. Of a
    config measured twice under one set, the latest row wins. Unreadable rows are skipped.
    """
    groups: dict[str, dict[tuple, dict[MobileNetConfig, float]]] = {}
    for row in rows:  # oldest first: the latest overwrites
        if row.get("batch") != 1 or row.get("device") != "cpu":
            continue
        try:
            config = parse_config(json.loads(row["config_json"]))
            ms = float(row["median_ms"])
            cond = (row["cpu"], row["runtime"], int(row["threads"]), row["torch_version"])
        except (ConfigError, ValueError, TypeError, KeyError):
            continue  # a row we cannot read is not a measurement
        groups.setdefault(row["machine"], {}).setdefault(cond, {})[config] = ms
    out: dict[str, MachineLatencies] = {}
    for machine in sorted(groups, key=lambda m: (m != here, m)):
        conds = groups[machine]
        best = preferred if machine == here and preferred in conds else max(conds, key=lambda c: len(conds[c]))
        others = sum(len(v) for c, v in conds.items() if c != best)
        out[machine] = MachineLatencies(machine, *best, by_config=conds[best], others=others)
    return out


# The latest answer per store file, with the store version it was computed at. A few entries: tests
# and a shared store folder may open more than one store in a process.
_MAX_STORES = 4
_answers: dict[str, tuple[Any, dict[str, MachineLatencies]]] = {}
_answers_lock = threading.Lock()


def machine_latencies(store) -> dict[str, MachineLatencies]:
    """Every machine with good batch-1 CPU measurements in ``store`` (a LatencyStore), this machine first.

    Only good rows (``reusable_results``: never noisy or unverified ones). On this machine the
    conditions the budget finder measures (eager, all cores, this torch) when it has any. Computed
    once per store version: unchanged store, no scan. The returned mapping is shared: do not mutate it.
    """
    from .machine import available_cores, cpu_model, machine_name, torch_version

    key = str(store.path)
    version = store.version()
    with _answers_lock:
        cached = _answers.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    answer = group_by_machine(store.reusable_results(), machine_name(),
                              (cpu_model(), "eager", available_cores(), torch_version()))
    with _answers_lock:
        _answers.pop(key, None)
        _answers[key] = (version, answer)
        while len(_answers) > _MAX_STORES:
            _answers.pop(next(iter(_answers)))
    return answer


def measured_latencies(store, machine: str | None = None) -> dict[MobileNetConfig, float]:
    """Good whole-model medians of ``machine`` (default this one) in ``store``: batch 1, CPU, one set
    of conditions (see :func:`machine_latencies`). A fresh dict the caller may keep."""
    from .machine import machine_name

    group = machine_latencies(store).get(machine or machine_name())
    return dict(group.by_config) if group else {}
