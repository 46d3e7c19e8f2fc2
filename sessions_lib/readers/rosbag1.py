"""ROS 1 bags (``.bag``, format 2.0): per-topic spans from the bag's own index, or from a record scan.

An indexed bag is opened with rosbags' ``Reader``, which reads only the index: the connection and
chunk info records at ``index_pos`` and the index data records after each chunk, i.e. every
message's connection and receive time, without decompressing a chunk or decoding a message. That
gives exact per-topic counts and first/last times, and spans split where a topic goes silent.

A bag without a usable index (``index_pos`` 0 because its recorder never closed it, a file cut
off before its index, an index that contradicts its chunk infos) is scanned instead: the record
headers are walked from the start, chunks are decompressed, and each message data record gives its
connection and time; payloads are never decoded. The scan keeps everything before the first damaged
record and says where it stopped.

Topic names are normalized as rosbags does (``//a/b/`` -> ``/a/b``); schema names keep the bag's
own ROS 1 spelling (``turtlesim/Pose``); times are ``log_time`` (when the recorder received the
message). Namespaces and the wall-clock check are shared with ROS 2 bags (``ros.py``).
"""

from __future__ import annotations

import bz2
import mmap
import struct
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import lz4.frame
import numpy as np
from rosbags.rosbag1 import Reader as IndexReader
from rosbags.rosbag1 import ReaderError as RosbagsReaderError
from rosbags.rosbag1.reader import normalize as normalize_topic
from rosbags.typesys import Stores, TypesysError, get_types_from_msg, get_typestore

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import IndexUsed, RecordedTopic, Recording
from sessions_lib.readers.messages import TopicSlice
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.ros import namespace_identifiers, wall_clock_check
from sessions_lib.readers.ros_messages import arrow_schema, batches, window_bounds
from sessions_lib.readers.spans import split_at_gaps
from sessions_lib.readers.units import NS_PER_S

if TYPE_CHECKING:
    import pyarrow as pa
    from rosbags.interfaces import Connection
    from rosbags.typesys.store import Typestore

BAG_MAGIC = b"#ROSBAG V2.0\n"
# MCAP's name for ROS 1 message definitions, so a bag and its MCAP conversion agree.
SCHEMA_ENCODING = "ros1msg"

# Record op codes of bag format 2.0.
_OP_MESSAGE_DATA = 0x02
_OP_BAG_HEADER = 0x03
_OP_INDEX_DATA = 0x04
_OP_CHUNK = 0x05
_OP_CHUNK_INFO = 0x06
_OP_CONNECTION = 0x07

_KNOWN_OPS = frozenset(
    {_OP_MESSAGE_DATA, _OP_BAG_HEADER, _OP_INDEX_DATA, _OP_CHUNK, _OP_CHUNK_INFO, _OP_CONNECTION}
)

# A record running past the end: the usual cause, and the other one.
_CUT = "cut off, or a corrupt length field"

_UINT32 = struct.Struct("<I")
_TIME = struct.Struct("<II")

# What rosbags raises while parsing a damaged index: its own error, and the struct/lookup/assert
# failures of its fast index-data path. Any of them means "this index cannot be trusted".
_INDEX_FAILURES = (
    RosbagsReaderError,
    struct.error,
    AssertionError,
    KeyError,
    IndexError,
    ValueError,
    OverflowError,
    OSError,
    MemoryError,  # a corrupt length field can ask for gigabytes
)
# What rosbags raises reading a damaged chunk: its own error, a cut record, a failed decompression.
_CHUNK_FAILURES = (RosbagsReaderError, struct.error, AssertionError, RuntimeError, EOFError, OSError)


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """The topics of the ROS 1 bag at ``path``, from its index when usable, else from a scan.

    Raises ``ReaderError`` (naming the file and the cause) for anything that is not a readable
    ROS 1 bag: a missing, empty or foreign file, a cut-off bag header, an encrypted bag, or damage
    before the first complete message.
    """
    path = Path(path)
    header = _read_bag_header(path)
    if header.index_pos == 0:
        return _scan(path, header, "the bag has no index (index_pos is 0: its recorder did not close it)")
    if header.index_pos > header.file_size:
        return _scan(
            path,
            header,
            f"the file is cut off: its index should start at byte {header.index_pos} "
            f"but the file has {header.file_size} bytes",
        )
    try:
        return _from_index(path)
    except _IndexUnusable as unusable:
        return _scan(path, header, f"its index could not be used ({unusable})")


