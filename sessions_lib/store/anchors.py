"""A file's clock anchored to Unix time by a user: the one write that moves extents in time.

A file is *anchored* when its timestamps are Unix time: its reader found them so (or made them so,
as GPS time does for a ULog), or a user said where its clock's zero lies. An anchor is an offset
added to what the reader found, kept on the catalog's rows (so it outlives a new read of the file):

- the file's (``files.timeline_offset_ns``): added to every extent and activity interval of the
  file; the file is anchored from then on;
- a topic's (``topic_partitions.timeline_offset_ns``): a correction of that topic's clock alone,
  added on top of the file's (a topic stamped by another clock).

Setting an anchor replaces the previous one of the same kind. Wall-clock columns move with it, and
the bounds of every session holding the file are recomputed in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sessions_lib.catalog import Tx
from sessions_lib.errors import InvalidRequestError, NotFoundError
from sessions_lib.model.records import FileRecord
from sessions_lib.model.validation import TIME_LIMIT_NS, is_int64
from sessions_lib.queries import SESSIONS_HOLDING_FILES, refresh_bounds
from sessions_lib.store.files import load_file

_REFRESH_BOUNDS = refresh_bounds(SESSIONS_HOLDING_FILES)

# The partitions an anchor moves ($org_id, $file_id, and $topic, a topic name or NULL for all), with
# the anchor each has now: the file's for a file anchor, the topic's for a topic anchor.
_MOVED_PARTITIONS = """
SELECT tp.topic_part_id, tp.min_wall_ns, tp.max_wall_ns,
       coalesce(CASE WHEN $topic IS NULL THEN f.timeline_offset_ns ELSE tp.timeline_offset_ns END, 0)
FROM topic_partitions AS tp
JOIN files AS f ON f.org_id = tp.org_id AND f.file_id = tp.file_id
JOIN topics AS t ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
WHERE tp.org_id = $org_id AND tp.file_id = $file_id AND ($topic IS NULL OR t.name = $topic)
"""
# The file's earliest time before its file anchor ($org_id, $file_id).
_CLOCK_START = """
SELECT min(tp.min_wall_ns - coalesce(f.timeline_offset_ns, 0)) FROM topic_partitions AS tp
JOIN files AS f ON f.org_id = tp.org_id AND f.file_id = tp.file_id
WHERE tp.org_id = $org_id AND tp.file_id = $file_id
"""
# Moves in time, by each partition's `shift` (the table `moved`: topic_part_id, shift).
_MOVE_EXTENTS = """
UPDATE timeline_extents
SET unix_epoch_offset_ns = unix_epoch_offset_ns + moved.shift,
    min_wall_ns = min_wall_ns + moved.shift, max_wall_ns = max_wall_ns + moved.shift
FROM moved WHERE timeline_extents.org_id = $org_id AND timeline_extents.file_id = $file_id
  AND timeline_extents.topic_part_id = moved.topic_part_id AND moved.shift <> 0
"""
_MOVE_PARTITIONS = """
UPDATE topic_partitions
SET min_wall_ns = min_wall_ns + moved.shift, max_wall_ns = max_wall_ns + moved.shift,
    timeline_offset_ns = CASE WHEN $topic IS NULL THEN timeline_offset_ns ELSE $offset END
FROM moved WHERE topic_partitions.org_id = $org_id AND topic_partitions.file_id = $file_id
  AND topic_partitions.topic_part_id = moved.topic_part_id
"""
_MOVE_ACTIVITY = """
UPDATE activity_intervals SET start_ns = start_ns + $shift, end_ns = end_ns + $shift
WHERE org_id = $org_id AND file_id = $file_id
"""
_MARK_FILE = """
UPDATE files
SET timeline_offset_ns = CASE WHEN $topic IS NULL THEN $offset ELSE timeline_offset_ns END,
    anchored = CASE WHEN $topic IS NULL THEN true ELSE anchored END,
    modified = $now, modified_by = $user
WHERE org_id = $org_id AND file_id = $file_id
"""


@dataclass(frozen=True, slots=True)
class UnanchoredFile:
    """A file of a device whose clock its reader found not to be Unix time (anchored since by a
    user or not), with its earliest time in its own clock."""

    file_id: str
    relative_path: str
    device_id: str
    timeline_offset_ns: int | None
    clock_start_ns: int


# The files of the datasets of the table `wanted` (dataset_id) that have a device and a time span,
# and whose reader found no Unix time: unanchored, or anchored by a user.
_UNANCHORED_FILES = """
SELECT f.file_id, f.relative_path, f.device_id, f.timeline_offset_ns,
       min(tp.min_wall_ns - coalesce(f.timeline_offset_ns, 0)) AS clock_start_ns
