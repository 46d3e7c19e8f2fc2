"""ROS messages as the topic data layout: rosbags' decoded messages to Arrow record batches.

Shared by ROS 1 bags and ROS 2 ``.db3`` files. rosbags deserializes a message into a dataclass
instance of a type its typestore knows. The batch's Arrow schema comes from that type's definition
(:func:`arrow_schema`: ``uint64`` stays ``uint64``, ``float32`` stays ``float32``, a topic's
batches all share one schema, even with no message), nested messages flattened to ``a.b.c``
columns, arrays and sequences as list columns (of structs for arrays of messages). Only the
fields the slice wants are converted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
from rosbags.typesys.base import Nodetype

from sessions_lib.errors import ReaderError
from sessions_lib.readers.messages import FIELD_SEPARATOR, TIMESTAMP_COLUMN, TopicSlice, flatten

if TYPE_CHECKING:
    from rosbags.typesys.store import Typestore

# Messages per record batch: large enough that Arrow's per-batch cost is small, small enough to
# stream a long topic without holding it whole.
BATCH_MESSAGES = 4096

# ROS base types as Arrow types. ``byte`` is int8 in ROS 1 and an octet (uint8) in ROS 2, and
# ``char`` the reverse: int16 holds either.
_BASE_TYPES = {
    "bool": pa.bool_(),
    "byte": pa.int16(),
    "char": pa.int16(),
    "octet": pa.uint8(),
    "int8": pa.int8(),
    "uint8": pa.uint8(),
    "int16": pa.int16(),
    "uint16": pa.uint16(),
    "int32": pa.int32(),
    "uint32": pa.uint32(),
    "int64": pa.int64(),
    "uint64": pa.uint64(),
    "float32": pa.float32(),
    "float64": pa.float64(),
    "string": pa.string(),
    "wstring": pa.string(),
}


def arrow_schema(store: Typestore, msgtype: str, slice_: TopicSlice) -> pa.Schema:
    """The batch schema of ``msgtype``'s messages: ``timestamp_ns``, then the wanted fields."""
    return pa.schema([pa.field(TIMESTAMP_COLUMN, pa.int64()), *_flat_fields(store, msgtype, slice_, "")])


def _flat_fields(store: Typestore, msgtype: str, slice_: TopicSlice, prefix: str) -> Iterator[pa.Field]:
    for name, (kind, desc) in store.fielddefs[msgtype][1]:
        full = f"{prefix}{name}"
        if not slice_.wants(full):
            continue
        if kind == Nodetype.NAME:
            yield from _flat_fields(store, str(desc), slice_, full + FIELD_SEPARATOR)
        else:
            yield pa.field(full, _arrow_type(store, msgtype, kind, desc))


def _arrow_type(store: Typestore, msgtype: str, kind: Nodetype, desc: Any) -> pa.DataType:
    if kind == Nodetype.BASE:
        if desc[0] not in _BASE_TYPES:
            raise ReaderError(f"message type {msgtype!r} has a field of unknown base type {desc[0]!r}")
        return _BASE_TYPES[desc[0]]
    if kind == Nodetype.NAME:
        return pa.struct(
            [pa.field(name, _arrow_type(store, desc, *field)) for name, field in store.fielddefs[desc][1]]
        )
    return pa.list_(_arrow_type(store, msgtype, *desc[0]))  # ARRAY and SEQUENCE: (element, length)


def as_mapping(message: Any, store: Typestore, slice_: TopicSlice, prefix: str = "") -> dict[str, Any]:
    """A rosbags message as nested mappings, with only the fields ``slice_`` wants below ``prefix``
    (a flattened path, ``""`` at the top); arrays of numbers stay numpy arrays (Arrow takes them
    as they are), arrays of messages become lists of mappings."""
    mapping: dict[str, Any] = {}
    for name in _field_names(message, store):
        full = f"{prefix}{name}"
        if slice_.wants(full):
            value = getattr(message, name)
            if hasattr(value, "__msgtype__"):
                mapping[name] = as_mapping(value, store, slice_, full + FIELD_SEPARATOR)
            else:
                mapping[name] = _plain(value, store)
    return mapping


def _plain(value: Any, store: Typestore) -> Any:
    """A field's value for Arrow: messages inside arrays as mappings, numpy scalars as Python."""
    if isinstance(value, list | tuple):
        return [_plain(item, store) for item in value]
    if hasattr(value, "__msgtype__"):
        return {name: _plain(getattr(value, name), store) for name in _field_names(value, store)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _field_names(message: Any, store: Typestore) -> list[str]:
    """The message's data fields as its type defines them (its class also holds the constants)."""
    return [name for name, _ in store.fielddefs[message.__msgtype__][1]]


def batches(
    decoded: Iterable[tuple[int, object]], store: Typestore, schema: pa.Schema, slice_: TopicSlice
) -> Iterator[pa.RecordBatch]:
    """``(timestamp_ns, rosbags message)`` pairs, in time order, as record batches of ``schema``,
    ``BATCH_MESSAGES`` at a time; nothing for no messages. ``store`` defines the messages' types."""
    rows: list[dict[str, Any]] = []
    for timestamp, message in decoded:
        rows.append({TIMESTAMP_COLUMN: timestamp, **dict(flatten(as_mapping(message, store, slice_)))})
        if len(rows) == BATCH_MESSAGES:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)


def window_bounds(slice_: TopicSlice) -> tuple[int | None, int | None]:
    """The slice's closed window as rosbags' ``start`` (inclusive) and ``stop`` (exclusive)."""
    return slice_.start_ns, None if slice_.end_ns is None else slice_.end_ns + 1
