"""A local SQLite store of latency measurements, so a good measurement is not repeated.

One row per key: the normalized config (its schema-v1 JSON, keys sorted), batch, threads, device,
runtime, torch version and machine (CPU model, host name, GPU). The whole report is kept as JSON
next to summary columns that ``latency list`` and the CSV export show, the quality verdict among
them. Only a ``good`` row is ever reused (:meth:`LatencyStore.get`); a ``noisy`` one is kept for
the record and never replaces a good one; rows from before verdicts existed (schema 1) are
migrated as ``unverified``, kept, shown as such, and measured again when asked for.

:meth:`LatencyStore.get_or_measure` is the one way the app and the CLI measure: a stored good
result, or a fresh measurement taken under the machine's measurement lock (one file per machine
whatever the store, :func:`explorer.lock.machine_lock_path`), saved. The measuring function is
passed in: the store imports only the report types, never the measuring code.

A verdict across measurements (:mod:`explorer.cross_check`): a new good figure that disagrees
with the stored good one of its key is measured once more before anything is stored. So the
store never replaces a good figure with one 1.6× away on a single say-so.

Location: ``LatencyStore(path)``; by default ``latency.sqlite3`` in :func:`explorer.locations.data_dir`:
``$MOBILENET_EXPLORER_DATA`` when set, a checkout's ``.data/`` (git-ignored), or an installed
package's per-user data folder.

Concurrency: WAL mode (readers never block the writer), a busy timeout, one short-lived
connection per operation (sqlite3 connections must not be shared across threads), and every write
in a transaction; schema creation and migration run in one ``BEGIN IMMEDIATE`` transaction, so two
processes opening an old store together migrate it once. Damage: a file SQLite reports as corrupt
or not a database is renamed aside (``latency.sqlite3.corrupt-<UTC time>``, never deleted) and a
fresh store replaces it; the message is logged and kept in :attr:`LatencyStore.warning`. The
store is a cache: no store error ever propagates; the worst case is a measurement that is not
remembered. One object serves many callers: the warning and "found unusable" are kept per caller
(:mod:`explorer.store_notes`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any, TypeVar

from .config import MobileNetConfig
from .locations import data_dir
from .lock import MeasurementLock, Waiting
from .machine import cpu_model, gpu_name, machine_name, torch_version
from .measure_once import measure_once
from .measurement import UNVERIFIED_REASON, LatencyReport, LatencySettings
from .quality import GOOD, UNVERIFIED
from .store_notes import CallerNotes

log = logging.getLogger(__name__)
# A library logs, the application decides where it goes: no "last resort" printing to stderr
# (the CLI prints its own one-line warning; a page shows its session's store.warning).
log.addHandler(logging.NullHandler())

FILE_NAME = "latency.sqlite3"
SCHEMA_VERSION = 2  # 1: no runtime, no verdict, no timestamps but measured_at
BUSY_TIMEOUT_S = 10.0

# SQLite primary result codes that mean "this file is damaged", not "busy" or "read-only".
SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 14, 26

KEY_COLUMNS = ("config_json", "batch", "threads", "device", "runtime", "torch_version", "cpu", "machine", "gpu")
SUMMARY_COLUMNS = (
    "measured_at", "arch", "width_multiplier", "resolution", "num_classes", "batch", "threads", "device", "runtime",
    "quality", "quality_reasons", "median_ms", "iqr_ms", "runs", "per_image_ms", "throughput_ips", "layer_sum_ms",
    "coverage", "started_at", "finished_at", "waited_s", "attempts", "torch_version", "cpu", "machine", "gpu", "config_json",
)
# Written on every put, besides the key: everything but the key and the row id.
VALUE_COLUMNS = (
    "arch", "width_multiplier", "resolution", "num_classes", "median_ms", "iqr_ms", "runs", "per_image_ms",
    "throughput_ips", "layer_sum_ms", "coverage", "quality", "quality_reasons", "started_at", "finished_at",
    "measured_at", "waited_s", "attempts", "report_json",
)

TABLE = """
CREATE TABLE measurements (
    id INTEGER PRIMARY KEY,
    config_json TEXT NOT NULL,
    batch INTEGER NOT NULL,
    threads INTEGER NOT NULL,
    device TEXT NOT NULL,
    runtime TEXT NOT NULL,
    torch_version TEXT NOT NULL,
    cpu TEXT NOT NULL,
    machine TEXT NOT NULL,
    gpu TEXT NOT NULL,
    arch TEXT NOT NULL,
    width_multiplier REAL NOT NULL,
    resolution INTEGER NOT NULL,
    num_classes INTEGER NOT NULL,
    median_ms REAL NOT NULL,
    iqr_ms REAL NOT NULL,
    runs INTEGER NOT NULL,
    per_image_ms REAL NOT NULL,
    throughput_ips REAL NOT NULL,
    layer_sum_ms REAL NOT NULL,
    coverage REAL,
    quality TEXT NOT NULL,
    quality_reasons TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    waited_s REAL NOT NULL,
    attempts INTEGER NOT NULL,
    report_json TEXT NOT NULL,
    UNIQUE (config_json, batch, threads, device, runtime, torch_version, cpu, machine, gpu)
)
"""

# Schema 1 → 2: every row kept, as an eager-PyTorch measurement whose quality is unknown.
MIGRATE_1_TO_2 = """
INSERT INTO measurements (id, config_json, batch, threads, device, runtime, torch_version, cpu, machine, gpu, arch,
    width_multiplier, resolution, num_classes, median_ms, iqr_ms, runs, per_image_ms, throughput_ips, layer_sum_ms,
    coverage, quality, quality_reasons, started_at, finished_at, measured_at, waited_s, attempts, report_json)
