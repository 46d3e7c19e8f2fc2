"""PX4 ULog reader: per-topic spans, GPS epoch anchor, armed intervals and vehicle identity.

One pass over the file's bytes walks the message headers; data ('D') messages are never decoded
beyond their ``msg_id`` and their ``timestamp`` field, except the few fields needed for the epoch
anchor (GPS ``time_utc_usec``) and arming (``vehicle_status.arming_state``). Long runs of data
messages are crossed with numpy instead of one Python step per message (see ``_DataCandidates``).

Conventions:

- **Topic names**: the logged message name, plus ``/<multi_id>`` for instances other than 0:
  ``vehicle_status``, ``sensor_accel``, ``sensor_accel/1``. Instance 0 keeps the bare name so a
  single-instance topic is named the same on every vehicle.
- **Clock**: the ``timestamp`` field, microseconds since boot, stored as nanoseconds
  (``timeline_source="field"``). A timestamp of 0 is not a time (the logger writes it for topics never
  published): such samples count in ``message_count`` but not in spans, and the notes count them.
- **Spans** split where a topic is silent for longer than ``max(SPAN_GAP_NS, SPAN_GAP_PERIODS x its
  median period)`` (see ``span_gap_ns``).
- **Epoch offset**: median of ``time_utc_usec - timestamp`` over GPS samples with UTC time
  (``vehicle_gps_position``, else ``sensor_gps``); every topic of the file shares it. Without one the
  recording is unanchored (offset 0) and says so.
- **Armed intervals**: ``vehicle_status.arming_state == 2`` (ARMED in every PX4 release), else
  ``actuator_armed.armed``; from the first armed sample to the first sample that is not armed, or to
  the log's last sample if it never disarms.

>>> from pathlib import Path
>>> recording = read(Path("flight.ulg"))  # doctest: +SKIP
>>> recording.topics[0].name, recording.anchored  # doctest: +SKIP
('actuator_armed', True)
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import re
import struct
from bisect import bisect_left
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sessions_lib.errors import ReaderError
from sessions_lib.readers.options import DEFAULT_OPTIONS, ReadOptions
from sessions_lib.readers.protocol import Reader
from sessions_lib.readers.spans import SPAN_GAP_NS, is_gap
from sessions_lib.readers.units import NS_PER_MS, NS_PER_US
from sessions_lib.records import ActivityInterval, RecordedTopic, Recording

MAGIC = b"ULog\x01\x12\x35"
HEADER_SIZE = 16  # magic (7) + version (1) + start timestamp (uint64 us)
SYNC_MAGIC = b"\x2f\x73\x13\x20\x25\x0c\xbb\x12"  # payload of 'S' messages: where to resume after corruption

# A topic silent for more than this many of its median periods (or SPAN_GAP_NS, whichever is longer)
# gets a new span. ULog holds both streams (100-1000 Hz sensors: the 1 s floor applies, so a dropout
# of a second shows) and slow or on-change topics (1 Hz status, a battery at 0.5 Hz, commands): these
# would otherwise fall apart into one span per sample; 10 periods is far above their jitter.
SPAN_GAP_PERIODS = 10

# Boot-relative timestamps above this (2**62 ns, ~146 years of uptime) are corruption, not time; the
# bound also keeps ``stored + epoch offset`` inside int64 nanoseconds.
MAX_TIMESTAMP_US = 2**62 // NS_PER_US

GPS_TOPICS = ("vehicle_gps_position", "sensor_gps")  # older PX4 first, then PX4 >= 1.14
# vehicle_status.arming_state: INIT 0, STANDBY 1, ARMED 2 in every PX4 release (PX4 < 1.9 also had
# ARMED_ERROR = 3, not counted as armed; no real log here shows it).
ARMING_STATE_ARMED = 2
# 'I' info keys that identify the vehicle and its software; reported as "ulog.<key>".
IDENTIFYING_INFO_KEYS = (
    "sys_name",
    "sys_uuid",
    "ver_hw",
    "ver_hw_subtype",
    "ver_sw",
    "ver_sw_branch",
    "ver_sw_release",
    "sys_os_name",
    "sys_mcu",
)

# Message types (the third byte of every message header).
_FLAG_BITS, _FORMAT, _INFO, _INFO_MULTIPLE = ord("B"), ord("F"), ord("I"), ord("M")
_PARAMETER, _PARAMETER_DEFAULT, _ADD_LOGGED, _REMOVE_LOGGED = ord("P"), ord("Q"), ord("A"), ord("R")
_DATA, _LOGGING, _LOGGING_TAGGED, _SYNC, _DROPOUT = ord("D"), ord("L"), ord("C"), ord("S"), ord("O")
_SKIPPED_TYPES = frozenset(
    {_INFO_MULTIPLE, _PARAMETER, _PARAMETER_DEFAULT, _REMOVE_LOGGED, _LOGGING, _LOGGING_TAGGED, _SYNC}
)
# Like pyulog: an unknown type is skipped (a newer ULog), unless its header looks like garbage.
_MAX_SANE_UNKNOWN_SIZE = 10_000
_MAX_NESTING = 16

# ULog basic types: struct code and size in bytes.
_BASIC_TYPES: dict[str, tuple[str, int]] = {
    "int8_t": ("b", 1),
    "uint8_t": ("B", 1),
    "int16_t": ("h", 2),
    "uint16_t": ("H", 2),
    "int32_t": ("i", 4),
    "uint32_t": ("I", 4),
    "int64_t": ("q", 8),
    "uint64_t": ("Q", 8),
    "float": ("f", 4),
    "double": ("d", 8),
    "bool": ("?", 1),
    "char": ("c", 1),
}
_NUMPY_TYPES: dict[str, np.dtype] = {
    "uint8_t": np.dtype(np.uint8),
    "int8_t": np.dtype(np.int8),
    "bool": np.dtype(np.uint8),
    "uint64_t": np.dtype("<u8"),
}

_FORMAT_FIELD = re.compile(r"([^ ;\[\]]+)(?:\[(\d{1,6})\])? ([^ ;]+);")
_FORMAT_BODY = re.compile(r"(?:[^ ;\[\]]+(?:\[\d{1,6}\])? [^ ;]+;)*")
_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")


def read(path: Path, options: ReadOptions = DEFAULT_OPTIONS) -> Recording:
    """Read a ULog file into topics, spans, epoch offset, armed intervals and identifiers.

    Raises ``ReaderError`` (naming the file and the cause) for an unreadable, empty, non-ULog or
    hopelessly corrupt file; a file cut short is read up to its last complete message.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size == 0:
                raise ReaderError(f"{path}: empty file (0 bytes), not a ULog file")
            try:  # mapped, not copied: the page cache is read in place
                contents: mmap.mmap | bytes = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # not mappable (a pipe, a special file): read it
                contents = file.read()
    except OSError as error:
        raise ReaderError(f"{path}: cannot be read: {error.strerror or error}") from None
    try:
        return _recording(path, contents)
    except ReaderError:
        raise
    except (struct.error, ValueError, IndexError, KeyError, OverflowError, RecursionError) as error:
        raise ReaderError(f"{path}: not a readable ULog file ({type(error).__name__}: {error})") from None
    finally:
        if isinstance(contents, mmap.mmap):
            with contextlib.suppress(BufferError):  # views still held by a traceback: closed when freed
                contents.close()


