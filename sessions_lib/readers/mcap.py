"""MCAP reader: per-topic spans from the file's summary and message indexes, never from payloads.

Summary path (``index_used="summary"``): the footer locates the summary section (its CRC is checked);
it gives the Schema, Channel, Statistics, ChunkIndex and MetadataIndex records. Spans are exact, not
chunk bounds: a chunk's time range covers all its channels, so chunk bounds would widen a sparse
channel to its chunk's range and hide a silence inside a chunk. Exact times come from the MessageIndex
records written right after each chunk (located by ``ChunkIndex.message_index_offsets``): one
``(log_time, offset)`` pair per message per channel; reading them is an index read, no chunk is
decompressed. Only the message indexes that can change a span are read: per channel, chunks whose
time ranges chain within the gap (the hull of neighbours at most ``SPAN_GAP_NS``) must share
one span, so only the chunks that may hold its first or last message are read; a chunk longer than the
gap is read whole. Counts come from the Statistics record (all message indexes are read when it is
absent). Measured with ``tests/benchmarks/bench_mcap.py`` (100 MB, 92 chunks): reading every message
index took 1.5-2.7 ms, the boundary chunks only ~0.75 ms, no more than mcap's own ``get_summary``; with
300-byte messages (333,000 per 100 MB, chunks longer than the gap, so every index is read) ~10 ms,
against ~2 s to stream the messages. The one assumption: a chunk lists
a channel in ``message_index_offsets`` only if it holds a message of it (every mcap writer does so; a
boundary chunk found empty makes its whole run be read). A chunk without message indexes is read
itself: decompressed, and only its records' channel ids and log times taken (payloads never decoded).

Scan path (``index_used="scan"``): a file with no footer, no summary section, no chunk indexes, a
summary failing its CRC or indexes that contradict the file (truncated, unfinished or corrupt files) is
walked record by record: Message records give ``channel_id`` and ``log_time`` (payloads are seeked
over), chunks are decompressed and walked the same way. A cut or unreadable record ends the walk; the
spans then cover the readable part and a note says where it stopped.

Spans: a channel's log times are split wherever two consecutive messages are more than
``SPAN_GAP_NS`` apart. Both paths give the spans of that rule, so the spans do not depend on the
path or on how the file was chunked. Channels sharing a topic name become one topic.

    >>> read(Path("drive.mcap")).topics[0].spans  # doctest: +SKIP
    ((1700000000000000000, 1700000062500000000),)
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, Literal, TypeVar

import lz4.frame
import zstandard
from mcap.data_stream import ReadDataStream
from mcap.exceptions import McapError
from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, ChunkIndex, Header, Metadata, MetadataIndex, Schema, Statistics

from sessions_lib.errors import ReaderError
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.spans import is_gap, is_wall_clock, merge_spans, split_at_gaps
from sessions_lib.records import RecordedTopic, Recording

MAGIC = b"\x89MCAP0\r\n"

# Metadata values longer than this are documents (rosbag2's serialized_metadata), not identifiers.
MAX_IDENTIFIER_CHARS = 256

# Times of one channel held before they become spans (8 bytes each).
_TIMES_PER_BATCH = 1_000_000

_PREAD = getattr(os, "pread", None)  # absent on Windows
_RECORD_HEADER = struct.Struct("<BQ")  # opcode, length of the record body
_MESSAGE_HEAD = struct.Struct("<HIQ")  # channel_id, sequence, log_time (publish_time and data follow)
_CHUNK_INDEX_HEAD = struct.Struct("<QQQQI")  # start, end, chunk offset, chunk length, offsets length
_MESSAGE_INDEX_HEAD = struct.Struct("<BQHI")  # opcode, length, channel_id, records length
_FOOTER_BODY = struct.Struct("<QQI")  # summary_start, summary_offset_start, summary_crc
_FOOTER_AND_MAGIC = _RECORD_HEADER.size + _FOOTER_BODY.size + len(MAGIC)
_MESSAGE_MIN_BODY = 22  # channel_id 2 + sequence 4 + log_time 8 + publish_time 8

# What a corrupt or cut file makes the parsing raise: mcap's own errors (EndOfFile, ...), short
# struct reads, bad UTF-8 (a ValueError), broken zstd data, and lz4, which raises RuntimeError.
_CORRUPTION = (
    McapError,
    struct.error,
    ValueError,
    EOFError,
    OverflowError,
    MemoryError,
    RuntimeError,
    zstandard.ZstdError,
)


_Parsed = TypeVar("_Parsed", Channel, Chunk, Metadata, MetadataIndex, Schema, Statistics)


class _NoUsableIndex(Exception):
    """The summary path cannot be trusted for this file; the reason goes into the scan's note."""


