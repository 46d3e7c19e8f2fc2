"""The DuckLake catalog: attach it, create its schema on first use, run transactions with retry.

Every read and write goes through :meth:`Catalog.transaction` or :meth:`Catalog.read`: one DuckDB
transaction on the attached lake, retried whole (not just its COMMIT) with jittered backoff when
SQLite reports a lock or DuckLake a commit conflict. A retried transaction re-reads everything it
decides on, so a write is applied exactly once or not at all. Write transactions of one catalog
queue on its writer lock (a file lock in the catalog folder, or a PostgreSQL advisory lock), so
writers take turns instead of retrying each other's conflicts.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import fields
from datetime import timedelta
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb

from sessions_lib.catalog.extensions import load_extensions
from sessions_lib.catalog.file_lock import WRITER_LOCK_FILE, FileWriterLock
from sessions_lib.catalog.location import CatalogLocation
from sessions_lib.catalog.postgres import PostgresWriterLock, database_size_bytes
from sessions_lib.errors import CatalogBusyError, CatalogError, SessionsError

if TYPE_CHECKING:  # polars and Arrow load only where a transaction builds or returns their tables
    import polars as pl
    import pyarrow as pa

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

LAKE = "lake"
SCHEMA_SQL = resources.files(__package__).joinpath("schema.sql").read_text()

# Extensions are loaded from their packages (extensions.py), never fetched or loaded implicitly.
_OFFLINE: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# The live tables and columns of the lake, from DuckLake's own metadata tables (as its spec
# defines them; DuckLake attaches them as __ducklake_metadata_<lake>). Much cheaper than asking
# duckdb_columns(), which binds every system view too.
_LAKE_COLUMNS = f"""
SELECT t.table_name, c.column_name
FROM __ducklake_metadata_{LAKE}.ducklake_schema AS s
JOIN __ducklake_metadata_{LAKE}.ducklake_table AS t ON t.schema_id = s.schema_id
JOIN __ducklake_metadata_{LAKE}.ducklake_column AS c ON c.table_id = t.table_id
WHERE s.schema_name = 'main' AND c.parent_column IS NULL
  AND s.end_snapshot IS NULL AND t.end_snapshot IS NULL AND c.end_snapshot IS NULL
"""

# Substrings (lower case) of DuckDB/DuckLake errors that a fresh attempt can succeed past.
_RETRYABLE_MESSAGES = ("database is locked", "conflict", "busy")


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is a lock or commit conflict that retrying the transaction resolves."""
    message = str(error).lower()
    return isinstance(error, duckdb.Error) and any(m in message for m in _RETRYABLE_MESSAGES)


class RetryPolicy:
    """Jittered exponential backoff between attempts, within a deadline."""

    def __init__(
        self,
        first_delay_s: float = 0.002,
        max_delay_s: float = 0.25,
        deadline_s: float = 120.0,
    ) -> None:
        self.first_delay_s = first_delay_s
        self.max_delay_s = max_delay_s
        self.deadline_s = deadline_s

    def delays(self, started: float | None = None) -> Iterator[float]:
        """Yield the pause before each retry until the deadline, counted from ``started`` (a
        ``time.monotonic()``; default now), has passed."""
        start = time.monotonic() if started is None else started
        delay = self.first_delay_s
        while time.monotonic() - start < self.deadline_s:
            yield random.uniform(0, delay)
            delay = min(delay * 2, self.max_delay_s)


