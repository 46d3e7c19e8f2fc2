"""A session's messages as one MCAP file: ``Session.export_mcap`` and ``sessions export``.

Every chosen topic's messages inside each contribution's window, copied undecoded from the
session's files (``readers/raw.py``: MCAP records, ROS 1 bag and ROS 2 ``.db3`` messages) and
merged across files in log-time order. Times are wall clock: a file's time plus its epoch offset
(``log_time`` and ``publish_time`` alike). Channels are one per topic, schema and message encoding
across files (the first file's channel metadata is kept); schemas likewise. The output is chunked
and zstd-compressed with ``mcap``'s writer, with message and chunk indexes, statistics and a
summary; metadata records name the session (``session``), its devices (``device``) and the files
it was read from (``source_file``).

With ``with_latched``, each contribution also gives, per channel, its last message before the
contribution's window start, written at the window start (its ``publish_time`` stays its own):
what a player needs to show the state (a map, a transform, a parameter) at the cut.

Only the chunks (or rows) overlapping a window are read. ULog, Parquet/CSV and LeRobot topics are
refused: their data is not stored as messages with a schema.
"""

from __future__ import annotations

import heapq
import json
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.records import DeviceRecord
from sessions_lib.readers.messages import path_of
from sessions_lib.readers.raw import RawChannel, RawMessage, RawReader, raw_reader
from sessions_lib.store import devices as device_store
from sessions_lib.store import sessions as store

if TYPE_CHECKING:
    from mcap.writer import Writer

    from sessions_lib.api.session import Session
    from sessions_lib.catalog import Tx
    from sessions_lib.client import Client

LIBRARY = "sessions export"
# Profiles of the formats whose messages are ROS messages (MCAP's well-known profiles).
_PROFILES = {"rosbag1": "ros1", "rosbag2": "ros2"}
_PROGRESS_EVERY = 10_000  # messages between two progress calls
_PAGE = 10_000  # topics or devices read per statement


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote: the file, its messages (latched ones among them), channels, schemas,
    and the topics and files they came from."""

    path: Path
    message_count: int
    latched_count: int
    channel_count: int
    schema_count: int
    topics: tuple[str, ...]
    file_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Part:
    """The topics of one file that share one clock offset, in the file's contribution window."""

    file_id: str
    relative_path: str
    uri: str | None
    path: Path
    format: str
    reader: RawReader
    topics: tuple[str, ...]
    offset_ns: int  # wall = file time + offset
    window_min_ns: int  # wall clock, closed
    window_max_ns: int

    def messages(self, with_latched: bool) -> Iterator[tuple[int, int, RawMessage, bool]]:
        """``(wall log time, wall publish time, message, latched)`` in log-time order: the latched
        messages first (at the window start), then the window's."""
        offset = self.offset_ns
        start, end = self.window_min_ns - offset, self.window_max_ns - offset
        if with_latched:
            for message in self.latched(start):
                yield self.window_min_ns, message.publish_time + offset, message, True
        for message in self.reader.messages(self.path, self.topics, start, end):
            yield message.log_time + offset, message.publish_time + offset, message, False

    def latched(self, start: int) -> list[RawMessage]:
        """The last message before ``start`` (file clock) of each channel, as the export merges
        channels; by topic and schema."""
        last: dict[tuple[str, str, str, str, bytes], RawMessage] = {}
        for message in self.reader.last_before(self.path, self.topics, start):
            key = message.channel.key
            if key not in last or message.log_time >= last[key].log_time:
                last[key] = message
        return [last[key] for key in sorted(last)]


