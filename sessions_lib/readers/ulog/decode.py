"""A ULog topic's messages: its data messages decoded with numpy, as Arrow record batches.

The same scan as the reader finds every data message and its timestamp (``messages.py``); the
topic's messages inside the window are then decoded all at once: their payloads are gathered into
one block and viewed through the format's structured dtype (``formats.record_dtype``).

Layout: ``timestamp_ns`` is the ``timestamp`` field (microseconds since boot) times 1000, the clock
the topic's extents are stored in; then every field of the format (``timestamp`` included, in
microseconds), nested formats flattened to ``a.b`` columns, arrays (``float[3] accel``) as list
columns, arrays of nested formats as lists of structs, ``char[n]`` as text (up to its first NUL),
``_padding`` fields left out. A topic is the message name, ``name/N`` for instance N > 0.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from sessions_lib.errors import ReaderError
from sessions_lib.readers.messages import FIELD_SEPARATOR, TIMESTAMP_COLUMN, TopicSlice
from sessions_lib.readers.ulog.formats import layout_of, record_dtype
from sessions_lib.readers.ulog.messages import PAYLOAD_OFFSET, match_messages, open_log, scan_messages
from sessions_lib.readers.units import NS_PER_US

# Messages decoded per record batch.
BATCH_MESSAGES = 65536


def messages(slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    """The messages of ``slice_.topic`` in its window, in time order (see the module's layout)."""
    path, topic = Path(slice_.path), slice_.topic
    with open_log(path) as buf:
        try:
            yield from _decoded(path, buf, slice_)
        except ReaderError:
            raise
        except (struct.error, ValueError, IndexError, KeyError, OverflowError, RecursionError) as error:
            raise ReaderError(
                f"{path}: topic {topic!r}: its ULog data messages cannot be decoded "
                f"({type(error).__name__}: {error})"
            ) from None


def _decoded(path: Path, buf: bytes | mmap.mmap, slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    scan = scan_messages(path, buf)
    subs = scan.subscriptions
    mine = [i for i, sub in enumerate(subs) if sub.topic == slice_.topic]
    if not mine:
        raise ReaderError(f"{path}: no topic {slice_.topic!r} in the ULog file")
    name = subs[mine[0]].name
    dtype = record_dtype(name, scan.formats)
    if dtype is None:
        raise ReaderError(
            f"{path}: topic {slice_.topic!r}: no usable ulog format definition of {name!r}; its data "
            "messages cannot be decoded"
        )
    data = np.frombuffer(buf, np.uint8)
    layouts = [layout_of(sub.name, scan.formats, scan.layouts) for sub in subs]
    found = match_messages(data, scan, layouts, [])
    selected = np.isin(found.subscription, mine)
    times_ns = found.timestamps_us[selected].astype(np.int64) * NS_PER_US
    positions = found.positions[selected]
    inside = np.ones(times_ns.size, bool)
    if slice_.start_ns is not None:
        inside &= times_ns >= slice_.start_ns
    if slice_.end_ns is not None:
        inside &= times_ns <= slice_.end_ns
    order = np.argsort(times_ns[inside], kind="stable")  # file order is time order, nearly always
    times_ns, positions = times_ns[inside][order], positions[inside][order]
    # A message may omit its format's trailing padding: bytes past the file's end are padding only.
    payload = np.arange(dtype.itemsize)
    for lo in range(0, times_ns.size, BATCH_MESSAGES):
        starts = positions[lo : lo + BATCH_MESSAGES] + PAYLOAD_OFFSET
        block = data[np.minimum(starts[:, None] + payload, data.size - 1)]
        records = block.view(dtype).reshape(-1)
        columns = dict(_columns(records, dtype, slice_, ""))
        yield pa.RecordBatch.from_arrays(
            [pa.array(times_ns[lo : lo + BATCH_MESSAGES]), *columns.values()],
            names=[TIMESTAMP_COLUMN, *columns],
        )


def _columns(
    records: np.ndarray, dtype: np.dtype, slice_: TopicSlice, prefix: str
) -> Iterator[tuple[str, pa.Array]]:
    """The wanted fields of ``records`` as flattened ``(a.b, array)`` columns."""
    for name in dtype.names or ():
        full = f"{prefix}{name}"
        if not slice_.wants(full):
            continue
        field_type = dtype.fields[name][0]  # type: ignore[index]
        if field_type.names:
            yield from _columns(records[name], field_type, slice_, full + FIELD_SEPARATOR)
        else:
            yield full, _arrow(records[name], field_type)


def _arrow(values: np.ndarray, dtype: np.dtype) -> pa.Array:
    """One field's values as an Arrow array: a list per subarray, a struct per nested record."""
    if dtype.subdtype is not None:
        element, (size,) = dtype.subdtype
        flat = values.reshape(values.shape[0] * size)
        offsets = np.arange(0, flat.size + 1, size, dtype=np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), _arrow(flat, element))
    if dtype.names:
        children = [_arrow(values[name], dtype.fields[name][0]) for name in dtype.names]  # type: ignore[index]
        return pa.StructArray.from_arrays(children, names=list(dtype.names))
    if dtype.kind == "S":
        return pa.array([text.split(b"\0", 1)[0].decode("utf-8", "replace") for text in values], pa.string())
    return pa.array(np.ascontiguousarray(values))
