"""ROS 1 bag reader: index-only spans that match a full message iteration, a scan when the index is gone.

Oracles: for the real bags under shared/data/real/ros1, every message iterated by rosbags'
``Reader.messages()`` (which reads each message data record and checks its header time); for bags
written here with rosbags' ``Writer``, the list of (topic, time) the test wrote. Expected spans are
computed from those times by ``expected_spans`` below, not by the reader's own span code.
"""

from __future__ import annotations

import random
import struct
from collections import defaultdict
from pathlib import Path

import pytest
from rosbags.rosbag1 import Reader as RosbagsReader
from rosbags.rosbag1 import Writer
from rosbags.typesys import Stores, get_typestore

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import Recording
from sessions_lib.readers import rosbag1
from sessions_lib.readers.spans import SPAN_GAP_NS

REAL_ROS1 = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "ros1"
REAL_BAGS = sorted(REAL_ROS1.glob("*.bag"))
SECOND = 1_000_000_000
T0 = 1_767_225_600 * SECOND  # 2026-01-01T00:00:00Z

pytestmark = pytest.mark.skipif(not REAL_BAGS, reason=f"no real ROS 1 bags under {REAL_ROS1}")


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


def iterated_times(path: Path) -> dict[str, list[int]]:
    """Every message's topic and time, by reading every message data record with rosbags."""
    times: dict[str, list[int]] = defaultdict(list)
    with RosbagsReader(path) as reader:
        for connection, timestamp, _ in reader.messages():
            times[connection.topic].append(timestamp)
    return dict(times)


def summary(recording: Recording) -> dict[str, tuple[int | None, tuple[tuple[int, int], ...]]]:
    return {t.name: (t.message_count, t.spans) for t in recording.topics}


def expected_summary(
    times: dict[str, list[int]],
) -> dict[str, tuple[int | None, tuple[tuple[int, int], ...]]]:
    return {name: (len(values), expected_spans(values)) for name, values in times.items() if values}


def unindexed_copy(source: Path, target: Path) -> Path:
    """A byte copy whose bag header says ``index_pos=0``, as a recorder that never closed leaves it."""
    data = bytearray(source.read_bytes())
    at = data.index(b"index_pos=", 0, 4096) + len(b"index_pos=")
    data[at : at + 8] = bytes(8)
    target.write_bytes(bytes(data))
    return target


# --- real bags -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bag", REAL_BAGS, ids=[p.name for p in REAL_BAGS])
def test_real_bag_matches_a_full_message_iteration(bag: Path):
    recording = rosbag1.read(bag)

    assert recording.format == "rosbag1"
    assert recording.index_used == "index"
    assert summary(recording) == expected_summary(iterated_times(bag))
    for topic in recording.topics:
        assert topic.timeline_source == "log_time"
        assert topic.schema_encoding == "ros1msg"
        assert "/msg/" not in (topic.schema_name or "")  # the bag's own ROS 1 spelling


@pytest.mark.parametrize("bag", REAL_BAGS, ids=[p.name for p in REAL_BAGS])
def test_scan_of_an_unindexed_copy_finds_the_same_topics(bag: Path, tmp_path: Path):
    recording = rosbag1.read(unindexed_copy(bag, tmp_path / bag.name))

    assert recording.index_used == "scan"
    assert "no index" in recording.notes[0]
    assert summary(recording) == expected_summary(iterated_times(bag))
    assert {t.name: t.schema_name for t in recording.topics} == {
        t.name: t.schema_name for t in rosbag1.read(bag).topics
    }


def test_connections_of_one_topic_merge_and_callerids_are_identifiers():
    recording = rosbag1.read(REAL_ROS1 / "example.bag")
    topics = {t.name: t for t in recording.topics}

    # SOURCES.md: /rosout has 3 publishers and /tf 2 in this bag; one topic each here.
    with RosbagsReader(REAL_ROS1 / "example.bag") as reader:
        connections_per_topic = defaultdict(int)
        for connection in reader.connections:
            connections_per_topic[connection.topic] += 1
        callerids = {c.ext.callerid for c in reader.connections}
    assert connections_per_topic["/rosout"] == 3
    assert set(topics) == set(connections_per_topic)
    assert topics["/turtle1/pose"].schema_name == "turtlesim/Pose"
    assert recording.identifiers["ros.callerids"].split(",") == sorted(callerids)
    assert recording.identifiers["ros.namespaces"] == "/turtle1,/turtle2"
    assert "ros.namespace" not in recording.identifiers  # two turtles: no single namespace
    assert recording.anchored


