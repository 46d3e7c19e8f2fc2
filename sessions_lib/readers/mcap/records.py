"""The MCAP records both reading paths parse: the magic, record framing, the Header, chunk contents.

Records are parsed with mcap's own ``Record.read`` where its speed is enough and with ``struct`` on the
hot paths (record headers, Message heads). Whatever a corrupt or cut file makes the parsing raise is
one of ``CORRUPTION``.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import BinaryIO, TypeVar

import lz4.frame
import zstandard
from mcap.data_stream import ReadDataStream
from mcap.exceptions import McapError
from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, Header, Metadata, MetadataIndex, Schema, Statistics

from sessions_lib.errors import ReaderError
from sessions_lib.readers.mcap.findings import Findings

MAGIC = b"\x89MCAP0\r\n"

RECORD_HEADER = struct.Struct("<BQ")  # opcode, length of the record body
MESSAGE_HEAD = struct.Struct("<HIQ")  # channel_id, sequence, log_time (publish_time and data follow)
MESSAGE_MIN_BODY = 22  # channel_id 2 + sequence 4 + log_time 8 + publish_time 8

# What a corrupt or cut file makes the parsing raise: mcap's own errors (EndOfFile, ...), short
# struct reads, bad UTF-8 (a ValueError), broken zstd data, and lz4, which raises RuntimeError.
CORRUPTION = (
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


def read_header(path: Path, file: BinaryIO, size: int) -> tuple[Header, int]:
    """The Header record that must follow the magic, and the offset of the record after it."""
    start = len(MAGIC)
    head = file.read(RECORD_HEADER.size)
    if len(head) < RECORD_HEADER.size:
        raise ReaderError(f"{path}: truncated at byte {start + len(head)}: no Header record after the magic")
    opcode, length = RECORD_HEADER.unpack(head)
    if opcode != Opcode.HEADER:
        raise ReaderError(f"{path}: corrupt MCAP: the first record has opcode {opcode:#04x}, not a Header")
    end = start + RECORD_HEADER.size + length
    if end > size:
        raise ReaderError(f"{path}: truncated at byte {size}: the Header record ends at byte {end}")
    try:
        header = Header.read(ReadDataStream(BytesIO(file.read(length))))
    except CORRUPTION as error:
        raise ReaderError(f"{path}: corrupt MCAP Header record ({error or type(error).__name__})") from None
    return header, end


def walk_records(data: bytes | memoryview, where: int = 0) -> Iterator[tuple[int, int, int]]:
    """(opcode, body offset, body end) of each record in ``data``; a cut record raises ValueError."""
    position = 0
    while position < len(data):
        if position + RECORD_HEADER.size > len(data):
            raise ValueError(f"record header cut at byte {where + position}")
        opcode, length = RECORD_HEADER.unpack_from(data, position)
        body = position + RECORD_HEADER.size
        if body + length > len(data):
            raise ValueError(f"record at byte {where + position} runs past its section")
        yield opcode, body, body + length
        position = body + length


def parse_record(record_type: type[_Parsed], body: bytes | memoryview) -> _Parsed:
    """One record body parsed with mcap's own reader for its type."""
    return record_type.read(ReadDataStream(BytesIO(body)))


def chunk_data(chunk: Chunk) -> bytes:
    """A chunk's records, decompressed; ValueError for an unknown compression or a wrong size."""
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
    return data


def times_in_chunk(chunk: Chunk, findings: Findings) -> dict[int, list[int]]:
    """Each channel's log times in one chunk, from its records; keeps the Schema and Channel records."""
    data = chunk_data(chunk)
    times: dict[int, list[int]] = defaultdict(list)
    for opcode, body, end in walk_records(data):
        if opcode == Opcode.MESSAGE:
            if end - body < MESSAGE_MIN_BODY:
                raise ValueError(f"Message record of {end - body} bytes is too short")
            channel_id, _, log_time = MESSAGE_HEAD.unpack_from(data, body)
            times[channel_id].append(log_time)
        elif opcode == Opcode.CHANNEL:
            channel = parse_record(Channel, data[body:end])
            findings.channels.setdefault(channel.id, channel)
        elif opcode == Opcode.SCHEMA:
            schema = parse_record(Schema, data[body:end])
            findings.schemas.setdefault(schema.id, schema)
    return times
