"""Concurrent writers from separate OS processes lose and duplicate nothing."""

import multiprocessing

import pytest

from sessions_lib import Client, Session, SessionFile
from tests.conftest import Recordings

FILES_PER_WORKER = 100

pytestmark = [pytest.mark.backends("sqlite", "postgres"), pytest.mark.slow]  # 400 writes from 2 processes


def add_files_one_by_one(catalog: str, session_id: str, file_ids: list[str], user: str, start) -> int:
    client = Client(catalog, user=user, org_ids=["org_a"])
    session = Session.from_id(session_id, roboto_client=client)
    start.wait()  # both processes begin together, so their writes overlap
    for i, file_id in enumerate(file_ids):
        if i % 5 == 4:  # now and then re-add with a range: an update, never a second row
            session.add_file(file_id, range_min_timestamp_ns=i * 10, range_max_timestamp_ns=i * 10 + 5)
        else:
            session.add_file(file_id)
    return len(file_ids)


def test_two_processes_adding_files_to_one_session(
    client: Client, recordings: Recordings, catalog_setting: str
):
    dataset = recordings.dataset()
    files = [
        recordings.file({"/imu": [(i * 10, i * 10 + 8)]}, dataset_id=dataset.dataset_id)
        for i in range(2 * FILES_PER_WORKER)
    ]
    session = Session.create(name="busy", roboto_client=client)
    ids = [f.file_id for f in files]
    halves = [ids[0::2], ids[1::2]]
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(2) as pool:
        start = manager.Barrier(2)
        done = pool.starmap(
            add_files_one_by_one,
            [
                (catalog_setting, session.session_id, half, f"worker-{n}", start)
                for n, half in enumerate(halves)
            ],
        )
        pool.close()  # let the workers exit: terminating them needs a SIGTERM a caller may ignore
        pool.join()
    assert done == [FILES_PER_WORKER, FILES_PER_WORKER]

    stored = list(Session.from_id(session.session_id, roboto_client=client).list_files())
    assert sorted(f.file_id for f in stored) == sorted(ids)  # every contribution exactly once
    expected = {
        file_id: SessionFile(file_id, i * 10, i * 10 + 5) if i % 5 == 4 else SessionFile(file_id)
        for half in halves
        for i, file_id in enumerate(half)
    }
    assert {f.file_id: f for f in stored} == expected

    windows = [
        (f.range_min_timestamp_ns, f.range_max_timestamp_ns)
        if f.range_min_timestamp_ns is not None
        else (ids.index(f.file_id) * 10, ids.index(f.file_id) * 10 + 8)
        for f in stored
    ]
    reloaded = Session.from_id(session.session_id, roboto_client=client)
    assert reloaded.min_timestamp_ns == min(lo for lo, _ in windows)
    assert reloaded.max_timestamp_ns == max(hi for _, hi in windows)
