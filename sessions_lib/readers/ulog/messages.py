"""The message scan: one pass over a ULog file's message headers, and its data messages matched to topics.

Data ('D') messages are never decoded beyond their ``msg_id`` and their ``timestamp`` field (the clock
and arming modules read a few more fields through :func:`field_values`). Long runs of data messages
are crossed with numpy instead of one Python step per message (see ``_DataCandidates``).

Topic names: the logged message name, plus ``/<multi_id>`` for instances other than 0:
``vehicle_status``, ``sensor_accel``, ``sensor_accel/1``. Instance 0 keeps the bare name so a
single-instance topic is named the same on every vehicle.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sessions_lib.errors import ReaderError
from sessions_lib.readers.ulog.formats import BASIC_TYPES, Layout, gather, layout_of

MAGIC = b"ULog\x01\x12\x35"
HEADER_SIZE = 16  # magic (7) + version (1) + start timestamp (uint64 us)
PAYLOAD_OFFSET = 5  # a data message's fields start after its header (size, type: 3) and msg_id (2)
SYNC_MAGIC = b"\x2f\x73\x13\x20\x25\x0c\xbb\x12"  # payload of 'S' messages: where to resume after corruption

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

_U16 = struct.Struct("<H")
_U64 = struct.Struct("<Q")


@dataclass(frozen=True, slots=True)
class Subscription:
    """An 'A' message: ``msg_id`` now carries instance ``multi_id`` of message ``name``."""

    position: int
    msg_id: int
    multi_id: int
    name: str

    @property
    def topic(self) -> str:
        return self.name if self.multi_id == 0 else f"{self.name}/{self.multi_id}"


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
class Scan:
    """What one walk over the messages found."""

    start_us: int = 0
    formats: dict[str, str] = field(default_factory=dict)  # name -> field list, parsed when needed
    layouts: dict[str, Layout | None] = field(default_factory=dict)  # parsed formats
    info: dict[str, str] = field(default_factory=dict)
    subscriptions: list[Subscription] = field(default_factory=list)
    data_positions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # in file order
    data_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # of the message
    data_msg_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    messages: int = 0  # complete messages read after the header
    dropouts: int = 0
    dropout_ms: int = 0
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def open_log(path: Path) -> Iterator[bytes | mmap.mmap]:
    """The file's bytes, mapped rather than copied (the page cache is read in place); ``ReaderError``
    for a file that cannot be read or is empty."""
    try:
        with path.open("rb") as file:
            if os.fstat(file.fileno()).st_size == 0:
                raise ReaderError(f"{path}: empty file (0 bytes), not a ULog file")
            try:
                contents: mmap.mmap | bytes = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError):  # not mappable (a pipe, a special file): read it
                contents = file.read()
    except OSError as error:
        raise ReaderError(f"{path}: cannot be read: {error.strerror or error}") from None
    try:
        yield contents
    finally:
        if isinstance(contents, mmap.mmap):
            with contextlib.suppress(BufferError):  # views still held by a traceback: closed when freed
                contents.close()


def scan_messages(path: Path, buf: bytes | mmap.mmap) -> Scan:
    """Walk the file's messages once; collect definitions and the position of every data message."""
    if not buf:
        raise ReaderError(f"{path}: empty file (0 bytes), not a ULog file")
    if buf[: len(MAGIC)] != MAGIC[: len(buf)]:
        raise ReaderError(f"{path}: not a ULog file: expected magic {MAGIC!r}, found {buf[:7]!r}")
    if len(buf) < HEADER_SIZE:
        raise ReaderError(f"{path}: truncated inside the {HEADER_SIZE}-byte ULog header ({len(buf)} bytes)")
    scan = Scan(start_us=_U64.unpack_from(buf, 8)[0])
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
            scan.subscriptions.append(Subscription(pos, msg_id, buf[payload], name))
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


def _plausible_sizes(scan: Scan) -> tuple[np.ndarray, np.ndarray]:
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
        layout = layout_of(sub.name, scan.formats, scan.layouts)
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
    elif type_name in BASIC_TYPES and type_name != "char":
        code, size = BASIC_TYPES[type_name]
        if len(value) == size:
            info[key] = str(struct.unpack("<" + code, value)[0])


@dataclass(frozen=True, slots=True)
class Messages:
    """The valid data messages of the file, each with its subscription and timestamp."""

    positions: np.ndarray  # message start in the file
    subscription: np.ndarray  # index into the subscriptions
    timestamps_us: np.ndarray  # uint64; 0 where the format has no uint64 timestamp


def timestamp_field(layout: Layout | None) -> int | None:
    """Offset of the uint64 top-level ``timestamp`` field, if the format has one."""
    found = layout.scalar("timestamp", ("uint64_t",)) if layout else None
    return found[0] if found else None


def match_messages(data: np.ndarray, scan: Scan, layouts: list[Layout | None], notes: list[str]) -> Messages:
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

    found_offsets = [timestamp_field(lay) for lay in layouts]
    offsets = np.array([-1 if o is None else o for o in found_offsets] or [0], np.int64)
    stamp_offsets = offsets[sub]
    if None not in found_offsets:  # the usual case: every format has its timestamp
        timestamps = gather(data, positions + PAYLOAD_OFFSET + stamp_offsets, "uint64_t")
    else:
        timed = stamp_offsets >= 0
        timestamps = np.zeros(positions.size, np.uint64)
        timestamps[timed] = gather(data, positions[timed] + PAYLOAD_OFFSET + stamp_offsets[timed], "uint64_t")
    return Messages(positions, sub, timestamps)


def field_values(
    data: np.ndarray,
    messages: Messages,
    subs: list[Subscription],
    layouts: list[Layout | None],
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
    values = gather(data, messages.positions[mine] + PAYLOAD_OFFSET + offset, type_name)
    return messages.timestamps_us[mine], values
