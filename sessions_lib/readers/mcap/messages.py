"""The messages of one MCAP topic in a window, decoded by the MCAP project's own libraries.

The window is found by index: ``mcap``'s seeking reader reads the summary, then only the chunks
whose chunk index overlaps the window and holds one of the topic's channels (a file without a
summary is read through, as ``mcap`` does). Payloads are decoded per the channel's encoding:
ROS 2 CDR (``mcap-ros2-support``), ROS 1 (``mcap-ros1-support``), protobuf
(``mcap-protobuf-support``) and JSON (``json.loads``).

Decoded messages become columns directly: for ROS and protobuf messages, whose fields are fixed
by their schema, the first message of a channel gives the leaf paths (``header.stamp.sec``) of the
fields asked for, and one ``operator.attrgetter`` reads them all from each message; fields not
asked for are never read. Arrays stay list columns (``uint8[]``: binary), arrays of messages lists
of plain mappings. JSON messages, whose keys may vary, are flattened one by one.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from sessions_lib.errors import ReaderError
from sessions_lib.readers.messages import FIELD_SEPARATOR, TIMESTAMP_COLUMN, TopicSlice, flatten

if TYPE_CHECKING:
    import pyarrow as pa
    from mcap.decoder import DecoderFactory
    from mcap.records import Channel, Schema

BATCH_MESSAGES = 1024  # rows of one record batch at most (fewer decoded objects alive: less GC work)
BATCH_BYTES = 64 * 2**20  # payload bytes of one record batch at most (a camera topic's frames)

Decode = Callable[[bytes], Any]
SCALARS = (bool, int, float, str, bytes, type(None))


class JsonDecoderFactory:
    """JSON payloads (``message_encoding = "json"``), whatever their schema says."""

    def decoder_for(self, message_encoding: str, schema: Schema | None) -> Decode | None:
        return json.loads if message_encoding == "json" else None


def decoder_factories() -> list[DecoderFactory | JsonDecoderFactory]:
    """The decoders of every encoding read, new for each file: the support libraries cache their
    decoders by schema id, which is unique only within one file. (Imported here, on first use:
    the ROS and protobuf libraries take a tenth of a second to import.)"""
    from mcap_protobuf.decoder import DecoderFactory as ProtobufDecoderFactory
    from mcap_ros1.decoder import DecoderFactory as Ros1DecoderFactory
    from mcap_ros2.decoder import DecoderFactory as Ros2DecoderFactory

    return [Ros2DecoderFactory(), Ros1DecoderFactory(), ProtobufDecoderFactory(), JsonDecoderFactory()]


def messages(slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    """The topic's messages in the slice's window (log time, closed), decoded, in log-time order,
    as record batches of the layout of ``readers/messages.py``."""
    from mcap.exceptions import McapError
    from mcap.reader import make_reader

    if slice_.start_ns is not None and slice_.end_ns is not None and slice_.start_ns > slice_.end_ns:
        return  # an empty window
    try:
        with slice_.path.open("rb") as file:
            reader = make_reader(file)
            batcher = _Batcher(slice_)
            for schema, channel, message in reader.iter_messages(
                topics=[slice_.topic], starting_at=slice_.start_ns, ending_at=slice_.end_ns
            ):
                yield from batcher.add(schema, channel, message.log_time, message.data)
            last = batcher.flush()
            if last is not None:
                yield last
    except OSError as error:
        raise ReaderError(f"{slice_.path}: cannot be read: {error}") from None
    except (McapError, ValueError, EOFError) as error:  # the file itself is damaged
        raise ReaderError(f"{slice_.path}: unreadable MCAP ({type(error).__name__}: {error})") from None


class _Batcher:
    """Collects one topic's decoded messages and turns them into record batches, a channel's run of
    messages at a time (a topic written on several channels may change schema between them)."""

    def __init__(self, slice_: TopicSlice) -> None:
        self.slice = slice_
        self.factories = decoder_factories()
        self.decoders: dict[int, Decode] = {}
        self.converters: dict[int, _Converter] = {}
        self.channel_id: int | None = None
        self.times: list[int] = []
        self.decoded: list[Any] = []
        self.size = 0

    def add(
        self, schema: Schema | None, channel: Channel, log_time: int, data: bytes
    ) -> list[pa.RecordBatch]:
        """Take one message; return the batches it completes (the previous channel's, a full one)."""
        ready = []
        if channel.id != self.channel_id and (previous := self.flush()) is not None:
            ready.append(previous)
        self.channel_id = channel.id
        decode = self.decoders.get(channel.id) or self._decoder(schema, channel)
        try:
            self.decoded.append(decode(data))
        except Exception as error:  # the support libraries raise what their parsers raise
            raise ReaderError(
                f"{self.slice.path}: topic {self.slice.topic!r}: a message at log time {log_time} "
                f"cannot be decoded as {_encoding(schema, channel)} ({type(error).__name__}: {error})"
            ) from None
        self.times.append(log_time)
        self.size += len(data)
        if (len(self.times) >= BATCH_MESSAGES or self.size >= BATCH_BYTES) and (
            full := self.flush()
        ) is not None:
            ready.append(full)
        return ready

    def flush(self) -> pa.RecordBatch | None:
        if not self.times or self.channel_id is None:
            return None
        converter = self.converters.get(self.channel_id)
        if converter is None:
            converter = self.converters[self.channel_id] = _converter_for(self.decoded[0], self.slice)
        batch = _batch(self.times, converter(self.decoded), self.slice)
        self.times, self.decoded, self.size = [], [], 0
        return batch

    def _decoder(self, schema: Schema | None, channel: Channel) -> Decode:
        for factory in self.factories:
            try:
                decoder = factory.decoder_for(channel.message_encoding, schema)
            except Exception as error:  # a schema its library cannot parse
                raise ReaderError(
                    f"{self.slice.path}: topic {self.slice.topic!r}: the schema of "
                    f"{_encoding(schema, channel)} cannot be parsed ({type(error).__name__}: {error})"
                ) from None
            if decoder is not None:
                self.decoders[channel.id] = decoder
                return decoder
        raise ReaderError(
            f"{self.slice.path}: topic {self.slice.topic!r}: no decoder for {_encoding(schema, channel)} "
            "(decoded: ROS 2 cdr, ROS 1 ros1, protobuf, json)"
        )


def _encoding(schema: Schema | None, channel: Channel) -> str:
    if schema is None:
        return f"message encoding {channel.message_encoding!r} (no schema)"
    return (
        f"message encoding {channel.message_encoding!r} with schema {schema.name!r} "
        f"({schema.encoding or 'no schema encoding'})"
    )


# -- decoded messages to columns -------------------------------------------------------------------

_Converter = Callable[[list[Any]], dict[str, list[Any]]]


def _converter_for(first: Any, slice_: TopicSlice) -> _Converter:
    """How a channel's decoded messages become columns, from the first of them: the leaf paths of a
    message with fixed fields, or flattening one by one for mappings (JSON)."""
    if isinstance(first, Mapping):
        return partial(_flattened_columns, slice_=slice_)
    if field_names(first) is None:
        raise ReaderError(
            f"{slice_.path}: topic {slice_.topic!r}: decoded to {type(first).__name__}, "
            "which is neither a message with fields nor a mapping"
        )
    leaves = list(_leaves(first, (), slice_))
    if not leaves:
        return lambda decoded: {}
    names = [FIELD_SEPARATOR.join(path) for path, _ in leaves]
    getter = operator.attrgetter(*(".".join(path) for path, _ in leaves))
    converters = [
        (i, convert) for i, (_, first_value) in enumerate(leaves) if (convert := _as_built(first_value))
    ]

    def columns(decoded: list[Any]) -> dict[str, list[Any]]:
        if len(names) == 1:
            values: list[Any] = [list(map(getter, decoded))]
        else:
            values = [list(column) for column in zip(*map(getter, decoded), strict=True)]
        for i, convert in converters:
            values[i] = list(map(convert, values[i]))
        return dict(zip(names, values, strict=True))

    return columns


def _leaves(message: Any, path: tuple[str, ...], slice_: TopicSlice) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The wanted leaf fields below a ROS or protobuf message: (attribute path, its value here).
    Nested messages are walked into; a field not wanted (nor above a wanted one) is never read."""
    for name in field_names(message) or ():
        here = (*path, name)
        if not slice_.wants(FIELD_SEPARATOR.join(here)):
            continue
        value = getattr(message, name)
        if field_names(value) is not None:
            yield from _leaves(value, here, slice_)
        elif _selected(FIELD_SEPARATOR.join(here), slice_):
            yield here, value


def _as_built(first: Any) -> Callable[[Any], Any] | None:
    """How a leaf column's values become what Arrow takes, judged by its first value (ROS and
    protobuf fields keep their type): None when they already are (scalars, bytes, lists of
    scalars), else ``plain``."""
    if isinstance(first, SCALARS):
        return None
    if type(first) is list and first and isinstance(first[0], SCALARS):
        return None
    return plain


def _selected(leaf: str, slice_: TopicSlice) -> bool:
    """Whether a leaf field is asked for: all are when ``fields`` is None, else a named one or one
    below a named one (a leaf on the way to a named field that is not there is not)."""
    if slice_.fields is None:
        return True
    return any(leaf == wanted or leaf.startswith(wanted + FIELD_SEPARATOR) for wanted in slice_.fields)


def field_names(value: Any) -> tuple[str, ...] | None:
    """The fields of a decoded ROS message (its ``__slots__``) or protobuf message (its
    descriptor's fields), ``()`` for a message without fields; None for anything else."""
    kind = type(value)
    descriptor = getattr(kind, "DESCRIPTOR", None)
    if descriptor is not None and hasattr(descriptor, "fields"):
        return tuple(field.name for field in descriptor.fields)
    slots = getattr(kind, "__slots__", None)
    if slots is None or isinstance(value, SCALARS):
        return None
    slots = (slots,) if isinstance(slots, str) else slots
    return tuple(name for name in slots if not name.startswith("_"))


def plain(value: Any) -> Any:
    """A decoded value as plain Python: messages as dicts, arrays as lists (bytes kept)."""
    if isinstance(value, SCALARS):
        return value
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    names = field_names(value)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {key: plain(v) for key, v in value.items()}
    if hasattr(value, "tolist"):  # numpy arrays, array.array
        return value.tolist()
    items = list(value)
    if items and not isinstance(items[0], SCALARS):
        return [plain(item) for item in items]
    return items


def _flattened_columns(decoded: list[Any], slice_: TopicSlice) -> dict[str, list[Any]]:
    """Mappings flattened to ``a.b`` columns, one message at a time; a key a message lacks is null."""
    columns: dict[str, list[Any]] = {}
    left_out: set[str] = set()
    count = len(decoded)
    for row, message in enumerate(decoded):
        for name, value in flatten(message):
            column = columns.get(name)
            if column is None:
                if name in left_out or not _selected(name, slice_):
                    left_out.add(name)
                    continue
                column = columns[name] = [None] * count
            column[row] = value
    return columns


def _batch(times: list[int], columns: dict[str, list[Any]], slice_: TopicSlice) -> pa.RecordBatch:
    import pyarrow as pa

    arrays = [pa.array(times, pa.int64())]
    for name, values in columns.items():
        try:
            try:
                arrays.append(pa.array(values))
            except OverflowError:  # uint64 values past int64, which pyarrow infers
                arrays.append(pa.array(values, _unsigned_type(values)))
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as error:
            raise ReaderError(
                f"{slice_.path}: topic {slice_.topic!r}: field {name!r} holds values of "
                f"different types ({error}); one column needs one type"
            ) from None
    return pa.RecordBatch.from_arrays(arrays, names=[TIMESTAMP_COLUMN, *columns])


def _unsigned_type(values: list[Any]) -> pa.DataType:
    """uint64 for a column of integers (or of lists of them) too large for int64."""
    import pyarrow as pa

    first = next((v for v in values if v is not None and v != []), None)
    return pa.list_(pa.uint64()) if isinstance(first, list) else pa.uint64()
