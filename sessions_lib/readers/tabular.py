"""Parquet and CSV telemetry: a timestamp column, and one topic per file or per column group.

Only the timestamp column (and, for column groups, which of their cells are filled) is read, with
polars. Numeric timestamps are in the unit the options name; datetime columns carry their own.

A CSV file still being written, or cut short by a full disk or a copy, ends in a partial line
that would read as a wrong, short number. Its last line is left out, with a note, when it has no
newline at its end, when it has fewer fields than the header (a newline added after the cut, as
an editor does), or when its time breaks the column: before 2000 in a column of wall-clock times
(a cut number lost digits), or earlier than the line before in a column that only rises. A cut
that keeps a plausible time (``1776902400.`` of ``1776902400.5``) on a line that an editor has
since ended with a newline cannot be told from data. A Parquet file without its footer is
refused: its row groups cannot be found without it.

>>> options = ReadOptions(TabularOptions(timestamp_column="t", timestamp_unit="ms"))
>>> read(Path("drive.parquet"), options)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import RecordedTopic, Recording
from sessions_lib.model.validation import stored_text
from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions, TabularOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.spans import is_wall_clock, split_at_gaps
from sessions_lib.readers.units import NS_PER_UNIT

PARQUET_MAGIC = b"PAR1"
# A Parquet file's smallest size: magic, footer length (4 bytes), magic.
PARQUET_MIN_BYTES = 12
# Bytes read at a time when looking for a CSV file's first and last lines.
CSV_LINE_BLOCK_BYTES = 1 << 16
# Rows per record batch of a topic's data.
BATCH_ROWS = 65536


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """Read a Parquet or CSV file (by extension) into one topic per file or per column group,
    as ``options.tabular`` says."""
    tabular = options.tabular
    format_name = _format_of(path)
    left_out: str | None = None  # why a CSV file's last line was left out
    try:
        if format_name == "csv":
            frame, left_out = _scan_csv(path)
        else:
            frame = _scan_parquet(path)
        columns = frame.collect_schema()
        groups = _topics(path, columns, tabular)
        times_ns = _times_ns(frame, columns, tabular)
        selected = frame.select(
            times_ns.alias("__t"),
            *(
                pl.any_horizontal([pl.col(c).is_not_null() for c in cols]).alias(topic)
                for topic, cols in groups.items()
                if cols
            ),
        ).collect()
    except ReaderError:
        raise
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError) as error:
        raise ReaderError(f"{path}: not a readable {format_name} table: {error}") from None

    if format_name == "csv" and left_out is None:
        selected, left_out = _without_a_broken_last_time(selected)
    times = selected.get_column("__t").drop_nulls()
    topics = []
    for topic, cols in groups.items():
        present = selected.filter(pl.col(topic)).get_column("__t") if cols else times
        present = present.drop_nulls()
        if present.len():
            topics.append(
                RecordedTopic(
                    topic,
                    spans=split_at_gaps(present.to_numpy()),
                    message_count=present.len(),
                    schema_name=",".join(cols) or None,
                    schema_encoding=format_name,
                )
            )
    anchored = bool(times.len()) and is_wall_clock(int(times.min()))  # type: ignore[arg-type]
    notes = [left_out] if left_out else []
    if not anchored and times.len():
        notes.append("timestamps are not Unix-epoch: relative clock, unanchored")
    if not times.len():
        notes.append("no rows with a timestamp")
    return Recording(format_name, tuple(topics), index_used="scan", anchored=anchored, notes=tuple(notes))


def messages(slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    """The rows of ``slice_.topic`` in its window: ``timestamp_ns`` (the timestamp column by the
    unit rule ``read`` uses), then the topic's columns (its column group, else every column but the
    timestamp), struct columns flattened to ``a.b``. The window is a predicate on the scan, so a
    Parquet file's row groups whose statistics lie outside it are skipped; a CSV file is parsed
    whole, without the cut last line ``read`` leaves out. A group's topic holds the rows where any
    of its columns is filled, as ``read`` counts them.
    """
    path, tabular = Path(slice_.path), slice_.options.tabular
    format_name = _format_of(path)
    try:
        frame = _scan_csv(path)[0] if format_name == "csv" else _scan_parquet(path)
        columns = frame.collect_schema()
        groups = _topics(path, columns, tabular)
        if slice_.topic not in groups:
            raise ReaderError(
                f"{path}: no topic {slice_.topic!r} in the table; read with its options, its topics are "
                f"{sorted(groups)}"
            )
        group = list(groups[slice_.topic])
        own = group or [c for c in columns if c != tabular.timestamp_column]
        if TIMESTAMP_COLUMN in own:
            raise ReaderError(
                f"{path}: data column {TIMESTAMP_COLUMN!r} would collide with the time column of the "
                f"topic's data; read the table with timestamp_column={TIMESTAMP_COLUMN!r}"
            )
        present = pl.any_horizontal([pl.col(c).is_not_null() for c in group]) if group else pl.lit(True)
        selected = frame.select(
            _times_ns(frame, columns, tabular).alias("__t"),
            present.alias("__present"),
            *(pl.col(c) for c in own if slice_.wants(c)),
        )
        keep = pl.col("__t").is_not_null() & pl.col("__present")
        if slice_.start_ns is not None:
            keep &= pl.col("__t") >= slice_.start_ns
        if slice_.end_ns is not None:
            keep &= pl.col("__t") <= slice_.end_ns
        if format_name == "csv":
            rows = _without_a_broken_last_time(selected.collect())[0].filter(keep)
        else:
            rows = selected.filter(keep).collect()
    except ReaderError:
        raise
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException, OSError, ValueError) as error:
        raise ReaderError(
            f"{path}: topic {slice_.topic!r}: not a readable {format_name} table: {error}"
        ) from None
    rows = rows.sort("__t", maintain_order=True).drop("__present").rename({"__t": TIMESTAMP_COLUMN})
    table = rows.to_arrow()
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    table = table.select([n for n in table.column_names if n == TIMESTAMP_COLUMN or slice_.wants(n)])
    yield from table.to_batches(max_chunksize=BATCH_ROWS)


PARQUET_READER = Reader("parquet", read, magic=PARQUET_MAGIC, extensions=(".parquet",), messages=messages)
CSV_READER = Reader("csv", read, extensions=(".csv",), messages=messages)
# The formats read with TabularOptions: a file of these keeps the options it was read with.
TABLE_FORMATS = (PARQUET_READER.format, CSV_READER.format)


def _format_of(path: Path) -> str:
    return "csv" if path.suffix.lower() == ".csv" else "parquet"


def _topics(path: Path, columns: pl.Schema, tabular: TabularOptions) -> dict[str, Sequence[str]]:
    """Topic name -> its column group (empty: the whole file is the topic), as the options say;
    ``ReaderError`` when the timestamp column or a group's column is missing."""
    if tabular.timestamp_column not in columns:
        raise ReaderError(
            f"{path}: no timestamp column {tabular.timestamp_column!r} (columns: {', '.join(columns)})"
        )
    groups = dict(tabular.column_groups) or {tabular.topic or stored_text(path.stem): []}
    for topic, group_columns in groups.items():
        missing = [c for c in group_columns if c not in columns]
        if missing:
            raise ReaderError(f"{path}: column group {topic!r} names missing columns {missing}")
    return groups


