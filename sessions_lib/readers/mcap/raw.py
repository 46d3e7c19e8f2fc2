"""MCAP messages as stored (raw.py in ``readers``): the file's own Schema, Channel and Message records.

Read with ``mcap``'s seeking reader: with a summary, only the chunks whose time range and channels
overlap the window are read (chunk indexes); without one, the file is read through in record order
(``mcap`` then sorts the window's messages by log time). Nothing is decoded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from mcap.exceptions import McapError
from mcap.reader import SeekingReader, make_reader
from mcap.records import Channel, Message, Schema

from sessions_lib.errors import ReaderError
from sessions_lib.readers.raw import RawChannel, RawMessage, RawReader


class _Channels:
    """Each source channel as a :class:`RawChannel`, built once per channel id."""

    def __init__(self) -> None:
        self._by_id: dict[int, RawChannel] = {}

    def message(self, schema: Schema | None, channel: Channel, message: Message) -> RawMessage:
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
        return RawMessage(message.log_time, message.publish_time, message.sequence, raw, message.data)


@contextmanager
def _reader(path: Path) -> Iterator[SeekingReader]:
    """The file open with ``mcap``'s reader; its errors become ``ReaderError`` naming the file."""
    try:
        with path.open("rb") as stream:
            reader = make_reader(stream)
            assert isinstance(reader, SeekingReader)  # a file is seekable
            yield reader
    except (McapError, OSError, ValueError, EOFError) as error:
        raise ReaderError(f"{path}: cannot read MCAP messages: {type(error).__name__}: {error}") from None


def messages(
    path: Path, topics: Collection[str], start_ns: int | None, end_ns: int | None
) -> Iterator[RawMessage]:
    """The topics' messages with ``start_ns <= log_time <= end_ns``, in log-time order."""
    channels = _Channels()
    with _reader(path) as reader:
        for schema, channel, message in reader.iter_messages(
            topics=list(topics), starting_at=start_ns, ending_at=end_ns, log_time_order=True
        ):
            yield channels.message(schema, channel, message)


def last_before(path: Path, topics: Collection[str], start_ns: int) -> list[RawMessage]:
    """Per channel of the topics, its last message with ``log_time < start_ns``.

    With chunk indexes, messages are read backwards from ``start_ns`` until every channel that a
    chunk starting before ``start_ns`` lists has been found; without, the file is read up to it.
    """
    channels = _Channels()
    found: dict[int, RawMessage] = {}
    with _reader(path) as reader:
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
