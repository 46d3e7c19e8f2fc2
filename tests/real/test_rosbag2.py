"""ROS 2 sqlite3 storage reader: SQL over the file's own tables, checked against full message iterations.

Oracles, per case:
- a bag directory whose metadata.yaml is truthful: every message iterated by rosbags' rosbag2
  ``Reader(directory).messages()``;
- a bare .db3 (no metadata.yaml) or one beside a metadata.yaml that lies: every row of
  ``SELECT topic_id, timestamp FROM messages`` joined to ``topics`` in Python;
- bags written here by rosbags' ``Writer`` (sqlite3 storage): the (topic, time) list written.
Expected spans come from ``expected_spans`` below, not from the reader's SQL.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from rosbags.rosbag2 import Reader as RosbagsReader
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import Recording
from sessions_lib.readers import rosbag2
from sessions_lib.readers.spans import SPAN_GAP_NS

REAL_ROS2 = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "ros2"
REAL_DB3 = sorted(REAL_ROS2.glob("*/*.db3"))
# Directories whose metadata.yaml SOURCES.md and rosbags both find truthful.
TRUTHFUL_METADATA = {
    "rosbag2_cdr_test_sqlite3",
    "rosbag2_topics_and_service_events_sqlite3",
    "rosbags-rs_test_bag_sqlite3",
}
SECOND = 1_000_000_000
T0 = 1_767_225_600 * SECOND  # 2026-01-01T00:00:00Z

pytestmark = pytest.mark.skipif(not REAL_DB3, reason=f"no real rosbag2 .db3 files under {REAL_ROS2}")

Summary = dict[str, tuple[int | None, tuple[tuple[int, int], ...]]]


# --- oracles -------------------------------------------------------------------------------------


def expected_spans(times: list[int], gap_ns: int = SPAN_GAP_NS) -> tuple[tuple[int, int], ...]:
    """Closed spans of sorted times, a new one wherever consecutive times are more than ``gap_ns`` apart."""
    spans: list[list[int]] = []
    for time in sorted(times):
        if spans and time - spans[-1][1] <= gap_ns:
            spans[-1][1] = time
        else:
            spans.append([time, time])
    return tuple((lo, hi) for lo, hi in spans)


def expected_summary(times: dict[str, list[int]]) -> Summary:
    return {name: (len(values), expected_spans(values)) for name, values in times.items() if values}


def summary(recording: Recording) -> Summary:
    return {t.name: (t.message_count, t.spans) for t in recording.topics}


def iterated_by_rosbags(directory: Path) -> dict[str, list[int]]:
    """Every message's topic and time, iterated by rosbags from the bag directory (uses metadata.yaml)."""
    times: dict[str, list[int]] = defaultdict(list)
    with RosbagsReader(directory) as reader:
        for connection, timestamp, _ in reader.messages():
            times[connection.topic].append(timestamp)
    return dict(times)


def iterated_by_sqlite(db3: Path) -> dict[str, list[int]]:
    """Every row of the messages table, grouped by topic name in Python."""
    connection = sqlite3.connect(f"file:{db3}?mode=ro", uri=True)
    try:
        names = dict(connection.execute("SELECT id, name FROM topics"))
        times: dict[str, list[int]] = defaultdict(list)
        for topic_id, timestamp in connection.execute("SELECT topic_id, timestamp FROM messages"):
            times[names[topic_id]].append(timestamp)
    finally:
        connection.close()
    return dict(times)


# --- real storage files --------------------------------------------------------------------------


@pytest.mark.parametrize("db3", REAL_DB3, ids=[p.parent.name for p in REAL_DB3])
def test_real_db3_matches_a_full_message_iteration(db3: Path):
    has_truthful_metadata = db3.parent.name in TRUTHFUL_METADATA
    oracle = iterated_by_rosbags(db3.parent) if has_truthful_metadata else iterated_by_sqlite(db3)

    recording = rosbag2.read(db3)

    assert recording.format == "rosbag2"
    assert recording.index_used == "index"
    assert summary(recording) == expected_summary(oracle)
    assert all(t.timeline_source == "log_time" and t.schema_encoding == "ros2msg" for t in recording.topics)
    if has_truthful_metadata:
        assert not any("disagrees" in note for note in recording.notes), recording.notes
        assert recording.identifiers["ros.storage_id"] == "sqlite3"


