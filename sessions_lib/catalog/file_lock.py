"""The writer lock of an embedded (SQLite) catalog: an OS file lock inside the catalog folder.

Without it, writers of one catalog race: each runs its transaction, all but one find at commit
that SQLite is locked or their snapshot went stale, and they retry after a random pause. Under
load a writer can lose that race many times in a row. Holding an exclusive ``flock`` on
``<folder>/writer.lock`` around the whole write transaction makes writers wait their turn in the
kernel's queue instead, and wake as soon as the lock is free. The kernel releases the lock when
its holder's process dies, however it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sessions_lib.errors import CatalogBusyError, CatalogError

WRITER_LOCK_FILE = "writer.lock"


class FileWriterLock:
    """An exclusive ``flock`` on ``path``, waited for at most ``timeout_s`` seconds.

    Each acquisition opens the file anew: threads of one process queue like processes do.
    """

    def __init__(self, path: Path, timeout_s: float) -> None:
        self.path = path
        self.timeout_s = timeout_s

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the length of the block; ``CatalogBusyError`` if it stays taken."""
        fd = self._acquire()
        try:
            yield
        finally:
            os.close(fd)  # closing the file releases its lock

    def close(self) -> None:
        """Nothing to release between transactions: each one opens and closes the file."""

    def _acquire(self) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as error:
            raise CatalogError(f"cannot open the catalog's writer lock {self.path}: {error}") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            pass  # taken: wait in the queue
        except OSError as error:
            os.close(fd)
            raise CatalogError(f"cannot take the catalog's writer lock {self.path}: {error}") from error
        if _BlockingWait(fd).wait(self.timeout_s):
            return fd
        raise CatalogBusyError(
            f"another writer held the catalog's writer lock {self.path} for {self.timeout_s:.0f}s; "
            "nothing was written"
        )


class _BlockingWait:
    """A blocking ``flock`` in a thread of its own, so that the caller can stop waiting.

    A blocking ``flock`` cannot be given a timeout; polling with ``LOCK_NB`` would leave the lock
    to whoever polls first rather than to the writer that has waited longest. A caller that gives
    up abandons the wait: the thread closes the file (dropping the lock) once it gets it.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._finished = threading.Event()
        self._guard = threading.Lock()
        self._abandoned = False
        self._error: OSError | None = None
        threading.Thread(target=self._wait, name="sessions-writer-lock", daemon=True).start()

    def _wait(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except OSError as error:
            self._error = error
        with self._guard:
            self._finished.set()
            abandoned = self._abandoned
        if abandoned:
            os.close(self._fd)

    def wait(self, timeout_s: float) -> bool:
        """Whether the lock was taken within ``timeout_s``; if not, the file is closed for the caller."""
        self._finished.wait(timeout_s)
        with self._guard:
            if not self._finished.is_set():
                self._abandoned = True
                return False
        if self._error is not None:
            os.close(self._fd)
            raise CatalogError(f"cannot take the catalog's writer lock: {self._error}") from self._error
        return True
