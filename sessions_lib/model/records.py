"""Frozen records: what the catalog stores, one class per row kind, plus the inputs callers build.

Every record is immutable; a change goes through the catalog in a transaction and comes back as a
fresh record. Field names match the catalog's column names (``catalog/schema.sql``), so a row maps
onto its record by name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, Literal, get_args

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.validation import (
    TIME_LIMIT_NS,
    as_sequence,
    is_int64,
    shown,
    storable_text,
    validate_id,
    validate_int64,
    validate_window,
)

Origin = Literal["api", "inferred"]
# How a reader obtained spans: from the file's own summary/index/metadata, or by scanning records.
IndexUsed = Literal["summary", "index", "metadata", "scan"]
READ_METHODS: tuple[str, ...] = get_args(IndexUsed)
TimelineSource = Literal["log_time", "publish_time", "field"]
TIMELINE_SOURCES: tuple[str, ...] = get_args(TimelineSource)
# The activity a recording may hold (inference also makes "file" activity of whole files).
ActivityKind = Literal["armed", "episode"]
ACTIVITY_KINDS: tuple[str, ...] = get_args(ActivityKind)


def frozen_json(value: Any) -> Mapping[str, Any]:
    """A JSON object as a read-only mapping; accepts a dict, a JSON string or ``None``."""
    if value is None:
        return MappingProxyType({})
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"metadata must be a JSON object, got {type(value).__name__}")
    return MappingProxyType(dict(value))


@dataclass(frozen=True, slots=True)
class SessionFile:
    """One file's contribution to a session, optionally narrowed to ``[range_min, range_max]``.

    The window is closed and in Unix-epoch nanoseconds; both bounds or neither (the whole file).

    >>> SessionFile(file_id="fl_aaa", range_min_timestamp_ns=10, range_max_timestamp_ns=20)
    SessionFile(file_id='fl_aaa', range_min_timestamp_ns=10, range_max_timestamp_ns=20)
    """

    file_id: str
    range_min_timestamp_ns: int | None = None
    range_max_timestamp_ns: int | None = None

    def __post_init__(self) -> None:
        validate_id("file_id", self.file_id)
        validate_window(
            f"contribution of file {self.file_id!r}",
            self.range_min_timestamp_ns,
            self.range_max_timestamp_ns,
        )


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session row: its identity, audit fields, stored bounds and descriptive attributes."""

    session_id: str
    org_id: str
    name: str | None
    created: datetime
    created_by: str
    modified: datetime
    modified_by: str
    min_timestamp_ns: int | None = None
    max_timestamp_ns: int | None = None
    origin: Origin = "api"
    description: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "tags", tuple(self.tags or ()))
        object.__setattr__(self, "metadata", frozen_json(self.metadata))


@dataclass(frozen=True, slots=True)
class TopicIdentityRecord:
    """A topic's identity: one per (org, name), shared by every file that records it."""

    topic_id: str
    org_id: str
    name: str


@dataclass(frozen=True, slots=True)
class TopicPartitionRecord:
    """One topic as one file holds it (or one slice of it, see ``RecordedTopic.partition``)."""

    topic_part_id: str
    org_id: str
    topic_id: str
    file_id: str
    device_id: str | None
    schema_name: str | None
    schema_encoding: str | None
    message_count: int | None
    partition_key: str | None = None
    row_start: int | None = None
    row_end: int | None = None


@dataclass(frozen=True, slots=True)
class TimelineExtentRecord:
    """A span with data of one topic partition, in the file's own clock plus its epoch offset."""

    timeline_extent_id: str
    org_id: str
    topic_part_id: str
    timeline_source: TimelineSource
    min_timestamp: int
    max_timestamp: int
    unix_epoch_offset_ns: int

    @property
    def min_wall_ns(self) -> int:
        return self.min_timestamp + self.unix_epoch_offset_ns

    @property
    def max_wall_ns(self) -> int:
        return self.max_timestamp + self.unix_epoch_offset_ns