def test_both_oracles_agree_where_metadata_is_truthful():
    for name in sorted(TRUTHFUL_METADATA):
        db3 = next((REAL_ROS2 / name).glob("*.db3"))
        by_rosbags = {topic: sorted(times) for topic, times in iterated_by_rosbags(db3.parent).items()}
        by_sqlite = {topic: sorted(times) for topic, times in iterated_by_sqlite(db3).items()}
        assert by_rosbags == by_sqlite


def test_declared_topic_without_messages_is_left_out_and_noted():
    recording = rosbag2.read(
        REAL_ROS2 / "rosbag2_topics_and_service_events_sqlite3" / "bag_with_topics_and_service_events.db3"
    )

    assert "/events/write_split" not in summary(recording)  # SOURCES.md: declared with 0 messages
    assert any("/events/write_split" in note for note in recording.notes)
    assert "ros.namespace" not in recording.identifiers  # services at the root are not a namespace


def test_identifiers_from_topic_names_schema_table_and_metadata():
    recording = rosbag2.read(REAL_ROS2 / "rosbags-rs_test_bag_sqlite3" / "test_bag_sqlite3.db3")

    assert recording.identifiers["ros.namespace"] == "/test"  # every topic is /test/...
    assert recording.identifiers["ros.distro"] == "rosbags"  # its schema table and metadata.yaml say so
    assert recording.identifiers["ros.storage_id"] == "sqlite3"
    # SOURCES.md: two messages per topic, 9.4 s apart, i.e. within SPAN_GAP_NS: one span each.
    assert all(len(t.spans) == 1 and t.message_count == 2 for t in recording.topics)


def test_bare_db3_without_metadata_reads_from_the_file_alone():
    db3 = REAL_ROS2 / "foxglove_chatter_db3_no_metadata" / "chatter.db3"

    recording = rosbag2.read(db3)

    assert [t.name for t in recording.topics] == ["/chatter"]
    assert recording.topics[0].message_count == 7  # SOURCES.md
    assert len(recording.topics[0].spans) == 1  # a 1 Hz talker: its ~1 s steps are no gap
    assert "ros.storage_id" not in recording.identifiers
    assert not any(rosbag2.METADATA_FILE in note for note in recording.notes)


def test_queries_never_read_a_payload(monkeypatch: pytest.MonkeyPatch):
    """An authorizer that denies reading ``messages.data`` makes any payload read fail."""
    real_connect = sqlite3.connect

    def connect_denying_payloads(*args, **kwargs):
        connection = real_connect(*args, **kwargs)

        def authorize(action: int, table: str | None, column: str | None, *_: object) -> int:
            denied = action == sqlite3.SQLITE_READ and table == "messages" and column == "data"
            return sqlite3.SQLITE_DENY if denied else sqlite3.SQLITE_OK

        connection.set_authorizer(authorize)
        return connection

    monkeypatch.setattr(rosbag2.sqlite3, "connect", connect_denying_payloads)
    for db3 in REAL_DB3:
        assert rosbag2.read(db3).topics


# --- metadata.yaml that lies ---------------------------------------------------------------------