def test_bag_without_messages_is_a_recording_with_no_topics():
    recording = rosbag1.read(REAL_ROS1 / "no-messages.bag")

    assert recording.topics == ()
    assert recording.index_used == "index"
    assert any("no messages" in note for note in recording.notes)


def test_index_path_never_decompresses_a_chunk(monkeypatch: pytest.MonkeyPatch):
    import rosbags.rosbag1.reader as rosbags_reader

    def refuse(_: bytes) -> bytes:
        raise AssertionError("a chunk was decompressed")

    monkeypatch.setattr(rosbags_reader, "decompressors", dict.fromkeys(rosbags_reader.decompressors, refuse))
    monkeypatch.setattr(rosbag1, "_DECOMPRESSORS", dict.fromkeys(rosbag1._DECOMPRESSORS, lambda: refuse))

    recording = rosbag1.read(REAL_ROS1 / "example-lz4.bag")

    assert recording.index_used == "index"
    assert sum(t.message_count or 0 for t in recording.topics) == 8647  # SOURCES.md


# --- bags written here ---------------------------------------------------------------------------

TYPESTORE = get_typestore(Stores.ROS1_NOETIC)


def write_bag(path: Path, compression: str = "none", chunk_threshold: int = 2048) -> list[tuple[str, int]]:
    """A drone's bag: IMU at 100 Hz with a 38 s silence, GPS from two publishers, one /tf message,
    and a connection that never publishes. Returns (topic, time) in write order (times increase).
    """
    imu_times = [T0 + i * 10_000_000 for i in range(200)]  # 0 .. 1.99 s
    imu_times += [T0 + 40 * SECOND + i * 10_000_000 for i in range(100)]  # 40 .. 40.99 s
    gps_times = [T0 + i * 200_000_000 for i in range(206)]  # 0 .. 41 s at 5 Hz: one span
    plan = [("/drone1/imu", t) for t in imu_times] + [("/drone1/gps/fix", t) for t in gps_times]
    plan.append(("/tf", T0 + 3 * SECOND + 1))
    plan.sort(key=lambda item: item[1])

    writer = Writer(path)
    writer.chunk_threshold = chunk_threshold
    if compression != "none":
        writer.set_compression(Writer.CompressionFormat[compression.upper()])
    written: list[tuple[str, int]] = []
    with writer:
        imu = writer.add_connection(
            "/drone1/imu", "sensor_msgs/msg/Imu", typestore=TYPESTORE, callerid="/imu"
        )
        gps = [
            writer.add_connection(
                "/drone1/gps/fix", "sensor_msgs/msg/NavSatFix", typestore=TYPESTORE, callerid=f"/gps_{side}"
            )
            for side in ("a", "b")
        ]
        tf = writer.add_connection(
            "/tf",
            "tf2_msgs/msg/TFMessage",
            msgdef="geometry_msgs/TransformStamped[] transforms",
            md5sum="94810edda583a504dfda3829e70d7eec",
            callerid="/imu",
        )
        writer.add_connection("/drone1/silent", "std_msgs/msg/Empty", typestore=TYPESTORE)
        for number, (topic, time) in enumerate(plan):
            connection = {"/drone1/imu": imu, "/tf": tf}.get(topic) or gps[number % 2]
            writer.write(connection, time, bytes(64))
            written.append((topic, time))
    return written


def times_by_topic(written: list[tuple[str, int]]) -> dict[str, list[int]]:
    times: dict[str, list[int]] = defaultdict(list)
    for topic, time in written:
        times[topic].append(time)
    return dict(times)


