"""Reading the messages of one topic of one recording: what a session's topic data is made of.

Where ``read`` (protocol.py) finds *where* a recording's data lies in time, a format's
``messages`` function decodes the data itself, for one :class:`TopicSlice`: one topic (one
partition of it, for a sliced table), in a closed window of the file's own clock. It reads only
what the window needs (MCAP chunk and message indexes, bag chunk infos, Parquet row-group
statistics), decodes with the format's own libraries, and yields Arrow record batches:

- ``timestamp_ns``, int64, first: each message's time in the file's own clock, the same clock
  the topic's extents are stored in (``wall = timestamp_ns + unix_epoch_offset_ns``);
- then the decoded fields, flattened: nested fields as ``a.b.c`` columns, arrays as list columns.
  Only ``fields`` are built when the slice names them (a name selects that field and everything
  below it).

Batches come in time order within the slice. A message the format's library cannot decode (an
unknown schema, an encoding without its support library) raises ``ReaderError`` naming the
topic, the file and the encoding.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions

if TYPE_CHECKING:
    import pyarrow as pa

TIMESTAMP_COLUMN = "timestamp_ns"
FIELD_SEPARATOR = "."


@dataclass(frozen=True, slots=True)
class TopicSlice:
    """What to read of one recording: a topic, in the closed window ``[start_ns, end_ns]`` of the
    file's own clock (``None``: open on that side), only ``fields`` (``None``: all), for a
    file holding several slices of the topic (a LeRobot data file), the rows ``[start, end)``, and
    the options the file was read with (they say where a table's times and topics are)."""

    path: Path
    topic: str
    start_ns: int | None = None
    end_ns: int | None = None
    fields: tuple[str, ...] | None = None
    row_range: tuple[int, int] | None = None
    # How the file was read (a table's timestamp column, unit and column groups), as ``read`` took it.
    options: ReadOptions = DEFAULT_OPTIONS

    def holds(self, timestamp_ns: int) -> bool:
        """Whether a message at this time (file clock) is inside the window."""
        return (self.start_ns is None or timestamp_ns >= self.start_ns) and (
            self.end_ns is None or timestamp_ns <= self.end_ns
        )

    def wants(self, field: str) -> bool:
        """Whether the flattened field ``field`` is asked for: every field when ``fields`` is None,
        else a named one, anything below a named one, or the parents on the way to one."""
        if self.fields is None:
            return True
        return any(
            field == wanted
            or field.startswith(wanted + FIELD_SEPARATOR)
            or wanted.startswith(field + FIELD_SEPARATOR)
            for wanted in self.fields
        )


MessagesFunction = Callable[[TopicSlice], Iterator["pa.RecordBatch"]]


def flatten(message: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """A decoded message's fields as ``(a.b.c, value)`` pairs: nested mappings flattened, arrays
    (of values or of mappings) kept whole as one list value."""
    for key, value in message.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, name + FIELD_SEPARATOR)
        else:
            yield name, value


def batch_of(
    timestamps: list[int], messages: Iterable[Mapping[str, Any]], slice_: TopicSlice
) -> pa.RecordBatch:
    """Decoded messages (plain mappings, nested) as one record batch of the layout above, with only
    the fields the slice wants; a field some messages lack is null in those rows."""
    import pyarrow as pa

    rows = [
        {TIMESTAMP_COLUMN: timestamp, **{k: v for k, v in flatten(m) if slice_.wants(k)}}
        for timestamp, m in zip(timestamps, messages, strict=True)
    ]
    if not rows:
        return pa.RecordBatch.from_pydict({TIMESTAMP_COLUMN: pa.array([], pa.int64())})
    batch = pa.RecordBatch.from_pylist(rows)
    return batch.set_column(0, TIMESTAMP_COLUMN, batch.column(0).cast(pa.int64()))


def path_of(uri: str | None, root: str | None, relative_path: str) -> Path:
    """Where a registered file lies: its ``file://`` URI when it has one, else its dataset's root
    joined with its relative path."""
    if uri and uri.startswith("file://"):
        return Path(os.fsdecode(unquote_to_bytes(urlsplit(uri).path)))
    return Path(root or ".") / relative_path