@dataclass(slots=True)
class _Findings:
    """What a path found, per channel id, before it becomes a ``Recording``."""

    schemas: dict[int, Schema] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    # Log times waiting to become spans, and the spans they became (a batch at a time, so memory
    # stays bounded; merging the batches' spans gives the same spans as all times at once).
    pending: dict[int, array] = field(default_factory=lambda: defaultdict(lambda: array("Q")))
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    identifiers: dict[str, str] = field(default_factory=dict)
    skipped_identifiers: dict[str, int] = field(default_factory=dict)  # name -> characters
    notes: list[str] = field(default_factory=list)

    def add_times(self, channel_id: int, times: array | list[int] | tuple[int, ...]) -> None:
        pending = self.pending[channel_id]
        pending.extend(times)
        self.counts[channel_id] += len(times)
        if len(pending) >= _TIMES_PER_BATCH:
            self.flush(channel_id)

    def flush(self, channel_id: int | None = None) -> None:
        """Turn pending times into spans, for one channel or all."""
        for pending_id in [channel_id] if channel_id is not None else list(self.pending):
            pending = self.pending.pop(pending_id)
            if pending:
                self.spans[pending_id].extend(split_at_gaps(pending))

    def add_metadata(self, metadata: Metadata) -> None:
        for key, value in metadata.metadata.items():
            name = f"mcap.metadata.{metadata.name}.{key}"
            if len(value) > MAX_IDENTIFIER_CHARS:
                self.skipped_identifiers[name] = len(value)
            else:
                self.identifiers[name] = value


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """Read an MCAP file's topics, spans, counts and identifiers; raise ``ReaderError`` if it cannot.

    Uses the summary and message indexes when the file has them, else scans its records (see the
    module docstring). A truncated file yields what is readable, with a note saying where it stopped.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise ReaderError(f"{path}: empty file (0 bytes), not an MCAP recording")
        with path.open("rb") as file:
            return _read_open_file(path, file, size)
    except OSError as error:
        raise ReaderError(f"{path}: cannot be read: {error}") from None
    except _CORRUPTION as error:
        raise ReaderError(f"{path}: unreadable MCAP ({type(error).__name__}: {error})") from None


READER = Reader("mcap", read, magic=MAGIC, extensions=(".mcap",))


def _read_open_file(path: Path, file: BinaryIO, size: int) -> Recording:
    magic = file.read(len(MAGIC))
    if magic != MAGIC:
        raise ReaderError(f"{path}: not an MCAP file: it starts with {magic[:8]!r}, not the MCAP magic")
    header, data_start = _read_header(path, file, size)
    try:
        findings = _from_summary(file, size, data_start)
        index_used: Literal["summary", "scan"] = "summary"
    except _NoUsableIndex as reason:
        findings = _from_scan(path, file, size, data_start, str(reason))
        index_used = "scan"
    for key, value in (("mcap.profile", header.profile), ("mcap.library", header.library)):
        if value:
            findings.identifiers[key] = value
    return _recording(findings, index_used)


def _read_header(path: Path, file: BinaryIO, size: int) -> tuple[Header, int]:
    """The Header record that must follow the magic, and the offset of the record after it."""
    start = len(MAGIC)
    head = file.read(_RECORD_HEADER.size)
    if len(head) < _RECORD_HEADER.size:
        raise ReaderError(f"{path}: truncated at byte {start + len(head)}: no Header record after the magic")
    opcode, length = _RECORD_HEADER.unpack(head)
    if opcode != Opcode.HEADER:
        raise ReaderError(f"{path}: corrupt MCAP: the first record has opcode {opcode:#04x}, not a Header")
    end = start + _RECORD_HEADER.size + length
    if end > size:
        raise ReaderError(f"{path}: truncated at byte {size}: the Header record ends at byte {end}")
    try:
        header = Header.read(ReadDataStream(BytesIO(file.read(length))))
    except _CORRUPTION as error:
        raise ReaderError(f"{path}: corrupt MCAP Header record ({error or type(error).__name__})") from None
    return header, end


def _read_at(file: BinaryIO, size: int, offset: int, length: int, what: str) -> bytes:
    """``length`` bytes at ``offset``; an index pointing outside the file is a broken index."""
    if offset < 0 or length < 0 or offset + length > size:
        raise _NoUsableIndex(f"{what} points outside the file (bytes {offset}..{offset + length} of {size})")
    if _PREAD is not None:  # one system call, and no read-ahead buffer filled for nothing
        return _PREAD(file.fileno(), length, offset)
    file.seek(offset)
    return file.read(length)


def _records(data: bytes | memoryview, where: int = 0) -> Iterator[tuple[int, int, int]]:
    """(opcode, body offset, body end) of each record in ``data``; a cut record raises ValueError."""
    position = 0
    while position < len(data):
        if position + _RECORD_HEADER.size > len(data):
            raise ValueError(f"record header cut at byte {where + position}")
        opcode, length = _RECORD_HEADER.unpack_from(data, position)
        body = position + _RECORD_HEADER.size
        if body + length > len(data):
            raise ValueError(f"record at byte {where + position} runs past its section")
        yield opcode, body, body + length
        position = body + length


def _parse(record_type: type[_Parsed], body: bytes | memoryview) -> _Parsed:
    """One record body parsed with mcap's own reader for its type."""
    return record_type.read(ReadDataStream(BytesIO(body)))


