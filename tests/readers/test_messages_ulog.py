"""Topic messages of PX4 ULogs (the embedded fleet's), against pyulog's parse of the whole file:
every topic whole and in a random window, fields projected, a missing topic refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.readers import read_recording, ulog
from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice
from tests.readers.message_oracles import assert_matches, decoded, random_window, ulog_oracles

ULOGS = sorted((Path(__file__).resolve().parents[2] / "data" / "fleet").rglob("*.ulg"))


@pytest.mark.parametrize("path", ULOGS, ids=lambda p: p.name)
def test_every_topic_whole_and_in_a_random_window_equals_pyulog(path: Path):
    rng = random.Random(path.name)
    oracles = ulog_oracles(path)
    for topic in read_recording(path).topics:
        oracle = oracles[topic.name]
        assert len(oracle) == topic.message_count
        assert_matches(ulog.messages, TopicSlice(path, topic.name), oracle)
        start, end = random_window(oracle, rng)
        assert_matches(ulog.messages, TopicSlice(path, topic.name, start, end), oracle)


def test_fields_projection_and_the_clock_of_the_extents():
    path = ULOGS[0]
    table = decoded(ulog.messages, TopicSlice(path, "vehicle_attitude", fields=("q",)))
    assert table.column_names == [TIMESTAMP_COLUMN, "q"]
    assert all(len(q) == 4 for q in table.column("q").to_pylist())
    (topic,) = [t for t in read_recording(path).topics if t.name == "vehicle_attitude"]
    times = table.column(TIMESTAMP_COLUMN).to_pylist()
    assert (times[0], times[-1]) == (topic.spans[0][0], topic.spans[-1][1])


def test_a_missing_topic_is_refused():
    with pytest.raises(ReaderError, match=r"no topic 'nope'"):
        list(ulog.messages(TopicSlice(ULOGS[0], "nope")))