@pytest.mark.parametrize("compression", ["none", "lz4", "bz2"])
def test_written_bag_with_chunks_gap_and_publishers(compression: str, tmp_path: Path):
    bag = tmp_path / "drone1.bag"
    written = write_bag(bag, compression)
    with RosbagsReader(bag) as reader:
        assert len(reader.chunk_infos) > 5

    recording = rosbag1.read(bag)

    assert recording.index_used == "index"
    assert summary(recording) == expected_summary(times_by_topic(written))
    imu = next(t for t in recording.topics if t.name == "/drone1/imu")
    assert imu.spans == ((T0, T0 + 1_990_000_000), (T0 + 40 * SECOND, T0 + 40_990_000_000))
    assert "/drone1/silent" not in summary(recording)
    assert any("/drone1/silent" in note for note in recording.notes)
    assert recording.identifiers["ros.namespace"] == "/drone1"
    assert recording.identifiers["ros.callerids"] == "/gps_a,/gps_b,/imu"
    assert {t.name: t.schema_name for t in recording.topics}["/drone1/gps/fix"] == "sensor_msgs/NavSatFix"

    scanned = rosbag1.read(unindexed_copy(bag, tmp_path / "unindexed.bag"))
    assert scanned.index_used == "scan"
    assert summary(scanned) == summary(recording)
    assert dict(scanned.identifiers) == dict(recording.identifiers)


def complete_chunk_messages(bag: Path, cut: int) -> int:
    """Messages in the chunks that end before byte ``cut``, by rosbags' index of the whole bag."""
    with RosbagsReader(bag) as reader:
        return sum(
            sum(info.connection_counts.values())
            for info in reader.chunk_infos
            if reader.chunks[info.pos].datapos + reader.chunks[info.pos].datasize <= cut
        )


@pytest.mark.parametrize("compression", ["none", "lz4"])
def test_truncated_bag_is_scanned_up_to_the_cut(compression: str, tmp_path: Path):
    bag = tmp_path / "full.bag"
    written = write_bag(bag, compression)
    size = bag.stat().st_size
    rng = random.Random(1)
    for cut in sorted({*rng.sample(range(4200, size), 25), size - 1, size - 300}):
        cut_bag = tmp_path / f"cut_{cut}.bag"
        cut_bag.write_bytes(bag.read_bytes()[:cut])
        at_least = complete_chunk_messages(bag, cut)
        try:
            recording = rosbag1.read(cut_bag)
        except ReaderError as error:
            assert at_least == 0, f"cut at {cut}: {error}"
            assert str(cut_bag) in str(error)
            continue
        assert recording.index_used == "scan"
        assert any("cut off" in note for note in recording.notes)
        # What a scan recovers is a prefix of what was written: the first k messages.
        recovered = sum(t.message_count or 0 for t in recording.topics)
        assert recovered >= at_least
        assert summary(recording) == expected_summary(times_by_topic(written[:recovered])), cut


def test_bag_written_without_messages(tmp_path: Path):
    bag = tmp_path / "empty.bag"
    with Writer(bag) as writer:
        writer.add_connection("/drone1/imu", "sensor_msgs/msg/Imu", typestore=TYPESTORE)

    recording = rosbag1.read(bag)

    assert recording.topics == ()
    assert any("/drone1/imu" in note for note in recording.notes)


def test_simulated_time_is_not_anchored(tmp_path: Path):
    bag = tmp_path / "sim.bag"
    with Writer(bag) as writer:
        clock = writer.add_connection("/clock", "rosgraph_msgs/msg/Clock", typestore=TYPESTORE)
        for time in range(SECOND, 4 * SECOND, SECOND // 2):
            writer.write(clock, time, bytes(8))

    recording = rosbag1.read(bag)

    assert not recording.anchored
    assert summary(recording) == {"/clock": (6, ((SECOND, 3_500_000_000),))}


def test_index_contradicting_its_chunk_info_falls_back_to_a_scan(tmp_path: Path):
    bag = tmp_path / "drone1.bag"
    written = write_bag(bag)
    data = bytearray(bag.read_bytes())
    # Raise the message count of the last chunk info's first (conn, count) pair by one.
    with RosbagsReader(bag) as reader:
        last_info = reader.chunk_infos[-1]
    conn_id, count = next(iter(last_info.connection_counts.items()))
    pair = struct.pack("<II", conn_id, count)
    at = data.rindex(pair)
    data[at : at + 8] = struct.pack("<II", conn_id, count + 1)
    damaged = tmp_path / "damaged.bag"
    damaged.write_bytes(bytes(data))

    recording = rosbag1.read(damaged)

    assert recording.index_used == "scan"
    assert "chunk info declares" in recording.notes[0]
    assert summary(recording) == expected_summary(times_by_topic(written))


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty file"),
        (b"hello, not a bag\n" * 10, "not a ROS 1 bag"),
        (b"#ROSBAG V1.2\n" + bytes(100), "only ROS bag format 2.0"),
        (b"#ROSBAG V2.0\n", "bag header"),
        (b"#ROSBAG V2.0\n\x10\x00\x00\x00abc", "bag header"),
    ],
)
def test_refuses_what_is_not_a_bag(content: bytes, cause: str, tmp_path: Path):
    path = tmp_path / "file.bag"
    path.write_bytes(content)
    with pytest.raises(ReaderError, match=cause) as raised:
        rosbag1.read(path)
    assert str(path) in str(raised.value)


