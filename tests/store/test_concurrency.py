"""Concurrent writers from separate OS processes lose and duplicate nothing."""

import multiprocessing
from functools import partial

import pytest

from sessions_lib import (
    Client,
    FileRegistration,
    NotFoundError,
    RecordedTopic,
    Session,
    SessionFile,
    register_dataset,
    register_files,
)
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


# -- every kind of write at once ---------------------------------------------------------------
#
# Sessions hold the pool files of HELD. One process adds the files of ADDED to every session, one
# call per file and session; another removes the files of HELD the same way; a third deletes the
# DOOMED sessions once the first adds are in; a fourth registers new files and re-registers every
# pool file with new spans (which moves the bounds of the sessions holding it). Whatever order the
# transactions commit in, the end is known: the kept sessions hold exactly ADDED, with bounds from
# those files' new spans; the doomed sessions are gone with all they held, and every call on one
# after its deletion was refused; every file is stored once, as last registered.

S = 1_000_000_000
POOL, NEW_FILES = 8, 6
HELD, ADDED = range(0, POOL // 2), range(POOL // 2, POOL)
KEPT, DOOMED = ("kept-1", "kept-2"), ("doomed-1", "doomed-2")


def pool_registration(dataset_id: str, i: int, version: int) -> FileRegistration:
    """Pool file ``i``, one /imu span; version 2 is new content with the span moved and longer."""
    start = (i * 100 + version * 10) * S
    return FileRegistration(
        dataset_id,
        f"pool/{i}.mcap",
        [RecordedTopic("/imu", spans=((start, start + (5 + version) * S),))],
        content_hash=f"v{version}-{i}",
    )


def pool_window(i: int, version: int) -> tuple[int, int]:
    ((span,),) = [topic.spans for topic in pool_registration("ds", i, version).topics]
    return span


def try_call(call) -> str:
    """``ok``, or ``not found`` if the library said the session is gone."""
    try:
        call()
    except NotFoundError:
        return "not found"
    return "ok"


def change_each(catalog: str, kind: str, session_ids: dict[str, str], file_ids: list[str], start, added):
    """Add (or remove) each file to (from) every session, one call each: (session, file, outcome)."""
    client = Client(catalog, user=kind, org_ids=["org_a"])
    sessions = {name: Session.from_id(sid, roboto_client=client) for name, sid in session_ids.items()}
    start.wait()
    outcomes = []
    for file_id in file_ids:
        for name, session in sessions.items():
            if kind == "adder":
                call = partial(session.add_files, [SessionFile(file_id)])
            else:
                call = partial(session.remove_files, [file_id])
            outcomes.append((name, file_id, try_call(call)))
        if kind == "adder":
            added.set()  # a file is in every session: the doomed ones may go
    client.catalog.close()
    return outcomes


def delete_doomed(catalog: str, session_ids: dict[str, str], start, added) -> list[str]:
    client = Client(catalog, user="deleter", org_ids=["org_a"])
    doomed = [Session.from_id(session_ids[name], roboto_client=client) for name in DOOMED]
    start.wait()
    added.wait()
    for session in doomed:
        session.delete()
    client.catalog.close()
    return [session.session_id for session in doomed]


def ingest(catalog: str, dataset_id: str, start) -> list[str]:
    """New files and new content for every pool file, two files a transaction: the paths stored."""
    client = Client(catalog, user="ingest", org_ids=["org_a"])
    new = [
        FileRegistration(dataset_id, f"new/{i}.mcap", [RecordedTopic("/gps", spans=((i * S, i * S + S),))])
        for i in range(NEW_FILES)
    ]
    changed = [pool_registration(dataset_id, i, 2) for i in range(POOL)]
    start.wait()
    stored = register_files([*changed, *new], files_per_transaction=2, roboto_client=client)
    client.catalog.close()
    return [record.relative_path for record in stored]


def test_removes_and_deletes_racing_adds_and_ingest(client: Client, catalog_setting: str):
    dataset_id = register_dataset("pool", roboto_client=client).dataset_id
    pool = register_files([pool_registration(dataset_id, i, 1) for i in range(POOL)], roboto_client=client)
    ids = [record.file_id for record in pool]
    held = [SessionFile(ids[i]) for i in HELD]
    session_ids = {}
    for name in KEPT + DOOMED:
        session_ids[name] = Session.create(name=name, roboto_client=client).add_files(held).session_id
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(4) as pool_of_processes:
        start, added = manager.Barrier(4), manager.Event()
        adding = pool_of_processes.apply_async(
            change_each, (catalog_setting, "adder", session_ids, [ids[i] for i in ADDED], start, added)
        )
        removing = pool_of_processes.apply_async(
            change_each, (catalog_setting, "remover", session_ids, [ids[i] for i in HELD], start, added)
        )
        deleting = pool_of_processes.apply_async(delete_doomed, (catalog_setting, session_ids, start, added))
        ingesting = pool_of_processes.apply_async(ingest, (catalog_setting, dataset_id, start))
        calls = (adding, removing, deleting, ingesting)
        adds, removes, deleted, ingested = (call.get(timeout=900) for call in calls)
        pool_of_processes.close()
        pool_of_processes.join()

    # every caller was told the truth
    assert deleted == [session_ids[name] for name in DOOMED]
    for outcomes in (adds, removes):
        for name in KEPT:
            assert {o for n, _, o in outcomes if n == name} == {"ok"}
        for name in DOOMED:  # done until the delete, refused from then on: never done again after it
            mine = [o for n, _, o in outcomes if n == name]
            assert mine == sorted(mine, key=lambda o: o == "not found"), mine
    assert any(o == "ok" for n, _, o in adds if n in DOOMED)  # the delete came after some adds
    expected_paths = {f"pool/{i}.mcap" for i in range(POOL)} | {f"new/{i}.mcap" for i in range(NEW_FILES)}
    assert sorted(ingested) == sorted(expected_paths)

    # nothing lost, nothing resurrected
    for name in KEPT:
        session = Session.from_id(session_ids[name], roboto_client=client)
        assert sorted(f.file_id for f in session.list_files()) == sorted(ids[i] for i in ADDED)
        windows = [pool_window(i, 2) for i in ADDED]
        assert (session.min_timestamp_ns, session.max_timestamp_ns) == (
            min(lo for lo, _ in windows),
            max(hi for _, hi in windows),
        )
    doomed = [session_ids[name] for name in DOOMED]
    for session_id in doomed:
        with pytest.raises(NotFoundError):
            Session.from_id(session_id, roboto_client=client)
    left = client.catalog.read(
        lambda tx: tx.rows(
            "SELECT 'sessions', session_id FROM sessions WHERE list_contains($ids, session_id) "
            "UNION ALL SELECT 'session_files', session_id FROM session_files "
            "WHERE list_contains($ids, session_id) "
            "UNION ALL SELECT 'session_devices', session_id FROM session_devices "
            "WHERE list_contains($ids, session_id)",
            ids=doomed,
        )
    )
    assert left == []
    paths = client.catalog.read(
        lambda tx: tx.rows("SELECT relative_path, count(*) FROM files WHERE org_id = 'org_a' GROUP BY 1")
    )
    assert dict(paths) == dict.fromkeys(expected_paths, 1)
