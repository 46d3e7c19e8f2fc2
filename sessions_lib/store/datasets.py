"""Datasets in the catalog: insert, load, find by root folder, and list their files."""

from __future__ import annotations

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one
from sessions_lib.errors import AlreadyExistsError
from sessions_lib.model.records import DatasetRecord, FileRecord, as_row


def insert_dataset(tx: Tx, record: DatasetRecord) -> None:
    """Store a new dataset; its id must not exist in the org yet."""
    if tx.exists("datasets", record.org_id, dataset_id=record.dataset_id):
        raise AlreadyExistsError(f"dataset {record.dataset_id!r} already exists in org {record.org_id!r}")
    tx.insert("datasets", [as_row(record)])


def load_dataset(tx: Tx, org_id: str, dataset_id: str) -> DatasetRecord:
    """The stored dataset (not found if it is another org's or does not exist)."""
    return load_one(tx, DatasetRecord, "dataset", org_id, dataset_id)


def dataset_with_root(tx: Tx, org_id: str, root_path: str) -> DatasetRecord | None:
    """The org's first dataset registered with this root folder, if any."""
    found = tx.records(
        DatasetRecord,
        "SELECT * FROM datasets WHERE org_id = $org_id AND root_path = $root ORDER BY created LIMIT 1",
        org_id=org_id,
        root=root_path,
    )
    return found[0] if found else None


def dataset_files(tx: Tx, org_id: str, dataset_id: str) -> list[FileRecord]:
    """Every file of the dataset, by relative path."""
    return tx.records(
        FileRecord,
        "SELECT * FROM files WHERE org_id = $org_id AND dataset_id = $dataset_id ORDER BY relative_path",
        org_id=org_id,
        dataset_id=dataset_id,
    )


def dataset_files_page(tx: Tx, org_id: str, dataset_id: str, after_path: str, limit: int) -> list[FileRecord]:
    """One page of the dataset's files, by relative path, after ``after_path``."""
    return tx.records(
        FileRecord,
        "SELECT * FROM files WHERE org_id = $org_id AND dataset_id = $dataset_id "
        "AND relative_path > $after ORDER BY relative_path LIMIT $limit",
        org_id=org_id,
        dataset_id=dataset_id,
        after=after_path,
        limit=limit,
    )
