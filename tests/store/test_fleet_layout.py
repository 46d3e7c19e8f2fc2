"""Layout on hand-made rows: extents and partitions store their wall clock, the time-window query
uses it with closed bounds, and maintenance (compaction) keeps every answer. (On a fleet-size
synthetic catalog: benchmarks/test_synthetic_fleet.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessions_lib import Client, Session
from sessions_lib.queries import DEVICE_ACTIVITY, WINDOW_TOPICS
from tests.conftest import Recordings


@pytest.mark.backends("sqlite", "postgres")
def test_window_topics_use_the_wall_clock_and_closed_bounds(
    client: Client, recordings: Recordings, org_id: str, other_org_id: str
) -> None:
    boot_ns = 1_000_000
    recordings.file({"/gps": [(100, 200)]})
    recordings.file({"/imu": [(5, 50), (60, 90)], "/empty": []}, offset_ns=boot_ns)

    def window(start_ns: int, end_ns: int) -> list[str]:
        rows = client.catalog.read(
            lambda tx: tx.rows(WINDOW_TOPICS, org_id=org_id, start_ns=start_ns, end_ns=end_ns)
        )
        return [name for _, _, name in rows]

    assert window(150, 160) == ["/gps"]
    assert window(boot_ns + 50, boot_ns + 50) == ["/imu"]  # closed: touching an end counts
    assert window(boot_ns + 51, boot_ns + 59) == []  # the gap between two extents
    assert window(5, 50) == []  # the stored clock is not the wall clock
    assert window(0, 2 * boot_ns) == ["/gps", "/imu"]
    other_org = client.as_caller(org_ids=[other_org_id])
    assert (
        other_org.catalog.read(
            lambda tx: tx.rows(WINDOW_TOPICS, org_id=other_org_id, start_ns=0, end_ns=2 * boot_ns)
        )
        == []
    )


def test_registered_extents_and_partitions_store_their_wall_clock(
    client: Client, recordings: Recordings
) -> None:
    file = recordings.file({"/imu": [(5, 50), (60, 90)], "/empty": []}, offset_ns=1_000)
    extents = client.catalog.read(
        lambda tx: tx.rows(
            "SELECT t.name, te.min_wall_ns, te.max_wall_ns FROM timeline_extents te "
            "JOIN topics t ON t.topic_id = te.topic_id WHERE te.file_id = $f ORDER BY te.min_wall_ns",
            f=file.file_id,
        )
    )
    assert extents == [("/imu", 1_005, 1_050), ("/imu", 1_060, 1_090)]
    partitions = client.catalog.read(
        lambda tx: tx.rows(
            "SELECT t.name, tp.min_wall_ns, tp.max_wall_ns FROM topic_partitions tp "
            "JOIN topics t ON t.topic_id = tp.topic_id WHERE tp.file_id = $f ORDER BY t.name",
            f=file.file_id,
        )
    )
    assert partitions == [("/empty", None, None), ("/imu", 1_005, 1_090)]


def test_a_file_whose_topics_have_no_extents_has_no_window(
    client: Client, recordings: Recordings, org_id: str
) -> None:
    device = recordings.device()
    empty = recordings.file({"/empty": []}, device_id=device)
    full = recordings.file({"/imu": [(10, 20)]}, device_id=device)
    activity = client.catalog.read(lambda tx: tx.rows(DEVICE_ACTIVITY, org_id=org_id))
    assert [(file_id, start, end) for _, _, file_id, _, start, end, *_ in activity] == [
        (full.file_id, 10, 20)
    ]
    session = Session.create(roboto_client=client).add_files([empty.file_id, full.file_id])
    assert (session.record.min_timestamp_ns, session.record.max_timestamp_ns) == (10, 20)


@pytest.mark.backends("sqlite", "postgres")
@pytest.mark.fresh_catalog  # maintenance rewrites the whole catalog
def test_compaction_keeps_answers(client: Client, recordings: Recordings) -> None:
    a = recordings.file({"/a": [(0, 10)], "/b": [(30, 40)]}, offset_ns=100)
    b = recordings.file({"/c": [(500, 600)]})
    session = Session.create(roboto_client=client).add_file(
        a.file_id, range_min_timestamp_ns=125, range_max_timestamp_ns=140
    )
    session = session.add_file(b.file_id)

    def answers() -> tuple[list[str], tuple[int | None, int | None], list[str]]:
        reloaded = Session.from_id(session.session_id, roboto_client=client)
        window = client.catalog.read(
            lambda tx: tx.rows(WINDOW_TOPICS, org_id="org_a", start_ns=0, end_ns=120)
        )
        return (
            [t.name for t in reloaded.list_topics()],
            (reloaded.record.min_timestamp_ns, reloaded.record.max_timestamp_ns),
            [name for _, _, name in window],
        )

    before = answers()
    assert before == (["/b", "/c"], (125, 600), ["/a"])
    client.catalog.compact(keep_snapshots_for=timedelta(0))
    assert answers() == before
    recordings.file({"/d": [(900, 950)]})  # written after compaction, in the sorted layout
    assert answers() == before
    assert (
        client.catalog.read(lambda tx: tx.rows(WINDOW_TOPICS, org_id="org_a", start_ns=950, end_ns=999))[0][2]
        == "/d"
    )
