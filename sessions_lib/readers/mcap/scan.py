"""Scan path (``index_used="scan"``): spans from a walk over the records, for files without a usable index.

A file with no footer, no summary section, no chunk indexes, a summary failing its CRC or indexes that
contradict the file (truncated, unfinished or corrupt files) is walked record by record: Message
records give ``channel_id`` and ``log_time`` (payloads are seeked over), chunks are decompressed and
walked the same way. A cut or unreadable record ends the walk; the spans then cover the readable part
and a note says where it stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, Metadata, Schema

from sessions_lib.errors import ReaderError
from sessions_lib.readers.mcap.findings import Findings
from sessions_lib.readers.mcap.records import (
    CORRUPTION,
    MESSAGE_HEAD,
    MESSAGE_MIN_BODY,
    RECORD_HEADER,
    parse_record,
    times_in_chunk,
)


def from_scan(path: Path, file: BinaryIO, size: int, data_start: int, reason: str) -> Findings:
    """Walk the records after the header; stop at the end of the data section or at what is unreadable."""
    findings = Findings()
    findings.notes.append(f"{reason}: spans come from a scan of the records")
    position = data_start
    records_read = 0
    stop: str | None = None
    file.seek(position)
    while True:
        head = file.read(RECORD_HEADER.size)
        if len(head) < RECORD_HEADER.size:
            stop = f"truncated at byte {size}: the file ends without a footer"
            break
        opcode, length = RECORD_HEADER.unpack(head)
        end = position + RECORD_HEADER.size + length
        if end > size:
            stop = f"truncated at byte {size}: the record at byte {position} runs past the end of the file"
            break
        if opcode in (Opcode.DATA_END, Opcode.FOOTER):
            break
        try:
            if opcode == Opcode.MESSAGE:
                if length < MESSAGE_MIN_BODY:
                    raise ValueError(f"Message record of {length} bytes is too short")
                channel_id, _, log_time = MESSAGE_HEAD.unpack(file.read(MESSAGE_HEAD.size))
                findings.add_times(channel_id, (log_time,))
            elif opcode == Opcode.CHUNK:
                chunk = parse_record(Chunk, file.read(length))
                for channel_id, times in times_in_chunk(chunk, findings).items():
                    findings.add_times(channel_id, times)
            elif opcode == Opcode.CHANNEL:
                channel = parse_record(Channel, file.read(length))
                findings.channels.setdefault(channel.id, channel)
            elif opcode == Opcode.SCHEMA:
                schema = parse_record(Schema, file.read(length))
                findings.schemas.setdefault(schema.id, schema)
            elif opcode == Opcode.METADATA:
                findings.add_metadata(parse_record(Metadata, file.read(length)))
            elif opcode == Opcode.HEADER:
                raise ValueError("a second Header record")
        except CORRUPTION as error:
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
