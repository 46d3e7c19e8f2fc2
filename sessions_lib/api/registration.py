"""Registration: devices, datasets, and files with their topics' extents.

Readers, the pipeline, notebooks and tests register recordings through these functions (ingestion
writes the same ``FileRegistration`` requests the same way). ``register_file`` is one transaction;
``register_files`` writes many files in transactions of hundreds, a few statements each. A file is
identified by (org, dataset, relative path): registering it again with the same content hash is a
no-op; with new content it replaces the file's own partitions and extents, and the stored bounds of
every session holding it are recomputed in the same transaction.

>>> device = register_device("drone-7", device_type="quadcopter")  # doctest: +SKIP
>>> dataset = register_dataset("field-test", root_path="/data/field-test")  # doctest: +SKIP
>>> file = register_file(
...     dataset.dataset_id, "flight.mcap",
...     [RecordedTopic("/imu", spans=((1_700_000_000 * 10**9, 1_700_000_060 * 10**9),))],
...     device_id=device.device_id,
... )  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sessions_lib.client import Client, resolve_client
from sessions_lib.errors import InvalidRequestError
from sessions_lib.model import ids
from sessions_lib.model.records import (
    ActivityInterval,
    DatasetRecord,
    DeviceRecord,
    FileRecord,
    IndexUsed,
    RecordedTopic,
)
from sessions_lib.model.requests import FILES_PER_TRANSACTION, FileRegistration
from sessions_lib.model.validation import (
    json_object_text,
    optional_id,
    shown,
    validate_name,
    validate_optional_text,
)
from sessions_lib.store import datasets, devices, files


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
    validate_optional_text("device", device_type=device_type)
    metadata_json = json_object_text("device metadata", metadata)
    device_id = optional_id("device_id", device_id) or ids.new_id(ids.DEVICE)
    now = client.now()
    return client.catalog.transaction(
        lambda tx: devices.insert_device(
            tx, org, device_id, name, device_type, metadata_json, now, client.user
        )
    )


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
    validate_optional_text("dataset", root_path=root_path)
    record = DatasetRecord(
        dataset_id=optional_id("dataset_id", dataset_id) or ids.new_id(ids.DATASET),
        org_id=org,
        name=name,
        root_path=root_path,
        created=client.now(),
        created_by=client.user,
    )
    client.catalog.transaction(lambda tx: datasets.insert_dataset(tx, record))
    return record


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
    read it. A file already registered at the same path keeps its id: same ``content_hash`` ->
    nothing changes; otherwise its partitions and extents are replaced and the bounds of sessions
    holding it recomputed.
    """
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    request = FileRegistration(
        dataset_id,
        relative_path,
        topics,
        device_id=device_id,
        uri=uri,
        size_bytes=size_bytes,
        format=format,
        content_hash=content_hash,
        ingest_error=ingest_error,
        read_method=read_method,
        anchored=anchored,
        notes=notes,
        identifiers=identifiers,
        activity=activity,
        file_id=file_id,
    )
    now = client.now()
    return client.catalog.transaction(lambda tx: files.put_file(tx, org, request, now, client.user))


def register_files(
    registrations: Iterable[FileRegistration],
    *,
    files_per_transaction: int = FILES_PER_TRANSACTION,
    org_id: str | None = None,
    roboto_client: Client | None = None,
) -> list[FileRecord]:
    """Register many files with the rules of :func:`register_file`, and return them as stored.

    ``registrations`` (any iterable, consumed as it comes) are written in transactions of up to
    ``files_per_transaction`` files: each lands whole or not at all, in one statement per table.
    A path or given ``file_id`` may appear once per call.

    >>> register_files(
    ...     FileRegistration(dataset.dataset_id, f"run-{i}.mcap", [RecordedTopic("/imu", ((i, i + 10),))])
    ...     for i in range(1_000)
    ... )  # doctest: +SKIP
    """
    if isinstance(registrations, str | bytes) or not isinstance(registrations, Iterable):
        raise InvalidRequestError(
            f"registrations must be an iterable of FileRegistration, got {shown(registrations)}"
        )
    client = resolve_client(roboto_client)
    org = client.resolve_org(org_id, "org_id")
    checked = (_registration(r) for r in registrations)
    return files.write_registrations(client, org, checked, files_per_transaction=files_per_transaction)


def _registration(value: Any) -> FileRegistration:
    if not isinstance(value, FileRegistration):
        raise InvalidRequestError(
            f"register_files takes FileRegistration entries, got {shown(value)} ({type(value).__name__})"
        )
    return value
