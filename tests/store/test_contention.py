"""Writers of an embedded catalog queue on its writer lock: an OS file lock in the catalog folder.

The lock is checked from outside with ``fcntl`` itself: another process holding it makes writers
wait (and give up at the deadline, writing nothing), never readers; a holder that dies frees it.
"""

import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sessions_lib import CatalogBusyError, Client, Session
from sessions_lib.catalog import Catalog, CatalogLocation, RetryPolicy
from sessions_lib.catalog.file_lock import WRITER_LOCK_FILE

pytestmark = pytest.mark.fresh_catalog

# Holds an exclusive flock on the file argv[1] until killed (or for argv[2] seconds).
HOLD_LOCK = """
import fcntl, sys, time
with open(sys.argv[1], "a") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def lock_holder(catalog: Catalog, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the catalog's writer lock for ``seconds``, once it says so."""
    catalog.connection()  # the catalog (and its folder) exists, and opening it is not timed
    lock_file = catalog.location.metadata_path.parent / WRITER_LOCK_FILE
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_file), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def session_names(catalog: Catalog) -> list[str]:
    return [name for (name,) in catalog.read(lambda tx: tx.rows("SELECT name FROM sessions ORDER BY 1"))]


def test_a_writer_waits_for_the_lock_gives_up_at_the_deadline_and_reads_go_on(client: Client):
    Session.create(name="before", roboto_client=client)
    impatient = Catalog(client.catalog.location, RetryPolicy(deadline_s=0.5))
    holder = lock_holder(client.catalog, 60)
    try:
        started = time.monotonic()
        with pytest.raises(CatalogBusyError, match=r"writer lock .*writer\.lock for 0s; nothing was written"):
            Session.create(name="refused", roboto_client=Client(impatient, user="u", org_ids=["org_a"]))
        assert 0.5 <= time.monotonic() - started < 5
        assert session_names(impatient) == ["before"]  # reads never take the lock
    finally:
        holder.kill()
        holder.wait()
    # the abandoned wait let go of the lock it got: the next write goes through at once
    started = time.monotonic()
    Session.create(name="after", roboto_client=Client(impatient, user="u", org_ids=["org_a"]))
    assert time.monotonic() - started < 5
    assert session_names(client.catalog) == ["after", "before"]
    impatient.close()


def test_a_queued_writer_goes_as_soon_as_the_holder_lets_go(client: Client):
    holder = lock_holder(client.catalog, 1.5)
    started = time.monotonic()
    Session.create(name="queued", roboto_client=client)
    waited = time.monotonic() - started
    holder.wait()
    assert 1.0 < waited < 10, waited  # it waited for the holder, then went
    assert session_names(client.catalog) == ["queued"]


def test_a_holder_that_dies_frees_the_lock(client: Client):
    holder = lock_holder(client.catalog, 600)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    Session.create(name="next", roboto_client=client)
    assert time.monotonic() - started < 10


def test_threads_of_one_process_queue_too(client: Client):
    """Each acquisition opens the lock file anew, so threads wait for each other like processes."""
    location = client.catalog.location
    first, second = Catalog(location), Catalog(location, RetryPolicy(deadline_s=0.3))
    first.connection()
    with first._writing(), pytest.raises(CatalogBusyError):
        second.transaction(lambda tx: None)
    second.transaction(lambda tx: None)
    first.close()
    second.close()


def write_loop(catalog: str, session_id: str, file_ids: list[str], calls: int, start) -> tuple[int, int]:
    """Single operations on one session; (calls made, transactions retried)."""
    client = Client(catalog, user="writer", org_ids=["org_a"])
    session = Session.from_id(session_id, roboto_client=client)
    start.wait()
    for i in range(calls):  # rounds of: add a file, update, remove the file
        file_id = file_ids[(i // 3) % len(file_ids)]
        if i % 3 == 0:
            session.add_file(file_id)
        elif i % 3 == 1:
            session.update(description=f"call {i}")
        else:
            session.remove_file(file_id)
    client.catalog.close()
    return calls, client.catalog.retries


@pytest.mark.slow
def test_queued_writers_never_retry_each_other(client: Client, recordings, catalog_setting: str):
    """Three processes writing as fast as they can: each transaction waits its turn, none retries
    (without the lock the same load retries: see benchmarks/bench_contention.py)."""
    dataset = recordings.dataset()
    files = [recordings.file({"/imu": [(i, i + 5)]}, dataset_id=dataset.dataset_id).file_id for i in range(3)]
    sessions = [Session.create(name=f"s{n}", roboto_client=client).session_id for n in range(3)]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(3) as pool:
        start = manager.Barrier(3)
        done = pool.starmap(write_loop, [(catalog_setting, s, files, 12, start) for s in sessions])
        pool.close()
        pool.join()
    assert done == [(12, 0)] * 3
    for session_id in sessions:  # 12 calls: four rounds of add, update, remove of files 0, 1, 2, 0
        session = Session.from_id(session_id, roboto_client=client)
        assert session.description == "call 10" and list(session.list_files()) == []


def test_the_lock_file_lives_in_the_catalog_folder(tmp_path: Path):
    catalog = Catalog(CatalogLocation.from_setting(tmp_path / "cat", data_path=tmp_path / "elsewhere"))
    catalog.transaction(lambda tx: None)
    assert (tmp_path / "cat" / WRITER_LOCK_FILE).is_file()
    assert not (tmp_path / "elsewhere" / WRITER_LOCK_FILE).exists()
    catalog.close()