def messages(slice_: TopicSlice) -> Iterator[pa.RecordBatch]:
    """The messages of ``slice_.topic`` in its window, decoded with the bag's own message definitions.

    Read through the bag's index: rosbags walks the index entries of the topic's connections and
    decompresses only the chunks holding an entry inside the window. Each connection's types are
    built from the definition its connection record carries (``get_types_from_msg``), so custom
    messages decode as well as standard ones. A bag without a usable index raises ``ReaderError``.
    """
    path, topic = Path(slice_.path), slice_.topic
    try:
        reader = IndexReader(path)
        reader.open()
    except _INDEX_FAILURES as error:
        raise ReaderError(
            f"{path}: topic {topic!r}: messages are read through the bag's index, which cannot be "
            f"used ({_describe(error)}); reindex the bag (rosbag reindex) to read them"
        ) from None
    try:
        connections = [c for c in reader.connections if c.topic == topic]
        if not connections:
            raise ReaderError(f"{path}: no topic {topic!r} in the bag")
        msgtypes = sorted({c.msgtype for c in connections})
        if len(msgtypes) > 1:
            raise ReaderError(
                f"{path}: topic {topic!r} carries several message types {msgtypes}; they cannot be "
                "decoded into one table"
            )
        typestores = {c.id: _typestore(path, c) for c in connections}
        store = typestores[connections[0].id]  # the definitions of one type, for its fields
        schema = arrow_schema(store, msgtypes[0], slice_)
        start, stop = window_bounds(slice_)
        decoded = (
            (timestamp, _deserialize(path, typestores[c.id], c, raw))
            for c, timestamp, raw in reader.messages(connections, start, stop)
        )
        yield from batches(decoded, store, schema, slice_)
    except _CHUNK_FAILURES as error:
        raise ReaderError(f"{path}: topic {topic!r}: damaged chunk data ({_describe(error)})") from None
    finally:
        reader.close()


READER = Reader("rosbag1", read, magic=BAG_MAGIC, extensions=(".bag",), messages=messages)


def _typestore(path: Path, connection: Connection) -> Typestore:
    """A typestore holding the connection's type, from the definition the bag recorded with it."""
    store = get_typestore(Stores.EMPTY)
    try:
        store.register(get_types_from_msg(connection.msgdef.data, connection.msgtype))
    except (TypesysError, ValueError, KeyError) as error:
        raise ReaderError(
            f"{path}: topic {connection.topic!r}: its {SCHEMA_ENCODING} definition of "
            f"{_ros1_type(connection.msgtype)!r} cannot be parsed ({_describe(error)})"
        ) from None
    return store


def _deserialize(path: Path, store: Typestore, connection: Connection, raw: bytes) -> object:
    try:
        return store.deserialize_ros1(raw, connection.msgtype)
    except Exception as error:  # rosbags raises struct, index and value errors on bytes that do not fit
        raise ReaderError(
            f"{path}: topic {connection.topic!r}: a message does not decode as {SCHEMA_ENCODING} "
            f"{_ros1_type(connection.msgtype)!r} ({_describe(error)})"
        ) from None


# --- the bag header ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _BagHeader:
    """The bag header record: where the index is and where the data records begin."""

    index_pos: int
    records_start: int
    file_size: int


def _read_bag_header(path: Path) -> _BagHeader:
    try:
        with path.open("rb") as file:
            head = file.read(1 << 16)
            file_size = file.seek(0, 2)
    except OSError as error:
        raise ReaderError(f"{path}: cannot be opened as a ROS 1 bag: {error.strerror or error}") from None
    if not head:
        raise ReaderError(f"{path}: empty file (0 bytes), not a ROS 1 bag")
    if not head.startswith(BAG_MAGIC):
        if head.startswith(b"#ROSBAG V"):
            version = head.split(b"\n", 1)[0].decode("ascii", "replace")
            raise ReaderError(f"{path}: {version!r} bag; only ROS bag format 2.0 can be read")
        raise ReaderError(f"{path}: not a ROS 1 bag: starts with {head[:13]!r}, expected {BAG_MAGIC!r}")
    walker = _RecordWalker(head, len(BAG_MAGIC), len(head), "file")
    record = next(iter(walker), None)
    if record is None:
        raise ReaderError(f"{path}: unreadable bag header record: {walker.damage or 'none found'}")
    if record.op != _OP_BAG_HEADER:
        raise ReaderError(f"{path}: first record has op {record.op:#04x}, expected a bag header (0x03)")
    if record.data_end > file_size:
        raise ReaderError(f"{path}: cut off inside its bag header record (the file has {file_size} bytes)")
    if record.fields.get(b"encryptor"):
        encryptor = record.fields[b"encryptor"].decode("utf-8", "replace")
        raise ReaderError(f"{path}: encrypted bag ({encryptor!r}); encrypted bags cannot be read")
    try:
        (index_pos,) = struct.unpack("<Q", record.fields[b"index_pos"])
    except (KeyError, struct.error):
        raise ReaderError(f"{path}: bag header record lacks a valid 8-byte index_pos field") from None
    return _BagHeader(index_pos, record.data_end, file_size)