def copy_bag(name: str, target: Path) -> Path:
    shutil.copytree(REAL_ROS2 / name, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return next(target.glob("*.db3"))


def test_lying_metadata_is_noted_and_the_data_wins(tmp_path: Path):
    db3 = copy_bag("rosbag2_cdr_test_sqlite3", tmp_path / "bag")
    metadata = db3.parent / "metadata.yaml"
    text = metadata.read_text()
    text = text.replace("message_count: 4", "message_count: 40")  # /array_topic
    text = text.replace("nanoseconds: 151137181", "nanoseconds: 999")  # both durations
    text = text.replace("name: /test_topic", "name: /renamed_topic")
    metadata.write_text(text)

    recording = rosbag2.read(db3)

    assert summary(recording) == expected_summary(iterated_by_sqlite(db3))
    [note] = [note for note in recording.notes if "disagrees" in note]
    assert "'/array_topic': 40 messages listed, 4 stored" in note
    assert "duration 999 ns" in note
    assert "'/test_topic' is in the file but not in metadata.yaml" in note
    assert "'/renamed_topic' is listed but not in the file" in note


def test_metadata_for_another_file_or_unreadable_is_not_used(tmp_path: Path):
    db3 = copy_bag("rosbag2_cdr_test_sqlite3", tmp_path / "bag")
    metadata = db3.parent / "metadata.yaml"
    expected = expected_summary(iterated_by_sqlite(db3))

    metadata.write_text(metadata.read_text().replace("cdr_test_0.db3", "other_0.db3"))
    recording = rosbag2.read(db3)
    assert summary(recording) == expected
    assert any("not this file" in note for note in recording.notes)
    assert "ros.storage_id" not in recording.identifiers

    metadata.write_text("rosbag2_bagfile_information: [unclosed\n")
    recording = rosbag2.read(db3)
    assert summary(recording) == expected
    assert any("could not be read" in note for note in recording.notes)


def test_split_bag_metadata_is_checked_against_this_files_own_entry(tmp_path: Path):
    db3 = copy_bag("rosbag2_cdr_test_sqlite3", tmp_path / "bag")
    metadata = db3.parent / "metadata.yaml"
    text = metadata.read_text()
    # Make it a two-file bag: bag-wide counts no longer describe this file, its files entry does.
    text = text.replace(
        "relative_file_paths:\n    - cdr_test_0.db3",
        "relative_file_paths:\n    - cdr_test_0.db3\n    - cdr_test_1.db3",
    )
    text = text.replace("message_count: 7\n  custom_data", "message_count: 99\n  custom_data")
    text = text.replace("message_count: 4", "message_count: 40")  # bag-wide topic count: not compared
    metadata.write_text(text)

    recording = rosbag2.read(db3)

    [note] = [note for note in recording.notes if "disagrees" in note]
    assert "message_count 99, 7 stored" in note
    assert "/array_topic" not in note


# --- bags written here ---------------------------------------------------------------------------

TYPESTORE = get_typestore(Stores.ROS2_HUMBLE)


def write_bag(directory: Path) -> dict[str, list[int]]:
    """A drone's bag: IMU at 100 Hz with a 38 s silence, GPS at 5 Hz, one /tf, a topic never published."""
    plan = [("/drone1/imu", T0 + i * 10_000_000) for i in range(200)]
    plan += [("/drone1/imu", T0 + 40 * SECOND + i * 10_000_000) for i in range(100)]
    plan += [("/drone1/gps/fix", T0 + i * 200_000_000) for i in range(206)]
    plan += [("/tf", T0 + 3 * SECOND + 1)]
    plan.sort(key=lambda item: item[1])
    types = {
        "/drone1/imu": "sensor_msgs/msg/Imu",
        "/drone1/gps/fix": "sensor_msgs/msg/NavSatFix",
        "/tf": "tf2_msgs/msg/TFMessage",
        "/drone1/silent": "std_msgs/msg/Empty",
    }
    written: dict[str, list[int]] = defaultdict(list)
    with Writer(directory, version=9, storage_plugin=StoragePlugin.SQLITE3) as writer:
        connections = {
            name: writer.add_connection(name, msgtype, typestore=TYPESTORE) for name, msgtype in types.items()
        }
        for topic, time in plan:
            writer.write(connections[topic], time, bytes(64))
            written[topic].append(time)
    return dict(written)


def test_written_bag_with_gap_and_silent_topic(tmp_path: Path):
    written = write_bag(tmp_path / "bag")
    db3 = next((tmp_path / "bag").glob("*.db3"))

    recording = rosbag2.read(db3)

    assert summary(recording) == expected_summary(written)
    imu = next(t for t in recording.topics if t.name == "/drone1/imu")
    assert imu.spans == ((T0, T0 + 1_990_000_000), (T0 + 40 * SECOND, T0 + 40_990_000_000))
    assert any("/drone1/silent" in note for note in recording.notes)
    assert not any("disagrees" in note for note in recording.notes)  # rosbags writes truthful metadata
    assert recording.identifiers["ros.namespace"] == "/drone1"
    assert recording.identifiers["ros.storage_id"] == "sqlite3"
    assert {t.name: t.schema_name for t in recording.topics}["/tf"] == "tf2_msgs/msg/TFMessage"
    assert recording.anchored


def test_simulated_time_is_not_anchored(tmp_path: Path):
    with Writer(tmp_path / "bag", version=9) as writer:
        clock = writer.add_connection("/clock", "rosgraph_msgs/msg/Clock", typestore=TYPESTORE)
        for time in range(0, 3 * SECOND, SECOND // 2):
            writer.write(clock, time, bytes(16))

    recording = rosbag2.read(next((tmp_path / "bag").glob("*.db3")))

    assert not recording.anchored
    assert summary(recording) == {"/clock": (6, ((0, 2_500_000_000),))}


def test_written_bag_without_messages(tmp_path: Path):
    with Writer(tmp_path / "bag", version=9) as writer:
        writer.add_connection("/drone1/imu", "sensor_msgs/msg/Imu", typestore=TYPESTORE)

    recording = rosbag2.read(next((tmp_path / "bag").glob("*.db3")))

    assert recording.topics == ()
    assert any("/drone1/imu" in note for note in recording.notes)
    assert any("no messages" in note for note in recording.notes)


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty file"),
        (b"#ROSBAG V2.0\n" + bytes(100), "not a SQLite database"),
        (b"SQLite format 3\x00" + bytes(10), "SQLite"),
        (b"SQLite format 3\x00" + bytes(5000), "SQLite"),
    ],
)
def test_refuses_what_is_not_a_rosbag2_db3(content: bytes, cause: str, tmp_path: Path):
    path = tmp_path / "file.db3"
    path.write_bytes(content)
    with pytest.raises(ReaderError, match=cause) as raised:
        rosbag2.read(path)
    assert str(path) in str(raised.value)