# --- Summary path -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Summary:
    statistics: Statistics | None = None
    schemas: dict[int, Schema] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    chunk_indexes: list[ChunkIndex] = field(default_factory=list)
    metadata_indexes: list[MetadataIndex] = field(default_factory=list)


def _from_summary(file: BinaryIO, size: int, data_start: int) -> _Findings:
    try:
        summary = _read_summary(file, size, data_start)
        findings = _Findings(schemas=summary.schemas, channels=summary.channels)
        _read_chunk_indexes(file, size, summary, findings)
    except _CORRUPTION as error:
        raise _NoUsableIndex(f"summary or index unreadable ({error or type(error).__name__})") from None
    _read_metadata(file, size, summary, findings)
    return findings


def _read_summary(file: BinaryIO, size: int, data_start: int) -> _Summary:
    if size < data_start + _FOOTER_AND_MAGIC:
        raise _NoUsableIndex("no footer (the file is too short to hold one)")
    file.seek(size - _FOOTER_AND_MAGIC)
    tail = file.read(_FOOTER_AND_MAGIC)
    if tail[-len(MAGIC) :] != MAGIC:
        raise _NoUsableIndex("no footer: the file does not end with the MCAP magic")
    opcode, length = _RECORD_HEADER.unpack_from(tail)
    if opcode != Opcode.FOOTER or length != _FOOTER_BODY.size:
        raise _NoUsableIndex("no footer record before the closing magic")
    summary_start, _, summary_crc = _FOOTER_BODY.unpack_from(tail, _RECORD_HEADER.size)
    if summary_start == 0:
        raise _NoUsableIndex("no summary section")
    summary_end = size - _FOOTER_AND_MAGIC
    if summary_start < data_start:
        raise _NoUsableIndex(f"the footer's summary_start ({summary_start}) points into the header")
    data = _read_at(file, size, summary_start, summary_end - summary_start, "the footer's summary_start")
    # The footer's CRC covers the summary section and the footer's own first fields.
    if summary_crc and zlib.crc32(tail[: _RECORD_HEADER.size + 16], zlib.crc32(data)) != summary_crc:
        raise _NoUsableIndex("the summary section fails its CRC check")

    summary = _Summary()
    view = memoryview(data)
    for opcode, body, end in _records(view, summary_start):
        if opcode == Opcode.SCHEMA:
            schema = _parse(Schema, view[body:end])
            summary.schemas[schema.id] = schema
        elif opcode == Opcode.CHANNEL:
            channel = _parse(Channel, view[body:end])
            summary.channels[channel.id] = channel
        elif opcode == Opcode.STATISTICS:
            summary.statistics = _parse(Statistics, view[body:end])
        elif opcode == Opcode.CHUNK_INDEX:
            summary.chunk_indexes.append(_chunk_index(view[body:end]))
        elif opcode == Opcode.METADATA_INDEX:
            summary.metadata_indexes.append(_parse(MetadataIndex, view[body:end]))
    if not summary.chunk_indexes:
        if summary.statistics is not None and summary.statistics.message_count == 0:
            return summary  # a complete file without messages
        raise _NoUsableIndex("no chunk indexes in the summary")
    return summary


