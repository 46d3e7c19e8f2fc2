"""ROS 1 bag messages as stored (see ``raw.py``): each connection as an MCAP ``ros1`` channel.

The bag's index (read by ``rosbags``) locates the window's messages, so only the chunks holding
them are decompressed; payloads are handed over undecoded. A connection becomes the channel MCAP's
``ros1`` profile describes: schema named in the bag's own spelling (``turtlesim/Pose``), encoding
``ros1msg``, its data the connection's full message definition; messages encoded ``ros1``; the
caller id and latching in the channel's metadata. A bag has no publish time: it is the log time.
Unindexed bags are refused (``rosbag reindex`` writes the index).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from rosbags.interfaces import Connection, ConnectionExtRosbag1
from rosbags.rosbag1 import Reader as BagReader

from sessions_lib.errors import ReaderError
from sessions_lib.readers.raw import RawChannel, RawMessage, RawReader
from sessions_lib.readers.rosbag1 import _INDEX_FAILURES, SCHEMA_ENCODING, _ros1_type

MESSAGE_ENCODING = "ros1"


def channel_of(connection: Connection) -> RawChannel:
    """A bag connection as an MCAP ``ros1`` channel."""
    metadata: dict[str, str] = {}
    if isinstance(connection.ext, ConnectionExtRosbag1):
        if connection.ext.callerid is not None:
            metadata["callerid"] = connection.ext.callerid
        if connection.ext.latching is not None:
            metadata["latching"] = "true" if connection.ext.latching else "false"
    return RawChannel(
        connection.topic,
        MESSAGE_ENCODING,
        _ros1_type(connection.msgtype),
        SCHEMA_ENCODING,
        connection.msgdef.data.encode(),
        tuple(sorted(metadata.items())),
    )


@contextmanager
def _bag(path: Path) -> Iterator[BagReader]:
    """The bag open with its index; a bag that cannot be read this way is a ``ReaderError``."""
    try:
        with BagReader(path) as bag:
            yield bag
    except _INDEX_FAILURES as error:
        raise ReaderError(
            f"{path}: cannot read ROS 1 messages by the bag's index: {type(error).__name__}: {error}"
        ) from None


def messages(
    path: Path, topics: Collection[str], start_ns: int | None, end_ns: int | None
) -> Iterator[RawMessage]:
    """The topics' messages with ``start_ns <= log_time <= end_ns``, in log-time order."""
    with _bag(path) as bag:
        chosen = [c for c in bag.connections if c.topic in topics]
        if not chosen:
            return
        channels = {c.id: channel_of(c) for c in chosen}
        stop = None if end_ns is None else end_ns + 1
        for connection, time, data in bag.messages(chosen, start=start_ns, stop=stop):
            yield RawMessage(time, time, 0, channels[connection.id], data)


def last_before(path: Path, topics: Collection[str], start_ns: int) -> list[RawMessage]:
    """Per connection of the topics, its last message with ``log_time < start_ns`` (found by the
    index: only the chunk holding it is read)."""
    found: list[RawMessage] = []
    with _bag(path) as bag:
        for connection in bag.connections:
            if connection.topic not in topics:
                continue
            index = bag.indexes[connection.id]
            position = bisect_left(index, start_ns, key=lambda entry: entry.time)
            if position == 0:
                continue
            time = index[position - 1].time
            *_, (_, _, data) = bag.messages([connection], start=time, stop=time + 1)
            found.append(RawMessage(time, time, 0, channel_of(connection), data))
    return found


RAW_READER = RawReader("rosbag1", messages, last_before)
