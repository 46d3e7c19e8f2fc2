"""Topic messages of Parquet and CSV tables, against pyarrow's and the csv module's reading of the
whole file filtered in Python: the unit rule, column groups, windows, fields, struct columns."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.readers import tabular
from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice
from sessions_lib.readers.options import ReadOptions, TabularOptions
from tests.readers.message_oracles import assert_matches, decoded

T0_MS = 1_776_902_400_000
ROWS = 5000


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    """A Parquet file of many row groups: ``t`` in ms, a speed column, a GPS group filled 1 row in 5."""
    rng = random.Random(7)
    table = pa.table(
        {
            "t": [T0_MS + 10 * i for i in range(ROWS)],
            "speed": [rng.random() for _ in range(ROWS)],
            "lat": [48.0 + i * 1e-6 if i % 5 == 0 else None for i in range(ROWS)],
            "lon": [2.0 + i * 1e-6 if i % 5 == 0 else None for i in range(ROWS)],
            "pose": [{"x": float(i), "y": -float(i)} for i in range(ROWS)],
        }
    )
    path = tmp_path / "drive.parquet"
    pq.write_table(table, path, row_group_size=500)
    return path


def oracle(rows: list[dict], columns: list[str], unit_ns: int) -> list[tuple[int, dict]]:
    return sorted(
        (row["t"] * unit_ns, {c: row[c] for c in columns})
        for row in rows
        if any(row[c] is not None for c in columns)
    )


def test_a_file_topic_in_windows_equals_pyarrow(drive: Path):
    options = ReadOptions(TabularOptions(timestamp_column="t", timestamp_unit="ms"))
    rows = pq.read_table(drive).to_pylist()
    expected = sorted(
        (r["t"] * 1_000_000, {"speed": r["speed"], "lat": r["lat"], "lon": r["lon"], **_flat(r["pose"])})
        for r in rows
    )
    for start, end in [(None, None), (expected[1234][0], expected[3210][0]), (expected[-1][0], None)]:
        slice_ = TopicSlice(drive, "drive", start, end, options=options)
        table = assert_matches(tabular.messages, slice_, expected, value_of=dict.get)
        assert table.column_names == [TIMESTAMP_COLUMN, "speed", "lat", "lon", "pose.x", "pose.y"]


def _flat(pose: dict) -> dict:
    return {f"pose.{k}": v for k, v in pose.items()}


def test_a_column_group_holds_the_rows_where_it_is_filled(drive: Path):
    options = ReadOptions(
        TabularOptions(
            timestamp_column="t", timestamp_unit="ms", column_groups={"gps": ["lat", "lon"], "v": ["speed"]}
        )
    )
    expected = oracle(pq.read_table(drive).to_pylist(), ["lat", "lon"], 1_000_000)
    assert len(expected) == ROWS // 5
    window = (expected[100][0], expected[300][0])
    table = assert_matches(
        tabular.messages, TopicSlice(drive, "gps", *window, options=options), expected, value_of=dict.get
    )
    assert table.column_names == [TIMESTAMP_COLUMN, "lat", "lon"] and table.num_rows == 201
    only = decoded(tabular.messages, TopicSlice(drive, "gps", fields=("lon",), options=options))
    assert only.column_names == [TIMESTAMP_COLUMN, "lon"]
    with pytest.raises(ReaderError, match=r"no topic 'drive'.*\['gps', 'v'\]"):
        list(tabular.messages(TopicSlice(drive, "drive", options=options)))


def test_a_csv_in_seconds_without_its_cut_last_line_equals_the_csv_module(tmp_path: Path):
    path = tmp_path / "imu.csv"
    lines = ["time,ax,ay"] + [f"{1_776_902_400 + i * 0.01:.2f},{i * 0.5},{-i}" for i in range(300)]
    path.write_text("\n".join(lines) + "\n1776902403.5,1")  # a cut last line, no newline
    with path.open() as file:
        rows = [r for r in csv.DictReader(file)][:-1]
    expected = [(round(float(r["time"]) * 1e9), {"ax": float(r["ax"]), "ay": int(r["ay"])}) for r in rows]
    options = ReadOptions(TabularOptions(timestamp_column="time", timestamp_unit="s"))
    assert_matches(tabular.messages, TopicSlice(path, "imu", options=options), expected, value_of=dict.get)
    window = (expected[50][0], expected[120][0])
    table = assert_matches(
        tabular.messages, TopicSlice(path, "imu", *window, options=options), expected, value_of=dict.get
    )
    assert table.num_rows == 71


def test_the_window_is_pushed_into_the_parquet_scan(drive: Path):
    """Only row groups whose statistics overlap the window are read: with the last row group's
    pages overwritten, the whole file is refused but a window inside the first row group is read."""
    options = ReadOptions(TabularOptions(timestamp_column="t", timestamp_unit="ms"))
    last = pq.ParquetFile(drive).metadata.row_group(9)
    data = bytearray(drive.read_bytes())
    for i in range(last.num_columns):
        chunk = last.column(i)
        start = chunk.dictionary_page_offset or chunk.data_page_offset
        data[start : start + chunk.total_compressed_size] = b"\xff" * chunk.total_compressed_size
    drive.write_bytes(bytes(data))
    with pytest.raises(ReaderError, match=r"topic 'drive'"):
        list(tabular.messages(TopicSlice(drive, "drive", options=options)))
    window = TopicSlice(drive, "drive", (T0_MS + 10) * 10**6, (T0_MS + 30) * 10**6, options=options)
    assert decoded(tabular.messages, window).column(TIMESTAMP_COLUMN).to_pylist() == [
        (T0_MS + 10 * i) * 10**6 for i in (1, 2, 3)
    ]
