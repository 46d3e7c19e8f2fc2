"""Anchoring a file's clock to Unix time: ``File.set_timeline_offset`` and ``File.set_start_time``.

The oracle is arithmetic on what was registered: every wall-clock time is the reader's time plus
the file's anchor plus its topic's, whatever anchors came before.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessions_lib import (
    Client,
    File,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RecordedTopic,
    Session,
    register_dataset,
    register_file,
)
from sessions_lib.model.records import ActivityInterval
from tests.conftest import table_contents

S = 1_000_000_000
T0 = 1_776_902_400 * S  # 2026-04-23T00:00:00Z
SPANS = {"/imu": ((5 * S, 60 * S), (70 * S, 100 * S)), "/gps": ((10 * S, 90 * S),)}
ARMED = (20 * S, 40 * S)


def boot_log(client: Client, path: str = "bench/log_3.ulg", size_bytes: int = 1) -> File:
    """A boot-relative log (its reader found no Unix time), armed from 20 s to 40 s after boot."""
    dataset = register_dataset("bench", roboto_client=client).dataset_id
    return File(register_file_again(client, dataset, path, size_bytes), client)


def register_file_again(client: Client, dataset_id: str, path: str, size_bytes: int, spans=SPANS):
    return register_file(
        dataset_id,
        path,
        [RecordedTopic(name, spans=topic_spans) for name, topic_spans in spans.items()],
        anchored=False,
        size_bytes=size_bytes,
        activity=[ActivityInterval("armed", *ARMED)],
        roboto_client=client,
    )


def walls(file: File) -> dict[str, tuple[tuple[int, int], ...]]:
    return {topic.name: topic.wall_spans for topic in file.list_topics()}


def expected_walls(file_anchor: int, topic_anchors: dict[str, int], spans=SPANS):
    shift = {name: file_anchor + topic_anchors.get(name, 0) for name in spans}
    return {name: tuple((lo + shift[name], hi + shift[name]) for lo, hi in s) for name, s in spans.items()}


def activity(client: Client, file: File) -> list[tuple[int, int]]:
    return client.catalog.read(
        lambda tx: tx.rows(
            "SELECT start_ns, end_ns FROM activity_intervals WHERE org_id = $org AND file_id = $file",
            org=file.org_id,
            file=file.file_id,
        )
    )


def test_an_anchor_moves_the_file_its_activity_and_its_sessions_and_replaces_the_last(client: Client):
    log = boot_log(client)
    session = Session.create("bench run", roboto_client=client)
    session.add_file(log)
    assert (log.anchored, log.timeline_offset_ns) == (False, None)

    log.set_timeline_offset(T0)
    assert (log.anchored, log.timeline_offset_ns) == (True, T0)
    assert walls(File.from_id(log.file_id, roboto_client=client)) == expected_walls(T0, {})
    assert activity(client, log) == [(T0 + ARMED[0], T0 + ARMED[1])]
    session = Session.from_id(session.session_id, roboto_client=client)
    assert (session.min_timestamp_ns, session.max_timestamp_ns) == (T0 + 5 * S, T0 + 100 * S)

    later = T0 + 3600 * S
    log.set_timeline_offset(later)  # replaces, never adds up
    assert walls(log) == expected_walls(later, {})
    assert activity(client, log) == [(later + ARMED[0], later + ARMED[1])]
    assert Session.from_id(session.session_id, roboto_client=client).min_timestamp_ns == later + 5 * S

    before = table_contents(client)
    log.set_timeline_offset(later)
    assert table_contents(client) == before  # the anchor it has: nothing written


def test_a_topic_anchor_corrects_one_topic_on_top_of_the_file_anchor(client: Client):
    log = boot_log(client)
    log.set_timeline_offset(2 * S, topic="/gps")
    assert log.anchored is False  # one topic's correction does not anchor the file
    assert walls(log) == expected_walls(0, {"/gps": 2 * S})
    log.set_timeline_offset(T0)
    assert walls(log) == expected_walls(T0, {"/gps": 2 * S})
    log.set_timeline_offset(-S, topic="/gps")
    assert walls(log) == expected_walls(T0, {"/gps": -S})
    assert {t.name: t.timeline_offset_ns for t in log.list_topics()} == {"/gps": -S, "/imu": None}


def test_a_known_start_time_anchors_the_earliest_time_there(client: Client):
    log = boot_log(client)
    log.set_timeline_offset(123 * S)
    log.set_start_time(T0)
    assert min(lo for spans in walls(log).values() for lo, _ in spans) == T0
    assert log.timeline_offset_ns == T0 - 5 * S


def test_anchors_outlive_a_new_read_of_the_file(client: Client):
    log = boot_log(client)
    log.set_timeline_offset(T0)
    log.set_timeline_offset(S, topic="/gps")
    new_spans = {"/imu": ((1 * S, 50 * S),), "/gps": ((2 * S, 40 * S),), "/baro": ((3 * S, 4 * S),)}
    again = register_file_again(client, log.dataset_id, log.relative_path, size_bytes=2, spans=new_spans)
    assert again.file_id == log.file_id
    assert (again.anchored, again.timeline_offset_ns) == (True, T0)
    assert walls(File(again, client)) == expected_walls(T0, {"/gps": S}, new_spans)
    assert activity(client, log) == [(T0 + ARMED[0], T0 + ARMED[1])]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda f: f.set_timeline_offset(T0, topic="/nope"), NotFoundError, "topic '/nope' not found"),
        (lambda f: f.set_timeline_offset(1.5), InvalidRequestError, "int64 nanoseconds"),
        (lambda f: f.set_timeline_offset(True), InvalidRequestError, "int64 nanoseconds"),
        (lambda f: f.set_timeline_offset(2**63), InvalidRequestError, "int64 nanoseconds"),
        (lambda f: f.set_timeline_offset(2**62), InvalidRequestError, "beyond ±2\\*\\*62"),
        (lambda f: f.set_timeline_offset(T0, topic=""), InvalidRequestError, "topic must be"),
        (lambda f: f.set_start_time("2026-04-23"), InvalidRequestError, "start_ns"),
    ],
)
def test_bad_anchors_are_refused_with_nothing_written(client: Client, call, error, message):
    log = boot_log(client)
    before = table_contents(client)
    with pytest.raises(error, match=message):
        call(log)
    assert table_contents(client) == before


def test_another_orgs_file_cannot_be_anchored(client: Client):
    log = boot_log(client)
    stranger = client.as_caller(org_ids=["org_elsewhere"])
    before = table_contents(client)
    with pytest.raises(NotFoundError):
        File.from_id(log.file_id, roboto_client=stranger)
    with pytest.raises(PermissionDeniedError):
        File(log.record, stranger).set_timeline_offset(T0)
    assert table_contents(client) == before


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from([None, "/imu", "/gps"]), st.integers(-(2**40), 2**61)),
        min_size=1,
        max_size=4,
    )
)
def test_any_sequence_of_anchors_leaves_reader_time_plus_the_last_anchors(client: Client, sequence):
    log = boot_log(client, path=f"bench/{len(sequence)}-{abs(hash(tuple(sequence)))}.ulg")
    file_anchor, topic_anchors = 0, {}
    for topic, offset in sequence:
        log.set_timeline_offset(offset, topic=topic)
        if topic is None:
            file_anchor = offset
        else:
            topic_anchors[topic] = offset
    assert walls(log) == expected_walls(file_anchor, topic_anchors)
