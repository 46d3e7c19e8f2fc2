"""``Session.get_topic``: a topic's rows from every file of a session, clipped to each file's
contribution window, in wall-clock order.

The recordings are MCAPs written here with the ``mcap`` writer (JSON messages, and ROS 2 CDR with
``mcap-ros2-support``'s writer); the oracle is the list of messages written, filtered by each
contribution's window and merged by time in Python (ties: in the session's file order).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from mcap.writer import Writer
from mcap_ros2.writer import Writer as Ros2Writer

from sessions_lib import (
    Client,
    Dataset,
    InvalidRequestError,
    NotFoundError,
    ReaderError,
    RecordedTopic,
    Session,
    SessionFile,
    ingest_folder,
    register_dataset,
    register_file,
)
from sessions_lib.readers.mcap import messages as mcap_messages

S = 1_000_000_000
T0 = 1_776_902_400 * S  # 2026-04-23T00:00:00Z
STEP = S // 10  # 10 Hz


def message_at(file_index: int, i: int) -> dict[str, Any]:
    return {"i": i, "file": file_index, "pose": {"x": i * 0.5, "label": f"p{i}"}, "values": [i, i + 1]}


def write_json_mcap(
    path: Path, file_index: int, start_ns: int, count: int
) -> list[tuple[int, dict[str, Any]]]:
    """A chunked MCAP with /pose (10 Hz, JSON) and /other; the /pose messages written."""
    written = []
    with path.open("wb") as stream:
        writer = Writer(stream, chunk_size=2048)
        writer.start(profile="", library="test")
        schema = writer.register_schema("Pose", "jsonschema", b"{}")
        pose = writer.register_channel("/pose", "json", schema)
        other = writer.register_channel("/other", "json", schema)
        for i in range(count):
            t = start_ns + i * STEP
            message = message_at(file_index, i)
            writer.add_message(pose, t, json.dumps(message).encode(), t)
            writer.add_message(other, t, b'{"n": 1}', t)
            written.append((t, message))
        writer.finish()
    return written


@pytest.fixture
def three_files(client: Client, tmp_path: Path) -> tuple[Dataset, dict[str, Any], dict[str, list]]:
    """Three recordings: a [0 s, 60 s), b [40 s, 100 s) overlapping it, c [120 s, 180 s)."""
    folder = tmp_path / "flights"
    folder.mkdir()
    written = {
        "a.mcap": write_json_mcap(folder / "a.mcap", 0, T0, 600),
        "b.mcap": write_json_mcap(folder / "b.mcap", 1, T0 + 40 * S, 600),
        "c.mcap": write_json_mcap(folder / "c.mcap", 2, T0 + 120 * S, 600),
    }
    report = ingest_folder(folder, roboto_client=client)
    assert not report.failed
    dataset = Dataset.from_id(report.dataset_id, roboto_client=client)
    files = {f.relative_path: f for f in dataset.list_files()}
    return dataset, files, written


def expected_rows(
    windows: list[tuple[str, str, int, int]],
    written: dict[str, list],
    low: int | None = None,
    high: int | None = None,
) -> list[tuple[int, str, int]]:
    """(log time, file id, i) of every written message inside its file's window (and the asked
    one), merged by time; ties in the order of ``windows`` (the session's order)."""
    rows = []
    for order, (name, file_id, w_low, w_high) in enumerate(windows):
        for t, message in written[name]:
            if w_low <= t <= w_high and (low is None or t >= low) and (high is None or t <= high):
                rows.append((t, order, file_id, message["i"]))
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(t, file_id, i) for t, _, file_id, i in rows]


def rows_of(frame: pl.DataFrame) -> list[tuple[int, str, int]]:
    return list(zip(frame["log_time_ns"], frame["file_id"], frame["i"], strict=True))