READER = Reader("ulog", read, magic=MAGIC, extensions=(".ulg",))


# --- formats ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    """Byte layout of one message format, nested types flattened into sizes."""

    size: int  # with trailing padding
    min_size: int  # without the trailing top-level ``_padding`` fields (what PX4 writes)
    # top-level field name -> (offset, type name, array size; 0 for a scalar)
    offsets: dict[str, tuple[int, str, int]]

    def scalar(self, name: str, type_names: tuple[str, ...]) -> tuple[int, str] | None:
        """Offset and type of scalar field ``name`` if it has one of ``type_names``."""
        offset, type_name, array_size = self.offsets.get(name, (0, "", 1))
        return (offset, type_name) if type_name in type_names and array_size == 0 else None


def _layout(name: str, formats: dict[str, str], cache: dict, depth: int = 0) -> _Layout | None:
    """The layout of format ``name``, or ``None`` if it (or a nested type) is undefined or malformed.

    A format body is ``"type field;type[n] field;..."``; nested types are other formats' names.
    """
    if name in cache:
        return cache[name]
    cache[name] = None  # until proven sound; also stops a format that contains itself
    body = formats.get(name)
    if body is None or depth > _MAX_NESTING:
        return None
    if body and not body.endswith(";"):
        body += ";"
    if not _FORMAT_BODY.fullmatch(body):
        return None
    offsets: dict[str, tuple[int, str, int]] = {}
    offset = trailing = 0
    for type_name, count, field_name in _FORMAT_FIELD.findall(body):
        array_size = int(count) if count else 0
        basic = _BASIC_TYPES.get(type_name)
        nested = None if basic else _layout(type_name, formats, cache, depth + 1)
        if basic is None and nested is None:
            return None
        size = (basic[1] if basic else nested.size) * max(array_size, 1)  # type: ignore[union-attr]
        offsets.setdefault(field_name, (offset, type_name, array_size))
        offset += size
        trailing = trailing + size if field_name.startswith("_padding") else 0
        if offset > 0xFFFF:  # larger than any message can be
            return None
    cache[name] = layout = _Layout(offset, offset - trailing, offsets)
    return layout