def export_mcap(
    session: Session,
    client: Client,
    path: str | os.PathLike[str],
    topics: Sequence[str] | None = None,
    with_latched: bool = False,
    progress: Callable[[float], None] | None = None,
) -> ExportReport:
    """Write the session's messages of ``topics`` (None: all of its topics) to the MCAP file at
    ``path``, replacing it when it exists; ``progress`` is called with the fraction of the session's
    time written so far. Returns what was written (see the module docstring)."""
    out = Path(path)
    org_id, session_id = session.org_id, session.session_id
    wanted = None if topics is None else _topic_names(topics)

    def read(tx: Tx) -> tuple[dict[str, list[store.TopicSliceRow]], list[DeviceRecord]]:
        names = wanted if wanted is not None else _session_topic_names(tx, org_id, session_id)
        slices: dict[str, list[store.TopicSliceRow]] = {name: [] for name in names}
        for row in store.topics_slices(tx, org_id, session_id, names):
            slices[row.topic_name].append(row)
        return slices, device_store.load_devices(tx, org_id, _session_device_ids(tx, org_id, session_id))

    slices, devices = client.catalog.read(read)
    parts = _parts(session, slices, topics is not None)
    _refuse_overwriting_a_source(out, parts)

    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("wb") as stream:
            report = _write(stream, out, session, parts, devices, with_latched, progress)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return report


def _topic_names(topics: Sequence[str]) -> list[str]:
    """The topics asked for, each once."""
    if isinstance(topics, str) or not all(isinstance(t, str) and t for t in topics):
        raise InvalidRequestError(f"topics must be a list of topic names, got {topics!r}")
    return list(dict.fromkeys(topics))


def _session_topic_names(tx: Tx, org_id: str, session_id: str) -> list[str]:
    """The names of the session's topics (``list_topics``), each once, in one transaction."""
    names: list[str] = []
    after: tuple[str, str] = ("", "")
    while page := store.topics_page(tx, org_id, session_id, after, _PAGE):
        names += [topic.name for topic in page]
        after = (page[-1].name, page[-1].topic_id)
        if len(page) < _PAGE:
            break
    return list(dict.fromkeys(names))


def _session_device_ids(tx: Tx, org_id: str, session_id: str) -> list[str]:
    """The ids of the session's devices, in one transaction."""
    ids: list[str] = []
    while page := store.devices_page(tx, org_id, session_id, ids[-1] if ids else "", _PAGE):
        ids += page
        if len(page) < _PAGE:
            break
    return ids


def _parts(session: Session, slices: dict[str, list[store.TopicSliceRow]], named: bool) -> list[_Part]:
    """The parts to read, by window start then file; refuses topics it cannot export, and (when the
    caller named them) topics without data in the session."""
    grouped: dict[tuple[str, int], tuple[store.TopicSliceRow, list[str]]] = {}
    for name, rows in slices.items():
        if not rows and named:
            raise InvalidRequestError(
                f"topic {name!r} has no data inside the contribution windows of session "
                f"{session.session_id!r}: nothing to export"
            )
        for row in rows:
            if row.format is None or raw_reader(row.format) is None:
                raise InvalidRequestError(
                    f"export of {row.format or 'unknown-format'} topics is not supported: topic {name!r} "
                    f"of file {row.file_id!r} ({row.relative_path}); MCAP export copies messages from "
                    "MCAP, ROS 1 bag and ROS 2 .db3 files (pass topics=[...] to leave it out)"
                )
            key = (row.file_id, row.unix_epoch_offset_ns or 0)
            entry = grouped.setdefault(key, (row, []))
            if name not in entry[1]:
                entry[1].append(name)
    parts = [
        _Part(
            row.file_id,
            row.relative_path,
            row.uri,
            path_of(row.uri, row.root_path, row.relative_path),
            str(row.format),
            reader,
            tuple(names),
            offset,
            row.window_min_ns,
            row.window_max_ns,
        )
        for (_, offset), (row, names) in grouped.items()
        if (reader := raw_reader(str(row.format))) is not None
    ]
    return sorted(parts, key=lambda p: (p.window_min_ns, p.file_id, p.offset_ns))


def _refuse_overwriting_a_source(out: Path, parts: Collection[_Part]) -> None:
    target = out.resolve()
    for part in parts:
        if part.path.resolve() == target:
            raise InvalidRequestError(
                f"the export would replace {part.relative_path} (file {part.file_id!r}), one of the "
                "files it reads: choose another output path"
            )


