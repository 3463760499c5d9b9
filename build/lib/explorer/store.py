"""A local SQLite store of latency measurements, so the same measurement is not repeated.

One row per key: the normalized config (its schema-v1 JSON, keys sorted), batch, threads, device,
torch version and machine (CPU model, host name, GPU). The whole report is kept as JSON next to
summary columns that ``latency list`` and the CSV export show.

Location: ``LatencyStore(path)``; by default ``$MOBILENET_EXPLORER_DATA/latency.sqlite3`` when
that variable names a directory, else ``<repo>/.data/latency.sqlite3`` (git-ignored).

Concurrency: WAL mode (readers never block the writer), a busy timeout, one short-lived
connection per operation (sqlite3 connections must not be shared across threads), and every write
in a transaction. Damage: a file SQLite reports as corrupt or not a database is renamed aside
(``latency.sqlite3.corrupt-<UTC time>``, never deleted) and a fresh store replaces it; the message
is kept in :attr:`LatencyStore.warning` and logged. The store is a cache: no store error ever
propagates; the worst case is a measurement that is not remembered.
"""

from __future__ import annotations

import csv
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
from .latency import LatencyReport, LatencySettings, cpu_model, gpu_name, machine_name, torch_version

log = logging.getLogger(__name__)
# A library logs, the application decides where it goes: no "last resort" printing to stderr
# (the CLI prints its own one-line warning; the UI shows store.warning).
log.addHandler(logging.NullHandler())

ENV_DATA_DIR = "MOBILENET_EXPLORER_DATA"
FILE_NAME = "latency.sqlite3"
REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 10.0

# SQLite primary result codes that mean "this file is damaged", not "busy" or "read-only".
SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 14, 26

KEY_COLUMNS = ("config_json", "batch", "threads", "device", "torch_version", "cpu", "machine", "gpu")
SUMMARY_COLUMNS = (
    "measured_at", "arch", "width_multiplier", "resolution", "num_classes", "batch", "threads", "device",
    "median_ms", "iqr_ms", "runs", "layer_sum_ms", "coverage", "torch_version", "cpu", "machine", "gpu", "config_json",
)  # fmt: skip

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS measurements (
    id INTEGER PRIMARY KEY,
    config_json TEXT NOT NULL,
    batch INTEGER NOT NULL,
    threads INTEGER NOT NULL,
    device TEXT NOT NULL,
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
    layer_sum_ms REAL NOT NULL,
    coverage REAL NOT NULL,
    measured_at TEXT NOT NULL,
    report_json TEXT NOT NULL,
    UNIQUE ({", ".join(KEY_COLUMNS)})
);
PRAGMA user_version = {SCHEMA_VERSION};
"""

# One lock per database path in this process, so two sessions that find the same damaged file
# do not both move it aside (the second would move the first one's fresh store).
_path_locks: dict[str, threading.Lock] = {}
_path_locks_guard = threading.Lock()

T = TypeVar("T")


def default_path() -> Path:
    """``$MOBILENET_EXPLORER_DATA/latency.sqlite3`` if the variable is set, else ``<repo>/.data/latency.sqlite3``."""
    data_dir = os.environ.get(ENV_DATA_DIR)
    return (Path(data_dir) if data_dir else REPO_ROOT / ".data") / FILE_NAME


def config_key(config: MobileNetConfig) -> str:
    """The normalized config as compact JSON with sorted keys: equal configs give equal text."""
    return json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))


def _is_damage(err: sqlite3.Error) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_CANTOPEN)
    text = str(err)
    return "not a database" in text or "malformed" in text or "unable to open" in text


class StoreDamaged(Exception):
    """Raised inside the store when a health check fails; never leaves the store."""


class LatencyStore:
    """Measurements on disk, keyed by config, settings and machine. Safe to share across threads."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        path = Path(path) if path is not None else default_path()
        self.path = path / FILE_NAME if path.is_dir() else path
        self.warning: str | None = None  # the latest problem met, in a sentence, for the UI
        self.disabled = False  # True only when no usable file could be made: nothing is stored
        with _path_locks_guard:
            self._lock = _path_locks.setdefault(str(self.path.resolve()), threading.Lock())
        self._guarded(self._create, None)

    # --- public operations ----------------------------------------------------------------------

    def get(self, config: MobileNetConfig, settings: LatencySettings) -> LatencyReport | None:
        """The stored report for this config, settings and machine (``from_store=True``), or None."""
        key = self._key(config, settings.batch, settings.resolved_threads, settings.device,
                        torch_version(), cpu_model(), machine_name(), gpu_name(settings.device) or "")

        def read(conn: sqlite3.Connection) -> LatencyReport | None:
            where = " AND ".join(f"{column} = ?" for column in KEY_COLUMNS)
            row = conn.execute(f"SELECT report_json FROM measurements WHERE {where}", key).fetchone()
            if row is None:
                return None
            try:
                data = json.loads(row[0])
                data["from_store"] = True
                return LatencyReport.from_dict(data)
            except (ValueError, KeyError, TypeError) as err:  # a row we cannot read is a miss
                self._warn(f"latency store {self.path}: ignored an unreadable stored report ({err})")
                return None

        return self._guarded(read, None)

    def put(self, config: MobileNetConfig, settings: LatencySettings, report: LatencyReport) -> bool:
        """Save ``report`` (replacing an older one with the same key). False if it could not be saved.

        The key is taken from the report, which records where and how it was measured; ``settings``
        must be the ones it was measured with.
        """
        if (report.batch, report.device) != (settings.batch, settings.device):
            raise ValueError(f"report (batch {report.batch}, {report.device}) was not measured with these settings")
        key = self._key(config, report.batch, report.threads, report.device, report.torch_version, report.cpu,
                        report.machine, report.gpu or "")
        data = report.to_dict()
        data["from_store"] = False
        summary = (config.arch, config.width_multiplier, config.resolution, config.num_classes, report.median_ms,
                   report.iqr_ms, report.runs, report.layer_sum_ms, report.coverage, report.measured_at, json.dumps(data))
        columns = KEY_COLUMNS + ("arch", "width_multiplier", "resolution", "num_classes", "median_ms", "iqr_ms", "runs",
                                 "layer_sum_ms", "coverage", "measured_at", "report_json")
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in KEY_COLUMNS)
        sql = (f"INSERT INTO measurements ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
               f"ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}")

        def write(conn: sqlite3.Connection) -> bool:
            with conn:  # one transaction: committed on success, rolled back on error
                conn.execute(sql, key + summary)
            return True

        return self._guarded(write, False)

    def list_results(self) -> list[dict[str, Any]]:
        """Every stored measurement, oldest first, as dicts of the summary columns."""

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            cursor = conn.execute(f"SELECT {', '.join(SUMMARY_COLUMNS)} FROM measurements ORDER BY measured_at, id")
            return [dict(zip(SUMMARY_COLUMNS, row)) for row in cursor]

        return self._guarded(read, [])

    def export_csv(self, path: str | os.PathLike[str]) -> int:
        """Write every stored measurement to a CSV file (summary columns); returns the row count.

        Errors writing ``path`` (an OSError) are the caller's to report.
        """
        rows = self.list_results()
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=SUMMARY_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
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
        # WAL is a property of the file: set once, every later connection uses it.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)

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
                    self.disabled = True
                return fallback
            except OSError as err:  # cannot create the data folder
                self._warn(f"latency store {self.path} cannot be created ({err}); results are not being saved")
                self.disabled = True
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
                self.disabled = True
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
        self.warning = message
        log.warning(message)