@dataclass(frozen=True, slots=True)
class FileTopicRecord:
    """One topic of one file, with its extents (``File.list_topics``).

    ``wall_spans`` gives the extents in wall clock, ordered by start.
    """

    topic_id: str
    org_id: str
    name: str
    topic_part_id: str
    schema_name: str | None
    schema_encoding: str | None
    message_count: int | None
    extents: tuple[TimelineExtentRecord, ...] = ()
    partition_key: str | None = None
    row_start: int | None = None
    row_end: int | None = None
    timeline_offset_ns: int | None = None  # a user's correction of this topic's clock, if any

    def __post_init__(self) -> None:
        extents = tuple(
            e if isinstance(e, TimelineExtentRecord) else TimelineExtentRecord(**e)
            for e in self.extents or ()
        )
        object.__setattr__(self, "extents", extents)

    @property
    def wall_spans(self) -> tuple[tuple[int, int], ...]:
        return tuple((e.min_wall_ns, e.max_wall_ns) for e in self.extents)


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A robot, drone or vehicle that produces recordings."""

    device_id: str
    org_id: str
    name: str
    device_type: str | None
    created: datetime
    created_by: str
    modified: datetime
    modified_by: str
    metadata: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", frozen_json(self.metadata))


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A named collection of files, usually one folder of recordings."""

    dataset_id: str
    org_id: str
    name: str
    root_path: str | None
    created: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class FileRecord:
    """A recording registered in a dataset, with how its ingestion went."""

    file_id: str
    org_id: str
    dataset_id: str
    relative_path: str
    uri: str | None
    size_bytes: int | None
    format: str | None
    content_hash: str | None
    device_id: str | None
    ingest_status: str
    ingest_error: str | None
    created: datetime
    created_by: str
    modified: datetime
    modified_by: str
    read_method: IndexUsed | None = None
    anchored: bool | None = None
    notes: tuple[str, ...] = ()
    identifiers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    mtime_ns: int | None = None  # the file's modification time when it was read
    fingerprint: str | None = None  # digest of its size and first and last MiB (see ingest)
    # A user's anchor (File.set_timeline_offset): added to every extent's offset; None: none.
    timeline_offset_ns: int | None = None
    # How its reader was told to read it, when not by default (a table's timestamp column, ...).
    read_options: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "notes", tuple(self.notes or ()))
        object.__setattr__(self, "identifiers", frozen_json(self.identifiers))
        if self.read_options is not None:
            object.__setattr__(self, "read_options", frozen_json(self.read_options))


@dataclass(frozen=True, slots=True)
class RecordedTopic:
    """A topic as one recording holds it: the input a reader (or a test) gives to registration.

    ``spans`` are closed ``(min, max)`` intervals in the file's own clock;
    ``wall = stored + unix_epoch_offset_ns``. A file holding several slices of one topic (a LeRobot
    data file with one slice per episode) gives one ``RecordedTopic`` per slice, told apart by
    ``partition`` (e.g. ``"episode_index=3"``) and locating its rows with ``row_range``
    (half-open ``[start, end)`` row numbers of the file).

    >>> imu = RecordedTopic("/imu", spans=((0, 5_000_000_000),), unix_epoch_offset_ns=1_700_000_000 * 10**9)
    """

    name: str
    spans: tuple[tuple[int, int], ...]
    unix_epoch_offset_ns: int = 0
    message_count: int | None = None
    schema_name: str | None = None
    schema_encoding: str | None = None
    timeline_source: TimelineSource = "log_time"
    partition: str | None = None
    row_range: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        validate_id("topic name", self.name)
        what = f"topic {self.name!r}"
        if self.timeline_source not in TIMELINE_SOURCES:
            raise InvalidRequestError(
                f"{what}: timeline_source {shown(self.timeline_source)} is not one of {TIMELINE_SOURCES}"
            )
        spans = as_sequence(f"{what}: spans", self.spans, "(min, max) pairs")
        object.__setattr__(self, "spans", tuple(_int64_pair(f"{what}: span", span) for span in spans))
        validate_int64(f"{what}: unix_epoch_offset_ns", self.unix_epoch_offset_ns)
        if self.message_count is not None:
            validate_int64(f"{what}: message_count", self.message_count, minimum=0)
        for field_name in ("schema_name", "schema_encoding", "partition"):
            if getattr(self, field_name) is not None:
                storable_text(f"{what}: {field_name}", getattr(self, field_name))
        if self.row_range is not None:
            start, end = _int64_pair(f"{what}: row_range", self.row_range)
            if start < 0:
                raise InvalidRequestError(f"{what}: row_range {(start, end)} starts before row 0")
            object.__setattr__(self, "row_range", (start, end))