def _chunk_index(body: memoryview) -> ChunkIndex:
    """A ChunkIndex record parsed with ``struct`` (mcap's own parser reads field by field, 5x slower)."""
    start, end, offset, length, offsets_length = _CHUNK_INDEX_HEAD.unpack_from(body)
    position = _CHUNK_INDEX_HEAD.size + offsets_length
    if offsets_length % 10 or position + 12 > len(body):
        raise ValueError(f"ChunkIndex record lists {offsets_length} bytes of message index offsets")
    offsets = dict(struct.iter_unpack("<HQ", body[_CHUNK_INDEX_HEAD.size : position]))
    message_index_length, compression_length = struct.unpack_from("<QI", body, position)
    position += 12
    compression = str(body[position : position + compression_length], "utf-8")
    compressed_size, uncompressed_size = struct.unpack_from("<QQ", body, position + compression_length)
    return ChunkIndex(
        message_start_time=start,
        message_end_time=end,
        chunk_start_offset=offset,
        chunk_length=length,
        message_index_offsets=offsets,
        message_index_length=message_index_length,
        compression=compression,
        compressed_size=compressed_size,
        uncompressed_size=uncompressed_size,
    )


def _read_chunk_indexes(file: BinaryIO, size: int, summary: _Summary, findings: _Findings) -> None:
    """Spans and counts per channel from the chunk indexes, reading only the message indexes needed."""
    statistics = summary.statistics
    stated_counts = statistics.channel_message_counts if statistics is not None else {}
    chunks_by_channel: dict[int, list[ChunkIndex]] = defaultdict(list)
    unindexed = [c for c in summary.chunk_indexes if not c.message_index_offsets]
    for chunk_index in summary.chunk_indexes:
        for channel_id in chunk_index.message_index_offsets:
            chunks_by_channel[channel_id].append(chunk_index)
    unknown = sorted(set(chunks_by_channel) - set(summary.channels))
    if unknown:
        raise _NoUsableIndex(f"the summary has no Channel record for channel id(s) {unknown}")

    for chunk_index in unindexed:
        where = f"the chunk index for the chunk at byte {chunk_index.chunk_start_offset}"
        record = _read_at(file, size, chunk_index.chunk_start_offset, chunk_index.chunk_length, where)
        opcode, length = _RECORD_HEADER.unpack_from(record)
        if opcode != Opcode.CHUNK or length + _RECORD_HEADER.size != len(record):
            raise _NoUsableIndex(f"{where} does not point at a Chunk record")
        for channel_id, times in _chunk_times(_parse(Chunk, record[_RECORD_HEADER.size :]), findings).items():
            findings.add_times(channel_id, times)
    if unindexed:
        findings.notes.append(
            f"{len(unindexed)} of {len(summary.chunk_indexes)} chunk(s) have no message index: their "
            "records were read for channel ids and log times (payloads not decoded)"
        )

    plans = []  # (channel, run, the run's chunks to read)
    for channel_id, chunks in chunks_by_channel.items():
        count_them = channel_id not in stated_counts
        for run in _linked_runs(chunks):
            plans.append((channel_id, run, run if count_them or len(run) == 1 else _boundary_chunks(run)))
    blocks = _MessageIndexBlocks(file, size, [chunk for _, _, to_read in plans for chunk in to_read])
    for channel_id, run, to_read in plans:
        found = [blocks.times(chunk, channel_id) for chunk in to_read]
        if None in found and to_read is not run:  # an empty index: the boundary guess needs all
            found = [blocks.times(chunk, channel_id) for chunk in run if chunk not in to_read] + found
            to_read = run
        run_times = [t for t in found if t is not None]
        for chunk_times in run_times:
            findings.add_times(channel_id, chunk_times)
        if run_times and to_read is not run:
            # Every message of a linked run lies in one span; its ends are in the chunks read.
            findings.spans[channel_id].append(
                (min(min(t) for t in run_times), max(max(t) for t in run_times))
            )
    findings.flush()
    # Message indexes carry no CRC: a time outside every chunk's range betrays a corrupt one.
    low = min((c.message_start_time for c in summary.chunk_indexes), default=0)
    high = max((c.message_end_time for c in summary.chunk_indexes), default=0)
    for channel_id, spans in findings.spans.items():
        if min(span[0] for span in spans) < low or max(span[1] for span in spans) > high:
            raise _NoUsableIndex(f"message index times of channel {channel_id} lie outside the chunks' range")

    for channel_id, count in stated_counts.items():
        if channel_id in findings.spans:
            findings.counts[channel_id] = count
        elif count and channel_id not in chunks_by_channel:
            raise _NoUsableIndex(
                f"the Statistics record counts {count} messages on channel {channel_id} but no chunk "
                "index lists it (messages outside chunks?)"
            )