def test_refuses_a_sqlite_database_without_rosbag2_tables(tmp_path: Path):
    path = tmp_path / "other.db3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE readings (t INTEGER)")
    connection.commit()
    connection.close()
    with pytest.raises(ReaderError, match="not a rosbag2 storage file") as raised:
        rosbag2.read(path)
    assert str(path) in str(raised.value)


def test_refuses_a_missing_file_and_a_directory(tmp_path: Path):
    for path in (tmp_path / "missing.db3", tmp_path):
        with pytest.raises(ReaderError, match="cannot be opened") as raised:
            rosbag2.read(path)
        assert str(path) in str(raised.value)


def read_damaged(path: Path) -> Recording | None:
    """A damaged file yields ``ReaderError`` naming it (``None`` here) or a well-formed recording."""
    try:
        recording = rosbag2.read(path)
    except ReaderError as error:
        assert str(path) in str(error)
        return None
    assert isinstance(recording, Recording)
    for topic in recording.topics:
        assert topic.spans and topic.message_count
    return recording


@pytest.mark.parametrize("db3", REAL_DB3, ids=[p.parent.name for p in REAL_DB3])
def test_truncations_and_byte_flips_raise_only_reader_error(db3: Path, tmp_path: Path):
    source = db3.read_bytes()
    rng = random.Random(db3.name)
    outcomes = {"error": 0, "read": 0}
    cuts = sorted({*range(0, 120, 7), *rng.sample(range(len(source)), 30), len(source) - 1})
    for cut in cuts:
        path = tmp_path / f"cut_{cut}.db3"
        path.write_bytes(source[:cut])
        outcomes["read" if read_damaged(path) else "error"] += 1
    for case in range(80):
        data = bytearray(source)
        # Half the flips land in the first page (header, schema) where SQLite is most sensitive.
        high = 4096 if case % 2 else len(data)
        for _ in range(rng.choice((1, 2, 8, 32))):
            data[rng.randrange(high)] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip_{case}.db3"
        path.write_bytes(bytes(data))
        outcomes["read" if read_damaged(path) else "error"] += 1
    assert outcomes["error"] > 0 and outcomes["read"] > 0
