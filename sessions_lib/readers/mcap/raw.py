"""MCAP messages as stored (raw.py in ``readers``): the file's own Schema, Channel and Message records.

With a summary, only the chunks whose time range and channels overlap the window are read (chunk
indexes). When those chunks follow one another in time (as a recorder writes them), each is
parsed with ``struct`` and its messages sorted by log time, chunk after chunk; chunks overlapping
in time, or a file without a summary, are read with ``mcap``'s reader in log-time order (which
queues messages across chunks; without a summary it reads the file through). Nothing is decoded.
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from itertools import pairwise
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from mcap.opcode import Opcode
from mcap.reader import SeekingReader, make_reader
from mcap.records import Channel, Chunk, ChunkIndex, Message, Schema

from sessions_lib.errors import ReaderError
from sessions_lib.readers.mcap.records import (
    CORRUPTION,
    MESSAGE_HEAD,
    MESSAGE_MIN_BODY,
    RECORD_HEADER,
    chunk_data,
    parse_record,
    walk_records,
)
from sessions_lib.readers.raw import RawChannel, RawMessage, RawReader


class _Channels:
    """Each source channel as a :class:`RawChannel`, built once per channel id."""

    def __init__(self) -> None:
        self._by_id: dict[int, RawChannel] = {}

    def of(self, schema: Schema | None, channel: Channel) -> RawChannel:
        raw = self._by_id.get(channel.id)
        if raw is None:
            raw = self._by_id[channel.id] = RawChannel(
                channel.topic,
                channel.message_encoding,
                schema.name if schema else "",
                schema.encoding if schema else "",
                bytes(schema.data) if schema else b"",
                tuple(sorted(channel.metadata.items())),
            )
        return raw

    def message(self, schema: Schema | None, channel: Channel, message: Message) -> RawMessage:
        raw = self.of(schema, channel)
        return RawMessage(message.log_time, message.publish_time, message.sequence, raw, message.data)


_PUBLISH_TIME = struct.Struct("<Q")
_NO_END = 2**64


@contextmanager
def _reader(path: Path) -> Iterator[tuple[BinaryIO, SeekingReader]]:
    """The file open, with ``mcap``'s reader on it; errors become ``ReaderError`` naming the file."""
    try:
        with path.open("rb") as stream:
            reader = make_reader(stream)
            assert isinstance(reader, SeekingReader)  # a file is seekable
            yield stream, reader
    except (*CORRUPTION, OSError) as error:
        raise ReaderError(f"{path}: cannot read MCAP messages: {type(error).__name__}: {error}") from None


def messages(
    path: Path, topics: Collection[str], start_ns: int | None, end_ns: int | None
) -> Iterator[RawMessage]:
    """The topics' messages with ``start_ns <= log_time <= end_ns``, in log-time order."""
    channels = _Channels()
    lo, hi = start_ns or 0, _NO_END if end_ns is None else end_ns
    with _reader(path) as (stream, reader):
        summary = reader.get_summary()
        if summary is not None and summary.chunk_indexes:
            wanted = {
                channel_id: channels.of(summary.schemas.get(channel.schema_id), channel)
                for channel_id, channel in summary.channels.items()
                if channel.topic in topics
            }
            chunks = sorted(
                (
                    index
                    for index in summary.chunk_indexes
                    if index.message_start_time <= hi
                    and index.message_end_time >= lo
                    and (
                        not index.message_index_offsets or wanted.keys() & index.message_index_offsets.keys()
                    )
                ),
                key=lambda index: (index.message_start_time, index.chunk_start_offset),
            )
            if all(a.message_end_time <= b.message_start_time for a, b in pairwise(chunks)):
                for index in chunks:
                    yield from _chunk_messages(stream, index, wanted, lo, hi)
                return
        for schema, channel, message in reader.iter_messages(
            topics=list(topics), starting_at=start_ns, ending_at=end_ns, log_time_order=True
        ):
            yield channels.message(schema, channel, message)


def _chunk_messages(
    stream: BinaryIO, index: ChunkIndex, wanted: dict[int, RawChannel], lo: int, hi: int
) -> list[RawMessage]:
    """The wanted channels' messages of one chunk inside ``[lo, hi]``, sorted by log time."""
    stream.seek(index.chunk_start_offset)
    record = stream.read(index.chunk_length)
    opcode, _ = RECORD_HEADER.unpack_from(record)
    if opcode != Opcode.CHUNK or len(record) != index.chunk_length:
        raise ValueError(f"the chunk index points at byte {index.chunk_start_offset}, where no chunk lies")
    data = chunk_data(parse_record(Chunk, memoryview(record)[RECORD_HEADER.size :]))
    found = []
    for opcode, body, end in walk_records(data):
        if opcode != Opcode.MESSAGE:
            continue
        if end - body < MESSAGE_MIN_BODY:
            raise ValueError(
                f"a Message record of {end - body} bytes in the chunk at byte {index.chunk_start_offset}"
            )
        channel_id, sequence, log_time = MESSAGE_HEAD.unpack_from(data, body)
        channel = wanted.get(channel_id)
        if channel is not None and lo <= log_time <= hi:
            (publish_time,) = _PUBLISH_TIME.unpack_from(data, body + MESSAGE_HEAD.size)
            found.append(
                RawMessage(log_time, publish_time, sequence, channel, data[body + MESSAGE_MIN_BODY : end])
            )
    found.sort(key=itemgetter(0))
    return found


def last_before(path: Path, topics: Collection[str], start_ns: int) -> list[RawMessage]:
    """Per channel of the topics, its last message with ``log_time < start_ns``.

    With chunk indexes, messages are read backwards from ``start_ns`` until every channel that a
    chunk starting before ``start_ns`` lists has been found; without, the file is read up to it.
    """
    channels = _Channels()
    found: dict[int, RawMessage] = {}
    with _reader(path) as (_, reader):
        summary = reader.get_summary()
        if summary is None or not summary.chunk_indexes:
            for schema, channel, message in reader.iter_messages(
                topics=list(topics), ending_before=start_ns, log_time_order=True
            ):
                found[channel.id] = channels.message(schema, channel, message)
            return list(found.values())
        before = [index for index in summary.chunk_indexes if index.message_start_time < start_ns]
        # A chunk without message indexes does not say which channels it holds: read back to the start.
        wanted = (
            {
                channel_id
                for index in before
                for channel_id in index.message_index_offsets
                if channel_id in summary.channels and summary.channels[channel_id].topic in topics
            }
            if all(index.message_index_offsets for index in before)
            else None
        )
        for schema, channel, message in reader.iter_messages(
            topics=list(topics), ending_before=start_ns, log_time_order=True, reverse=True
        ):
            if channel.id not in found:
                found[channel.id] = channels.message(schema, channel, message)
                if wanted is not None and wanted <= found.keys():
                    break
    return list(found.values())


RAW_READER = RawReader("mcap", messages, last_before)
