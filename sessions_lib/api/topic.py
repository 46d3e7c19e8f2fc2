"""``SessionTopic``: one topic's data in a session, read from the recordings the session holds.

``session.get_topic("/imu")`` names a topic; its ``get_data*`` methods read the topic's messages
from every file the session holds, each clipped to that file's contribution window (the rule of
``list_topics``), through the file's reader (``READERS_BY_FORMAT[format].messages``), which reads
only the part of the file the window needs. Rows are in wall-clock order across files; rows at
the same time keep the order of their files (by window start, then file id).

Columns: ``log_time_ns`` (wall clock: the file's own time plus its topic partition's epoch
offset), ``file_id``, then the decoded fields flattened (``a.b.c``; arrays as list columns). For
an unanchored file ``log_time_ns`` is on the file's relative timeline (its offset is that of the
anchor, if any, else 0), as the session's own bounds are.

>>> imu = session.get_topic("/imu")  # doctest: +SKIP
>>> imu.get_data_as_df(fields=["linear_acceleration"], start_time_ns=t0)  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sessions_lib.client import Client
from sessions_lib.errors import InvalidRequestError, ReaderError
from sessions_lib.model.validation import as_sequence
from sessions_lib.store import sessions as store

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

LOG_TIME_COLUMN = "log_time_ns"
FILE_ID_COLUMN = "file_id"


class SessionTopic:
    """A topic of a session: its messages in the session's files, clipped to their windows."""

    def __init__(self, session_id: str, org_id: str, name: str, client: Client) -> None:
        self._session_id, self._org_id, self._name, self._client = session_id, org_id, name, client

    @property
    def name(self) -> str:
        return self._name

    @property
    def session_id(self) -> str:
        return self._session_id

    def get_data_as_record_batches(
        self,
        fields: Sequence[str] | None = None,
        start_time_ns: int | None = None,
        end_time_ns: int | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """The topic's rows as Arrow record batches, in time order. ``fields`` (flattened names; a
        name selects everything below it) limits the decoded columns; ``start_time_ns`` and
        ``end_time_ns`` (wall clock, closed) narrow the session's bounds. Batches of different files
        (or of messages with different keys) may have different columns."""
        wanted = _fields(fields)
        _check_window(start_time_ns, end_time_ns)
        slices = self._client.catalog.read(
            lambda tx: store.topic_slices(tx, self._org_id, self._session_id, self._name)
        )
        return _merged(self._name, slices, wanted, start_time_ns, end_time_ns)

    def get_data_as_df(
        self,
        fields: Sequence[str] | None = None,
        start_time_ns: int | None = None,
        end_time_ns: int | None = None,
    ) -> pl.DataFrame:
        """The topic's rows as one polars DataFrame (arguments as ``get_data_as_record_batches``);
        a field some files or messages lack is null in their rows. No rows: the columns
        ``log_time_ns`` and ``file_id`` alone."""
        import polars as pl

        frames = [
            pl.DataFrame(batch)
            for batch in self.get_data_as_record_batches(fields, start_time_ns, end_time_ns)
        ]
        if not frames:
            return pl.DataFrame(schema={LOG_TIME_COLUMN: pl.Int64, FILE_ID_COLUMN: pl.String})
        return pl.concat(frames, how="diagonal_relaxed")

    def get_data(
        self,
        fields: Sequence[str] | None = None,
        start_time_ns: int | None = None,
        end_time_ns: int | None = None,
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """The topic's messages as ``(log_time_ns, message)``, the message a nested dict of its
        decoded fields (rebuilt from the flattened columns; a field the message lacks is None)."""
        from sessions_lib.readers.messages import FIELD_SEPARATOR

        for batch in self.get_data_as_record_batches(fields, start_time_ns, end_time_ns):
            names = [n for n in batch.schema.names if n not in (LOG_TIME_COLUMN, FILE_ID_COLUMN)]
            paths = [name.split(FIELD_SEPARATOR) for name in names]
            columns = [batch.column(name).to_pylist() for name in names]
            for row, log_time in enumerate(batch.column(LOG_TIME_COLUMN).to_pylist()):
                message: dict[str, Any] = {}
                for path, column in zip(paths, columns, strict=True):
                    _put(message, path, column[row])
                yield log_time, message

    def __repr__(self) -> str:
        return f"SessionTopic(session_id={self._session_id!r}, name={self._name!r})"


def _fields(fields: Sequence[str] | None) -> tuple[str, ...] | None:
    if fields is None:
        return None
    names = as_sequence("fields", fields, "field names")
    for name in names:
        if not isinstance(name, str) or not name:
            raise InvalidRequestError(f"fields must be non-empty field names (a.b.c), got {name!r}")
    return names


def _check_window(start_ns: int | None, end_ns: int | None) -> None:
    for what, value in (("start_time_ns", start_ns), ("end_time_ns", end_ns)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidRequestError(f"{what} must be integer nanoseconds or None, got {value!r}")
    if start_ns is not None and end_ns is not None and start_ns > end_ns:
        raise InvalidRequestError(
            f"start_time_ns {start_ns} is after end_time_ns {end_ns}: the window is closed, start <= end"
        )


def _merged(
    topic: str,
    slices: list[store.TopicSliceRow],
    fields: tuple[str, ...] | None,
    start_ns: int | None,
    end_ns: int | None,
) -> Iterator[pa.RecordBatch]:
    """The slices' rows in wall-clock order. Slices come sorted by window start; a run of slices
    whose windows overlap is read whole and sorted (stably, so ties keep the slices' order), a
    slice overlapping no other is streamed as its reader yields it."""
    import pyarrow as pa

    group: list[store.TopicSliceRow] = []
    group_end: int | None = None
    for row in [*slices, None]:
        if group and (row is None or group_end is None or row.window_min_ns > group_end):
            if len(group) == 1:
                yield from _read(topic, group[0], fields, start_ns, end_ns)
            else:
                batches = [b for s in group for b in _read(topic, s, fields, start_ns, end_ns)]
                if batches:
                    tables = [pa.Table.from_batches([batch]) for batch in batches]
                    table = pa.concat_tables(tables, promote_options="permissive")
                    yield from table.sort_by(LOG_TIME_COLUMN).combine_chunks().to_batches()
            group, group_end = [], None
        if row is not None:
            group.append(row)
            group_end = row.window_max_ns if group_end is None else max(group_end, row.window_max_ns)


def _read(
    topic: str,
    row: store.TopicSliceRow,
    fields: tuple[str, ...] | None,
    start_ns: int | None,
    end_ns: int | None,
) -> Iterator[pa.RecordBatch]:
    """One slice's rows, read by its file's reader in the file's own clock, with ``log_time_ns``
    (wall clock) and ``file_id`` in front."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # The readers (every format's modules) are loaded on first use: a session's other calls need none.
    from sessions_lib.readers.messages import TIMESTAMP_COLUMN, TopicSlice, path_of
    from sessions_lib.readers.options import ReadOptions
    from sessions_lib.readers.registry import READERS_BY_FORMAT

    low = row.window_min_ns if start_ns is None else max(row.window_min_ns, start_ns)
    high = row.window_max_ns if end_ns is None else min(row.window_max_ns, end_ns)
    if low > high:
        return
    reader = READERS_BY_FORMAT.get(row.format or "")
    path = path_of(row.uri, row.root_path, row.relative_path)
    if reader is None or reader.messages is None:
        readable = sorted(name for name, r in READERS_BY_FORMAT.items() if r.messages)
        raise ReaderError(
            f"{path}: topic {topic!r}: messages of format {row.format!r} cannot be read yet "
            f"(formats whose messages are read: {readable})"
        )
    offset = row.unix_epoch_offset_ns or 0
    row_range = None if row.row_start is None or row.row_end is None else (row.row_start, row.row_end)
    options = ReadOptions.from_json(json.loads(row.read_options) if row.read_options else None)
    slice_ = TopicSlice(path, topic, low - offset, high - offset, fields, row_range, options)
    for batch in reader.messages(slice_):
        if batch.num_rows == 0:
            continue
        times = batch.column(TIMESTAMP_COLUMN)
        log_time = pc.add(times, pa.scalar(offset, pa.int64())) if offset else times
        file_ids = pa.array([row.file_id] * batch.num_rows, pa.string())
        rest = [name for name in batch.schema.names if name != TIMESTAMP_COLUMN]
        yield pa.RecordBatch.from_arrays(
            [log_time, file_ids, *(batch.column(name) for name in rest)],
            names=[LOG_TIME_COLUMN, FILE_ID_COLUMN, *rest],
        )


def _put(message: dict[str, Any], path: list[str], value: Any) -> None:
    """Set ``value`` at ``path`` in a nested dict (a.b.c -> message["a"]["b"]["c"])."""
    for key in path[:-1]:
        inner = message.get(key)
        if not isinstance(inner, dict):
            inner = message[key] = {}
        message = inner
    message[path[-1]] = value