def _linked_runs(chunks: list[ChunkIndex]) -> list[list[ChunkIndex]]:
    """One channel's chunks in runs whose messages must share a span.

    Two chunks are linked when the hull of their time ranges is at most the gap: any message of one
    is then within the gap of any message of the other (each chunk listing a channel holds at least
    one of its messages), so a chain of links never holds a gap.
    """
    ordered = sorted(chunks, key=lambda c: (c.message_start_time, c.message_end_time))
    runs = [[ordered[0]]]
    previous_start, previous_end = ordered[0].message_start_time, ordered[0].message_end_time
    for chunk in ordered[1:]:
        # Sorted by start: the pair's hull starts at the previous chunk's start.
        end = chunk.message_end_time
        if not is_gap((end if end > previous_end else previous_end) - previous_start):
            runs[-1].append(chunk)
        else:
            runs.append([chunk])
        previous_start, previous_end = chunk.message_start_time, end
    return runs


def _boundary_chunks(run: list[ChunkIndex]) -> list[ChunkIndex]:
    """The chunks of a run that may hold its first or its last message.

    The first message is at or before every chunk's end, so only a chunk starting no later than the
    earliest end can hold it; the same, mirrored, for the last message.
    """
    earliest_end = min(c.message_end_time for c in run)
    latest_start = max(c.message_start_time for c in run)
    return [c for c in run if c.message_start_time <= earliest_end or c.message_end_time >= latest_start]


class _MessageIndexBlocks:
    """Each chunk's message indexes read once, and dropped once every planned read of them is done."""

    def __init__(self, file: BinaryIO, size: int, planned: list[ChunkIndex]) -> None:
        self._file, self._size = file, size
        self._reads_left = Counter(chunk.chunk_start_offset for chunk in planned)
        self._blocks: dict[int, dict[int, array]] = {}

    def times(self, chunk_index: ChunkIndex, channel_id: int) -> array | None:
        """The channel's log times in the chunk, ``None`` if its index there holds none."""
        offset = chunk_index.chunk_start_offset
        block = self._blocks.get(offset)
        if block is None:
            where = f"the chunk index for the chunk at byte {offset}"
            block = _message_index_times(self._file, self._size, chunk_index, where)
        self._reads_left[offset] -= 1
        if self._reads_left[offset] > 0:
            self._blocks[offset] = block
        else:
            self._blocks.pop(offset, None)
        return block.get(channel_id)


