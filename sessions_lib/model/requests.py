"""Requests: what a caller asks to write, validated once on construction, before any transaction.

A field left at ``NotSet`` is not changed; ``None`` clears it; a value sets it. ``columns()`` gives
the fields to write by column name, so the store writes exactly what was asked.

>>> SessionChanges(name="flight-002", tags=None).columns()
{'name': 'flight-002', 'tags': ()}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sessions_lib.errors import InvalidRequestError
from sessions_lib.model.records import (
    READ_METHODS,
    ActivityInterval,
    IndexUsed,
    RecordedTopic,
    Recording,
    frozen_json,
)
from sessions_lib.model.sentinels import NotSet, NotSetType
from sessions_lib.model.validation import (
    as_sequence,
    is_int64,
    json_object_text,
    optional_id,
    shown,
    text_mapping,
    text_sequence,
    validate_description,
    validate_id,
    validate_int64,
    validate_name,
    validate_optional_text,
    validate_tags,
)


@dataclass(frozen=True, slots=True)
class SessionAttributes:
    """A new session's descriptive attributes, validated: build it with :meth:`given`."""

    description: str | None = None
    tags: tuple[str, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def given(
        cls,
        description: str | None,
        tags: Sequence[str] | None,
        metadata: Mapping[str, Any] | None,
    ) -> SessionAttributes:
        """The attributes as a caller gives them; ``tags=None`` and ``metadata=None`` mean none."""
        validate_description(description)
        json_object_text("session metadata", metadata)
        return cls(description, () if tags is None else validate_tags(tags), frozen_json(metadata))


def _set_fields(request: Any) -> dict[str, Any]:
    return {
        f.name: getattr(request, f.name) for f in fields(request) if getattr(request, f.name) is not NotSet
    }


@dataclass(frozen=True, slots=True)
class SessionChanges:
    """What ``Session.update`` changes: name (<= 120 characters), description, tags, metadata.

    ``tags=None`` stores no tags and ``metadata=None`` an empty object.
    """

    name: str | NotSetType | None = NotSet
    description: str | NotSetType | None = NotSet
    tags: Sequence[str] | NotSetType | None = NotSet
    metadata: Mapping[str, Any] | NotSetType | None = NotSet

    def __post_init__(self) -> None:
        if self.name is not NotSet:
            validate_name("session", self.name)
        if self.description is not NotSet:
            validate_description(self.description)
        if self.tags is not NotSet:
            object.__setattr__(self, "tags", () if self.tags is None else validate_tags(self.tags))
        if self.metadata is not NotSet:
            json_object_text("session metadata", self.metadata)
            object.__setattr__(self, "metadata", {} if self.metadata is None else self.metadata)

    def columns(self) -> dict[str, Any]:
        return _set_fields(self)


@dataclass(frozen=True, slots=True)
class DeviceChanges:
    """What ``Device.update`` changes: name (required, so never cleared), device type, metadata.

    ``metadata=None`` stores an empty object.
    """

    name: str | NotSetType = NotSet
    device_type: str | NotSetType | None = NotSet
    metadata: Mapping[str, Any] | NotSetType | None = NotSet

    def __post_init__(self) -> None:
        if self.name is not NotSet:
            validate_name("device", self.name, required=True)
        if self.device_type is not NotSet:
            validate_optional_text("device", device_type=self.device_type)
        if self.metadata is not NotSet:
            json_object_text("device metadata", self.metadata)
            object.__setattr__(self, "metadata", {} if self.metadata is None else self.metadata)

    def columns(self) -> dict[str, Any]:
        return _set_fields(self)


# Registrations are written in transactions of at most this many files, closed early past this
# many extents (what bounds the memory of the rows in flight).
FILES_PER_TRANSACTION = 256
EXTENTS_PER_TRANSACTION = 250_000


@dataclass(frozen=True, slots=True)
class ContentStamp:
    """What says whether a file's content is still the content registered: a full content hash
    when one was computed, else its size, modification time and fingerprint (a digest of its size
    and first and last MiB, where MCAP, bag and ULog files keep their headers and summaries)."""

    size_bytes: int | None
    mtime_ns: int | None
    fingerprint: str | None
    content_hash: str | None = None

    def matches(self, stored: ContentStamp) -> bool:
        """Whether ``stored`` (the stamp a file was registered with) is of this content: the same
        full hash when this stamp has one, else the same fingerprint, size and modification time
        (all three known)."""
        if self.content_hash is not None:
            return self.content_hash == stored.content_hash
        return self.fingerprint is not None and (self.fingerprint, self.size_bytes, self.mtime_ns) == (
            stored.fingerprint,
            stored.size_bytes,
            stored.mtime_ns,
        )


@dataclass(frozen=True, slots=True)
class FileRegistration:
    """One file of a dataset to register, with its topics' spans and how a reader read it.

    ``ingest_error`` records a file that could not be read (it then carries no topics);
    ``read_method``, ``anchored``, ``notes``, ``identifiers`` and ``activity`` come from the reader
    (see :meth:`from_recording`). ``file_id`` is only for a new file; an existing path keeps its id.
    """

    dataset_id: str
    relative_path: str
    topics: Sequence[RecordedTopic] = ()
    device_id: str | None = None
    uri: str | None = None
    size_bytes: int | None = None
    format: str | None = None
    content_hash: str | None = None
    mtime_ns: int | None = None
    fingerprint: str | None = None
    ingest_error: str | None = None
    read_method: IndexUsed | None = None
    anchored: bool | None = None
    notes: Sequence[str] = ()
    identifiers: Mapping[str, str] | None = None
    activity: Sequence[ActivityInterval] = ()
    file_id: str | None = None
    read_options: Mapping[str, Any] | None = None  # what its reader was told, if not the defaults

    def __post_init__(self) -> None:
        path = validate_id("relative_path", self.relative_path)
        what = f"file {path!r}"
        validate_id(f"{what}: dataset_id", self.dataset_id)
        optional_id(f"{what}: device_id", self.device_id)
        optional_id(f"{what}: file_id", self.file_id)
        validate_optional_text(
            what,
            uri=self.uri,
            format=self.format,
            content_hash=self.content_hash,
            fingerprint=self.fingerprint,
            ingest_error=self.ingest_error,
        )
        if self.size_bytes is not None:
            validate_int64(f"{what}: size_bytes (a byte count)", self.size_bytes, minimum=0)
        if self.mtime_ns is not None:
            validate_int64(f"{what}: mtime_ns", self.mtime_ns)
        if self.ingest_error == "":
            raise InvalidRequestError(f"{what}: ingest_error must say what went wrong, not be empty")
        if self.read_method is not None and self.read_method not in READ_METHODS:
            raise InvalidRequestError(
                f"{what}: read_method {shown(self.read_method)} is not one of {READ_METHODS}"
            )
        if self.anchored is not None and not isinstance(self.anchored, bool):
            raise InvalidRequestError(
                f"{what}: anchored must be True, False or None, got {shown(self.anchored)}"
            )
        if self.identifiers is not None:
            object.__setattr__(self, "identifiers", text_mapping(f"{what}: identifiers", self.identifiers))
        if self.read_options is not None:
            json_object_text(f"{what}: read_options", self.read_options)
        activity = as_sequence(f"{what}: activity", self.activity, "ActivityInterval")
        object.__setattr__(self, "topics", as_sequence(f"{what}: topics", self.topics, "RecordedTopic"))
        object.__setattr__(self, "notes", text_sequence(f"{what}: notes", self.notes))
        object.__setattr__(self, "activity", activity)
        for interval in self.activity:
            if not isinstance(interval, ActivityInterval):
                raise InvalidRequestError(
                    f"{what}: activity must be ActivityInterval, got {shown(interval)} "
                    f"({type(interval).__name__})"
                )
        _validate_topics(what, self.topics)
        if self.ingest_error is not None and self.topics:
            raise InvalidRequestError(
                f"{what}: a file that failed ingestion ({self.ingest_error!r}) has no topics"
            )

    @property
    def stamp(self) -> ContentStamp:
        return ContentStamp(self.size_bytes, self.mtime_ns, self.fingerprint, self.content_hash)

    @classmethod
    def from_recording(
        cls, dataset_id: str, relative_path: str, recording: Recording, **file_fields: Any
    ) -> FileRegistration:
        """A file as a reader found it: its topics, how it was read, and its activity."""
        return cls(
            dataset_id,
            relative_path,
            recording.topics,
            format=recording.format,
            read_method=recording.index_used,
            anchored=recording.anchored,
            notes=recording.notes,
            identifiers=recording.identifiers,
            activity=recording.activity,
            **file_fields,
        )


def _validate_topics(what: str, topics: Sequence[RecordedTopic]) -> None:
    for topic in topics:
        if not isinstance(topic, RecordedTopic):
            raise InvalidRequestError(f"{what}: topics must be RecordedTopic, got {type(topic).__name__}")
    keys = [(t.name, t.partition) for t in topics]
    repeated = sorted({key for key in keys if keys.count(key) > 1}, key=repr)
    if repeated:
        raise InvalidRequestError(
            f"{what}: topic(s) {[name for name, _ in repeated]} given more than once "
            f"for one partition; give each topic (or slice of it) once with all its spans"
        )
    for topic in topics:
        for lo, hi in topic.spans:
            if not (is_int64(lo + topic.unix_epoch_offset_ns) and is_int64(hi + topic.unix_epoch_offset_ns)):
                raise InvalidRequestError(
                    f"{what}, topic {topic.name!r}: span ({lo}, {hi}) plus offset "
                    f"{topic.unix_epoch_offset_ns} does not fit in int64 nanoseconds"
                )