def test_refuses_a_missing_file_and_a_directory(tmp_path: Path):
    for path in (tmp_path / "missing.bag", tmp_path):
        with pytest.raises(ReaderError, match="cannot be opened") as raised:
            rosbag1.read(path)
        assert str(path) in str(raised.value)


def test_refuses_a_bag_cut_inside_its_header(tmp_path: Path):
    source = (REAL_ROS1 / "only-a-cube.bag").read_bytes()
    for cut in (14, 20, 60, 200, 4000, 4116):
        path = tmp_path / f"cut_{cut}.bag"
        path.write_bytes(source[:cut])
        with pytest.raises(ReaderError) as raised:
            rosbag1.read(path)
        assert str(path) in str(raised.value)


def read_damaged(path: Path) -> Recording | None:
    """A damaged bag yields ``ReaderError`` naming it (``None`` here) or a well-formed recording."""
    try:
        recording = rosbag1.read(path)
    except ReaderError as error:
        assert str(path) in str(error)
        return None
    assert isinstance(recording, Recording)
    for topic in recording.topics:
        assert topic.spans and topic.message_count
        assert all(lo <= hi for lo, hi in topic.spans)
    return recording


@pytest.mark.parametrize("name", ["example-lz4.bag", "only-a-cube.bag", "only-a-cube-no-tf-ros-melodic.bag"])
def test_truncations_of_real_bags_raise_only_reader_error(name: str, tmp_path: Path):
    source = (REAL_ROS1 / name).read_bytes()
    full = iterated_times(REAL_ROS1 / name)
    rng = random.Random(name)
    cuts = sorted({*range(0, 80, 3), *rng.sample(range(len(source)), 40), len(source) - 1})
    for cut in cuts:
        path = tmp_path / f"cut_{cut}.bag"
        path.write_bytes(source[:cut])
        recording = read_damaged(path)
        if recording is None:
            continue
        for topic in recording.topics:  # a prefix never invents messages or times
            assert topic.message_count <= len(full[topic.name])
            assert min(full[topic.name]) <= topic.spans[0][0] <= topic.spans[-1][1] <= max(full[topic.name])


@pytest.mark.parametrize("name", ["example.bag", "example-lz4.bag", "only-a-cube.bag"])
def test_byte_flips_of_real_bags_raise_only_reader_error(name: str, tmp_path: Path):
    source = (REAL_ROS1 / name).read_bytes()
    with RosbagsReader(REAL_ROS1 / name) as reader:
        index_start = min((info.pos for info in reader.chunk_infos), default=len(source))
    index_pos = rosbag1._read_bag_header(REAL_ROS1 / name).index_pos
    rng = random.Random(name)
    # Flip bytes where structure lives: the bag header, chunk and record headers, the index.
    regions = [(0, 200), (index_start, min(index_start + 400, len(source))), (index_pos, len(source))]
    count = 60 if name == "example.bag" else 120
    for case in range(count):
        data = bytearray(source)
        lo, hi = regions[case % len(regions)] if case % 4 else (0, len(source))
        for _ in range(rng.choice((1, 1, 2, 8))):
            data[rng.randrange(lo, max(hi, lo + 1))] ^= 1 << rng.randrange(8)
        path = tmp_path / f"flip_{case}.bag"
        path.write_bytes(bytes(data))
        read_damaged(path)
        path.unlink()
