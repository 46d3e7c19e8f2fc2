"""Tabular files cut short: every CSV fixture cut at every byte (every line boundary and every point
inside a line) reads as its complete lines, never as a misread partial one; a cut Parquet file is
refused.

The oracle is the standard library's ``csv`` module over the lines the cut kept whole (ended by a
newline), with times converted by hand: the reader must find exactly those rows and spans, which
always lie within the original's, and say in a note when it left a partial line out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from sessions_lib.errors import ReaderError
from sessions_lib.readers import ReadOptions
from sessions_lib.readers.spans import split_at_gaps
from sessions_lib.readers.tabular import TabularOptions, read
from sessions_lib.readers.units import NS_PER_UNIT

S = 1_000_000_000
T0 = 1_776_902_400 * S
# 12 rows at 10 Hz, a 60 s gap, 4 rows: two spans per topic.
EPOCH_NS = [T0 + i * S // 10 for i in range(12)] + [T0 + 60 * S + i * S // 10 for i in range(4)]


@dataclass(frozen=True)
class CsvFixture:
    name: str
    data: bytes
    options: TabularOptions = field(default_factory=TabularOptions)


def csv_bytes(columns: Mapping[str, Sequence[object]], line_end: str = "\n") -> bytes:
    """A CSV file as polars writes it (header, then one line per row, each ended by ``line_end``)."""
    text = pl.DataFrame(columns).write_csv()
    return text.replace("\n", line_end).encode()


CSV_FIXTURES = [
    CsvFixture("epoch-ns-only", csv_bytes({"timestamp": EPOCH_NS})),
    CsvFixture("epoch-ns-last", csv_bytes({"speed": [i / 2 for i in range(16)], "timestamp": EPOCH_NS})),
    CsvFixture("epoch-ns-first", csv_bytes({"timestamp": EPOCH_NS, "speed": [i / 2 for i in range(16)]})),
    CsvFixture("epoch-ns-crlf", csv_bytes({"speed": list(range(16)), "timestamp": EPOCH_NS}, "\r\n")),
    CsvFixture(
        "epoch-s-float",
        csv_bytes({"temperature": [20] * 16, "timestamp": [t / S for t in EPOCH_NS]}),
        TabularOptions(timestamp_unit="s"),
    ),
    CsvFixture(  # as in test_tabular's column groups
        "relative-ms-groups",
        csv_bytes(
            {
                "t_ms": [0, 100, 200, 300, 50_000],
                "lat": [1.0, None, 2.0, None, 3.0],
                "lon": [1.0, None, None, None, 3.0],
                "rpm": [None, 7, 7, 7, None],
            }
        ),
        TabularOptions(
            timestamp_column="t_ms",
            timestamp_unit="ms",
            column_groups={"/gps": ["lat", "lon"], "/motor": ["rpm"]},
        ),
    ),
    CsvFixture(  # as the CLI's ingest test writes it
        "relative-ms",
        csv_bytes({"t": [0, 1_000, 2_000]}),
        TabularOptions(timestamp_column="t", timestamp_unit="ms"),
    ),
    CsvFixture("one-row", b"timestamp\n1\n"),  # as the pipeline's sensor test writes it
]


def expected_topics(fixture: CsvFixture, data: bytes) -> dict[str, tuple[tuple[tuple[int, int], ...], int]]:
    """Spans and message counts of the lines ``data`` holds whole, by topic: the oracle."""
    complete = data[: data.rfind(b"\n") + 1].decode()
    rows = list(csv.DictReader(io.StringIO(complete, newline="")))
    options = fixture.options
    groups = dict(options.column_groups) or {Path(f"{fixture.name}.csv").stem: []}
    found = {}
    for topic, columns in groups.items():
        times = [
            round(float(row[options.timestamp_column]) * NS_PER_UNIT[options.timestamp_unit])
            for row in rows
            if row[options.timestamp_column] and (not columns or any(row[c] for c in columns))
        ]
        if times:
            found[topic] = (split_at_gaps(times), len(times))
    return found


def within(spans: tuple[tuple[int, int], ...], original: tuple[tuple[int, int], ...]) -> bool:
    return all(any(lo <= start and end <= hi for lo, hi in original) for start, end in spans)


def read_bytes(folder: Path, fixture: CsvFixture, data: bytes):
    path = folder / f"{fixture.name}.csv"
    path.write_bytes(data)
    return read(path, ReadOptions(fixture.options))


@pytest.mark.parametrize("fixture", CSV_FIXTURES, ids=lambda f: f.name)
def test_a_csv_cut_anywhere_reads_as_its_complete_lines(tmp_path: Path, fixture: CsvFixture):
    original = read_bytes(tmp_path, fixture, fixture.data)
    assert {t.name: (t.spans, t.message_count) for t in original.topics} == expected_topics(
        fixture, fixture.data
    )
    original_spans = {t.name: t.spans for t in original.topics}
    original_counts = {t.name: t.message_count for t in original.topics}
    header_end = fixture.data.index(b"\n") + 1
    for cut in range(len(fixture.data)):
        data = fixture.data[:cut]
        if cut < header_end - 1:  # the header itself is cut: its columns may not be the table's
            try:
                recording = read_bytes(tmp_path, fixture, data)
            except ReaderError as error:
                refusals = ("empty CSV", "no timestamp column", "missing columns")
                assert any(why in str(error) for why in refusals)
                continue
        else:
            recording = read_bytes(tmp_path, fixture, data)
        read_topics = {t.name: (t.spans, t.message_count) for t in recording.topics}
        assert read_topics == expected_topics(fixture, data), f"cut at byte {cut}: {data[-40:]!r}"
        for name, (spans, count) in read_topics.items():
            assert within(spans, original_spans[name]), f"cut at byte {cut}"
            assert count <= original_counts[name], f"cut at byte {cut}"
        if read_topics:
            assert recording.anchored == original.anchored, f"cut at byte {cut}"
        partial = cut >= header_end and not data.endswith(b"\n")
        left_out = [n for n in recording.notes if n.startswith("last line left out")]
        assert len(left_out) == partial, f"cut at byte {cut}: {recording.notes}"


@pytest.mark.parametrize("fixture", CSV_FIXTURES, ids=lambda f: f.name)
def test_a_cut_line_ended_by_a_newline_later_is_still_left_out(tmp_path: Path, fixture: CsvFixture):
    """A newline added after the cut (an editor saving the file): the partial line has fewer
    fields, or a time that breaks the column; what is read stays within the original. A cut in
    the first data row has no row before it to be judged against (``timestamp\\n1\\n`` is a
    whole table), so the cuts start in the second."""
    original = read_bytes(tmp_path, fixture, fixture.data)
    counts = {t.name: t.message_count for t in original.topics}
    spans = {t.name: t.spans for t in original.topics}
    header_end = fixture.data.index(b"\n") + 1
    first_row_end = fixture.data.find(b"\n", header_end) + 1
    for cut in range(first_row_end, len(fixture.data)):
        data = fixture.data[:cut]
        if data.endswith(b"\n") or data.endswith(b"\r"):
            continue  # a whole line: nothing was cut
        recording = read_bytes(tmp_path, fixture, data + b"\n")
        for topic in recording.topics:
            assert within(topic.spans, spans[topic.name]), f"cut at byte {cut}: {data[-40:]!r}"
            assert topic.message_count is not None and topic.message_count <= counts[topic.name]
        if recording.topics:
            assert recording.anchored == original.anchored, f"cut at byte {cut}"


def test_the_cut_last_line_of_a_wall_clock_column_is_named_in_a_note(tmp_path: Path):
    path = tmp_path / "drive.csv"
    path.write_bytes(b"speed,timestamp\n1.5,1776902400000000000\n2.5,1776902401000000000\n3.5,1776\n")
    recording = read(path)
    assert recording.anchored and recording.topics[0].spans == ((T0, T0 + S),)
    assert recording.notes == (
        "last line left out: its time (1776 ns) is before 2000 in a column of wall-clock times: a cut line",
    )
    path.write_bytes(b"speed,timestamp\n1.5,1776902400000000000\n2.5,1776902401000000000\n3.5,1776")
    assert read(path).notes == ("last line left out: it has no newline at its end (8 bytes): a cut line",)


def test_a_complete_table_is_read_whole(tmp_path: Path):
    """The cut-line rules leave whole tables alone: a header alone, blank lines at the end, a last
    row that only repeats the time before it."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"timestamp\n")
    assert (read(path).topics, read(path).notes) == ((), ("no rows with a timestamp",))
    path.write_bytes(b"timestamp,v\n1776902400000000000,1\n1776902400000000000,2\n\n\n")
    recording = read(path)
    assert (recording.topics[0].message_count, recording.notes) == (2, ())


@pytest.mark.parametrize(
    "frame",
    [
        pl.DataFrame({"timestamp": EPOCH_NS, "speed": range(16)}),
        pl.DataFrame({"timestamp": [T0 // 1000 + i for i in range(50)]}).with_columns(
            pl.col("timestamp").cast(pl.Datetime("us", "UTC"))
        ),
    ],
    ids=["epoch-ns", "datetime"],
)
def test_a_cut_parquet_file_is_refused_naming_its_missing_footer(tmp_path: Path, frame: pl.DataFrame):
    whole = tmp_path / "whole.parquet"
    frame.write_parquet(whole)
    data = whole.read_bytes()
    assert read(whole).topics[0].message_count == frame.height
    cut_path = tmp_path / "cut.parquet"
    for cut in range(len(data)):
        cut_path.write_bytes(data[:cut])
        with pytest.raises(ReaderError, match=r"cut\.parquet: not a complete Parquet file .* truncated"):
            read(cut_path)
