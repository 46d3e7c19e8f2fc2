"""Topic messages of every real recording of ../shared/data/real (ROS 1 bags, ROS 2 .db3 files,
PX4 ULogs, a LeRobot dataset), against the formats' own libraries decoding the whole file: every
topic (every episode's slice of every feature) whole and in a random window. A topic we refuse to
decode is one the oracle cannot decode either."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.readers import lerobot, read_recording, rosbag1, rosbag2, ulog
from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice
from tests.readers.message_oracles import (
    assert_matches,
    decoded,
    random_window,
    rosbags_oracle,
    sqlite_oracle,
    ulog_oracles,
)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
BAGS = sorted((REAL / "ros1").glob("*.bag"))
DB3S = sorted((REAL / "ros2").glob("*/*.db3"))
ULOGS = sorted((REAL / "ulog").glob("*.ulg"))
LEROBOT = REAL / "lerobot" / "so101_pick_place_v30" / "data" / "chunk-000" / "file-000.parquet"
# Bag directories whose metadata.yaml is truthful (rosbags' AnyReader reads them whole).
TRUTHFUL_METADATA = {
    "rosbag2_cdr_test_sqlite3",
    "rosbag2_topics_and_service_events_sqlite3",
    "rosbags-rs_test_bag_sqlite3",
}

pytestmark = [
    pytest.mark.slow,  # every topic of every real recording
    pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is not beside the project"),
]


def check_topics(messages, path: Path, oracle_of) -> int:
    """Every topic whole and in a random window; the number of topics decoded."""
    rng = random.Random(path.name)
    done = 0
    for topic in read_recording(path).topics:
        try:
            table = decoded(messages, TopicSlice(path, topic.name))
        except ReaderError as error:
            assert topic.name in str(error) and str(path) in str(error)
            with pytest.raises(Exception):  # noqa: B017 - the oracle's own failure, whatever its kind
                oracle_of(topic.name)
            continue
        oracle = oracle_of(topic.name)
        assert table.num_rows == len(oracle) == topic.message_count
        assert_matches(messages, TopicSlice(path, topic.name), oracle)
        start, end = random_window(oracle, rng)
        assert_matches(messages, TopicSlice(path, topic.name, start, end), oracle)
        done += 1
    return done


@pytest.mark.parametrize("path", BAGS, ids=lambda p: p.name)
def test_ros1_bags_equal_rosbags(path: Path):
    check_topics(rosbag1.messages, path, lambda topic: rosbags_oracle(path, topic))


@pytest.mark.parametrize("path", DB3S, ids=lambda p: p.parent.name)
def test_ros2_db3_files_equal_rosbags(path: Path):
    if path.parent.name in TRUTHFUL_METADATA:
        done = check_topics(rosbag2.messages, path, lambda topic: rosbags_oracle(path, topic))
    else:
        done = check_topics(rosbag2.messages, path, lambda topic: sqlite_oracle(path, topic))
    assert done >= 1


def test_ros2_extreme_values_keep_their_types():
    """uint64 max, int64 min and float32 arrays come out as the message definition types them."""
    (path,) = [p for p in DB3S if p.parent.name == "rosbag2_cdr_test_sqlite3"]
    table = decoded(rosbag2.messages, TopicSlice(path, "/array_topic"))
    oracle = rosbags_oracle(path, "/array_topic")
    assert str(table.schema.field("uint64_values").type) == "list<item: uint64>"
    assert str(table.schema.field("float32_values").type) == "list<item: float>"
    assert table.column("uint64_values").to_pylist() == [m.uint64_values.tolist() for _, m in oracle]


@pytest.mark.parametrize("path", ULOGS, ids=lambda p: p.name)
def test_ulogs_equal_pyulog(path: Path):
    oracles = ulog_oracles(path)
    assert check_topics(ulog.messages, path, oracles.__getitem__) == len(read_recording(path).topics)


@pytest.mark.skipif(not LEROBOT.is_file(), reason=f"{LEROBOT} is not beside the project")
def test_lerobot_episodes_equal_pyarrow():
    table = pq.read_table(LEROBOT).to_pylist()
    rng = random.Random(1)
    for topic in read_recording(LEROBOT).topics:
        start, end = topic.row_range
        # the float32 seconds as stored, to float64, to nanoseconds: the reader's rule, in Python
        oracle = [(round(float(np.float32(r["timestamp"])) * 10**9), r) for r in table[start:end]]
        slice_ = TopicSlice(LEROBOT, topic.name, row_range=topic.row_range)
        whole = assert_matches(lerobot.messages, slice_, oracle, value_of=dict.get)
        assert whole.column_names == [TIMESTAMP_COLUMN, topic.name] and whole.num_rows == topic.message_count
        window = random_window(oracle, rng)
        assert_matches(
            lerobot.messages,
            TopicSlice(LEROBOT, topic.name, *window, row_range=topic.row_range),
            oracle,
            value_of=dict.get,
        )
    with pytest.raises(ReaderError, match="row_range"):
        list(lerobot.messages(TopicSlice(LEROBOT, "action")))