class Tx:
    """One open transaction on the lake, with the few verbs the library needs.

    Parameters are named (``$org_id``) and passed as keyword arguments.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cursor = cursor

    def execute(self, sql: str, **params: Any) -> None:
        self._cursor.execute(sql, params or None)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return self._cursor.execute(sql, params or None).fetchall()

    def scalar(self, sql: str, **params: Any) -> Any:
        row = self._cursor.execute(sql, params or None).fetchone()
        return None if row is None else row[0]

    def frame(self, sql: str, **params: Any) -> pl.DataFrame:
        """The result as a polars DataFrame (through Arrow, no per-row Python)."""
        return self._cursor.execute(sql, params or None).pl()

    def records(self, record_type: Callable[..., R], sql: str, **params: Any) -> list[R]:
        """Rows as records, matching columns to the record's fields by name."""
        result = self._cursor.execute(sql, params or None)
        names = [column[0] for column in result.description]
        wanted = {f.name for f in fields(record_type)}  # type: ignore[arg-type]
        return [
            record_type(**{n: v for n, v in zip(names, row, strict=True) if n in wanted})
            for row in result.fetchall()
        ]

    def exists(self, table: str, org_id: str, **key: str) -> bool:
        """Whether ``table`` has a row of ``org_id`` with the given key, e.g. ``file_id="fl_1"``."""
        ((column, value),) = key.items()
        sql = f"SELECT EXISTS (SELECT 1 FROM {table} WHERE org_id = $org_id AND {column} = $value)"
        return bool(self.scalar(sql, org_id=org_id, value=value))

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert dict rows (all with the same keys) as one Arrow batch."""
        import pyarrow as pa

        if rows:
            self.insert_arrow(table, pa.Table.from_pylist(list(rows)))

    def insert_arrow(self, table: str, data: pa.Table) -> None:
        """Bulk insert an Arrow table whose column names are the table's."""
        columns = ", ".join(data.column_names)
        with self._registered("_rows_in_flight", data):
            self._cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _rows_in_flight")

    def table(self, name: str, /, **columns: Sequence[Any]) -> contextlib.AbstractContextManager[None]:
        """Columns of values visible to SQL as the table ``name`` for the length of a ``with`` block.

        The way to hand a query many values: a list passed as a parameter is converted value by
        value (tens of microseconds each), an Arrow table in one step.
        """
        import pyarrow as pa

        return self._registered(name, pa.table(dict(columns)))

    @contextlib.contextmanager
    def _registered(self, name: str, data: pa.Table) -> Iterator[None]:
        """``data`` visible to SQL as ``name`` for the length of the block."""
        self._cursor.register(name, data)
        try:
            yield
        finally:
            self._cursor.unregister(name)


_schema_columns: frozenset[tuple[str, str]] | None = None  # what schema_columns found, once


def schema_columns(connection: duckdb.DuckDBPyConnection) -> frozenset[tuple[str, str]]:
    """Every (table, column) ``schema.sql`` defines: what running it leaves in an empty database.

    Running the script (plain DuckDB DDL) rather than parsing it keeps ``schema.sql`` the one
    definition of both. It runs once per process, in an in-memory database attached to
    ``connection`` for the purpose (cheaper than a DuckDB instance of its own).
    """
    global _schema_columns
    if _schema_columns is None:
        connection.execute("ATTACH ':memory:' AS schema_probe")
        try:
            with contextlib.closing(connection.cursor()) as probe:
                probe.execute("USE schema_probe")
                probe.execute(SCHEMA_SQL)
                columns = "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = ?"
                rows = probe.execute(columns, ["schema_probe"]).fetchall()
        finally:
            connection.execute("DETACH schema_probe")
        _schema_columns = frozenset(rows)
    return _schema_columns


def lake_columns(tx: Tx) -> set[tuple[str, str]]:
    """The (table, column) pairs the lake holds now."""
    return set(tx.rows(_LAKE_COLUMNS))