@dataclass(frozen=True, slots=True)
class _Subscription:
    """An 'A' message: ``msg_id`` now carries instance ``multi_id`` of message ``name``."""

    position: int
    msg_id: int
    multi_id: int
    name: str

    @property
    def topic(self) -> str:
        return self.name if self.multi_id == 0 else f"{self.name}/{self.multi_id}"


# --- the scan --------------------------------------------------------------------------------------


class _DataCandidates:
    """Every place in the file that could start a data message, found with numpy in one pass.

    A candidate has 'D' as its type byte and a size that fits its msg_id (see ``_plausible_sizes``).
    Where each candidate's end is the next candidate's start, the candidates form a run; once the walk
    stands on a real message that is a candidate, the whole run is real (each size leads to the next
    real message), so the walk jumps to the run's end. Candidates inside payloads are never stood on;
    a real message that is no candidate is simply walked over one step at a time.
    """

    def __init__(self, data: np.ndarray, start: int, sizes_by_msg_id: tuple[np.ndarray, np.ndarray]) -> None:
        end = data.size
        types = data[start + 2 :] if start + 2 < end else data[:0]
        positions = np.flatnonzero(types == _DATA) + start
        positions = positions[: np.searchsorted(positions, end - 5, side="right")]  # sorted: trim the tail
        sizes, msg_ids = _header_fields(data, positions)
        lowest, highest = sizes_by_msg_id
        keep = (sizes >= lowest[msg_ids]) & (sizes <= highest[msg_ids]) & (positions + 3 + sizes <= end)
        self.positions, self.sizes, self.msg_ids = positions[keep], sizes[keep], msg_ids[keep]
        self.ends = self.positions + 3 + self.sizes
        run_ends = np.flatnonzero(self.ends[:-1] != self.positions[1:])
        self.run_ends = [*run_ends.tolist(), self.positions.size - 1]

    def run_from(self, position: int, stop: int) -> tuple[int, int] | None:
        """First and last candidate index of the run starting at ``position``, ending by ``stop``."""
        first = int(np.searchsorted(self.positions, position))
        if first >= self.positions.size or self.positions[first] != position:
            return None
        last = self.run_ends[bisect_left(self.run_ends, first)]
        if self.ends[last] > stop:  # the run crosses into appended data: end it before
            last = first + int(np.searchsorted(self.ends[first : last + 1], stop, side="right")) - 1
            if last < first:
                return None
        return first, last


@dataclass(slots=True)
class _Scan:
    """What one walk over the messages found."""

    start_us: int = 0
    formats: dict[str, str] = field(default_factory=dict)  # name -> field list, parsed when needed
    layouts: dict[str, _Layout | None] = field(default_factory=dict)  # parsed formats
    info: dict[str, str] = field(default_factory=dict)
    subscriptions: list[_Subscription] = field(default_factory=list)
    data_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # in file order
    data_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # of the message
    data_msg_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    messages: int = 0  # complete messages read after the header
    dropouts: int = 0
    dropout_ms: int = 0
    notes: list[str] = field(default_factory=list)


