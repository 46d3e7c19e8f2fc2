"""Parquet/CSV telemetry, format detection and span splitting."""

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions_lib.errors import InvalidRequestError, ReaderError
from sessions_lib.readers import ReadOptions, detect_format, read_recording
from sessions_lib.readers.spans import SPAN_GAP_NS, merge_spans, split_at_gaps
from sessions_lib.readers.tabular import TabularOptions, read

S = 1_000_000_000
T0 = 1_776_902_400 * S


def test_one_topic_per_file_with_gaps(tmp_path: Path):
    times = [T0 + i * S // 10 for i in range(20)] + [T0 + 60 * S + i * S // 10 for i in range(5)]
    pl.DataFrame({"timestamp": times, "speed": range(25)}).write_parquet(tmp_path / "drive.parquet")
    recording = read(tmp_path / "drive.parquet")
    assert recording.format == "parquet" and recording.anchored
    (topic,) = recording.topics
    assert topic.name == "drive" and topic.message_count == 25
    assert topic.spans == ((times[0], times[19]), (times[20], times[-1]))


def test_column_groups_are_topics_where_their_columns_are_filled(tmp_path: Path):
    frame = pl.DataFrame(
        {
            "t_ms": [0, 100, 200, 300, 50_000],
            "lat": [1.0, None, 2.0, None, 3.0],
            "lon": [1.0, None, None, None, 3.0],
            "rpm": [None, 7, 7, 7, None],
        }
    )
    frame.write_csv(tmp_path / "log.csv")
    options = ReadOptions(
        TabularOptions(
            timestamp_column="t_ms",
            timestamp_unit="ms",
            column_groups={"/gps": ["lat", "lon"], "/motor": ["rpm"]},
        )
    )
    recording = read(tmp_path / "log.csv", options)
    assert recording.format == "csv" and not recording.anchored
    assert {t.name: (t.spans, t.message_count) for t in recording.topics} == {
        "/gps": (((0, 200 * 10**6), (50 * S, 50 * S)), 3),
        "/motor": (((100 * 10**6, 300 * 10**6),), 3),
    }


def test_datetime_and_float_timestamps(tmp_path: Path):
    moments = [datetime(2026, 4, 23, 0, 0, s, tzinfo=UTC) for s in (0, 1)]
    pl.DataFrame({"timestamp": moments}).write_parquet(tmp_path / "dt.parquet")
    assert read(tmp_path / "dt.parquet").topics[0].spans == ((T0, T0 + S),)
    pl.DataFrame({"ts": [1.5, 2.0]}).write_parquet(tmp_path / "f.parquet")
    options = ReadOptions(TabularOptions(timestamp_column="ts", timestamp_unit="s"))
    assert read(tmp_path / "f.parquet", options).topics[0].spans == ((3 * S // 2, 2 * S),)


def test_refusals(tmp_path: Path):
    pl.DataFrame({"x": [1]}).write_parquet(tmp_path / "x.parquet")
    with pytest.raises(ReaderError, match="no timestamp column 'timestamp'"):
        read(tmp_path / "x.parquet")
    with pytest.raises(ReaderError, match="missing columns"):
        read(
            tmp_path / "x.parquet",
            ReadOptions(TabularOptions(timestamp_column="x", column_groups={"/a": ["nope"]})),
        )
    with pytest.raises(InvalidRequestError, match="timestamp_unit"):
        TabularOptions(timestamp_unit="h")  # type: ignore[arg-type]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ReaderError, match=r"bad\.parquet"):
        read(tmp_path / "bad.parquet")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.bin", b"\x89MCAP0\r\n rest", "mcap"),
        ("a.bin", b"#ROSBAG V2.0\n", "rosbag1"),
        ("a.bin", b"SQLite format 3\x00", "rosbag2"),
        ("a.bin", b"ULog\x01\x12\x35\x01", "ulog"),
        ("a.bin", b"PAR1", "parquet"),
        ("drive.csv", b"timestamp\n1\n", "csv"),
        ("renamed.csv", b"\x89MCAP0\r\n", "mcap"),  # bytes win over the extension
        ("truncated.mcap", b"\x89MC", "mcap"),  # too short for magic: the extension decides
    ],
)
def test_detection_by_magic_then_extension(tmp_path: Path, name: str, content: bytes, expected: str):
    (tmp_path / name).write_bytes(content)
    assert detect_format(tmp_path / name) == expected


def test_unknown_and_empty_files_are_reader_errors(tmp_path: Path):
    (tmp_path / "notes.txt").write_bytes(b"hello")
    with pytest.raises(ReaderError, match="unknown format"):
        read_recording(tmp_path / "notes.txt")
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ReaderError, match="empty file"):
        read_recording(tmp_path / "empty")


@given(st.lists(st.integers(0, 10 * SPAN_GAP_NS), max_size=40))
def test_split_at_gaps_matches_a_plain_loop(times: list[int]):
    expected: list[list[int]] = []
    for t in sorted(times):
        if expected and t - expected[-1][1] <= SPAN_GAP_NS:
            expected[-1][1] = t
        else:
            expected.append([t, t])
    assert split_at_gaps(times) == tuple(tuple(s) for s in expected)
    assert merge_spans((t, t) for t in times) == split_at_gaps(times)