class _Channels:
    """Output schemas and channels, one per distinct schema and channel key, registered on first use."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        self._schemas: dict[tuple[str, str, bytes], int] = {}
        self._channels: dict[tuple[str, str, str, str, bytes], int] = {}
        self._by_object: dict[int, tuple[RawChannel, int]] = {}  # id(source channel) -> (it, output id)

    @property
    def counts(self) -> tuple[int, int]:
        return len(self._channels), len(self._schemas)

    def id_of(self, channel: RawChannel) -> int:
        known = self._by_object.get(id(channel))
        if known is not None:
            return known[1]
        channel_id = self._channels.get(channel.key)
        if channel_id is None:
            schema_id = 0
            if channel.schema_name or channel.schema_encoding or channel.schema_data:
                schema_key = (channel.schema_name, channel.schema_encoding, channel.schema_data)
                schema_id = self._schemas.get(schema_key, 0)
                if not schema_id:
                    schema_id = self._schemas[schema_key] = self._writer.register_schema(*schema_key)
            channel_id = self._channels[channel.key] = self._writer.register_channel(
                channel.topic, channel.message_encoding, schema_id, dict(channel.metadata)
            )
        self._by_object[id(channel)] = (channel, channel_id)  # holds the channel: its id stays its own
        return channel_id


def _write(
    stream: BinaryIO,
    out: Path,
    session: Session,
    parts: list[_Part],
    devices: list[DeviceRecord],
    with_latched: bool,
    progress: Callable[[float], None] | None,
) -> ExportReport:
    from mcap.writer import CompressionType, Writer

    writer = Writer(stream, compression=CompressionType.ZSTD)
    profiles = {_PROFILES.get(part.format, "") for part in parts}
    writer.start(profile=profiles.pop() if len(profiles) == 1 else "", library=LIBRARY)
    _write_metadata(writer, session, parts, devices)
    channels = _Channels(writer)
    first = min((p.window_min_ns for p in parts), default=0)
    span = max((p.window_max_ns for p in parts), default=0) - first
    count = latched = 0
    streams = [part.messages(with_latched) for part in parts]
    for log_time, publish_time, message, is_latched in heapq.merge(*streams, key=itemgetter(0)):
        writer.add_message(
            channels.id_of(message.channel), log_time, message.data, publish_time, message.sequence
        )
        count += 1
        latched += is_latched
        if progress is not None and count % _PROGRESS_EVERY == 0:
            progress((log_time - first) / span if span > 0 else 1.0)
    writer.finish()
    if progress is not None:
        progress(1.0)
    channel_count, schema_count = channels.counts
    return ExportReport(
        out,
        count,
        latched,
        channel_count,
        schema_count,
        tuple(sorted({t for p in parts for t in p.topics})),
        tuple(dict.fromkeys(p.file_id for p in parts)),
    )


def _write_metadata(
    writer: Writer, session: Session, parts: list[_Part], devices: list[DeviceRecord]
) -> None:
    """The session, its devices and the files read, as MCAP metadata records (string values)."""
    writer.add_metadata(
        "session",
        {
            "session_id": session.session_id,
            "name": session.name or "",
            "org_id": session.org_id,
            "min_timestamp_ns": str(session.min_timestamp_ns),
            "max_timestamp_ns": str(session.max_timestamp_ns),
            "device_ids": json.dumps([d.device_id for d in devices]),
            "topics": json.dumps(sorted({t for p in parts for t in p.topics})),
        },
    )
    for device in devices:
        writer.add_metadata(
            "device",
            {"device_id": device.device_id, "name": device.name, "device_type": device.device_type or ""},
        )
    seen: set[str] = set()
    for part in parts:
        if part.file_id in seen:
            continue
        seen.add(part.file_id)
        writer.add_metadata(
            "source_file",
            {
                "file_id": part.file_id,
                "relative_path": part.relative_path,
                "uri": part.uri or "",
                "format": part.format,
                "window_min_ns": str(part.window_min_ns),
                "window_max_ns": str(part.window_max_ns),
            },
        )
