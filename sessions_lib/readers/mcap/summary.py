"""Summary path (``index_used="summary"``): spans from the summary section and the message indexes.

The footer locates the summary section (its CRC is checked); it gives the Schema, Channel, Statistics,
ChunkIndex and MetadataIndex records. Spans are exact, not chunk bounds: a chunk's time range covers
all its channels, so chunk bounds would widen a sparse channel to its chunk's range and hide a silence
inside a chunk. Exact times come from the MessageIndex records written right after each chunk (located
by ``ChunkIndex.message_index_offsets``): one ``(log_time, offset)`` pair per message per channel;
reading them is an index read, no chunk is decompressed. Only the message indexes that can change a
span are read: per channel, chunks whose time ranges chain within the gap (the hull of neighbours at
most ``SPAN_GAP_NS``) must share one span, so only the chunks that may hold its first or last message
are read; a chunk longer than the gap is read whole. Counts come from the Statistics record (all
message indexes are read when it is absent).

Measured with ``benchmarks/bench_mcap.py`` (100 MB, 92 chunks): reading every message index took
1.5-2.7 ms, the boundary chunks only ~0.75 ms, no more than mcap's own ``get_summary``; with 300-byte
messages (333,000 per 100 MB, chunks longer than the gap, so every index is read) ~10 ms, against ~2 s
to stream the messages.

The one assumption: a chunk lists a channel in ``message_index_offsets`` only if it holds a message of
it (every mcap writer does so; a boundary chunk found empty makes its whole run be read). A chunk
without message indexes is read itself: decompressed, and only its records' channel ids and log times
taken (payloads never decoded). A summary this path cannot trust raises ``NoUsableIndex``, and the
file is scanned instead.
"""

from __future__ import annotations

import os
import struct
import sys
import zlib
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import BinaryIO

from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, ChunkIndex, Metadata, MetadataIndex, Schema, Statistics

from sessions_lib.readers.mcap.findings import Findings
from sessions_lib.readers.mcap.records import (
    CORRUPTION,
    MAGIC,
    RECORD_HEADER,
    parse_record,
    times_in_chunk,
    walk_records,
)
from sessions_lib.readers.spans import is_gap

_PREAD = getattr(os, "pread", None)  # absent on Windows
_CHUNK_INDEX_HEAD = struct.Struct("<QQQQI")  # start, end, chunk offset, chunk length, offsets length
_MESSAGE_INDEX_HEAD = struct.Struct("<BQHI")  # opcode, length, channel_id, records length
_FOOTER_BODY = struct.Struct("<QQI")  # summary_start, summary_offset_start, summary_crc
_FOOTER_AND_MAGIC = RECORD_HEADER.size + _FOOTER_BODY.size + len(MAGIC)


class NoUsableIndex(Exception):
    """The summary path cannot be trusted for this file; the reason goes into the scan's note."""


def _read_at(file: BinaryIO, size: int, offset: int, length: int, what: str) -> bytes:
    """``length`` bytes at ``offset``; an index pointing outside the file is a broken index."""
    if offset < 0 or length < 0 or offset + length > size:
        raise NoUsableIndex(f"{what} points outside the file (bytes {offset}..{offset + length} of {size})")
    if _PREAD is not None:  # one system call, and no read-ahead buffer filled for nothing
        return _PREAD(file.fileno(), length, offset)
    file.seek(offset)
    return file.read(length)


@dataclass(slots=True)
class Summary:
    """The summary section's records that the spans need."""

    statistics: Statistics | None = None
    schemas: dict[int, Schema] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    chunk_indexes: list[ChunkIndex] = field(default_factory=list)
    metadata_indexes: list[MetadataIndex] = field(default_factory=list)


def from_summary(file: BinaryIO, size: int, data_start: int) -> Findings:
    try:
        summary = _read_summary(file, size, data_start)
        findings = Findings(schemas=summary.schemas, channels=summary.channels)
        _read_chunk_indexes(file, size, summary, findings)
    except CORRUPTION as error:
        raise NoUsableIndex(f"summary or index unreadable ({error or type(error).__name__})") from None
    _read_metadata(file, size, summary, findings)
    return findings


