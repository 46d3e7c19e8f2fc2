"""PX4 ULog reader: per-topic spans, GPS epoch anchor, armed intervals and vehicle identity.

One pass over the file's bytes walks the message headers (``messages.py``, formats in
``formats.py``); the data messages' ``timestamp`` fields give the spans (``topics.py``), GPS UTC time
the epoch offset (``clock.py``) and the arming state the armed intervals (``arming.py``).

>>> from pathlib import Path
>>> recording = read(Path("flight.ulg"))  # doctest: +SKIP
>>> recording.topics[0].name, recording.anchored  # doctest: +SKIP
('actuator_armed', True)
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

import numpy as np

from sessions_lib.errors import ReaderError
from sessions_lib.model.records import ActivityInterval, RecordedTopic, Recording
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.ulog.arming import armed_intervals
from sessions_lib.readers.ulog.clock import epoch_offset_ns
from sessions_lib.readers.ulog.decode import messages
from sessions_lib.readers.ulog.formats import layout_of
from sessions_lib.readers.ulog.messages import (
    IDENTIFYING_INFO_KEYS,
    MAGIC,
    match_messages,
    open_log,
    scan_messages,
    timestamp_field,
)
from sessions_lib.readers.ulog.topics import SPAN_GAP_PERIODS, TopicSpans, note_omissions, span_gap_ns


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """Read a ULog file into topics, spans, epoch offset, armed intervals and identifiers.

    Raises ``ReaderError`` (naming the file and the cause) for an unreadable, empty, non-ULog or
    hopelessly corrupt file; a file cut short is read up to its last complete message.
    """
    path = Path(path)
    with open_log(path) as contents:
        try:
            return _recording(path, contents)
        except ReaderError:
            raise
        except (struct.error, ValueError, IndexError, KeyError, OverflowError, RecursionError) as error:
            raise ReaderError(f"{path}: not a readable ULog file ({type(error).__name__}: {error})") from None


READER = Reader("ulog", read, magic=MAGIC, extensions=(".ulg",), messages=messages)


def _recording(path: Path, buf: bytes | mmap.mmap) -> Recording:
    scan = scan_messages(path, buf)
    data = np.frombuffer(buf, np.uint8)
    notes = scan.notes
    subs = scan.subscriptions
    layouts = [layout_of(s.name, scan.formats, scan.layouts) for s in subs]
    messages = match_messages(data, scan, layouts, notes)

    names = sorted({s.topic for s in subs})
    message_names = {s.topic: s.name for s in subs}
    topic_index = {name: i for i, name in enumerate(names)}
    sub_topic = np.array([topic_index[s.topic] for s in subs] or [0], np.int64)
    topic_of = sub_topic[messages.subscription]
    spans = TopicSpans(topic_of, messages.timestamps_us, len(names))
    counts = np.bincount(topic_of, minlength=len(names)).tolist()

    offset_ns, anchored = epoch_offset_ns(data, messages, subs, layouts, notes)
    topics = [
        RecordedTopic(
            name,
            spans=spans.of(i),
            unix_epoch_offset_ns=offset_ns,
            message_count=counts[i],
            schema_name=message_names[name],
            schema_encoding="ulog",
            timeline_source="field",
        )
        for i, name in enumerate(names)
        if counts[i]
    ]
    untimed = {s.topic for s, layout in zip(subs, layouts, strict=True) if timestamp_field(layout) is None}
    note_omissions(scan, topics, spans, names, untimed, notes)
    activity = armed_intervals(data, messages, subs, layouts, spans.last_ns, notes)
    if anchored:
        activity = [ActivityInterval(a.kind, a.start_ns + offset_ns, a.end_ns + offset_ns) for a in activity]
    return Recording(
        "ulog",
        tuple(topics),
        index_used="scan",
        anchored=anchored,
        identifiers={f"ulog.{key}": value for key, value in scan.info.items()},
        activity=tuple(activity),
        notes=tuple(notes),
    )


__all__ = [
    "IDENTIFYING_INFO_KEYS",
    "MAGIC",
    "READER",
    "SPAN_GAP_PERIODS",
    "messages",
    "read",
    "span_gap_ns",
]