def _message_index_times(file: BinaryIO, size: int, chunk_index: ChunkIndex, where: str) -> dict[int, array]:
    """Each channel's log times in one chunk, from the MessageIndex records that follow the chunk."""
    offsets = chunk_index.message_index_offsets
    block_start = min(offsets.values())
    block = _read_at(file, size, block_start, chunk_index.message_index_length, where)
    times_by_channel: dict[int, array] = {}
    for channel_id, offset in offsets.items():
        position = offset - block_start
        if position + _MESSAGE_INDEX_HEAD.size > len(block):
            raise _NoUsableIndex(f"{where} lists a message index outside its message index block")
        opcode, length, indexed_channel, records_length = _MESSAGE_INDEX_HEAD.unpack_from(block, position)
        entries_start = position + _MESSAGE_INDEX_HEAD.size
        if (
            opcode != Opcode.MESSAGE_INDEX
            or indexed_channel != channel_id
            or records_length % 16
            or length < records_length + 6
            or entries_start + records_length > len(block)
        ):
            raise _NoUsableIndex(f"{where} points at a broken MessageIndex record for channel {channel_id}")
        entries = array("Q", block[entries_start : entries_start + records_length])
        if sys.byteorder == "big":
            entries.byteswap()
        if entries:
            times_by_channel[channel_id] = entries[0::2]  # (log_time, offset) pairs
    return times_by_channel


def _read_metadata(file: BinaryIO, size: int, summary: _Summary, findings: _Findings) -> None:
    for metadata_index in summary.metadata_indexes:
        try:
            record = _read_at(file, size, metadata_index.offset, metadata_index.length, "a metadata index")
            opcode, _ = _RECORD_HEADER.unpack_from(record)
            if opcode != Opcode.METADATA:
                raise ValueError(f"opcode {opcode:#04x} is not a Metadata record")
            findings.add_metadata(_parse(Metadata, record[_RECORD_HEADER.size :]))
        except (_NoUsableIndex, *_CORRUPTION) as error:
            findings.notes.append(
                f"metadata record at byte {metadata_index.offset} unreadable ({error}); its keys are skipped"
            )
    statistics = summary.statistics
    if statistics is not None and statistics.metadata_count > len(summary.metadata_indexes):
        findings.notes.append(
            f"{statistics.metadata_count - len(summary.metadata_indexes)} metadata record(s) are not "
            "indexed in the summary; their keys are not read"
        )


# --- Scan path ----------------------------------------------------------------------------------


def _chunk_times(chunk: Chunk, findings: _Findings) -> dict[int, list[int]]:
    """Each channel's log times in one chunk, from its records; keeps the Schema and Channel records."""
    if chunk.compression == "zstd":
        data = zstandard.ZstdDecompressor().decompressobj().decompress(chunk.data)
    elif chunk.compression == "lz4":
        data = lz4.frame.decompress(chunk.data)
    elif chunk.compression == "":
        data = chunk.data
    else:
        raise ValueError(f"chunk compression {chunk.compression!r} is not supported")
    if len(data) != chunk.uncompressed_size:
        raise ValueError(f"chunk holds {len(data)} bytes, its record says {chunk.uncompressed_size}")
    times: dict[int, list[int]] = defaultdict(list)
    for opcode, body, end in _records(data):
        if opcode == Opcode.MESSAGE:
            if end - body < _MESSAGE_MIN_BODY:
                raise ValueError(f"Message record of {end - body} bytes is too short")
            channel_id, _, log_time = _MESSAGE_HEAD.unpack_from(data, body)
            times[channel_id].append(log_time)
        elif opcode == Opcode.CHANNEL:
            channel = _parse(Channel, data[body:end])
            findings.channels.setdefault(channel.id, channel)
        elif opcode == Opcode.SCHEMA:
            schema = _parse(Schema, data[body:end])
            findings.schemas.setdefault(schema.id, schema)
    return times


