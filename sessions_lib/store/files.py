"""Files in the catalog with their topics, partitions, extents and activity: the write path of
recordings.

A file is identified by (org, dataset, relative path): registering it again with the same content
hash, error and device is a no-op; otherwise its own partitions, extents and activity are replaced
under the same file id, and the stored bounds of every session holding it are recomputed in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one, require_all
from sessions_lib.errors import AlreadyExistsError
from sessions_lib.model import ids
from sessions_lib.model.records import FileRecord, FileTopicRecord, RecordedTopic, as_row
from sessions_lib.model.requests import FileRegistration
from sessions_lib.queries import SESSIONS_HOLDING_FILE, query_sql, refresh_bounds

INGESTED = "ingested"
FAILED = "failed"

_REFRESH_BOUNDS_OF_SESSIONS_HOLDING_FILE = refresh_bounds(SESSIONS_HOLDING_FILE)
# A file's own rows, replaced whole when its content changes (the file row last).
_FILE_TABLES = ("timeline_extents", "topic_partitions", "activity_intervals", "files")


def load_file(tx: Tx, org_id: str, file_id: str) -> FileRecord:
    """The stored file (not found if it is another org's or does not exist)."""
    return load_one(tx, FileRecord, "file", org_id, file_id)


def file_at_path(tx: Tx, org_id: str, dataset_id: str, relative_path: str) -> FileRecord | None:
    """The file registered at this path of the dataset, if any."""
    found = tx.records(
        FileRecord,
        "SELECT * FROM files WHERE org_id = $org AND dataset_id = $ds AND relative_path = $path",
        org=org_id,
        ds=dataset_id,
        path=relative_path,
    )
    return found[0] if found else None


def put_file(tx: Tx, org_id: str, request: FileRegistration, now: datetime, user: str) -> FileRecord:
    """Register the file (new, or replacing what its path held) and return it as stored."""
    require_all(tx, "dataset", org_id, [request.dataset_id])
    require_all(tx, "device", org_id, [request.device_id] if request.device_id is not None else [])
    current = file_at_path(tx, org_id, request.dataset_id, request.relative_path)
    if current is not None:
        if request.file_id is not None and request.file_id != current.file_id:
            raise AlreadyExistsError(
                f"file {request.relative_path!r} of dataset {request.dataset_id!r} is already registered "
                f"as {current.file_id!r}, not {request.file_id!r}"
            )
        unchanged = (
            request.content_hash is not None
            and request.content_hash == current.content_hash
            and request.ingest_error == current.ingest_error
            and request.device_id == current.device_id
        )
        if unchanged:
            return current
        file_id, created, created_by = current.file_id, current.created, current.created_by
        for table in _FILE_TABLES:
            tx.execute(
                f"DELETE FROM {table} WHERE org_id = $org AND file_id = $file_id", org=org_id, file_id=file_id
            )
    else:
        file_id = request.file_id or ids.new_id(ids.FILE)
        if tx.exists("files", org_id, file_id=file_id):
            raise AlreadyExistsError(f"file {file_id!r} already exists in org {org_id!r}")
        created, created_by = now, user

    record = FileRecord(
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
    )
    tx.insert("files", [as_row(record)])
    _insert_topics(tx, org_id, record, request.topics)
    tx.insert(
        "activity_intervals",
        [
            dict(org_id=org_id, file_id=file_id, kind=a.kind, start_ns=a.start_ns, end_ns=a.end_ns)
            for a in request.activity
        ],
    )
    if current is not None:
        tx.execute(_REFRESH_BOUNDS_OF_SESSIONS_HOLDING_FILE, org_id=org_id, file_id=file_id)
    return record


def _insert_topics(tx: Tx, org_id: str, file: FileRecord, topics: Sequence[RecordedTopic]) -> None:
    """Topic identities (one per org and name), then the file's partitions and extents."""
    if not topics:
        return
    topic_ids = {t.name: ids.stable_id(ids.TOPIC, org_id, t.name) for t in topics}
    known = {
        row[0]
        for row in tx.rows(
            "SELECT topic_id FROM topics WHERE org_id = $org AND list_contains($ids, topic_id)",
            org=org_id,
            ids=list(topic_ids.values()),
        )
    }
    tx.insert(
        "topics",
        [
            {"topic_id": topic_id, "org_id": org_id, "name": name}
            for name, topic_id in topic_ids.items()
            if topic_id not in known
        ],
    )
    partitions: list[dict[str, Any]] = []
    extents: list[dict[str, Any]] = []
    for topic in topics:
        topic_part_id = ids.new_id(ids.TOPIC_PARTITION)
        offset = topic.unix_epoch_offset_ns
        partitions.append(
            dict(
                topic_part_id=topic_part_id,
                org_id=org_id,
                topic_id=topic_ids[topic.name],
                file_id=file.file_id,
                device_id=file.device_id,
                schema_name=topic.schema_name,
                schema_encoding=topic.schema_encoding,
                message_count=topic.message_count,
                partition_key=topic.partition,
                row_start=topic.row_range[0] if topic.row_range else None,
                row_end=topic.row_range[1] if topic.row_range else None,
                min_wall_ns=min((lo + offset for lo, _ in topic.spans), default=None),
                max_wall_ns=max((hi + offset for _, hi in topic.spans), default=None),
            )
        )
        extents.extend(
            dict(
                timeline_extent_id=ids.new_id(ids.TIMELINE_EXTENT),
                org_id=org_id,
                topic_part_id=topic_part_id,
                file_id=file.file_id,
                topic_id=topic_ids[topic.name],
                timeline_source=topic.timeline_source,
                min_timestamp=lo,
                max_timestamp=hi,
                unix_epoch_offset_ns=offset,
                min_wall_ns=lo + offset,
                max_wall_ns=hi + offset,
            )
            for lo, hi in topic.spans
        )
    tx.insert("topic_partitions", partitions)
    extents.sort(key=lambda e: e["min_wall_ns"])
    tx.insert("timeline_extents", extents)


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