def _scan(path: Path, buf: bytes | mmap.mmap) -> _Scan:
    """Walk the file's messages once; collect definitions and the position of every data message."""
    if not buf:
        raise ReaderError(f"{path}: empty file (0 bytes), not a ULog file")
    if buf[: len(MAGIC)] != MAGIC[: len(buf)]:
        raise ReaderError(f"{path}: not a ULog file: expected magic {MAGIC!r}, found {buf[:7]!r}")
    if len(buf) < HEADER_SIZE:
        raise ReaderError(f"{path}: truncated inside the {HEADER_SIZE}-byte ULog header ({len(buf)} bytes)")
    scan = _Scan(start_us=_U64.unpack_from(buf, 8)[0])
    data = np.frombuffer(buf, np.uint8)
    end_of_file = len(buf)
    stops: list[int] = []  # appended-data offsets still ahead (flag bits)
    stop = end_of_file
    candidates: _DataCandidates | None = None
    runs: list[tuple[int, int]] = []
    singles: list[int] = []
    unknown_types: dict[int, int] = {}
    pos = HEADER_SIZE
    while True:
        if pos + 3 > stop or pos + 3 + (buf[pos] | buf[pos + 1] << 8) > stop:
            if stop < end_of_file:  # the end of a segment before appended data: continue there
                pos, stop = stop, stops.pop(0) if stops else end_of_file
                continue
            if pos < end_of_file:
                scan.notes.append(
                    f"truncated at byte {pos}: the last message is cut short (file has {end_of_file} "
                    f"bytes); read the complete messages before it"
                )
            break
        size = buf[pos] | buf[pos + 1] << 8
        kind = buf[pos + 2]
        payload = pos + 3
        if kind == _DATA:
            if candidates is None:
                candidates = _DataCandidates(data, pos, _plausible_sizes(scan))
            run = candidates.run_from(pos, stop)
            if run is not None:
                runs.append(run)
                scan.messages += run[1] - run[0] + 1
                pos = int(candidates.ends[run[1]])
                continue
            singles.append(pos)
        elif kind in _SKIPPED_TYPES:
            pass
        elif kind == _ADD_LOGGED and size >= 3:
            name = buf[payload + 3 : payload + size].decode("utf-8", "replace")
            msg_id = _U16.unpack_from(buf, payload + 1)[0]
            scan.subscriptions.append(_Subscription(pos, msg_id, buf[payload], name))
        elif kind == _FORMAT:
            name, colon, body = buf[payload : payload + size].decode("utf-8", "replace").partition(":")
            if colon:
                scan.formats[name] = body
            else:
                scan.notes.append(f"malformed format definition at byte {pos} ignored (no 'name:')")
        elif kind == _INFO and size >= 1:
            _read_info(buf[payload : payload + size], scan.info)
        elif kind == _DROPOUT and size >= 2:
            scan.dropouts += 1
            scan.dropout_ms += _U16.unpack_from(buf, payload)[0]
        elif kind == _FLAG_BITS and pos == HEADER_SIZE and size >= 16:
            stops = _appended_offsets(path, buf[payload : payload + size], payload + size, end_of_file)
            if stops:
                scan.notes.append(f"data appended after a crash at byte(s) {stops}; read all segments")
                stop = stops.pop(0)
        elif kind not in (_ADD_LOGGED, _INFO, _DROPOUT, _FLAG_BITS):
            if kind == 0 or size == 0 or size > _MAX_SANE_UNKNOWN_SIZE:
                resume = buf.find(SYNC_MAGIC, pos + 1, stop)
                where = f"corrupt message header at byte {pos} (type {kind:#04x}, size {size})"
                if resume < 0:
                    scan.notes.append(f"{where}: stopped reading there (no sync marker follows)")
                    break
                scan.notes.append(f"{where}: skipped to the sync marker at byte {resume}")
                pos = resume + len(SYNC_MAGIC)
                continue
            unknown_types[kind] = unknown_types.get(kind, 0) + 1
        scan.messages += 1
        pos = payload + size
    if scan.messages == 0:
        raise ReaderError(f"{path}: no complete ULog message after the {HEADER_SIZE}-byte header")
    if unknown_types:
        listed = ", ".join(f"{chr(k)!r}: {n}" for k, n in sorted(unknown_types.items()))
        scan.notes.append(f"skipped messages of unknown type ({listed})")
    positions = np.array(singles, np.int64)
    sizes, msg_ids = _header_fields(data, positions)
    if runs and candidates is not None:
        indices = np.concatenate([np.arange(first, last + 1) for first, last in runs])
        positions = np.concatenate([candidates.positions[indices], positions])
        sizes = np.concatenate([candidates.sizes[indices], sizes])
        msg_ids = np.concatenate([candidates.msg_ids[indices], msg_ids])
        if singles:  # two sorted parts: a stable sort merges them in linear time
            order = np.argsort(positions, kind="stable")
            positions, sizes, msg_ids = positions[order], sizes[order], msg_ids[order]
    scan.data_positions, scan.data_sizes, scan.data_msg_ids = positions, sizes, msg_ids
    return scan