# --- the index path ------------------------------------------------------------------------------


class _IndexUnusable(Exception):
    """The bag has an index but it cannot be read or contradicts itself; scan instead."""


@dataclass(frozen=True, slots=True)
class _Connection:
    """A connection record as a reader needs it."""

    conn_id: int
    topic: str
    msgtype: str  # ROS 1 spelling, e.g. "turtlesim/Pose"
    callerid: str | None


def _from_index(path: Path) -> Recording:
    try:
        reader = IndexReader(path)
        reader.open()
    except _INDEX_FAILURES as error:
        raise _IndexUnusable(_describe(error)) from None
    try:
        connections = [
            _Connection(c.id, c.topic, _ros1_type(c.msgtype), getattr(c.ext, "callerid", None))
            for c in reader.connections
        ]
        chunk_infos = list(reader.chunk_infos)
        indexes = dict(reader.indexes)
    finally:
        reader.close()

    # The index data records must agree with the chunk infos: same count per (chunk, connection)
    # and every time inside its chunk's [start, end]. rosbags stores ``end_time + 1``.
    bounds = {info.pos: (info.start_time, info.end_time) for info in chunk_infos}
    found = Counter((conn_id, entry.chunk_pos) for conn_id, entries in indexes.items() for entry in entries)
    declared = Counter(
        {
            (conn_id, info.pos): count
            for info in chunk_infos
            for conn_id, count in info.connection_counts.items()
        }
    )
    differing = sorted(key for key in set(found) | set(declared) if found[key] != declared[key])
    if differing:
        key = differing[0]
        raise _IndexUnusable(
            f"index data of connection {key[0]} in the chunk at byte {key[1]} holds {found[key]} "
            f"entries but its chunk info declares {declared[key]}"
        )
    for conn_id, entries in indexes.items():
        for entry in entries:
            start, end = bounds[entry.chunk_pos]
            if not start <= entry.time < end:
                raise _IndexUnusable(
                    f"index time {entry.time} of connection {conn_id} lies outside its chunk's "
                    f"[{start}, {end - 1}] at byte {entry.chunk_pos}"
                )

    times = {
        conn_id: np.fromiter((e.time for e in entries), np.int64, len(entries))
        for conn_id, entries in indexes.items()
    }
    return _recording(connections, times, "index", [])


def _ros1_type(normalized: str) -> str:
    """The bag's own type spelling: rosbags turns ``pkg/Name`` into ``pkg/msg/Name``."""
    parts = normalized.split("/")
    if len(parts) == 3 and parts[1] == "msg":
        return f"{parts[0]}/{parts[2]}"
    return normalized


def _describe(error: BaseException) -> str:
    text = str(error.args[0]) if len(error.args) == 1 else str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


# --- the scan path -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Record:
    """One record's header fields and where its data lies."""

    offset: int
    op: int
    fields: Mapping[bytes, bytes]
    data_start: int
    data_end: int  # as declared; past the buffer's end when ``cut``
    cut: bool


class _RecordWalker:
    """Walks ``[header_len][header][data_len][data]`` records in ``buffer[start:end]``.

    Stops at the first record it cannot frame and keeps why in ``damage``. A record whose data runs
    past ``end`` is still yielded (``cut``), so a cut-off chunk can be salvaged.
    """

    def __init__(self, buffer: bytes | mmap.mmap, start: int, end: int, where: str) -> None:
        self.buffer = buffer
        self.start = start
        self.end = end
        self.where = where
        self.damage: str | None = None

    def __iter__(self) -> Iterator[_Record]:
        buffer, pos, end = self.buffer, self.start, self.end
        while pos < end:
            if end - pos < 4:
                self.damage = f"the {self.where} ends inside the record at byte {pos} (cut off)"
                return
            (header_len,) = _UINT32.unpack_from(buffer, pos)
            header_end = pos + 4 + header_len
            if header_end + 4 > end:
                self.damage = f"the {self.where} ends inside the header of the record at byte {pos} ({_CUT})"
                return
            fields = _header_fields(buffer, pos + 4, header_end)
            if fields is None:
                self.damage = f"malformed record header at byte {pos} of the {self.where}"
                return
            op = fields.get(b"op", b"")
            if len(op) != 1:
                self.damage = f"the record at byte {pos} of the {self.where} has no one-byte op field"
                return
            (data_len,) = _UINT32.unpack_from(buffer, header_end)
            data_start = header_end + 4
            data_end = data_start + data_len
            yield _Record(pos, op[0], fields, data_start, data_end, data_end > end)
            if data_end > end:
                self.damage = f"the {self.where} ends inside the data of the record at byte {pos} ({_CUT})"
                return
            pos = data_end


