"""Registration: the one write path for devices, datasets, files and their topics' extents.

Readers, the pipeline, notebooks and tests all register recordings through these functions, each
call one transaction. A file is identified by (org, dataset, relative path): registering it again
with the same content hash is a no-op; with new content it replaces the file's own partitions and
extents, and the stored bounds of every session holding it are recomputed in the same transaction.

>>> device = register_device("drone-7", device_type="quadcopter")  # doctest: +SKIP
>>> dataset = register_dataset("field-test", root_path="/data/field-test")  # doctest: +SKIP
>>> file = register_file(
...     dataset.dataset_id, "flight.mcap",
...     [RecordedTopic("/imu", spans=((1_700_000_000 * 10**9, 1_700_000_060 * 10**9),))],
...     device_id=device.device_id,
... )  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import require_all
from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import AlreadyExistsError, InvalidRequestError
from sessions_lib.model import ids
from sessions_lib.model.records import (
    ActivityInterval,
    DatasetRecord,
    DeviceRecord,
    FileRecord,
    IndexUsed,
    RecordedTopic,
    Recording,
    as_row,
    is_int64,
    json_object_text,
    validate_name,
)
from sessions_lib.queries import SESSIONS_HOLDING_FILE, with_rules

INGESTED = "ingested"
FAILED = "failed"

REFRESH_BOUNDS_OF_SESSIONS_HOLDING_FILE = f"""
UPDATE sessions
SET min_timestamp_ns = b.min_timestamp_ns, max_timestamp_ns = b.max_timestamp_ns
FROM ({with_rules(SESSIONS_HOLDING_FILE)} SELECT * FROM session_bounds) AS b
WHERE sessions.org_id = b.org_id AND sessions.session_id = b.session_id
"""


def register_device(
    name: str,
    *,
    device_type: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    device_id: str | None = None,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> DeviceRecord:
    """Register a device in the caller's org; a given ``device_id`` must not exist there yet."""
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    validate_name("device", name, required=True)
    _optional("device", device_type=device_type)
    metadata_json = json_object_text("device metadata", metadata)
    device_id = device_id or ids.new_id(ids.DEVICE)
    now = client.now()

    def work(tx: Tx) -> DeviceRecord:
        if tx.exists("devices", org, device_id=device_id):
            raise AlreadyExistsError(f"device {device_id!r} already exists in org {org!r}")
        row = dict(
            device_id=device_id,
            org_id=org,
            name=name,
            device_type=device_type,
            metadata=metadata_json,
            created=now,
            created_by=client.user,
            modified=now,
            modified_by=client.user,
        )
        tx.insert("devices", [row])
        return DeviceRecord(**row)

    return client.catalog.transaction(work)