def _times_ns(frame: pl.LazyFrame, columns: pl.Schema, tabular: TabularOptions) -> pl.Expr:
    """The timestamp column in nanoseconds, by its type and the options' unit."""
    timestamp = pl.col(tabular.timestamp_column)
    dtype = columns[tabular.timestamp_column]
    if dtype in (pl.String, pl.Null) and not frame.select(timestamp.is_not_null().any()).collect().item():
        dtype = pl.Int64()  # no value to type it (a header without rows): no times, not an error
    return _timestamps_ns(timestamp, dtype, tabular)


def _scan_parquet(path: Path) -> pl.LazyFrame:
    """The file as a lazy frame, refused with a clear error when its footer is gone."""
    with path.open("rb") as file:
        size = file.seek(0, 2)
        file.seek(max(0, size - len(PARQUET_MAGIC)))
        if size < PARQUET_MIN_BYTES or file.read() != PARQUET_MAGIC:
            raise ReaderError(
                f"{path}: not a complete Parquet file ({size} bytes, no {PARQUET_MAGIC.decode()} footer "
                "at its end): truncated or still being written"
            )
    return pl.scan_parquet(_polars_source(path))


def _polars_source(path: Path) -> Path | io.BytesIO:
    """The path, or the file's bytes when its name is not UTF-8 (polars opens only text paths)."""
    try:
        str(path).encode()
    except UnicodeEncodeError:
        return io.BytesIO(path.read_bytes())
    return path


