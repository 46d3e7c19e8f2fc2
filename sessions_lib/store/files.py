"""Files in the catalog with their topics, partitions, extents and activity: the write path of
recordings, set-based so that a batch of files costs a few statements, not a few per file.

A file is identified by (org, dataset, relative path). Registering it again with the same content
(``ContentStamp.matches``), error and device is a no-op; otherwise its own partitions, extents and
activity are replaced under the same file id, and the stored bounds of every session holding it
are recomputed in the same transaction. ``write_registrations`` is the batched write path that
``register_files`` and ingestion share: a stream of registrations in transactions of hundreds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one, require_all
from sessions_lib.client import Client
from sessions_lib.errors import AlreadyExistsError, InvalidRequestError
from sessions_lib.model import ids
from sessions_lib.model.records import FileRecord, FileTopicRecord, as_row
from sessions_lib.model.requests import (
    EXTENTS_PER_TRANSACTION,
    FILES_PER_TRANSACTION,
    ContentStamp,
    FileRegistration,
)
from sessions_lib.queries import SESSIONS_HOLDING_FILES, query_sql, refresh_bounds

INGESTED = "ingested"
FAILED = "failed"

_REFRESH_BOUNDS_OF_SESSIONS_HOLDING_FILES = refresh_bounds(SESSIONS_HOLDING_FILES)
# A file's own rows, replaced whole when its content changes (the file row last).
_FILE_TABLES = ("timeline_extents", "topic_partitions", "activity_intervals", "files")
# The registered files at the keys of the table `wanted` (dataset_id, relative_path).
# The topic identities of the table `batch_topics` (topic_id, name) the org does not have yet.
_INSERT_NEW_TOPICS = """
INSERT INTO topics (topic_id, org_id, name)
SELECT b.topic_id, $org_id, b.name FROM batch_topics AS b
WHERE b.topic_id NOT IN (SELECT topic_id FROM topics WHERE org_id = $org_id)
"""


@dataclass(frozen=True, slots=True)
class HeldFile:
    """What a path holds, as much as registering over it needs: its identity and content stamp
    (a few columns: on DuckLake, reading every column of a row costs several times more)."""

    file_id: str
    dataset_id: str
    relative_path: str
    created: datetime
    created_by: str
    size_bytes: int | None
    mtime_ns: int | None
    fingerprint: str | None
    content_hash: str | None
    ingest_error: str | None
    device_id: str | None
    timeline_offset_ns: int | None

    @property
    def stamp(self) -> ContentStamp:
        return ContentStamp(self.size_bytes, self.mtime_ns, self.fingerprint, self.content_hash)


# The files at the keys of the table `wanted` (dataset_id, relative_path).
_HELD_AT_PATHS = f"""
SELECT {", ".join(f"f.{column.name}" for column in fields(HeldFile))} FROM files AS f
JOIN wanted ON f.dataset_id = wanted.dataset_id AND f.relative_path = wanted.relative_path
WHERE f.org_id = $org_id
"""


def load_file(tx: Tx, org_id: str, file_id: str) -> FileRecord:
    """The stored file (not found if it is another org's or does not exist)."""
    return load_one(tx, FileRecord, "file", org_id, file_id)


def held_at_paths(tx: Tx, org_id: str, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HeldFile]:
    """What these ``(dataset_id, relative_path)`` keys hold, by key."""
    dataset_ids, paths = zip(*keys, strict=True) if keys else ((), ())
    with tx.table("wanted", dataset_id=dataset_ids, relative_path=paths):
        found = tx.records(HeldFile, _HELD_AT_PATHS, org_id=org_id)
    return {(f.dataset_id, f.relative_path): f for f in found}


def put_file(tx: Tx, org_id: str, request: FileRegistration, now: datetime, user: str) -> FileRecord:
    """Register one file (new, or replacing what its path held) and return it as stored."""
    (record,) = put_files(tx, org_id, [request], now, user)
    return record


def put_files(
    tx: Tx, org_id: str, requests: Sequence[FileRegistration], now: datetime, user: str
) -> list[FileRecord]:
    """Register the files (each new, or replacing what its path held) and return them as stored,
    in the order given.

    One statement per table for the whole batch, whatever its size: the lookups of what the paths
    hold, the deletion of replaced files' rows, the inserts, and one refresh of the bounds of
    every session holding a replaced file. Nothing is written if any request is refused.
    """
    keys = [(r.dataset_id, r.relative_path) for r in requests]
    _refuse_repeats("path", [f"{ds}/{path}" for ds, path in keys])
    _refuse_repeats("file id", [r.file_id for r in requests if r.file_id is not None])
    require_all(tx, "dataset", org_id, sorted({r.dataset_id for r in requests}))
    require_all(tx, "device", org_id, sorted({r.device_id for r in requests if r.device_id is not None}))
    current = held_at_paths(tx, org_id, keys)

    stored: list[FileRecord | str] = []  # a record, or the id of an unchanged file to load
    written: list[tuple[FileRecord, FileRegistration]] = []
    replaced: list[str] = []
    new_ids_given: list[str] = []
    for request, key in zip(requests, keys, strict=True):
        held = current.get(key)
        if held is not None and request.file_id is not None and request.file_id != held.file_id:
            raise AlreadyExistsError(
                f"file {request.relative_path!r} of dataset {request.dataset_id!r} is already registered "
                f"as {held.file_id!r}, not {request.file_id!r}"
            )
        if held is not None and _unchanged(request, held):
            stored.append(held.file_id)
            continue
        if held is not None:
            replaced.append(held.file_id)
            record = _file_record(org_id, request, held.file_id, held.created, held.created_by, now, user)
            if held.timeline_offset_ns is not None:  # the user's anchor outlives a new read
                record = replace(record, anchored=True, timeline_offset_ns=held.timeline_offset_ns)
        else:
            if request.file_id is not None:
                new_ids_given.append(request.file_id)
            file_id = request.file_id or ids.new_id(ids.FILE)
            record = _file_record(org_id, request, file_id, now, user, now, user)
        stored.append(record)
        written.append((record, request))

    _refuse_taken_ids(tx, org_id, new_ids_given)
    with tx.table("replaced", file_id=replaced):
        topic_anchors = _topic_anchors_of_replaced(tx, org_id) if replaced else {}
        if replaced:
            for table in _FILE_TABLES:
                tx.execute(
                    f"DELETE FROM {table} WHERE org_id = $org AND file_id IN (SELECT file_id FROM replaced)",
                    org=org_id,
                )
        _insert_rows(tx, org_id, written, topic_anchors)
        if replaced:
            tx.execute(_REFRESH_BOUNDS_OF_SESSIONS_HOLDING_FILES, org_id=org_id)
    return _with_unchanged_loaded(tx, org_id, stored)


# The users' topic anchors of the files of the table `replaced`: kept when they are read again.
_TOPIC_ANCHORS_OF_REPLACED = """
SELECT DISTINCT tp.file_id, t.name, tp.timeline_offset_ns FROM topic_partitions AS tp
JOIN topics AS t ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
WHERE tp.org_id = $org_id AND tp.file_id IN (SELECT file_id FROM replaced)
  AND tp.timeline_offset_ns IS NOT NULL
"""


def _topic_anchors_of_replaced(tx: Tx, org_id: str) -> dict[tuple[str, str], int]:
    """``(file_id, topic name) -> the topic's anchor`` of the files of the table ``replaced``."""
    rows = tx.rows(_TOPIC_ANCHORS_OF_REPLACED, org_id=org_id)
    return {(file_id, name): offset for file_id, name, offset in rows}


def _with_unchanged_loaded(tx: Tx, org_id: str, stored: list[FileRecord | str]) -> list[FileRecord]:
    """``stored`` with the ids of unchanged files replaced by their records, read in one query."""
    unchanged = [entry for entry in stored if isinstance(entry, str)]
    if not unchanged:
        return stored  # type: ignore[return-value]  # all records
    with tx.table("unchanged", file_id=unchanged):
        records = tx.records(
            FileRecord,
            "SELECT * FROM files WHERE org_id = $org_id AND file_id IN (SELECT file_id FROM unchanged)",
            org_id=org_id,
        )
    by_id = {record.file_id: record for record in records}
    return [by_id[entry] if isinstance(entry, str) else entry for entry in stored]


@dataclass(frozen=True, slots=True)
class MappedFile:
    """What maps a registered file to a device, as stored on its row: no recording is read."""

    file_id: str
    dataset_id: str
    relative_path: str
    identifiers: str | None  # JSON text
    device_id: str | None


# The files of the datasets of the table `wanted` (dataset_id).
_MAPPED_FILES = f"""
SELECT {", ".join(column.name for column in fields(MappedFile))} FROM files
WHERE org_id = $org_id AND dataset_id IN (SELECT dataset_id FROM wanted)
ORDER BY dataset_id, relative_path
"""


def mapped_files(tx: Tx, org_id: str, dataset_ids: Sequence[str]) -> list[MappedFile]:
    """The files of these datasets with their path, identifiers and device, by path."""
    with tx.table("wanted", dataset_id=dataset_ids):
        return tx.records(MappedFile, _MAPPED_FILES, org_id=org_id)


def set_file_devices(
    tx: Tx, org_id: str, devices: Sequence[tuple[str, str | None]], now: datetime, user: str
) -> None:
    """Give each file of ``(file_id, device_id)`` that device (``None``: none), on its row and its
    topic partitions: one statement per table."""
    if not devices:
        return
    file_ids, device_ids = zip(*devices, strict=True)
    with tx.table("moved", file_id=file_ids, device_id=device_ids):
        tx.execute(
            "UPDATE files SET device_id = moved.device_id::VARCHAR, modified = $now, modified_by = $user "
            "FROM moved WHERE files.org_id = $org_id AND files.file_id = moved.file_id",
            org_id=org_id,
            now=now,
            user=user,
        )
        tx.execute(
            "UPDATE topic_partitions SET device_id = moved.device_id::VARCHAR FROM moved "
            "WHERE topic_partitions.org_id = $org_id AND topic_partitions.file_id = moved.file_id",
            org_id=org_id,
        )


def write_registrations(
    client: Client,
    org_id: str,
    registrations: Iterable[FileRegistration],
    *,
    files_per_transaction: int = FILES_PER_TRANSACTION,
) -> list[FileRecord]:
    """Register files as they come, one transaction per ``files_per_transaction`` files (fewer
    when they carry ``EXTENTS_PER_TRANSACTION`` extents), and return them as stored, in order."""
    if not (isinstance(files_per_transaction, int) and files_per_transaction >= 1):
        raise InvalidRequestError(f"files_per_transaction must be at least 1, got {files_per_transaction!r}")
    stored: list[FileRecord] = []
    pending: list[FileRegistration] = []
    extents = 0

    def commit() -> None:
        now, user, chunk = client.now(), client.user, list(pending)
        stored.extend(client.catalog.transaction(lambda tx: put_files(tx, org_id, chunk, now, user)))
        pending.clear()

    for registration in registrations:
        pending.append(registration)
        extents += sum(len(topic.spans) for topic in registration.topics)
        if len(pending) >= files_per_transaction or extents >= EXTENTS_PER_TRANSACTION:
            commit()
            extents = 0
    if pending:
        commit()
    return stored


def _unchanged(request: FileRegistration, held: HeldFile) -> bool:
    return (
        request.stamp.matches(held.stamp)
        and request.ingest_error == held.ingest_error
        and request.device_id == held.device_id
    )


def _refuse_repeats(what: str, values: Sequence[str]) -> None:
    repeated = sorted(value for value, count in Counter(values).items() if count > 1)
    if repeated:
        raise InvalidRequestError(f"each file is registered once per call; {what}(s) given twice: {repeated}")


def _refuse_taken_ids(tx: Tx, org_id: str, file_ids: Sequence[str]) -> None:
    """A new file's given id must not belong to another file of the org."""
    if not file_ids:
        return
    with tx.table("given", file_id=file_ids):
        taken = tx.scalar(
            "SELECT min(file_id) FROM files WHERE org_id = $org AND file_id IN (SELECT file_id FROM given)",
            org=org_id,
        )
    if taken is not None:
        raise AlreadyExistsError(f"file {taken!r} already exists in org {org_id!r}")


def _file_record(
    org_id: str,
    request: FileRegistration,
    file_id: str,
    created: datetime,
    created_by: str,
    now: datetime,
    user: str,
) -> FileRecord:
    return FileRecord(
        file_id=file_id,
        org_id=org_id,
        dataset_id=request.dataset_id,
        relative_path=request.relative_path,
        uri=request.uri,
        size_bytes=request.size_bytes,
        format=request.format,
        content_hash=request.content_hash,
        device_id=request.device_id,
        ingest_status=FAILED if request.ingest_error else INGESTED,
        ingest_error=request.ingest_error,
        created=created,
        created_by=created_by,
        modified=now,
        modified_by=user,
        read_method=request.read_method,
        anchored=request.anchored,
        notes=tuple(request.notes),
        identifiers=request.identifiers or {},
        read_options=request.read_options,
        mtime_ns=request.mtime_ns,
        fingerprint=request.fingerprint,
    )


def _insert_rows(
    tx: Tx,
    org_id: str,
    written: Sequence[tuple[FileRecord, FileRegistration]],
    topic_anchors: Mapping[tuple[str, str], int],
) -> None:
    """The files' rows, their topic identities (one per org and name: the batch's new ones inserted
    in one statement), partitions, extents and activity: one insert per table. Extents, the bulk,
    are built column by column and inserted in wall-clock order. A user's anchors (the file's, and
    ``topic_anchors`` by file and topic name) are added to the reader's offsets."""
    if not written:
        return
    import pyarrow as pa  # only the write path builds Arrow tables

    names = sorted({t.name for _, request in written for t in request.topics})
    topic_ids = {name: ids.stable_id(ids.TOPIC, org_id, name) for name in names}
    partitions: list[dict[str, Any]] = []
    extents: dict[str, list[Any]] = {column: [] for column in _EXTENT_COLUMNS}
    for record, request in written:
        file_anchor = record.timeline_offset_ns or 0
        for topic in request.topics:
            part_id, topic_id = ids.new_id(ids.TOPIC_PARTITION), topic_ids[topic.name]
            topic_anchor = topic_anchors.get((record.file_id, topic.name))
            offset = topic.unix_epoch_offset_ns + file_anchor + (topic_anchor or 0)
            lows, highs = [lo for lo, _ in topic.spans], [hi for _, hi in topic.spans]
            partitions.append(
                dict(
                    topic_part_id=part_id,
                    org_id=org_id,
                    topic_id=topic_id,
                    file_id=record.file_id,
                    device_id=record.device_id,
                    schema_name=topic.schema_name,
                    schema_encoding=topic.schema_encoding,
                    message_count=topic.message_count,
                    partition_key=topic.partition,
                    row_start=topic.row_range[0] if topic.row_range else None,
                    row_end=topic.row_range[1] if topic.row_range else None,
                    min_wall_ns=min(lows) + offset if lows else None,
                    max_wall_ns=max(highs) + offset if highs else None,
                    timeline_offset_ns=topic_anchor,
                )
            )
            count = len(lows)
            extents["timeline_extent_id"] += [ids.new_id(ids.TIMELINE_EXTENT) for _ in range(count)]
            extents["topic_part_id"] += [part_id] * count
            extents["file_id"] += [record.file_id] * count
            extents["topic_id"] += [topic_id] * count
            extents["timeline_source"] += [topic.timeline_source] * count
            extents["min_timestamp"] += lows
            extents["max_timestamp"] += highs
            extents["unix_epoch_offset_ns"] += [offset] * count
            extents["min_wall_ns"] += [lo + offset for lo in lows]
            extents["max_wall_ns"] += [hi + offset for hi in highs]

    tx.insert("files", [as_row(record) for record, _ in written])
    if names:
        with tx.table("batch_topics", topic_id=[topic_ids[n] for n in names], name=names):
            tx.execute(_INSERT_NEW_TOPICS, org_id=org_id)
    tx.insert("topic_partitions", partitions)
    tx.insert(
        "activity_intervals",
        [
            dict(
                org_id=org_id,
                file_id=record.file_id,
                kind=a.kind,
                start_ns=a.start_ns + (record.timeline_offset_ns or 0),
                end_ns=a.end_ns + (record.timeline_offset_ns or 0),
            )
            for record, request in written
            for a in request.activity
        ],
    )
    if extents["file_id"]:
        table = pa.table(extents)
        table = table.append_column("org_id", pa.array([org_id] * table.num_rows, pa.string()))
        tx.insert_arrow("timeline_extents", table.sort_by("min_wall_ns"))


_EXTENT_COLUMNS = (
    "timeline_extent_id",
    "topic_part_id",
    "file_id",
    "topic_id",
    "timeline_source",
    "min_timestamp",
    "max_timestamp",
    "unix_epoch_offset_ns",
    "min_wall_ns",
    "max_wall_ns",
)


def file_topics_page(
    tx: Tx, org_id: str, file_id: str, after: tuple[Any, ...], limit: int
) -> list[FileTopicRecord]:
    """One page of the file's topics by name (slices of one topic by row), each with its extents."""
    load_file(tx, org_id, file_id)
    after_name, after_topic_id, after_slice, after_part = after
    return tx.records(
        FileTopicRecord,
        query_sql("pages/file_topics"),
        org_id=org_id,
        file_id=file_id,
        after_name=after_name,
        after_topic_id=after_topic_id,
        after_slice=after_slice,
        after_part=after_part,
        limit=limit,
    )