def register_dataset(
    name: str,
    *,
    root_path: str | None = None,
    dataset_id: str | None = None,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> DatasetRecord:
    """Register a dataset in the caller's org; a given ``dataset_id`` must not exist there yet."""
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    validate_name("dataset", name, required=True)
    dataset_id = dataset_id or ids.new_id(ids.DATASET)
    row = dict(
        dataset_id=dataset_id,
        org_id=org,
        name=name,
        root_path=root_path,
        created=client.now(),
        created_by=client.user,
    )

    def work(tx: Tx) -> DatasetRecord:
        if tx.exists("datasets", org, dataset_id=dataset_id):
            raise AlreadyExistsError(f"dataset {dataset_id!r} already exists in org {org!r}")
        tx.insert("datasets", [row])
        return DatasetRecord(**row)

    return client.catalog.transaction(work)


def register_file(
    dataset_id: str,
    relative_path: str,
    topics: Sequence[RecordedTopic] = (),
    *,
    device_id: str | None = None,
    uri: str | None = None,
    size_bytes: int | None = None,
    format: str | None = None,
    content_hash: str | None = None,
    ingest_error: str | None = None,
    read_method: IndexUsed | None = None,
    anchored: bool | None = None,
    notes: Sequence[str] = (),
    identifiers: Mapping[str, str] | None = None,
    activity: Sequence[ActivityInterval] = (),
    file_id: str | None = None,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> FileRecord:
    """Register one file of a dataset with its topics' timeline extents, in one transaction.

    ``ingest_error`` records a file that could not be read (it then carries no topics);
    ``read_method``, ``anchored``, ``notes``, ``identifiers`` and ``activity`` say how a reader
    read it (see :func:`register_recording`). A file
    already registered at the same path keeps its id: same ``content_hash`` -> nothing changes;
    otherwise its partitions and extents are replaced and the bounds of sessions holding it
    recomputed.
    """
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    if not isinstance(relative_path, str) or not relative_path:
        raise InvalidRequestError(f"relative_path must be a non-empty string, got {relative_path!r}")
    _optional(
        f"file {relative_path!r}",
        uri=uri,
        format=format,
        content_hash=content_hash,
        ingest_error=ingest_error,
    )
    if size_bytes is not None and not (is_int64(size_bytes) and size_bytes >= 0):
        raise InvalidRequestError(
            f"file {relative_path!r}: size_bytes must be a byte count, got {size_bytes!r}"
        )
    if ingest_error == "":
        raise InvalidRequestError(
            f"file {relative_path!r}: ingest_error must say what went wrong, not be empty"
        )
    topics = list(topics)
    _validate_topics(relative_path, topics)
    if ingest_error is not None and topics:
        raise InvalidRequestError(
            f"file {relative_path!r}: a file that failed ingestion ({ingest_error!r}) has no topics"
        )
    now = client.now()

    def work(tx: Tx) -> FileRecord:
        require_all(tx, "dataset", org, [dataset_id])
        require_all(tx, "device", org, [device_id] if device_id is not None else [])
        existing = tx.records(
            FileRecord,
            "SELECT * FROM files WHERE org_id = $org AND dataset_id = $ds AND relative_path = $path",
            org=org,
            ds=dataset_id,
            path=relative_path,
        )
        if existing:
            current = existing[0]
            if file_id is not None and file_id != current.file_id:
                raise AlreadyExistsError(
                    f"file {relative_path!r} of dataset {dataset_id!r} is already registered "
                    f"as {current.file_id!r}, not {file_id!r}"
                )
            unchanged = (
                content_hash is not None
                and content_hash == current.content_hash
                and ingest_error == current.ingest_error
                and device_id == current.device_id
            )
            if unchanged:
                return current
            new_file_id, created, created_by = current.file_id, current.created, current.created_by
            for table in ("timeline_extents", "topic_partitions", "activity_intervals", "files"):
                tx.execute(
                    f"DELETE FROM {table} WHERE org_id = $org AND file_id = $file_id",
                    org=org,
                    file_id=new_file_id,
                )
        else:
            new_file_id = file_id or ids.new_id(ids.FILE)
            if tx.exists("files", org, file_id=new_file_id):
                raise AlreadyExistsError(f"file {new_file_id!r} already exists in org {org!r}")
            created, created_by = now, client.user

        record = FileRecord(
            file_id=new_file_id,
            org_id=org,
            dataset_id=dataset_id,
            relative_path=relative_path,
            uri=uri,
            size_bytes=size_bytes,
            format=format,
            content_hash=content_hash,
            device_id=device_id,
            ingest_status=FAILED if ingest_error else INGESTED,
            ingest_error=ingest_error,
            created=created,
            created_by=created_by,
            modified=now,
            modified_by=client.user,
            read_method=read_method,
            anchored=anchored,
            notes=tuple(notes),
            identifiers=identifiers,
        )
        tx.insert("files", [as_row(record)])
        _insert_topics(tx, org, record, topics)
        tx.insert(
            "activity_intervals",
            [
                dict(org_id=org, file_id=new_file_id, kind=a.kind, start_ns=a.start_ns, end_ns=a.end_ns)
                for a in activity
            ],
        )
        if existing:
            tx.execute(REFRESH_BOUNDS_OF_SESSIONS_HOLDING_FILE, org_id=org, file_id=new_file_id)
        return record

    return client.catalog.transaction(work)


def _optional(what: str, **values: Any) -> None:
    """Each value is a string or ``None``."""
    for name, value in values.items():
        if value is not None and not isinstance(value, str):
            raise InvalidRequestError(f"{what}: {name} must be a string, got {type(value).__name__}")


def _validate_topics(relative_path: str, topics: list[RecordedTopic]) -> None:
    for topic in topics:
        if not isinstance(topic, RecordedTopic):
            raise InvalidRequestError(
                f"file {relative_path!r}: topics must be RecordedTopic, got {type(topic).__name__}"
            )
    keys = [(t.name, t.partition) for t in topics]
    repeated = sorted({key for key in keys if keys.count(key) > 1}, key=repr)
    if repeated:
        raise InvalidRequestError(
            f"file {relative_path!r}: topic(s) {[name for name, _ in repeated]} given more than once "
            f"for one partition; give each topic (or slice of it) once with all its spans"
        )
    for topic in topics:
        for lo, hi in topic.spans:
            if not (is_int64(lo + topic.unix_epoch_offset_ns) and is_int64(hi + topic.unix_epoch_offset_ns)):
                raise InvalidRequestError(
                    f"file {relative_path!r}, topic {topic.name!r}: span ({lo}, {hi}) plus offset "
                    f"{topic.unix_epoch_offset_ns} does not fit in int64 nanoseconds"
                )


def _insert_topics(tx: Tx, org: str, file: FileRecord, topics: list[RecordedTopic]) -> None:
    """Topic identities (one per org and name), then the file's partitions and extents."""
    if not topics:
        return
    topic_ids = {t.name: ids.stable_id(ids.TOPIC, org, t.name) for t in topics}
    known = {
        row[0]
        for row in tx.rows(
            "SELECT topic_id FROM topics WHERE org_id = $org AND list_contains($ids, topic_id)",
            org=org,
            ids=list(topic_ids.values()),
        )
    }
    tx.insert(
        "topics",
        [
            {"topic_id": topic_id, "org_id": org, "name": name}
            for name, topic_id in topic_ids.items()
            if topic_id not in known
        ],
    )
    partitions, extents = [], []
    for topic in topics:
        topic_part_id = ids.new_id(ids.TOPIC_PARTITION)
        offset = topic.unix_epoch_offset_ns
        partitions.append(
            dict(
                topic_part_id=topic_part_id,
                org_id=org,
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
                org_id=org,
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


def register_recording(
    dataset_id: str, relative_path: str, recording: Recording, **file_fields: Any
) -> FileRecord:
    """Register a file as a reader found it: its topics, how it was read, and its activity."""
    return register_file(
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
