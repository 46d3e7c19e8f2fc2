"""Reading a recording's messages as they are stored, undecoded: what an MCAP export copies.

Where ``messages`` (messages.py) decodes a topic's data, a format's raw reader hands over each
message's bytes with the channel it was recorded on, described as MCAP describes one: topic,
message encoding, and the schema (name, encoding, definition bytes). An MCAP file gives its own
records; a ROS 1 bag its connection's definition (``ros1msg``, messages ``ros1``); a ROS 2 ``.db3``
its stored definition (``ros2msg``, messages ``cdr``). Times are the file's own clock.

A format's reader has two functions over a closed window ``[start_ns, end_ns]`` of that clock:
``messages`` (the topics' messages in the window, in log-time order, reading only what the window
needs) and ``last_before`` (per channel, the last message before ``start_ns``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class RawChannel:
    """A channel as MCAP records it: its topic, message encoding, schema and channel metadata."""

    topic: str
    message_encoding: str
    schema_name: str  # "" with schema_encoding "" and schema_data b"": no schema
    schema_encoding: str
    schema_data: bytes
    metadata: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str, bytes]:
        """What makes two channels one: the same topic, schema and message encoding (metadata aside)."""
        return (self.topic, self.message_encoding, self.schema_name, self.schema_encoding, self.schema_data)


class RawMessage(NamedTuple):
    """One stored message: its times (file clock), sequence number, channel and bytes."""

    log_time: int
    publish_time: int
    sequence: int
    channel: RawChannel
    data: bytes


MessagesFunction = Callable[[Path, Collection[str], int | None, int | None], Iterator[RawMessage]]
LastBeforeFunction = Callable[[Path, Collection[str], int], list[RawMessage]]


@dataclass(frozen=True, slots=True)
class RawReader:
    """A format's raw reading: ``messages(path, topics, start_ns, end_ns)`` in log-time order, and
    ``last_before(path, topics, start_ns)``, the last message of each channel before ``start_ns``."""

    format: str
    messages: MessagesFunction
    last_before: LastBeforeFunction


def raw_reader(file_format: str) -> RawReader | None:
    """The raw reader of a format (as ``files.format`` names it), or None for a format without one."""
    if file_format == "mcap":
        from sessions_lib.readers.mcap import raw as mcap_raw

        return mcap_raw.RAW_READER
    if file_format == "rosbag1":
        from sessions_lib.readers import rosbag1_raw

        return rosbag1_raw.RAW_READER
    if file_format == "rosbag2":
        from sessions_lib.readers import rosbag2_raw

        return rosbag2_raw.RAW_READER
    return None