def _header_fields(data: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Message size and msg_id of the data messages starting at ``positions``."""
    sizes = data[positions].astype(np.int64) | (data[positions + 1].astype(np.int64) << 8)
    msg_ids = data[positions + 3].astype(np.int64) | (data[positions + 4].astype(np.int64) << 8)
    return sizes, msg_ids


def _plausible_sizes(scan: _Scan) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest message size per msg_id that a data message may have.

    Subscribed ids: the sizes of their format. Ids not subscribed yet but close above the highest
    one (PX4 numbers subscriptions upwards, multi-instance topics come later): any size that holds
    a timestamp. Other ids: none, so bytes inside payloads rarely look like a data message.
    """
    lowest = np.full(0x10000, 0x10000, np.int64)
    highest = np.full(0x10000, -1, np.int64)
    top = max((s.msg_id for s in scan.subscriptions), default=-1)
    lowest[: top + 257], highest[: top + 257] = 2 + 8, 0xFFFF
    seen: set[int] = set()
    for sub in scan.subscriptions:
        layout = _layout(sub.name, scan.formats, scan.layouts)
        low, high = (2 + layout.min_size, 2 + layout.size) if layout else (0x10000, -1)
        if sub.msg_id not in seen:  # replace the guess
            seen.add(sub.msg_id)
            lowest[sub.msg_id], highest[sub.msg_id] = low, high
        else:
            lowest[sub.msg_id] = min(lowest[sub.msg_id], low)
            highest[sub.msg_id] = max(highest[sub.msg_id], high)
    return lowest, highest


def _appended_offsets(path: Path, flags: bytes, after: int, end_of_file: int) -> list[int]:
    """Appended-data offsets from the flag bits; ``ReaderError`` on incompatible flags we don't know."""
    incompat = flags[8:16]
    if incompat[0] & ~1 or any(incompat[1:]):
        raise ReaderError(
            f"{path}: unknown incompatible ULog flag bits {incompat.hex()}: the log cannot be read safely"
        )
    if not incompat[0] & 1 or len(flags) < 40:
        return []
    offsets = struct.unpack_from("<3Q", flags, 16)
    return sorted({o for o in offsets if after < o < end_of_file})


def _read_info(payload: bytes, info: dict[str, str]) -> None:
    """Keep an 'I' message's value if its key identifies the vehicle."""
    key_length = payload[0]
    type_name, _, key = payload[1 : 1 + key_length].decode("utf-8", "replace").partition(" ")
    if key not in IDENTIFYING_INFO_KEYS:
        return
    value = payload[1 + key_length :]
    if type_name.startswith("char["):
        info[key] = value.decode("utf-8", "replace").rstrip("\x00")
    elif type_name in _BASIC_TYPES and type_name != "char":
        code, size = _BASIC_TYPES[type_name]
        if len(value) == size:
            info[key] = str(struct.unpack("<" + code, value)[0])


# --- from messages to a recording ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Messages:
    """The valid data messages of the file, each with its subscription and timestamp."""

    positions: np.ndarray  # message start in the file
    subscription: np.ndarray  # index into the subscriptions
    timestamps_us: np.ndarray  # uint64; 0 where the format has no uint64 timestamp


def _gather(data: np.ndarray, starts: np.ndarray, type_name: str) -> np.ndarray:
    """The little-endian value of a basic type at each of ``starts`` (any alignment)."""
    dtype = _NUMPY_TYPES[type_name]
    if dtype.itemsize == 1:
        return data[starts].view(dtype)
    if starts.size == 0:
        return np.zeros(0, dtype)
    # A view with a one-byte stride: element i is the value starting at byte i.
    every_offset = np.ndarray((data.size - dtype.itemsize + 1,), dtype, buffer=data, strides=(1,))
    return every_offset[starts]


def _recording(path: Path, buf: bytes | mmap.mmap) -> Recording:
    scan = _scan(path, buf)
    data = np.frombuffer(buf, np.uint8)
    notes = scan.notes
    subs = scan.subscriptions
    layouts = [_layout(s.name, scan.formats, scan.layouts) for s in subs]
    messages = _messages(data, scan, layouts, notes)

    names = sorted({s.topic for s in subs})
    message_names = {s.topic: s.name for s in subs}
    topic_index = {name: i for i, name in enumerate(names)}
    sub_topic = np.array([topic_index[s.topic] for s in subs] or [0], np.int64)
    topic_of = sub_topic[messages.subscription]
    spans = _TopicSpans(topic_of, messages.timestamps_us, len(names))
    counts = np.bincount(topic_of, minlength=len(names)).tolist()

    offset_ns, anchored = _epoch_offset_ns(data, messages, subs, layouts, notes)
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
    untimed = {s.topic for s, layout in zip(subs, layouts, strict=True) if _timestamp_field(layout) is None}
    _describe(scan, topics, spans, names, untimed, notes)
    activity = _armed_intervals(data, messages, subs, layouts, spans.last_ns, notes)
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


def span_gap_ns(intervals_ns: np.ndarray) -> int:
    """Silence that splits a topic's span, from the intervals between its consecutive samples.

    ``SPAN_GAP_PERIODS`` times the median interval (the lower median: an exact integer), and at
    least ``SPAN_GAP_NS``.

    >>> span_gap_ns(np.full(11, 5_000_000_000))  # a sample every 5 s
    50000000000
    >>> span_gap_ns(np.full(1000, 10_000_000))  # 100 Hz
    1000000000
    """
    if intervals_ns.size == 0:
        return SPAN_GAP_NS
    middle = (intervals_ns.size - 1) // 2
    # Two kth values: numpy's single-kth partition is pathologically slow on the few distinct
    # intervals of a steady topic (measured: 10x slower than this on the real logs).
    period = int(np.partition(intervals_ns, [middle, min(middle + 1, intervals_ns.size - 1)])[middle])
    return max(SPAN_GAP_NS, SPAN_GAP_PERIODS * period)


class _TopicSpans:
    """Every topic's spans at once: samples grouped by topic, sorted by time, split at silences.

    Samples with timestamp 0 (or absurdly large) are left out and counted per topic.
    """

    def __init__(self, topic_of: np.ndarray, timestamps_us: np.ndarray, topic_count: int) -> None:
        real = (timestamps_us > 0) & (timestamps_us <= MAX_TIMESTAMP_US)
        self.zeros = np.bincount(topic_of[timestamps_us == 0], minlength=topic_count).tolist()
        topics = topic_of[real]
        times = timestamps_us[real].astype(np.int64) * NS_PER_US
        key = topics.astype(np.uint16 if topic_count <= 0x10000 else np.uint32)
        order = np.argsort(key, kind="stable")  # a radix sort; keeps file order within a topic
        topics, times = topics[order], times[order]
        same_topic = topics[1:] == topics[:-1]
        intervals = np.diff(times)
        if np.any(same_topic & (intervals < 0)):  # rare: a topic out of time order in the file
            order = np.lexsort((times, topics))
            topics, times = topics[order], times[order]
            intervals = np.diff(times)
        bounds = np.searchsorted(topics, np.arange(topic_count + 1)).tolist()
        gaps = np.array(
            [span_gap_ns(intervals[lo : max(lo, hi - 1)]) for lo, hi in itertools.pairwise(bounds)] or [0],
            np.int64,
        )
        split = same_topic & is_gap(intervals, gaps[topics[:-1]])
        starts = np.concatenate(([True], ~same_topic | split)) if times.size else np.zeros(0, bool)
        ends = np.concatenate((~same_topic | split, [True])) if times.size else np.zeros(0, bool)
        self.starts, self.ends = times[starts].tolist(), times[ends].tolist()
        self.span_bounds = np.searchsorted(topics[starts], np.arange(topic_count + 1)).tolist()
        self.last_ns = int(times.max()) if times.size else None
        self.times = times

    def of(self, topic: int) -> tuple[tuple[int, int], ...]:
        lo, hi = self.span_bounds[topic], self.span_bounds[topic + 1]
        return tuple(zip(self.starts[lo:hi], self.ends[lo:hi], strict=True))


def _timestamp_field(layout: _Layout | None) -> int | None:
    """Offset of the uint64 top-level ``timestamp`` field, if the format has one."""
    found = layout.scalar("timestamp", ("uint64_t",)) if layout else None
    return found[0] if found else None


def _messages(data: np.ndarray, scan: _Scan, layouts: list[_Layout | None], notes: list[str]) -> _Messages:
    """Match each data message to the subscription in force for its ``msg_id``; read its timestamp."""
    subs, positions, msg_ids = scan.subscriptions, scan.data_positions, scan.data_msg_ids
    sizes = scan.data_sizes - 2  # the payload after the msg_id
    sub_position = np.array([sub.position for sub in subs] or [0], np.int64)
    if len({sub.msg_id for sub in subs}) == len(subs):  # the usual case: one subscription per msg_id
        by_msg_id = np.full(0x10000, -1, np.int64)
        by_msg_id[[sub.msg_id for sub in subs]] = np.arange(len(subs))
        found = by_msg_id[msg_ids]
    else:  # a msg_id reused (after 'R'): the latest subscription before each message
        by_key = sorted(range(len(subs)), key=lambda i: (subs[i].msg_id, subs[i].position))
        keys = np.array([subs[i].msg_id << 40 | subs[i].position for i in by_key], np.int64)
        found = np.searchsorted(keys, msg_ids << 40 | positions, side="right") - 1
        matches = (found >= 0) & (keys[np.maximum(found, 0)] >> 40 == msg_ids)
        found = np.where(matches, np.array(by_key, np.int64)[np.maximum(found, 0)], -1)
    sub = np.maximum(found, 0)
    subscribed = (found >= 0) & (sub_position[sub] < positions)
    if orphans := int(positions.size - np.count_nonzero(subscribed)):
        notes.append(f"{orphans} data messages name a msg_id with no subscription before them; ignored")

    min_size = np.array([lay.min_size if lay else 1 << 20 for lay in layouts] or [0], np.int64)
    max_size = np.array([lay.size if lay else -1 for lay in layouts] or [0], np.int64)
    fits = subscribed & (sizes >= min_size[sub]) & (sizes <= max_size[sub])
    if misfits := int(np.count_nonzero(subscribed & ~fits)):
        notes.append(f"{misfits} data messages do not match the size of their format; ignored")
    if any(layout is None for layout in layouts):
        missing = sorted({s.name for s, lay in zip(subs, layouts, strict=True) if lay is None})
        notes.append(f"no usable format definition for {missing}; their data messages are ignored")
    if not fits.all():
        positions, sub = positions[fits], sub[fits]

    found_offsets = [_timestamp_field(lay) for lay in layouts]
    offsets = np.array([-1 if o is None else o for o in found_offsets] or [0], np.int64)
    stamp_offsets = offsets[sub]
    if None not in found_offsets:  # the usual case: every format has its timestamp
        timestamps = _gather(data, positions + 5 + stamp_offsets, "uint64_t")
    else:
        timed = stamp_offsets >= 0
        timestamps = np.zeros(positions.size, np.uint64)
        timestamps[timed] = _gather(data, positions[timed] + 5 + stamp_offsets[timed], "uint64_t")
    return _Messages(positions, sub, timestamps)


def _field_values(
    data: np.ndarray,
    messages: _Messages,
    subs: list[_Subscription],
    layouts: list[_Layout | None],
    index: int,
    field_name: str,
    type_names: tuple[str, ...],
) -> tuple[np.ndarray, np.ndarray] | None:
    """Timestamps (us) and values of one scalar field for subscription ``index``, in file order."""
    layout = layouts[index]
    found = layout.scalar(field_name, type_names) if layout else None
    if found is None:
        return None
    offset, type_name = found
    mine = messages.subscription == index
    values = _gather(data, messages.positions[mine] + 5 + offset, type_name)
    return messages.timestamps_us[mine], values


def _epoch_offset_ns(
    data: np.ndarray,
    messages: _Messages,
    subs: list[_Subscription],
    layouts: list[_Layout | None],
    notes: list[str],
) -> tuple[int, bool]:
    """GPS UTC minus boot time (median over samples with UTC), or ``(0, False)`` without GPS time."""
    candidates = sorted(
        (GPS_TOPICS.index(s.name), s.multi_id, i) for i, s in enumerate(subs) if s.name in GPS_TOPICS
    )
    seen = []
    for _, _, index in candidates:
        found = _field_values(data, messages, subs, layouts, index, "time_utc_usec", ("uint64_t",))
        if found is None:
            continue
        stamps, utc = found
        valid = (utc > 0) & (utc <= MAX_TIMESTAMP_US) & (stamps > 0) & (stamps <= MAX_TIMESTAMP_US)
        if not valid.any():
            count = f"{stamps.size} samples, none with time_utc_usec > 0" if stamps.size else "no samples"
            seen.append(f"{subs[index].topic}: {count}")
            continue
        offsets_us = np.sort(utc[valid].astype(np.int64) - stamps[valid].astype(np.int64))
        median_us = int(offsets_us[(offsets_us.size - 1) // 2])
        spread_ms = (int(offsets_us[-1]) - int(offsets_us[0])) * NS_PER_US / NS_PER_MS
        notes.append(
            f"anchored by GPS: {subs[index].topic}.time_utc_usec - timestamp, median of "
            f"{offsets_us.size} samples (spread {spread_ms:.1f} ms)"
        )
        return median_us * NS_PER_US, True
    why = f" ({'; '.join(seen)})" if seen else f" (no {' or '.join(GPS_TOPICS)} topic in the log)"
    notes.append(f"unanchored: no GPS UTC time{why}; timestamps are microseconds since boot")
    return 0, False


def _armed_intervals(
    data: np.ndarray,
    messages: _Messages,
    subs: list[_Subscription],
    layouts: list[_Layout | None],
    last_ns: int | None,
    notes: list[str],
) -> list[ActivityInterval]:
    """Armed intervals in the file's clock, from vehicle_status (else actuator_armed) instance 0."""
    sources = (
        ("vehicle_status", "arming_state", ("uint8_t",), ARMING_STATE_ARMED),
        ("actuator_armed", "armed", ("bool", "uint8_t"), 1),
    )
    for topic, field_name, type_names, armed_value in sources:
        indices = [i for i, s in enumerate(subs) if s.name == topic and s.multi_id == 0]
        found = [_field_values(data, messages, subs, layouts, i, field_name, type_names) for i in indices]
        parts = [p for p in found if p is not None and p[0].size]
        if not parts:
            continue
        stamps = np.concatenate([p[0] for p in parts])
        values = np.concatenate([p[1] for p in parts])
        real = (stamps > 0) & (stamps <= MAX_TIMESTAMP_US)
        order = np.argsort(stamps[real], kind="stable")
        times_ns = stamps[real][order].astype(np.int64) * NS_PER_US
        armed = (values[real][order] == armed_value).astype(np.int8)
        if times_ns.size == 0:
            continue
        edges = np.diff(np.concatenate(([0], armed, [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        final_ns = max(int(times_ns[-1]), last_ns or 0)
        notes.append(f"armed intervals from {topic}.{field_name} (armed = {armed_value})")
        return [
            ActivityInterval("armed", int(times_ns[s]), int(times_ns[e]) if e < times_ns.size else final_ns)
            for s, e in zip(starts.tolist(), ends.tolist(), strict=True)
        ]
    return []


def _describe(
    scan: _Scan,
    topics: list[RecordedTopic],
    spans: _TopicSpans,
    names: list[str],
    untimed: set[str],
    notes: list[str],
) -> None:
    """Plain-language notes on what the spans leave out."""
    if not topics:
        notes.append("no data messages: the log holds definitions only")
    zeros = {name: n for name, n in zip(names, spans.zeros, strict=True) if n and name not in untimed}
    if zeros:
        listed = ", ".join(
            f"{t.name} ({zeros[t.name]}{' = all: no spans' if not t.spans else ''})"
            for t in topics
            if t.name in zeros
        )
        notes.append(
            f"{sum(zeros.values())} samples with timestamp 0 (not a real time) left out of spans: {listed}"
        )
    for name in sorted(untimed & {t.name for t in topics}):
        notes.append(f"topic {name} has no uint64 'timestamp' field; its messages have no spans")
    if early := int(np.count_nonzero(spans.times < scan.start_us * NS_PER_US)):
        notes.append(
            f"{early} samples are timestamped before the header start ({scan.start_us} us): the last "
            f"values the logger writes when it starts"
        )
    if scan.dropouts:
        notes.append(f"{scan.dropouts} logger dropouts, {scan.dropout_ms} ms of data lost in total")
