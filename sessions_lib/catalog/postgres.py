"""What a PostgreSQL-backed catalog needs besides DuckLake: its writer lock and its size.

One writer at a time per catalog, across processes and machines.

The library checks uniqueness by reading before it inserts (a topic's id, a file's path, a session
name on a device). DuckLake lets concurrent *inserts* commit side by side, so two writers could both
see "absent" and both insert. On PostgreSQL a write transaction holds a session-level advisory lock
from before its first read until after its commit: the next writer's reads then see the first
one's rows. (An embedded catalog does the same with a file lock, ``file_lock.py``.)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sessions_lib.errors import CatalogBusyError, CatalogError

if TYPE_CHECKING:  # psycopg is imported where it is used: an embedded catalog never loads it
    import psycopg

# Advisory locks are scoped to their database, so one constant key serves every catalog.
WRITER_LOCK_KEY = 0x5E55_1025


class PostgresWriterLock:
    """The advisory lock, taken on a connection of its own (released if this process dies)."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self._url = url
        self._timeout_ms = int(timeout_s * 1000)
        self._thread_lock = threading.Lock()
        self._connection: psycopg.Connection | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the length of the block; ``CatalogBusyError`` if it stays taken."""
        import psycopg

        with self._thread_lock:
            connection = self._connect()
            try:
                connection.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
            except psycopg.errors.LockNotAvailable as error:
                raise CatalogBusyError(
                    f"another writer held the catalog's writer lock for {self._timeout_ms / 1000:.0f}s; "
                    "nothing was written"
                ) from error
            except psycopg.Error as error:
                self.close()  # a broken connection: the next write opens a new one
                raise CatalogError(f"cannot take the catalog's writer lock: {error}") from error
            try:
                yield
            finally:
                try:
                    connection.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
                except psycopg.Error:
                    self.close()  # closing the session releases its locks

    def _connect(self) -> psycopg.Connection:
        import psycopg

        if self._connection is None or self._connection.closed:
            try:
                self._connection = psycopg.connect(self._url, autocommit=True)
            except psycopg.Error as error:
                raise CatalogError(f"cannot reach the catalog's PostgreSQL server: {error}") from error
            self._connection.execute(f"SET lock_timeout = {self._timeout_ms}")
        return self._connection

    def close(self) -> None:
        import psycopg

        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                self._connection.close()
            self._connection = None


def database_size_bytes(url: str) -> int:
    """Bytes the catalog's PostgreSQL database takes on its server."""
    import psycopg

    try:
        with psycopg.connect(url) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    except psycopg.Error as error:
        raise CatalogError(f"cannot reach the catalog's PostgreSQL server: {error}") from error
    return int(row[0]) if row else 0
