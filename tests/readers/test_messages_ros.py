"""Topic messages of ROS 1 bags and ROS 2 .db3 files (the embedded fleet's), against rosbags' own
AnyReader decoding the whole file: every topic whole and in a random window, fields projected,
and the errors for a missing topic and an unindexed bag."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.readers import read_recording, rosbag1, rosbag2
from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice
from tests.readers.message_oracles import assert_matches, decoded, random_window, rosbags_oracle

FLEET = Path(__file__).resolve().parents[2] / "data" / "fleet"
BAGS = sorted(FLEET.rglob("*.bag"))
DB3S = sorted(FLEET.rglob("*.db3"))
CASES = [(rosbag1.messages, p) for p in BAGS] + [(rosbag2.messages, p) for p in DB3S]


@pytest.mark.parametrize(("messages", "path"), CASES, ids=lambda v: getattr(v, "name", ""))
def test_every_topic_whole_and_in_a_random_window_equals_rosbags(messages, path: Path):
    rng = random.Random(path.name)
    for topic in read_recording(path).topics:
        oracle = rosbags_oracle(path, topic.name)
        assert len(oracle) == topic.message_count
        assert_matches(messages, TopicSlice(path, topic.name), oracle)
        start, end = random_window(oracle, rng)
        assert_matches(messages, TopicSlice(path, topic.name, start, end), oracle)


@pytest.mark.parametrize(("messages", "path"), [CASES[0], CASES[-1]], ids=["bag", "db3"])
def test_fields_projection_builds_only_what_is_asked(messages, path: Path):
    slice_ = TopicSlice(path, "/rover1/gps/fix", fields=("header.stamp", "latitude"))
    table = assert_matches(messages, slice_, rosbags_oracle(path, "/rover1/gps/fix"))
    assert table.column_names == [TIMESTAMP_COLUMN, "header.stamp.sec", "header.stamp.nanosec", "latitude"]
    assert str(table.schema.field("latitude").type) == "double"
    empty = decoded(messages, TopicSlice(path, "/rover1/gps/fix", fields=("no_such_field",)))
    assert empty.column_names == [TIMESTAMP_COLUMN]


@pytest.mark.parametrize(("messages", "path"), [CASES[0], CASES[-1]], ids=["bag", "db3"])
def test_an_empty_window_yields_no_rows_and_a_missing_topic_is_refused(messages, path: Path):
    assert decoded(messages, TopicSlice(path, "/rover1/pose", 0, 1)).num_rows == 0
    with pytest.raises(ReaderError, match=r"no topic '/nope'"):
        list(messages(TopicSlice(path, "/nope")))


def test_a_bag_without_index_is_refused_with_the_way_out(tmp_path: Path):
    bag = tmp_path / "unindexed.bag"
    shutil.copyfile(BAGS[0], bag)
    data = bytearray(bag.read_bytes())
    at = data.index(b"index_pos=") + len(b"index_pos=")
    data[at : at + 8] = bytes(8)
    bag.write_bytes(bytes(data))
    with pytest.raises(ReaderError, match=r"topic '/rover1/pose'.*reindex"):
        list(rosbag1.messages(TopicSlice(bag, "/rover1/pose")))