SELECT id, config_json, batch, threads, device, 'eager', torch_version, cpu, machine, gpu, arch,
    width_multiplier, resolution, num_classes, median_ms, iqr_ms, runs, median_ms / batch,
    CASE WHEN median_ms > 0 THEN batch * 1000.0 / median_ms ELSE 0 END, layer_sum_ms,
    coverage, :quality, :reasons, measured_at, measured_at, measured_at, 0.0, 1, report_json
FROM measurements_v1
"""

# One lock per database path in this process, so two sessions that find the same damaged file
# do not both move it aside (the second would move the first one's fresh store).
_path_locks: dict[str, threading.Lock] = {}
_path_locks_guard = threading.Lock()

T = TypeVar("T")


def default_path() -> Path:
    """The store file in the user's data folder (see :mod:`explorer.locations`)."""
    return data_dir() / FILE_NAME


def config_key(config: MobileNetConfig) -> str:
    """The normalized config as compact JSON with sorted keys: equal configs give equal text."""
    return json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))


def _is_damage(err: sqlite3.Error) -> bool:
    # sqlite_errorcode is set on every sqlite3.Error since Python 3.11 (this package's minimum); None only on errors not from SQLite.
    code = getattr(err, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_CANTOPEN)


def _reasons(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return [str(text)]
    return [str(reason) for reason in value] if isinstance(value, list) else [str(value)]


class StoreDamaged(Exception):
    """Raised inside the store when a health check fails; never leaves the store."""


class StoreTooNew(Exception):
    """The file is a newer schema: left untouched, and this store saves nothing. Never leaves the store."""


class LatencyStore(CallerNotes):
    """Measurements on disk, keyed by config, settings and machine. Safe to share across threads."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        path = Path(path) if path is not None else default_path()
        self.path = path / FILE_NAME if path.is_dir() else path
        self._constructing = True
        self._unusable = False  # set by construction only: no usable file could be made, nothing is stored
        self._writes = 0  # this process's writes through this object, for version()
        with _path_locks_guard:
            self._lock = _path_locks.setdefault(str(self.path.resolve()), threading.Lock())
        self._guarded(self._create, None)
        self._constructing = False
        # One lock per machine, not per store: a CLI run with --store elsewhere and the app
        # still measure one at a time.
        self.lock = MeasurementLock.machine()

    # --- public operations ----------------------------------------------------------------------

    def get(self, config: MobileNetConfig, settings: LatencySettings) -> LatencyReport | None:
        """The stored *good* report for this config, settings and machine (``from_store=True``), or None.

        Noisy and unverified rows are never returned here: they are not answers to reuse.
        """
        report = self.lookup(config, settings)
        return report if report is not None and report.reusable else None

    def lookup(self, config: MobileNetConfig, settings: LatencySettings) -> LatencyReport | None:
        """The stored report for this key whatever its quality (to show "stored, but unverified"), or None."""
        key = self._key(config, settings.batch, settings.resolved_threads, settings.device, settings.runtime,
                        torch_version(), cpu_model(), machine_name(), gpu_name(settings.device) or "")

        def read(conn: sqlite3.Connection) -> LatencyReport | None:
            where = " AND ".join(f"{column} = ?" for column in KEY_COLUMNS)
            row = conn.execute(f"SELECT report_json, quality FROM measurements WHERE {where}", key).fetchone()
            if row is None:
                return None
            try:
                data = json.loads(row[0])
                report = LatencyReport.from_dict({**data, "from_store": True})
            except (ValueError, KeyError, TypeError) as err:  # a row we cannot read is a miss
                self._warn(f"latency store {self.path}: ignored an unreadable stored report ({err})")
                return None
            # The column is the verdict of record (a migrated row's JSON has none).
            return report if report.quality == row[1] else dataclasses.replace(report, quality=row[1])

        return self._guarded(read, None)

    def put(self, config: MobileNetConfig, settings: LatencySettings, report: LatencyReport) -> bool:
        """Save ``report``, replacing the row with the same key unless that one is good and this is not.

        Returns True if the row was written; False if the store could not save it, or kept a good
        row rather than replace it with a noisy one. The key is taken from the report, which
        records where and how it was measured; ``settings`` must be the ones it was measured with.
        """
        if (report.batch, report.device, report.runtime) != (settings.batch, settings.device, settings.runtime):
            raise ValueError(f"report (batch {report.batch}, {report.device}, {report.runtime}) was not measured with these settings")
        key = self._key(config, report.batch, report.threads, report.device, report.runtime, report.torch_version,
                        report.cpu, report.machine, report.gpu or "")
        data = report.to_dict()
        data["from_store"] = False
        values = (config.arch, config.width_multiplier, config.resolution, config.num_classes, report.median_ms,
                  report.iqr_ms, report.runs, report.per_image_ms, report.throughput_ips, report.layer_sum_ms, report.coverage,
                  report.quality, json.dumps(list(report.quality_reasons)), report.started_at, report.finished_at,
                  report.measured_at, report.waited_s, report.attempts, json.dumps(data))
        columns = KEY_COLUMNS + VALUE_COLUMNS
        updates = ", ".join(f"{c} = excluded.{c}" for c in VALUE_COLUMNS)
        sql = (f"INSERT INTO measurements ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
               f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates} "
               f"WHERE excluded.quality = '{GOOD}' OR measurements.quality != '{GOOD}'")

        def write(conn: sqlite3.Connection) -> bool:
            with conn:  # one transaction: committed on success, rolled back on error
                written = conn.execute(sql, key + values).rowcount > 0
            self._writes += 1  # version(): two writes in one clock tick still change it
            return written

        return self._guarded(write, False)

    def get_or_measure(self, config: MobileNetConfig, settings: LatencySettings, *, measure: Callable[..., LatencyReport],
                       remeasure: bool = False, progress: Callable[[float, str], None] | None = None,
                       on_wait: Callable[[Waiting], None] | None = None, **measure_kwargs: Any) -> LatencyReport:
        """A stored good report, or a fresh measurement made under the machine's lock, cross-checked and saved.

        The one path of :func:`explorer.measure_once.measure_once` with this store as the check and
        the place to save: ``measure(config, settings, progress=..., **measure_kwargs)`` makes the
        report (normally :func:`explorer.latency.measure_latency`); ``on_wait`` hears about a wait
        for the lock, after which the store is read again. ``remeasure`` skips both reads.
        """
        return measure_once(config, settings, lock=self.lock, measure=measure, stored=lambda: self.get(config, settings),
                            put=lambda report: self.put(config, settings, report), remeasure=remeasure, progress=progress,
                            on_wait=on_wait, **measure_kwargs)

    def usable(self) -> bool:
        """Whether the store answers now (one small read); a problem it meets is noted as usual."""
        return self._guarded(lambda conn: bool(conn.execute("SELECT 1").fetchall()), False) and not self.disabled

    def version(self) -> tuple:
        """A cheap token that changes whenever the stored rows may have: this process's writes, and
        the size and modification time of the file and its write-ahead log (another process's
        writes). Readers cache what they derive from the rows on it (:mod:`explorer.machine_latencies`)."""
        stamps = []
        for path in (self.path, self.path.with_name(self.path.name + "-wal")):
            try:
                st = path.stat()
                stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                stamps.append(None)
        return (self._writes, *stamps)

    def list_results(self, *, reusable_only: bool = False) -> list[dict[str, Any]]:
        """Stored measurements, oldest first, as dicts of the summary columns (``quality_reasons`` a list).

        ``reusable_only``: only good ones, the rows a page may treat as this machine's answer.
        """
        where = f" WHERE quality = '{GOOD}'" if reusable_only else ""

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = conn.execute(f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM measurements{where} ORDER BY measured_at, id")
            rows = [dict(zip(SUMMARY_COLUMNS, row)) for row in cursor]
            for row in rows:
                row["quality_reasons"] = _reasons(row["quality_reasons"])
            return rows

        return self._guarded(read, [])

    def reusable_results(self) -> list[dict[str, Any]]:
        """Only the good measurements (what the budget finder and Compare may use)."""
        return self.list_results(reusable_only=True)

    def export_csv(self, path: str | os.PathLike[str]) -> int:
        """Write every stored measurement to a CSV file (summary columns); returns the row count.

        ``quality_reasons`` is written as "; "-separated sentences. Errors writing ``path`` (an
        OSError) are the caller's to report.
        """
        rows = self.list_results()
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=SUMMARY_COLUMNS)
            writer.writeheader()
            writer.writerows({**row, "quality_reasons": "; ".join(row["quality_reasons"])} for row in rows)
        return len(rows)

    # --- internals ------------------------------------------------------------------------------

    @staticmethod
    def _key(config: MobileNetConfig, *rest: Any) -> tuple[Any, ...]:
        return (config_key(config), *rest)

    def _connect(self) -> sqlite3.Connection:
        # A fresh connection per operation: sqlite3 connections are not to be shared across
        # threads, and Streamlit runs every rerun in a thread of its own.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return conn

    def _create(self, conn: sqlite3.Connection) -> None:
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise StoreDamaged(f"integrity check failed: {check[0] if check else 'no answer'}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:  # checked before anything is written: a newer app's file is left as it is
            raise StoreTooNew(f"it was written by a newer version of the app (schema {version}; this one reads {SCHEMA_VERSION})")
        # WAL is a property of the file: set once, every later connection uses it.
        conn.execute("PRAGMA journal_mode = WAL")
        # Creation and migration in one write transaction: a second process opening the same
        # old store waits here, then finds it migrated.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'measurements'").fetchone()
            if not exists:
                conn.execute(TABLE)
            elif version < SCHEMA_VERSION:
                self._migrate(conn, version)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise

    @staticmethod
    def _migrate(conn: sqlite3.Connection, version: int) -> None:
        """Schema 1 → 2, inside the caller's transaction: every row kept, marked unverified."""
        if version not in (0, 1):  # 0: a schema-1 table whose version was never set
            raise StoreDamaged(f"unknown schema version {version}")
        conn.execute("ALTER TABLE measurements RENAME TO measurements_v1")
        conn.execute(TABLE)
        conn.execute(MIGRATE_1_TO_2, {"quality": UNVERIFIED, "reasons": json.dumps([UNVERIFIED_REASON])})
        conn.execute("DROP TABLE measurements_v1")
        log.info("latency store migrated from schema 1 to 2: rows kept as unverified")

    def _guarded(self, operation: Callable[[sqlite3.Connection], T], fallback: T) -> T:
        """Run ``operation`` on a fresh connection; on damage set the file aside and retry once."""
        for attempt in range(2):
            if self.disabled:
                return fallback
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(self._connect()) as conn:
                    if attempt == 1:
                        self._create(conn)
                    return operation(conn)
            except (sqlite3.Error, StoreDamaged) as err:
                if attempt == 0 and "no such table" in str(err):
                    continue  # the file was deleted (sqlite made an empty one): create the schema, retry
                damaged = isinstance(err, StoreDamaged) or _is_damage(err)
                if damaged and attempt == 0 and self.path.exists():
                    self._set_aside(err)
                    continue
                self._warn(f"latency store {self.path} is not usable ({err}); results are not being saved")
                if damaged:
                    self._disable()
                return fallback
            except StoreTooNew as err:
                self._warn(f"latency store {self.path}: {err}; results are not being saved")
                self._disable()
                return fallback
            except OSError as err:  # cannot create the data folder
                self._warn(f"latency store {self.path} cannot be created ({err}); results are not being saved")
                self._disable()
                return fallback
        return fallback

    def _set_aside(self, err: Exception) -> None:
        with self._lock:
            if self._healthy():  # another session already replaced the damaged file
                return
            stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            try:
                os.rename(self.path, aside)
                for suffix in ("-wal", "-shm"):  # a stale log must not be replayed into the fresh file
                    companion = self.path.with_name(self.path.name + suffix)
                    if companion.exists():
                        os.rename(companion, aside.with_name(aside.name + suffix))
            except OSError as move_err:
                self._warn(f"latency store {self.path} is damaged ({err}) and could not be moved aside ({move_err})")
                self._disable()
                return
            self._warn(f"latency store {self.path} was damaged ({err}); kept it as {aside.name} and started a fresh store")

    def _healthy(self) -> bool:
        if not self.path.exists():
            return True
        try:
            with closing(self._connect()) as conn:
                check = conn.execute("PRAGMA quick_check").fetchone()
                return check is not None and check[0] == "ok"
        except sqlite3.Error:
            return False

    def _warn(self, message: str) -> None:
        self._note(message, self._met()[1])  # this caller's (see CallerNotes), and the log's
        log.warning(message)