def test_rows_are_clipped_to_each_contribution_window_and_merged_by_time(client, three_files):
    _, files, written = three_files
    a, b, c = files["a.mcap"], files["b.mcap"], files["c.mcap"]
    session = Session.create(name="three", roboto_client=client).add_files(
        [
            SessionFile(a.file_id, T0 + 10 * S, T0 + 45 * S),  # overlaps b's window: merged by time
            SessionFile(b.file_id, T0 + 42 * S + STEP // 2, T0 + 90 * S),
            SessionFile(c.file_id),
        ]
    )
    windows = [
        ("a.mcap", a.file_id, T0 + 10 * S, T0 + 45 * S),
        ("b.mcap", b.file_id, T0 + 42 * S + STEP // 2, T0 + 90 * S),
        ("c.mcap", c.file_id, T0 + 120 * S, T0 + 120 * S + 599 * STEP),
    ]
    pose = session.get_topic("/pose")
    frame = pose.get_data_as_df()
    assert frame.columns[:2] == ["log_time_ns", "file_id"]
    assert rows_of(frame) == expected_rows(windows, written)
    assert frame["log_time_ns"].is_sorted()

    # A narrower window of the caller's, inside and across files.
    low, high = T0 + 44 * S, T0 + 125 * S
    assert rows_of(pose.get_data_as_df(start_time_ns=low, end_time_ns=high)) == expected_rows(
        windows, written, low, high
    )

    # Re-adding a file replaces its range: its rows follow the new window, once.
    session.add_file(a.file_id, T0 + 20 * S, T0 + 55 * S)
    windows[0] = ("a.mcap", a.file_id, T0 + 20 * S, T0 + 55 * S)
    again = pose.get_data_as_df()
    assert rows_of(again) == expected_rows(windows, written)
    assert again.select("log_time_ns", "file_id").is_duplicated().sum() == 0


def test_record_batches_and_nested_messages_match_what_was_written(client, three_files):
    _, files, written = three_files
    session = Session.create(name="one", roboto_client=client).add_file(files["c.mcap"].file_id)
    batches = list(session.get_topic("/pose").get_data_as_record_batches(end_time_ns=T0 + 130 * S))
    assert sum(b.num_rows for b in batches) == 101
    assert batches[0].schema.names == [
        "log_time_ns",
        "file_id",
        "i",
        "file",
        "pose.x",
        "pose.label",
        "values",
    ]
    got = list(session.get_topic("/pose").get_data())
    assert got == written["c.mcap"]


def test_fields_are_projected(client, three_files):
    _, files, _ = three_files
    session = Session.create(name="fields", roboto_client=client).add_file(files["a.mcap"].file_id)
    pose = session.get_topic("/pose")
    assert pose.get_data_as_df(fields=["pose.x"]).columns == ["log_time_ns", "file_id", "pose.x"]
    assert pose.get_data_as_df(fields=["pose", "i"]).columns == [
        "log_time_ns",
        "file_id",
        "i",
        "pose.x",
        "pose.label",
    ]
    assert next(pose.get_data(fields=["pose.label"])) == (T0, {"pose": {"label": "p0"}})


class Probe:
    """A decoded message that records which of its fields were read."""

    __slots__ = ("unwanted", "wanted")
    read: list[str] = []  # noqa: RUF012

    def __init__(self) -> None:
        object.__setattr__(self, "wanted", 1.5)
        object.__setattr__(self, "unwanted", [1.0, 2.0])

    def __getattribute__(self, name: str) -> Any:
        if name in ("wanted", "unwanted"):
            Probe.read.append(name)
        return object.__getattribute__(self, name)


class ProbeFactory:
    def decoder_for(self, message_encoding: str, schema: Any) -> Any:
        return (lambda data: Probe()) if message_encoding == "probe" else None


def test_fields_not_asked_for_are_never_read(client, tmp_path, monkeypatch):
    folder = tmp_path / "probe"
    folder.mkdir()
    with (folder / "probe.mcap").open("wb") as stream:
        writer = Writer(stream)
        writer.start()
        channel = writer.register_channel("/probe", "probe", writer.register_schema("Probe", "probe", b""))
        for i in range(50):
            writer.add_message(channel, T0 + i * STEP, b"", T0 + i * STEP)
        writer.finish()
    ingest_folder(folder, roboto_client=client)
    (file,) = _files_of(client, folder)
    session = Session.create(name="probe", roboto_client=client).add_file(file)
    original = mcap_messages.decoder_factories
    monkeypatch.setattr(mcap_messages, "decoder_factories", lambda: [ProbeFactory(), *original()])
    Probe.read.clear()
    frame = session.get_topic("/probe").get_data_as_df(fields=["wanted"])
    assert frame.columns == ["log_time_ns", "file_id", "wanted"] and frame.height == 50
    assert "unwanted" not in Probe.read and Probe.read.count("wanted") >= 50
    Probe.read.clear()
    assert session.get_topic("/probe").get_data_as_df()["unwanted"].to_list() == [[1.0, 2.0]] * 50
    assert "unwanted" in Probe.read


def _files_of(client: Client, folder: Path) -> Iterator[str]:
    for dataset in Dataset.for_org(roboto_client=client):
        if dataset.record.root_path == str(folder.resolve()):
            yield from (f.file_id for f in dataset.list_files())


ROS2_IMU = """std_msgs/Header header
geometry_msgs/Vector3 angular_velocity
float64[9] angular_velocity_covariance
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
================================================================================
MSG: geometry_msgs/Vector3
float64 x
float64 y
float64 z
"""


def test_ros2_cdr_messages_are_flattened_from_their_schema(client, tmp_path):
    folder = tmp_path / "ros2"
    folder.mkdir()
    with (folder / "imu.mcap").open("wb") as stream:
        writer = Ros2Writer(stream)
        schema = writer.register_msgdef("sensor_msgs/msg/Imu", ROS2_IMU)
        for i in range(20):
            t = T0 + i * STEP
            message = {
                "header": {"stamp": {"sec": t // S, "nanosec": t % S}, "frame_id": "imu"},
                "angular_velocity": {"x": i * 0.1, "y": 0.0, "z": -1.0},
                "angular_velocity_covariance": [float(i)] * 9,
            }
            writer.write_message("/imu", schema, message, log_time=t, publish_time=t)
        writer.finish()
    ingest_folder(folder, roboto_client=client)
    session = Session.create(name="ros2", roboto_client=client).add_files(list(_files_of(client, folder)))
    frame = session.get_topic("/imu").get_data_as_df(start_time_ns=T0 + 5 * STEP)
    assert frame.columns == [
        "log_time_ns",
        "file_id",
        "header.stamp.sec",
        "header.stamp.nanosec",
        "header.frame_id",
        "angular_velocity.x",
        "angular_velocity.y",
        "angular_velocity.z",
        "angular_velocity_covariance",
    ]
    assert frame["log_time_ns"].to_list() == [T0 + i * STEP for i in range(5, 20)]
    assert frame["angular_velocity.x"].to_list() == pytest.approx([i * 0.1 for i in range(5, 20)])
    assert frame["angular_velocity_covariance"][0].to_list() == [5.0] * 9
    assert frame["header.stamp.nanosec"].to_list() == [(T0 + i * STEP) % S for i in range(5, 20)]


def test_an_undecodable_schema_is_a_reader_error_naming_topic_file_and_encoding(client, tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    with (folder / "bad.mcap").open("wb") as stream:
        writer = Writer(stream)
        writer.start()
        schema = writer.register_schema("pkg/msg/Broken", "ros2msg", b"not a ( valid field definition")
        channel = writer.register_channel("/broken", "cdr", schema)
        writer.add_message(channel, T0, b"\x00\x01\x00\x00", T0)
        writer.finish()
    ingest_folder(folder, roboto_client=client)
    session = Session.create(name="bad", roboto_client=client).add_files(list(_files_of(client, folder)))
    with pytest.raises(ReaderError, match=r"bad\.mcap: topic '/broken'.*'cdr'.*pkg/msg/Broken"):
        session.get_topic("/broken").get_data_as_df()


def test_unknown_topics_topics_not_held_and_unreadable_formats(client, three_files):
    _, files, _ = three_files
    session = Session.create(name="refusals", roboto_client=client).add_file(files["a.mcap"].file_id)
    with pytest.raises(NotFoundError, match="topic '/nothing'"):
        session.get_topic("/nothing")
    empty = Session.create(name="empty", roboto_client=client).get_topic("/pose").get_data_as_df()
    assert empty.height == 0 and empty.schema == {"log_time_ns": pl.Int64, "file_id": pl.String}
    assert (
        session.get_topic("/pose").get_data_as_df(start_time_ns=T0 - 10 * S, end_time_ns=T0 - S).height == 0
    )
    with pytest.raises(InvalidRequestError, match="start_time_ns"):
        session.get_topic("/pose").get_data_as_df(start_time_ns=T0 + S, end_time_ns=T0)
    with pytest.raises(InvalidRequestError, match="fields"):
        session.get_topic("/pose").get_data_as_df(fields="pose")

    dataset = register_dataset("hand", roboto_client=client)
    other = register_file(
        dataset.dataset_id,
        "x.h5",
        [RecordedTopic("/pose", spans=((T0, T0 + S),))],
        format="hdf5",
        roboto_client=client,
    )
    session.add_file(other.file_id)
    with pytest.raises(ReaderError, match=r"x\.h5: topic '/pose': messages of format 'hdf5' cannot be read"):
        session.get_topic("/pose").get_data_as_df()


def test_an_export_reads_back_as_get_data_of_the_same_session_and_topics(client, three_files, tmp_path):
    """Two paths over the same contributions: messages decoded by ``get_data``, and the same
    messages copied into one MCAP by ``export_mcap`` and read back with the ``mcap`` library."""
    from mcap.reader import make_reader

    _, files, _ = three_files
    a, b, c = files["a.mcap"], files["b.mcap"], files["c.mcap"]
    session = Session.create(name="exported", roboto_client=client).add_files(
        [
            SessionFile(a.file_id, T0 + 10 * S, T0 + 45 * S),
            SessionFile(b.file_id, T0 + 42 * S + STEP // 2, T0 + 90 * S),
            SessionFile(c.file_id),
        ]
    )
    report = session.export_mcap(tmp_path / "out.mcap")
    with (tmp_path / "out.mcap").open("rb") as stream:
        read_back: dict[str, list[tuple[int, Any]]] = {}
        for _, channel, message in make_reader(stream).iter_messages(log_time_order=True):
            read_back.setdefault(channel.topic, []).append((message.log_time, json.loads(message.data)))

    def in_order(messages):  # by time, then content: two files hold messages at the same times
        return sorted(messages, key=lambda m: (m[0], json.dumps(m[1], sort_keys=True)))

    for topic in ("/pose", "/other"):
        decoded = list(session.get_topic(topic).get_data())
        assert decoded and in_order(read_back[topic]) == in_order(decoded), topic
    assert report.message_count == sum(len(messages) for messages in read_back.values())


def test_a_table_is_read_with_the_options_it_was_ingested_with(client, tmp_path):
    """The options a table was ingested with (timestamp column and unit, column groups) are kept on
    its row, so its data reads as its extents were found; the defaults store nothing."""
    from sessions_lib.readers import ReadOptions, TabularOptions

    folder = tmp_path / "telemetry"
    folder.mkdir()
    t0_ms = T0 // 1_000_000
    rows = [(t0_ms + 100 * i, float(i), 2.0 * i) for i in range(50)]
    (folder / "speed.csv").write_text("t_ms,speed,rpm\n" + "".join(f"{t},{v},{r}\n" for t, v, r in rows))
    options = TabularOptions(
        timestamp_column="t_ms", timestamp_unit="ms", column_groups={"/drive": ["speed"]}
    )
    report = ingest_folder(folder, tabular=options, roboto_client=client)
    assert not report.failed
    (file,) = Dataset.from_id(report.dataset_id, roboto_client=client).list_files()
    assert ReadOptions.from_json(file.record.read_options) == ReadOptions(tabular=options)

    session = Session.create(name="drive", roboto_client=client).add_file(
        file.file_id, T0 + 1_000_000_000, T0 + 2_000_000_000
    )
    frame = session.get_topic("/drive").get_data_as_df()
    expected = [(t * 1_000_000, v) for t, v, _ in rows if T0 + S <= t * 1_000_000 <= T0 + 2 * S]
    assert list(zip(frame["log_time_ns"], frame["speed"], strict=True)) == expected
    assert "rpm" not in frame.columns  # not in the topic's column group

    assert ReadOptions().as_json() is None and ReadOptions.from_json(None) == ReadOptions()
