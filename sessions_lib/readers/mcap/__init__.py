"""MCAP reader: per-topic spans from the file's summary and message indexes, never from payloads.

A file with a usable summary is read by its indexes (``summary.py``, ``index_used="summary"``); any
other (truncated, unfinished, corrupt) is walked record by record (``scan.py``, ``index_used="scan"``).
Both parse records with ``records.py`` and collect what they find in ``findings.py``.

Spans: a channel's log times are split wherever two consecutive messages are more than
``SPAN_GAP_NS`` apart. Both paths give the spans of that rule, so the spans do not depend on the
path or on how the file was chunked. Channels sharing a topic name become one topic.

    >>> read(Path("drive.mcap")).topics[0].spans  # doctest: +SKIP
    ((1700000000000000000, 1700000062500000000),)
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Literal

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import Recording
from sessions_lib.readers.mcap import messages as topic_messages
from sessions_lib.readers.mcap.findings import MAX_IDENTIFIER_CHARS, to_recording
from sessions_lib.readers.mcap.records import CORRUPTION, MAGIC, read_header
from sessions_lib.readers.mcap.scan import from_scan
from sessions_lib.readers.mcap.summary import NoUsableIndex, from_summary
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader


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
    except CORRUPTION as error:
        raise ReaderError(f"{path}: unreadable MCAP ({type(error).__name__}: {error})") from None


READER = Reader("mcap", read, magic=MAGIC, extensions=(".mcap",), messages=topic_messages.messages)


def _read_open_file(path: Path, file: BinaryIO, size: int) -> Recording:
    magic = file.read(len(MAGIC))
    if magic != MAGIC:
        raise ReaderError(f"{path}: not an MCAP file: it starts with {magic[:8]!r}, not the MCAP magic")
    header, data_start = read_header(path, file, size)
    try:
        findings = from_summary(file, size, data_start)
        index_used: Literal["summary", "scan"] = "summary"
    except NoUsableIndex as reason:
        findings = from_scan(path, file, size, data_start, str(reason))
        index_used = "scan"
    for key, value in (("mcap.profile", header.profile), ("mcap.library", header.library)):
        if value:
            findings.identifiers[key] = value
    return to_recording(findings, index_used)


__all__ = ["MAGIC", "MAX_IDENTIFIER_CHARS", "READER", "read"]
