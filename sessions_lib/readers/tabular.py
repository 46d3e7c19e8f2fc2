"""Parquet and CSV telemetry: a timestamp column, and one topic per file or per column group.

Only the timestamp column (and, for column groups, which of their cells are filled) is read, with
polars. Numeric timestamps are in the unit the options name; datetime columns carry their own.

>>> read(Path("drive.parquet"), TabularOptions(timestamp_column="t", timestamp_unit="ms"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import polars as pl

from sessions_lib.errors import InvalidRequestError, ReaderError
from sessions_lib.readers.spans import is_wall_clock, split_at_gaps
from sessions_lib.readers.units import NS_PER_UNIT, TimeUnit
from sessions_lib.records import RecordedTopic, Recording


@dataclass(frozen=True, slots=True)
class TabularOptions:
    """How to read a table: its timestamp column and unit, and how columns map to topics.

    Without ``column_groups`` the whole file is one topic (``topic`` or the file's stem); with
    them, each group is a topic whose data is the rows where any of its columns is filled.
    """

    timestamp_column: str = "timestamp"
    timestamp_unit: TimeUnit = "ns"
    topic: str | None = None
    column_groups: Mapping[str, Sequence[str]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.timestamp_unit not in NS_PER_UNIT:
            raise InvalidRequestError(
                f"timestamp_unit {self.timestamp_unit!r} is not one of {sorted(NS_PER_UNIT)}"
            )


def read(path: Path, options: TabularOptions | None = None) -> Recording:
    """Read a Parquet or CSV file (by extension) into one topic per file or per column group."""
    options = options or TabularOptions()
    format_name = "csv" if path.suffix.lower() == ".csv" else "parquet"
    try:
        frame = _scan(path, format_name)
        columns = frame.collect_schema()
        if options.timestamp_column not in columns:
            raise ReaderError(
                f"{path}: no timestamp column {options.timestamp_column!r} (columns: {', '.join(columns)})"
            )
        groups = dict(options.column_groups) or {options.topic or path.stem: []}
        for topic, group_columns in groups.items():
            missing = [c for c in group_columns if c not in columns]
            if missing:
                raise ReaderError(f"{path}: column group {topic!r} names missing columns {missing}")
        times_ns = _timestamps_ns(
            pl.col(options.timestamp_column), columns[options.timestamp_column], options
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