class Catalog:
    """A DuckLake catalog attached in this process; cheap to share, safe across threads.

    >>> catalog = Catalog(CatalogLocation.from_setting(tmp_path))  # doctest: +SKIP
    >>> catalog.read(lambda tx: tx.scalar("SELECT count(*) FROM sessions"))  # doctest: +SKIP
    0
    """

    def __init__(
        self, location: CatalogLocation, retry: RetryPolicy | None = None, *, queue_writers: bool = True
    ) -> None:
        """``queue_writers=False`` leaves out the embedded catalog's writer lock: its writers then
        race and retry (what benchmarks compare against). A PostgreSQL catalog always takes its
        lock, which its uniqueness checks need."""
        self.location = location
        self.retry = retry or RetryPolicy()
        self.retries = 0  # attempts run again after a lock or conflict, since this object was made
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._retries_lock = threading.Lock()
        self._writer_lock: PostgresWriterLock | FileWriterLock | None = None
        if location.on_postgres:
            self._writer_lock = PostgresWriterLock(location.metadata, timeout_s=self.retry.deadline_s)
        elif queue_writers:
            lock_file = location.metadata_path.parent / WRITER_LOCK_FILE
            self._writer_lock = FileWriterLock(lock_file, timeout_s=self.retry.deadline_s)

    def connection(self) -> duckdb.DuckDBPyConnection:
        """The process's DuckDB connection with the lake attached and its schema in place."""
        with self._lock:
            if self._connection is None:
                self._connection = self.new_connection()
            return self._connection

    def new_connection(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection of its own with the lake attached and in use.

        ``read_only``: the lake attached ``READ_ONLY``, so DuckDB refuses every write to it (the
        SQL surface's connections). A catalog lacking part of its schema is brought up to date
        first, through this process's writable connection.

        The schema is created, or upgraded, only when the lake lacks a table or column of
        ``schema.sql``. That script only adds (``CREATE TABLE IF NOT EXISTS``, ``ALTER TABLE ...
        ADD COLUMN IF NOT EXISTS``), so a lake holding all its columns is up to date: opening it
        writes nothing and, on PostgreSQL, does not wait for the writer lock. Otherwise (a new
        catalog, or one older than ``schema.sql``) the whole script runs in a write transaction;
        two processes doing so at once both succeed, as every statement is idempotent and a
        commit conflict is retried.
        """
        if read_only and not self.location.exists():
            self.connection()  # a read-only attach cannot create the catalog
        self.location.prepare()
        connection = duckdb.connect(config=_OFFLINE)
        try:
            load_extensions(connection, *self.location.extensions())
            connection.execute("SET GLOBAL TimeZone = 'UTC'")
            for statement in self.location.setup_sql():
                connection.execute(statement)
            schema = schema_columns(connection)
            self._retrying(lambda: connection.execute(self.location.attach_sql(LAKE, read_only)))
            connection.execute(f"USE {LAKE}")
            complete = schema <= self._run(connection, lake_columns)
            if read_only and not complete:
                connection.close()
                self.connection()  # creates or upgrades the schema, so the next attach finds it
                return self.new_connection(read_only=True)
            if not complete:
                with self._writing():
                    self._run(connection, lambda tx: tx.execute(SCHEMA_SQL))
        except (duckdb.Error, SessionsError) as error:
            connection.close()
            raise CatalogError(f"cannot open the catalog {self.location}: {error}") from error
        return connection

    def transaction(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in one write transaction, retrying it whole on locks and commit conflicts.

        ``work`` must only read and write through its ``Tx`` (it may run several times). An error
        of the library's own raised by ``work`` rolls back and propagates: nothing is written.
        Write transactions of one catalog run one at a time, across processes and machines, so a
        read-then-insert check (a unique name, a file's path) cannot race another writer. Waiting
        for the writer lock and the retries share one budget, ``retry.deadline_s``.
        """
        connection = self.connection()
        started = time.monotonic()
        with self._writing():
            return self._run(connection, work, started)

    def read(self, work: Callable[[Tx], T]) -> T:
        """Run read-only ``work`` in one transaction: a consistent snapshot, never waiting on writers."""
        return self._run(self.connection(), work)

    def _run(
        self, connection: duckdb.DuckDBPyConnection, work: Callable[[Tx], T], started: float | None = None
    ) -> T:
        def attempt() -> T:
            cursor = connection.cursor()
            try:
                cursor.execute(f"USE {LAKE}")
                cursor.execute("BEGIN TRANSACTION")
                try:
                    result = work(Tx(cursor))
                    cursor.execute("COMMIT")
                except BaseException:
                    _rollback_quietly(cursor)
                    raise
                return result
            finally:
                cursor.close()

        return self._retrying(attempt, started)

    def _retrying(self, attempt: Callable[[], T], started: float | None = None) -> T:
        last_error: duckdb.Error | None = None
        for delay in itertools.chain([0.0], self.retry.delays(started)):
            if last_error is not None:
                with self._retries_lock:
                    self.retries += 1
                log.debug("retrying a transaction on %s in %.3fs: %s", self.location, delay, last_error)
            time.sleep(delay)
            try:
                return attempt()
            except SessionsError:
                raise
            except duckdb.Error as error:
                if not is_retryable(error):
                    raise CatalogError(f"catalog error: {error}") from error
                last_error = error
        raise CatalogBusyError(
            f"the catalog {self.location} stayed locked or conflicting for "
            f"{self.retry.deadline_s:.0f}s; nothing was written (last error: {last_error})"
        ) from last_error

    def compact(self, keep_snapshots_for: timedelta = timedelta(days=7)) -> None:
        """Maintenance: move rows inlined in the metadata database into Parquet, merge small files,
        rewrite files full of deletions, and drop snapshots (and their files) older than the window.

        Small writes (every ``add_file``) are inlined in the metadata database; without this the
        database grows and every query scans the inlined rows. Files are written in the layout the
        queries prune by (DuckLake keeps it for every later write and merge): each large table
        sorted by what its lookups filter on, in small row groups; the extents, in wall-clock
        order, also in small files, so a time window reads one or two of them.
        """
        sort_keys = {
            "timeline_extents": "min_wall_ns",
            "topic_partitions": "file_id",
            "session_files": "session_id",
            "sessions": "session_id",
        }
        layout = (
            "".join(
                f"ALTER TABLE {table} SET SORTED BY ({key});"
                f"CALL {LAKE}.set_option('parquet_row_group_size', 16384, table_name => '{table}');"
                for table, key in sort_keys.items()
            )
            + f"CALL {LAKE}.set_option('target_file_size', '16MB', table_name => 'timeline_extents');"
        )
        self.transaction(lambda tx: tx.execute(layout))
        older = f"older_than => now() - INTERVAL {int(keep_snapshots_for.total_seconds())} SECOND"
        steps = (
            f"CALL ducklake_flush_inlined_data('{LAKE}')",
            f"CALL ducklake_merge_adjacent_files('{LAKE}')",
            f"CALL ducklake_rewrite_data_files('{LAKE}')",
            f"CALL ducklake_expire_snapshots('{LAKE}', {older})",
            f"CALL ducklake_cleanup_old_files('{LAKE}', {older})",
        )
        connection = self.connection()
        for step in steps:
            with self._writing():
                self._retrying(partial(_run_statement, connection, step))

    def size_bytes(self) -> int:
        """Bytes stored: the metadata database (with its WAL) and every file under the data path."""
        if self.location.on_postgres:
            metadata = database_size_bytes(self.location.metadata)
        else:
            path = self.location.metadata_path
            files = (path, path.with_name(path.name + "-wal"))
            metadata = sum(f.stat().st_size for f in files if f.is_file())
        glob = self.location.data_path + "**"
        data = self.read(
            lambda tx: tx.scalar("SELECT coalesce(sum(size), 0) FROM read_blob($glob)", glob=glob)
        )
        return metadata + int(data)

    def _writing(self) -> contextlib.AbstractContextManager[None]:
        """Hold the catalog's writer lock (none when ``queue_writers`` was turned off)."""
        return self._writer_lock.held() if self._writer_lock else contextlib.nullcontext()

    def close(self) -> None:
        """Detach and close this process's connection (it reopens on next use)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._writer_lock is not None:
                self._writer_lock.close()


def _rollback_quietly(cursor: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
        cursor.execute("ROLLBACK")


def _run_statement(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return connection.cursor().execute(sql).fetchall()