def _header_fields(buffer: bytes | mmap.mmap, pos: int, end: int) -> dict[bytes, bytes] | None:
    """``name=value`` fields of one record header, or ``None`` if they do not frame exactly."""
    fields: dict[bytes, bytes] = {}
    while pos < end:
        if end - pos < 4:
            return None
        (size,) = _UINT32.unpack_from(buffer, pos)
        pos += 4
        if pos + size > end:
            return None
        name, sep, value = buffer[pos : pos + size].partition(b"=")
        if not sep:
            return None
        fields[name] = value
        pos += size
    return fields


@dataclass
class _ScanTally:
    """What a scan has found so far."""

    connections: dict[int, _Connection]
    times: defaultdict[int, array[int]]
    notes: list[str]
    damage: str | None = None

    def add_connection(self, record: _Record, buffer: bytes | mmap.mmap) -> str | None:
        """Register a connection record; the reason it is malformed, else ``None``."""
        try:
            conn_id = _UINT32.unpack(record.fields[b"conn"])[0]
            topic = normalize_topic(record.fields[b"topic"].decode())
        except (KeyError, struct.error, UnicodeDecodeError, IndexError):
            return f"connection record at byte {record.offset} lacks a valid conn or topic field"
        details = _header_fields(buffer, record.data_start, record.data_end) or {}
        msgtype = details.get(b"type", b"").decode("utf-8", "replace") or "unknown"
        callerid = details.get(b"callerid", b"").decode("utf-8", "replace") or None
        self.connections.setdefault(conn_id, _Connection(conn_id, topic, msgtype, callerid))
        return None

    def add_message(self, record: _Record) -> str | None:
        """Count a message data record by its header fields; the reason it is malformed, else ``None``."""
        try:
            conn_id = _UINT32.unpack(record.fields[b"conn"])[0]
            sec, nsec = _TIME.unpack(record.fields[b"time"])
        except (KeyError, struct.error):
            return f"message record at byte {record.offset} lacks a valid conn or time field"
        self.times[conn_id].append(sec * NS_PER_S + nsec)
        return None


def _scan(path: Path, header: _BagHeader, reason: str) -> Recording:
    tally = _ScanTally({}, defaultdict(lambda: array("q")), [])
    try:
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as buffer:
            _scan_records(buffer, header, tally)
    except (OSError, ValueError) as error:
        raise ReaderError(f"{path}: {reason}, and its records could not be scanned: {error}") from None
    message_count = sum(len(times) for times in tally.times.values())
    if tally.damage is not None and message_count == 0:
        raise ReaderError(
            f"{path}: {reason}, and a scan found no complete message before damage: {tally.damage}"
        )
    notes = [f"{reason}; spans come from a scan of its record headers (payloads not decoded)"]
    if tally.damage is not None:
        notes.append(f"scan stopped early, {message_count} messages kept: {tally.damage}")
    notes.extend(tally.notes)
    times = {conn_id: np.frombuffer(values, dtype=np.int64) for conn_id, values in tally.times.items()}
    return _recording(list(tally.connections.values()), times, "scan", notes)


def _scan_records(buffer: mmap.mmap, header: _BagHeader, tally: _ScanTally) -> None:
    walker = _RecordWalker(buffer, header.records_start, len(buffer), "file")
    for record in walker:
        if record.op == _OP_CHUNK:
            _scan_chunk(buffer, record, tally)
        elif record.op not in _KNOWN_OPS:
            tally.damage = f"the record at byte {record.offset} has unknown op {record.op:#04x}"
        elif record.cut:
            pass  # the walker says where the file ends
        elif record.op == _OP_CONNECTION:
            tally.damage = tally.add_connection(record, buffer)
        elif record.op == _OP_MESSAGE_DATA:
            tally.damage = tally.add_message(record)
        if tally.damage is not None:
            return
    tally.damage = walker.damage


