"""What a reader returns: one recording's topics and spans, and what identifies its device.

Readers turn a file into a :class:`Recording` without touching the catalog; ingestion registers
it through ``register_file``. Spans are closed intervals in the file's own clock;
``wall = stored + unix_epoch_offset_ns`` (per topic, see ``RecordedTopic``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from sessions_lib.records import RecordedTopic

# How the spans were obtained: from the file's own index/summary, or by scanning its records.
IndexUsed = Literal["summary", "index", "metadata", "scan"]


@dataclass(frozen=True, slots=True)
class ActivityInterval:
    """A span of device activity found inside a recording, e.g. a ULog armed interval.

    Bounds are closed and in wall clock (stored + the recording's epoch offset) when the
    recording is anchored, else in the recording's own clock.
    """

    kind: str  # "armed", ...
    start_ns: int
    end_ns: int


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
