"""Oracles for the topic-messages tests: each format's own library decoding the whole file, and a
check of decoded batches against it (count, timestamps, the fields' values).

Every oracle returns ``[(timestamp_ns, message)]`` in time order, where ``message`` answers
``value(message, "a.b.c")`` for a flattened column name.
"""

from __future__ import annotations

import math
import random
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from pyulog import ULog
from rosbags.highlevel import AnyReader
from rosbags.typesys import Stores, get_typestore

from sessions_lib.readers.messages import TIMESTAMP_COLUMN, MessagesFunction, TopicSlice

Oracle = list[tuple[int, Any]]


def rosbags_oracle(path: Path, topic: str) -> Oracle:
    """rosbags' AnyReader over a ROS 1 bag, or over a ROS 2 bag directory (its metadata.yaml)."""
    with AnyReader([path if path.suffix == ".bag" else path.parent]) as reader:
        connections = [c for c in reader.connections if c.topic == topic]
        return [(t, reader.deserialize(raw, c.msgtype)) for c, t, raw in reader.messages(connections)]


def sqlite_oracle(path: Path, topic: str) -> Oracle:
    """Every row of a bare .db3's messages table for the topic, CDR-decoded with rosbags' standard types."""
    store = get_typestore(Stores.LATEST)
    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        rows = connection.execute(
            "SELECT m.timestamp, m.data, t.type FROM messages m JOIN topics t ON t.id = m.topic_id "
            "WHERE t.name = ? ORDER BY m.timestamp, m.id",
            (topic,),
        ).fetchall()
    finally:
        connection.close()
    return [(t, store.deserialize_cdr(data, msgtype)) for t, data, msgtype in rows]


def ulog_oracles(path: Path) -> dict[str, Oracle]:
    """pyulog's parse of the whole file: per topic (``name`` or ``name/N``), flat
    ``{pyulog column: value}`` rows in time order."""
    oracles = {}
    for data in ULog(str(path)).data_list:
        stamps = np.asarray(data.data["timestamp"], np.int64) * 1000
        order = np.argsort(stamps, kind="stable")
        topic = data.name if data.multi_id == 0 else f"{data.name}/{data.multi_id}"
        oracles[topic] = [(int(stamps[i]), {k: v[i] for k, v in data.data.items()}) for i in order]
    return oracles


def value(message: Any, column: str) -> Any:
    """The oracle's value of a flattened column: an attribute path of a rosbags message, or the
    pyulog columns of a field (``f[0]``, ``f[1]``, ... / ``a.b``) gathered back into one value."""
    if isinstance(message, dict):
        return _pyulog_value(message, column)
    for part in column.split("."):
        message = getattr(message, part)
    return message


def _pyulog_value(row: dict[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    elements = []
    while f"{column}[{len(elements)}]" in row or any(
        k.startswith(f"{column}[{len(elements)}].") for k in row
    ):
        index = f"{column}[{len(elements)}]"
        if index in row:
            elements.append(row[index])
        else:
            prefix = index + "."
            elements.append({k[len(prefix) :]: v for k, v in row.items() if k.startswith(prefix)})
        if len(elements) > 100_000:
            break
    return elements


def same(got: Any, expected: Any) -> bool:
    """Equal as plain values: numpy to Python, NaN equal to NaN, a ULog char array equal to its text,
    a rosbags message equal to the mapping of its fields, nested structs of pyulog by their keys."""
    if isinstance(expected, np.ndarray):
        expected = expected.tolist()
    if isinstance(expected, np.generic):
        expected = expected.item()
    if isinstance(got, str) and isinstance(expected, list):  # char[n]: pyulog gives int8 codes
        return got == bytes(int(c) & 0xFF for c in expected).split(b"\0", 1)[0].decode("utf-8", "replace")
    if isinstance(got, float) and isinstance(expected, float | int):
        return got == expected or (math.isnan(got) and math.isnan(expected))
    if isinstance(got, list) and isinstance(expected, list | tuple):
        return len(got) == len(expected) and all(same(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(got, dict) and is_dataclass(expected):
        return all(same(v, getattr(expected, k)) for k, v in got.items())
    if isinstance(got, dict) and isinstance(expected, dict):
        flat = dict(_flat_items(got))
        return all(same(flat.get(k), v) for k, v in expected.items() if "_padding" not in k)
    if isinstance(got, bool) or isinstance(expected, bool):
        return int(got) == int(expected)
    return bool(got == expected)


def _flat_items(mapping: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, item in mapping.items():
        if isinstance(item, dict):
            yield from _flat_items(item, f"{prefix}{key}.")
        elif isinstance(item, list) and not isinstance(item, str):
            for i, element in enumerate(item):
                if isinstance(element, dict):
                    yield from _flat_items(element, f"{prefix}{key}[{i}].")
                else:
                    yield f"{prefix}{key}[{i}]", element
        else:
            yield f"{prefix}{key}", item


def decoded(messages: MessagesFunction, slice_: TopicSlice) -> pa.Table:
    """Every batch of the slice as one table (all batches share one schema)."""
    batches = list(messages(slice_))
    for batch in batches:
        assert batch.schema.names[0] == TIMESTAMP_COLUMN and batch.schema.field(0).type == pa.int64()
    if not batches:
        return pa.table({TIMESTAMP_COLUMN: pa.array([], pa.int64())})
    return pa.Table.from_batches(batches)


def random_window(oracle: Oracle, rng: random.Random) -> tuple[int, int]:
    """A closed window between two of the oracle's message times (both ends included)."""
    first, last = sorted(rng.choice(oracle)[0] for _ in range(2))
    return first, last


def assert_matches(
    messages: MessagesFunction,
    slice_: TopicSlice,
    oracle: Oracle,
    rows_checked: int = 20,
    value_of: Callable[[Any, str], Any] = value,
) -> pa.Table:
    """The slice's decoded rows equal the oracle's messages inside the slice's window: count and
    timestamps all, every decoded field's value on ``rows_checked`` rows spread over the window."""
    table = decoded(messages, slice_)
    expected = [(t, m) for t, m in oracle if slice_.holds(t)]
    assert table.num_rows == len(expected), f"{slice_.topic}: {table.num_rows} rows, oracle {len(expected)}"
    assert table.column(TIMESTAMP_COLUMN).to_pylist() == [t for t, _ in expected]
    step = max(1, len(expected) // rows_checked)
    for index in range(0, len(expected), step):
        row = table.slice(index, 1).to_pylist()[0]
        for column, got in row.items():
            if column != TIMESTAMP_COLUMN:
                want = value_of(expected[index][1], column)
                assert same(got, want), f"{slice_.topic} row {index} {column}: {got!r} != {want!r}"
    return table