_DECOMPRESSORS: dict[bytes, Callable[[], Callable[[bytes], bytes]]] = {
    b"none": lambda: lambda data: data,
    b"lz4": lambda: lz4.frame.LZ4FrameDecompressor().decompress,
    b"bz2": lambda: bz2.BZ2Decompressor().decompress,
}


def _scan_chunk(buffer: mmap.mmap, chunk: _Record, tally: _ScanTally) -> None:
    """Count the connection and message records inside one chunk; a damaged chunk is noted, not fatal.

    A streaming decompressor also yields what a cut-off last chunk still holds.
    """
    compression = chunk.fields.get(b"compression", b"none")
    decompressor = _DECOMPRESSORS.get(compression)
    if decompressor is None:
        tally.notes.append(f"chunk at byte {chunk.offset} has unknown compression {compression!r}; skipped")
        return
    try:
        data = decompressor()(buffer[chunk.data_start : chunk.data_end])
    except (RuntimeError, OSError, ValueError, EOFError, MemoryError) as error:
        tally.notes.append(f"chunk at byte {chunk.offset} could not be decompressed ({error}); skipped")
        return
    declared_size = chunk.fields.get(b"size", b"")
    if not chunk.cut and len(declared_size) == 4 and _UINT32.unpack(declared_size)[0] != len(data):
        tally.notes.append(
            f"chunk at byte {chunk.offset} holds {len(data)} bytes of records, its header says "
            f"{_UINT32.unpack(declared_size)[0]}"
        )
    walker = _RecordWalker(data, 0, len(data), f"chunk at byte {chunk.offset}")
    problem: str | None = None
    for record in walker:
        if record.cut:
            break
        if record.op == _OP_CONNECTION:
            problem = tally.add_connection(record, data)
        elif record.op == _OP_MESSAGE_DATA:
            problem = tally.add_message(record)
        else:
            problem = f"record at byte {record.offset} of the chunk has unexpected op {record.op:#04x}"
        if problem is not None:
            break
    problem = problem or walker.damage
    if problem is not None and not chunk.cut:
        tally.notes.append(f"chunk at byte {chunk.offset} is damaged ({problem}); its later records skipped")


# --- shared by both paths ------------------------------------------------------------------------


def _recording(
    connections: list[_Connection],
    times: Mapping[int, np.ndarray],
    index_used: IndexUsed,
    notes: list[str],
) -> Recording:
    """Connections and their message times, grouped into one ``RecordedTopic`` per topic name."""
    notes = list(notes)
    known = {c.conn_id for c in connections}
    orphans = sum(len(t) for conn_id, t in times.items() if conn_id not in known)
    if orphans:
        notes.append(f"{orphans} messages on connection ids without a connection record were left out")
    by_topic: dict[str, list[_Connection]] = defaultdict(list)
    for connection in connections:
        by_topic[connection.topic].append(connection)

    topics: list[RecordedTopic] = []
    silent: list[str] = []
    for name in sorted(by_topic):
        members = by_topic[name]
        arrays = [times[c.conn_id] for c in members if c.conn_id in times and len(times[c.conn_id])]
        if not arrays:
            silent.append(name)
            continue
        all_times = np.concatenate(arrays)
        per_type = Counter[str]()
        for connection in members:
            per_type[connection.msgtype] += len(times.get(connection.conn_id, ()))
        schema_name = per_type.most_common(1)[0][0]
        if len(+per_type) > 1:
            notes.append(
                f"topic {name!r} carries several message types {sorted(+per_type)}; named {schema_name!r}"
            )
        topics.append(
            RecordedTopic(
                name,
                spans=split_at_gaps(all_times),
                message_count=int(all_times.size),
                schema_name=schema_name,
                schema_encoding=SCHEMA_ENCODING,
                timeline_source="log_time",
            )
        )
    if silent:
        notes.append(f"{len(silent)} topics have a connection but no messages and are left out: {silent}")
    if not topics:
        notes.append("the bag holds no messages")
    anchored, anchor_note = wall_clock_check(topics)
    if anchor_note:
        notes.append(anchor_note)
    identifiers = namespace_identifiers(t.name for t in topics)
    callerids = sorted({c.callerid for c in connections if c.callerid})
    if callerids:
        identifiers["ros.callerids"] = ",".join(callerids)
    return Recording(
        format="rosbag1",
        topics=tuple(topics),
        index_used=index_used,
        anchored=anchored,
        identifiers=identifiers,
        notes=tuple(notes),
    )
