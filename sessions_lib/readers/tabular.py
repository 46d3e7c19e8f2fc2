"""Parquet and CSV telemetry: a timestamp column, and one topic per file or per column group.

Only the timestamp column (and, for column groups, which of their cells are filled) is read, with
polars. Numeric timestamps are in the unit the options name; datetime columns carry their own.

>>> options = ReadOptions(TabularOptions(timestamp_column="t", timestamp_unit="ms"))
>>> read(Path("drive.parquet"), options)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import RecordedTopic, Recording
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions, TabularOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.spans import is_wall_clock, split_at_gaps
from sessions_lib.readers.units import NS_PER_UNIT

PARQUET_MAGIC = b"PAR1"


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """Read a Parquet or CSV file (by extension) into one topic per file or per column group,
    as ``options.tabular`` says."""
    tabular = options.tabular
    format_name = "csv" if path.suffix.lower() == ".csv" else "parquet"
    try:
        frame = _scan(path, format_name)
        columns = frame.collect_schema()
        if tabular.timestamp_column not in columns:
            raise ReaderError(
                f"{path}: no timestamp column {tabular.timestamp_column!r} (columns: {', '.join(columns)})"
            )
        groups = dict(tabular.column_groups) or {tabular.topic or path.stem: []}
        for topic, group_columns in groups.items():
            missing = [c for c in group_columns if c not in columns]
            if missing:
                raise ReaderError(f"{path}: column group {topic!r} names missing columns {missing}")
        times_ns = _timestamps_ns(
            pl.col(tabular.timestamp_column), columns[tabular.timestamp_column], tabular
        )
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
    notes = (
        [] if anchored or not times.len() else ["timestamps are not Unix-epoch: relative clock, unanchored"]
    )
    if not times.len():
        notes.append("no rows with a timestamp")
    return Recording(format_name, tuple(topics), index_used="scan", anchored=anchored, notes=tuple(notes))


PARQUET_READER = Reader("parquet", read, magic=PARQUET_MAGIC, extensions=(".parquet",))
CSV_READER = Reader("csv", read, extensions=(".csv",))


def _scan(path: Path, format_name: str) -> pl.LazyFrame:
    if format_name == "csv":
        return pl.scan_csv(path)
    return pl.scan_parquet(path)


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