FROM files AS f
JOIN topic_partitions AS tp ON tp.org_id = f.org_id AND tp.file_id = f.file_id
WHERE f.org_id = $org_id AND f.dataset_id IN (SELECT dataset_id FROM wanted) AND f.device_id IS NOT NULL
  AND (f.anchored IS FALSE OR f.timeline_offset_ns IS NOT NULL) AND tp.min_wall_ns IS NOT NULL
GROUP BY ALL
ORDER BY f.relative_path, f.file_id
"""


def unanchored_files(tx: Tx, org_id: str, dataset_ids: list[str]) -> list[UnanchoredFile]:
    """The files of the datasets whose own clock is not Unix time, by path."""
    with tx.table("wanted", dataset_id=dataset_ids):
        return tx.records(UnanchoredFile, _UNANCHORED_FILES, org_id=org_id)


@dataclass(frozen=True, slots=True)
class _Partition:
    topic_part_id: str
    min_wall_ns: int | None
    max_wall_ns: int | None
    anchor_ns: int  # the anchor it has now (0: none)


def clock_start_ns(tx: Tx, org_id: str, file_id: str) -> int:
    """The earliest time of the file in its own clock, before any anchor of the file's: what an
    anchor that says "the file starts at T" subtracts from T."""
    load_file(tx, org_id, file_id)
    start = tx.scalar(_CLOCK_START, org_id=org_id, file_id=file_id)
    if start is None:
        raise InvalidRequestError(f"file {file_id!r} has no time span: there is no start to anchor")
    return int(start)


def set_timeline_offset(
    tx: Tx, org_id: str, file_id: str, offset_ns: int, topic: str | None, now: datetime, user: str
) -> FileRecord:
    """Anchor the file (``topic`` None) or one of its topics (a name, checked by the caller's
    request) at ``offset_ns`` and return the file as stored; an anchor equal to the one it has
    writes nothing."""
    if not is_int64(offset_ns):
        raise InvalidRequestError(f"unix_epoch_offset_ns must be int64 nanoseconds, got {offset_ns!r}")
    offset_ns = int(offset_ns)
    file = load_file(tx, org_id, file_id)
    params = dict(org_id=org_id, file_id=file_id, topic=topic)
    partitions = [_Partition(*row) for row in tx.rows(_MOVED_PARTITIONS, **params)]
    if topic is not None and not partitions:
        raise NotFoundError("topic", topic, org_id) from None
    shifts = [offset_ns - p.anchor_ns for p in partitions]
    _refuse_beyond_limit(file_id, partitions, shifts)
    if (file.timeline_offset_ns == offset_ns) if topic is None else not any(shifts):
        return file  # anchored so already
    with tx.table("moved", topic_part_id=[p.topic_part_id for p in partitions], shift=shifts):
        tx.execute(_MOVE_EXTENTS, org_id=org_id, file_id=file_id)
        tx.execute(_MOVE_PARTITIONS, offset=offset_ns, **params)
    if topic is None:
        shift = offset_ns - (file.timeline_offset_ns or 0)
        tx.execute(_MOVE_ACTIVITY, shift=shift, org_id=org_id, file_id=file_id)
    tx.execute(_MARK_FILE, offset=offset_ns, now=now, user=user, **params)
    with tx.table("replaced", file_id=[file_id]):
        tx.execute(_REFRESH_BOUNDS, org_id=org_id)
    return load_file(tx, org_id, file_id)


def _refuse_beyond_limit(file_id: str, partitions: list[_Partition], shifts: list[int]) -> None:
    """Refuse an anchor that would move a time of the file beyond ±2**62 ns."""
    for partition, shift in zip(partitions, shifts, strict=True):
        for bound in (partition.min_wall_ns, partition.max_wall_ns):
            if bound is not None and abs(bound + shift) >= TIME_LIMIT_NS:
                raise InvalidRequestError(
                    f"file {file_id!r}: that offset would put its time {bound + shift} ns beyond "
                    "±2**62 ns (the years 1823..2116); an anchor is the Unix time, in ns, of its "
                    "clock's zero"
                )
