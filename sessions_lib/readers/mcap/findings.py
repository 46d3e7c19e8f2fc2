"""What a reading path found, per channel id, and the ``Recording`` it becomes.

Log times are held per channel and turned into spans a batch at a time, so memory stays bounded.
Channels sharing a topic name become one topic, their spans merged by the gap rule.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from mcap.records import Channel, Metadata, Schema

from sessions_lib.model.records import RecordedTopic, Recording
from sessions_lib.readers.spans import is_wall_clock, merge_spans, split_at_gaps

# Metadata values longer than this are documents (rosbag2's serialized_metadata), not identifiers.
MAX_IDENTIFIER_CHARS = 256

# Times of one channel held before they become spans (8 bytes each).
_TIMES_PER_BATCH = 1_000_000


@dataclass(slots=True)
class Findings:
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


def to_recording(findings: Findings, index_used: Literal["summary", "scan"]) -> Recording:
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
        kinds = {(_schema_name(findings, c), _schema_encoding(findings, c)) for c in channels}
        if len(kinds) > 1:
            notes.append(f"topic {topic!r} has channels with different schemas {sorted(kinds, key=str)}")
        topics.append(
            RecordedTopic(
                name=topic,
                spans=merge_spans([s for channel_id in channel_ids for s in findings.spans[channel_id]]),
                message_count=sum(findings.counts[channel_id] for channel_id in channel_ids),
                schema_name=_schema_name(findings, channels[0]),
                schema_encoding=_schema_encoding(findings, channels[0]),
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


def _schema_name(findings: Findings, channel: Channel) -> str | None:
    schema = findings.schemas.get(channel.schema_id) if channel.schema_id else None
    return schema.name or None if schema is not None else None


def _schema_encoding(findings: Findings, channel: Channel) -> str | None:
    """The encoding of the channel's schema (``ros2msg``, ``protobuf``, ``jsonschema``, ...), not of
    its messages (``cdr``, ``json``): ``None`` for a channel without a schema."""
    schema = findings.schemas.get(channel.schema_id) if channel.schema_id else None
    return schema.encoding or None if schema is not None else None