def _read_summary(file: BinaryIO, size: int, data_start: int) -> Summary:
    if size < data_start + _FOOTER_AND_MAGIC:
        raise NoUsableIndex("no footer (the file is too short to hold one)")
    file.seek(size - _FOOTER_AND_MAGIC)
    tail = file.read(_FOOTER_AND_MAGIC)
    if tail[-len(MAGIC) :] != MAGIC:
        raise NoUsableIndex("no footer: the file does not end with the MCAP magic")
    opcode, length = RECORD_HEADER.unpack_from(tail)
    if opcode != Opcode.FOOTER or length != _FOOTER_BODY.size:
        raise NoUsableIndex("no footer record before the closing magic")
    summary_start, _, summary_crc = _FOOTER_BODY.unpack_from(tail, RECORD_HEADER.size)
    if summary_start == 0:
        raise NoUsableIndex("no summary section")
    summary_end = size - _FOOTER_AND_MAGIC
    if summary_start < data_start:
        raise NoUsableIndex(f"the footer's summary_start ({summary_start}) points into the header")
    data = _read_at(file, size, summary_start, summary_end - summary_start, "the footer's summary_start")
    # The footer's CRC covers the summary section and the footer's own first fields.
    if summary_crc and zlib.crc32(tail[: RECORD_HEADER.size + 16], zlib.crc32(data)) != summary_crc:
        raise NoUsableIndex("the summary section fails its CRC check")

    summary = Summary()
    view = memoryview(data)
    for opcode, body, end in walk_records(view, summary_start):
        if opcode == Opcode.SCHEMA:
            schema = parse_record(Schema, view[body:end])
            summary.schemas[schema.id] = schema
        elif opcode == Opcode.CHANNEL:
            channel = parse_record(Channel, view[body:end])
            summary.channels[channel.id] = channel
        elif opcode == Opcode.STATISTICS:
            summary.statistics = parse_record(Statistics, view[body:end])
        elif opcode == Opcode.CHUNK_INDEX:
            summary.chunk_indexes.append(_chunk_index(view[body:end]))
        elif opcode == Opcode.METADATA_INDEX:
            summary.metadata_indexes.append(parse_record(MetadataIndex, view[body:end]))
    if not summary.chunk_indexes:
        if summary.statistics is not None and summary.statistics.message_count == 0:
            return summary  # a complete file without messages
        raise NoUsableIndex("no chunk indexes in the summary")
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


def _read_chunk_indexes(file: BinaryIO, size: int, summary: Summary, findings: Findings) -> None:
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
        raise NoUsableIndex(f"the summary has no Channel record for channel id(s) {unknown}")

    for chunk_index in unindexed:
        where = f"the chunk index for the chunk at byte {chunk_index.chunk_start_offset}"
        record = _read_at(file, size, chunk_index.chunk_start_offset, chunk_index.chunk_length, where)
        opcode, length = RECORD_HEADER.unpack_from(record)
        if opcode != Opcode.CHUNK or length + RECORD_HEADER.size != len(record):
            raise NoUsableIndex(f"{where} does not point at a Chunk record")
        chunk = parse_record(Chunk, record[RECORD_HEADER.size :])
        for channel_id, times in times_in_chunk(chunk, findings).items():
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
            raise NoUsableIndex(f"message index times of channel {channel_id} lie outside the chunks' range")

    for channel_id, count in stated_counts.items():
        if channel_id in findings.spans:
            findings.counts[channel_id] = count
        elif count and channel_id not in chunks_by_channel:
            raise NoUsableIndex(
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
            raise NoUsableIndex(f"{where} lists a message index outside its message index block")
        opcode, length, indexed_channel, records_length = _MESSAGE_INDEX_HEAD.unpack_from(block, position)
        entries_start = position + _MESSAGE_INDEX_HEAD.size
        if (
            opcode != Opcode.MESSAGE_INDEX
            or indexed_channel != channel_id
            or records_length % 16
            or length < records_length + 6
            or entries_start + records_length > len(block)
        ):
            raise NoUsableIndex(f"{where} points at a broken MessageIndex record for channel {channel_id}")
        entries = array("Q", block[entries_start : entries_start + records_length])
        if sys.byteorder == "big":
            entries.byteswap()
        if entries:
            times_by_channel[channel_id] = entries[0::2]  # (log_time, offset) pairs
    return times_by_channel


def _read_metadata(file: BinaryIO, size: int, summary: Summary, findings: Findings) -> None:
    for metadata_index in summary.metadata_indexes:
        try:
            record = _read_at(file, size, metadata_index.offset, metadata_index.length, "a metadata index")
            opcode, _ = RECORD_HEADER.unpack_from(record)
            if opcode != Opcode.METADATA:
                raise ValueError(f"opcode {opcode:#04x} is not a Metadata record")
            findings.add_metadata(parse_record(Metadata, record[RECORD_HEADER.size :]))
        except (NoUsableIndex, *CORRUPTION) as error:
            findings.notes.append(
                f"metadata record at byte {metadata_index.offset} unreadable ({error}); its keys are skipped"
            )
    statistics = summary.statistics
    if statistics is not None and statistics.metadata_count > len(summary.metadata_indexes):
        findings.notes.append(
            f"{statistics.metadata_count - len(summary.metadata_indexes)} metadata record(s) are not "
            "indexed in the summary; their keys are not read"
        )