def _from_scan(path: Path, file: BinaryIO, size: int, data_start: int, reason: str) -> _Findings:
    """Walk the records after the header; stop at the end of the data section or at what is unreadable."""
    findings = _Findings()
    findings.notes.append(f"{reason}: spans come from a scan of the records")
    position = data_start
    records_read = 0
    stop: str | None = None
    file.seek(position)
    while True:
        head = file.read(_RECORD_HEADER.size)
        if len(head) < _RECORD_HEADER.size:
            stop = f"truncated at byte {size}: the file ends without a footer"
            break
        opcode, length = _RECORD_HEADER.unpack(head)
        end = position + _RECORD_HEADER.size + length
        if end > size:
            stop = f"truncated at byte {size}: the record at byte {position} runs past the end of the file"
            break
        if opcode in (Opcode.DATA_END, Opcode.FOOTER):
            break
        try:
            if opcode == Opcode.MESSAGE:
                if length < _MESSAGE_MIN_BODY:
                    raise ValueError(f"Message record of {length} bytes is too short")
                channel_id, _, log_time = _MESSAGE_HEAD.unpack(file.read(_MESSAGE_HEAD.size))
                findings.add_times(channel_id, (log_time,))
            elif opcode == Opcode.CHUNK:
                chunk = _parse(Chunk, file.read(length))
                for channel_id, times in _chunk_times(chunk, findings).items():
                    findings.add_times(channel_id, times)
            elif opcode == Opcode.CHANNEL:
                channel = _parse(Channel, file.read(length))
                findings.channels.setdefault(channel.id, channel)
            elif opcode == Opcode.SCHEMA:
                schema = _parse(Schema, file.read(length))
                findings.schemas.setdefault(schema.id, schema)
            elif opcode == Opcode.METADATA:
                findings.add_metadata(_parse(Metadata, file.read(length)))
            elif opcode == Opcode.HEADER:
                raise ValueError("a second Header record")
        except _CORRUPTION as error:
            stop = f"unreadable record at byte {position} ({error or type(error).__name__})"
            break
        records_read += 1
        position = end
        file.seek(position)
    findings.flush()
    if stop is not None:
        if records_read == 0:
            raise ReaderError(f"{path}: {stop}; nothing is readable after the header")
        findings.notes.append(f"{stop}: spans cover the readable part")
    return findings


# --- Result -------------------------------------------------------------------------------------


def _recording(findings: _Findings, index_used: Literal["summary", "scan"]) -> Recording:
    channel_ids_by_topic: dict[str, list[int]] = defaultdict(list)
    orphans, unnamed = [], []
    for channel_id in sorted(findings.spans):
        channel = findings.channels.get(channel_id)
        if channel is None:
            orphans.append(channel_id)
        elif not channel.topic:
            unnamed.append(channel_id)
        else:
            channel_ids_by_topic[channel.topic].append(channel_id)
    notes = list(findings.notes)
    for name, length in findings.skipped_identifiers.items():
        notes.append(f"metadata {name} is not kept as an identifier: its value is {length} characters long")
    if orphans:
        notes.append(f"messages of channel id(s) {orphans} skipped: no readable Channel record names them")
    if unnamed:
        notes.append(f"messages of channel id(s) {unnamed} skipped: their topic name is empty")
    silent = sorted({c.topic for c in findings.channels.values() if c.topic} - set(channel_ids_by_topic))
    if silent:
        notes.append(f"{len(silent)} channel topic(s) declared without messages: {', '.join(silent)}")

    topics = []
    for topic, channel_ids in sorted(channel_ids_by_topic.items()):
        channels = [findings.channels[channel_id] for channel_id in channel_ids]
        kinds = {(_schema_name(findings, c), c.message_encoding or None) for c in channels}
        if len(kinds) > 1:
            notes.append(f"topic {topic!r} has channels with different schemas {sorted(kinds, key=str)}")
        topics.append(
            RecordedTopic(
                name=topic,
                spans=merge_spans([s for channel_id in channel_ids for s in findings.spans[channel_id]]),
                message_count=sum(findings.counts[channel_id] for channel_id in channel_ids),
                schema_name=_schema_name(findings, channels[0]),
                schema_encoding=channels[0].message_encoding or None,
            )
        )

    anchored = True
    if topics:
        low = min(t.spans[0][0] for t in topics)
        high = max(t.spans[-1][1] for t in topics)
        if not is_wall_clock(low):
            anchored = False
            notes.append(
                f"log times run from {low} to {high} ns, before 2000 as Unix time: taken as a relative "
                "clock, not anchored"
            )
    return Recording(
        format="mcap",
        topics=tuple(topics),
        index_used=index_used,
        anchored=anchored,
        identifiers=findings.identifiers,
        notes=tuple(notes),
    )


def _schema_name(findings: _Findings, channel: Channel) -> str | None:
    schema = findings.schemas.get(channel.schema_id) if channel.schema_id else None
    return schema.name or None if schema is not None else None