def _int64_pair(what: str, pair: Any) -> tuple[int, int]:
    """``(min, max)``: two int64 integers, ``min <= max``, checked before any conversion."""
    if (
        isinstance(pair, str | bytes)
        or not isinstance(pair, Sequence)
        or len(pair) != 2
        or not all(is_int64(bound) for bound in pair)
    ):
        raise InvalidRequestError(f"{what} {shown(pair)} is not two int64 integers (min, max)")
    low, high = int(pair[0]), int(pair[1])
    if low > high:
        raise InvalidRequestError(f"{what} {shown(pair)} has its min after its max")
    return low, high


@dataclass(frozen=True, slots=True)
class ActivityInterval:
    """A span of device activity found inside a recording, e.g. a ULog armed interval.

    Bounds are closed and in wall clock (stored + the recording's epoch offset) when the
    recording is anchored, else in the recording's own clock.
    """

    kind: ActivityKind
    start_ns: int
    end_ns: int

    def __post_init__(self) -> None:
        if self.kind not in ACTIVITY_KINDS:
            raise InvalidRequestError(f"activity kind {shown(self.kind)} is not one of {ACTIVITY_KINDS}")
        for name in ("start_ns", "end_ns"):
            value = validate_int64(f"{self.kind} activity: {name}", getattr(self, name))
            if abs(value) >= TIME_LIMIT_NS:
                raise InvalidRequestError(
                    f"{self.kind} activity: {name} {value} is beyond ±2**62 ns (the years 1823..2116)"
                )
            object.__setattr__(self, name, value)
        if self.start_ns > self.end_ns:
            raise InvalidRequestError(
                f"{self.kind} activity: start_ns ({self.start_ns}) is after end_ns ({self.end_ns}); "
                "intervals are closed, start <= end"
            )


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording as a reader found it."""

    format: str  # "mcap", "rosbag1", "rosbag2", "ulog", "parquet", "csv", "lerobot"
    topics: tuple[RecordedTopic, ...]
    index_used: IndexUsed
    # Whether timestamps are Unix-epoch anchored (False: boot-relative or synthetic clock).
    anchored: bool = True
    # What may identify the device: MCAP metadata, ULog system/hardware id, ROS namespace, ...
    identifiers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    activity: tuple[ActivityInterval, ...] = ()
    # Plain-language facts a person should know (fallback used, metadata disagreeing, ...).
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "topics", tuple(self.topics))
        object.__setattr__(self, "identifiers", MappingProxyType(dict(self.identifiers)))
        object.__setattr__(self, "activity", tuple(self.activity))
        object.__setattr__(self, "notes", tuple(self.notes))


def as_row(record: Any) -> dict[str, Any]:
    """A record as a catalog row: mappings as JSON text, tuples as lists, the rest as they are."""
    row = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, Mapping):
            value = json.dumps(dict(value), sort_keys=True)
        elif isinstance(value, tuple):
            value = list(value)
        row[f.name] = value
    return row