@dataclass(frozen=True, slots=True)
class _CsvLines:
    """Where a CSV file's complete lines end, and its header and last complete data line."""

    size: int
    complete_end: int  # offset after the last newline (the file's size when it ends with one)
    header: str | None  # None when the file has no complete line
    last_line: str | None  # the last non-blank complete line after the header, None if there is none
    last_line_start: int  # its offset (``complete_end`` when there is none)


def _scan_csv(path: Path) -> tuple[pl.LazyFrame, str | None]:
    """The file's rows as a lazy frame, without a cut last line; and why a line was left out."""
    lines = _csv_lines(path)
    end, why = lines.size, None
    if lines.complete_end < lines.size and lines.header is not None:
        end = lines.complete_end
        why = f"has no newline at its end ({lines.size - end} bytes): a cut line"
    elif lines.last_line is not None and lines.header is not None:
        fields, header_fields = _field_count(lines.last_line), _field_count(lines.header)
        if fields < header_fields:
            end = lines.last_line_start
            why = f"has {fields} of the header's {header_fields} fields: a cut line"
    if end == lines.size:
        return pl.scan_csv(_polars_source(path)), None
    with path.open("rb") as file:
        head = file.read(end)
    return pl.scan_csv(io.BytesIO(head)), f"last line left out: it {why}"


def _csv_lines(path: Path) -> _CsvLines:
    """The header and the file's end, found from the file's first and last blocks only."""
    with path.open("rb") as file:
        size = file.seek(0, 2)
        tail, start = b"", size
        # Back from the end, until the tail holds two newlines before its last non-blank line.
        while start > 0 and tail.rstrip(b"\r\n").count(b"\n") < 1:
            start = max(0, start - CSV_LINE_BLOCK_BYTES)
            file.seek(start)
            tail = file.read(size - start)
        file.seek(0)
        head = file.read(CSV_LINE_BLOCK_BYTES)
        while b"\n" not in head and len(head) < size:
            head += file.read(CSV_LINE_BLOCK_BYTES)
    if b"\n" not in head:  # no complete line: at most a header being written
        return _CsvLines(size, 0, None, None, 0)
    header_end = head.index(b"\n") + 1
    complete_end = start + tail.rindex(b"\n") + 1
    complete = tail[: complete_end - start].rstrip(b"\r\n")
    last_start = start + complete.rfind(b"\n") + 1
    header = _text(head[:header_end])
    if last_start < header_end:  # the header is the last complete line
        return _CsvLines(size, complete_end, header, None, complete_end)
    return _CsvLines(size, complete_end, header, _text(tail[last_start - start :]), last_start)


def _text(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r\n")


def _field_count(line: str) -> int:
    """Fields of one CSV line (comma-separated, double-quoted as polars reads them)."""
    return len(next(csv.reader([line]), []))


def _without_a_broken_last_time(selected: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    """The rows without the last timed one when its time cannot be the column's: before 2000
    after wall-clock times, or below the time before it in a column that rises everywhere else
    (at least three rows); and a note saying which time was left out."""
    rows = selected.with_row_index("__row").filter(pl.col("__t").is_not_null())
    times = rows.get_column("__t").to_numpy()
    if times.size < 2:
        return selected, None
    last, rest = int(times[-1]), times[:-1]
    if is_wall_clock(int(rest.min())) and not is_wall_clock(last):
        why = "is before 2000 in a column of wall-clock times"
    elif rest.size >= 2 and bool(np.all(np.diff(rest) >= 0)) and last < int(rest[-1]):
        why = "is earlier than the line before it in a column that only rises"
    else:
        return selected, None
    index = int(rows.get_column("__row")[-1])
    kept = selected.filter(pl.int_range(pl.len()) != index)
    return kept, f"last line left out: its time ({last} ns) {why}: a cut line"


def _timestamps_ns(column: pl.Expr, dtype: pl.DataType, options: TabularOptions) -> pl.Expr:
    if dtype.is_temporal():
        return column.dt.epoch("ns")
    if dtype.is_float():
        return (column * NS_PER_UNIT[options.timestamp_unit]).round().cast(pl.Int64)
    if dtype.is_integer():
        return column.cast(pl.Int64) * NS_PER_UNIT[options.timestamp_unit]
    raise ReaderError(
        f"timestamp column {options.timestamp_column!r} has type {dtype}, not a number or datetime"
    )
