"""Devices in the catalog: insert, load, update and delete, each inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sessions_lib.catalog import Tx
from sessions_lib.catalog.lookups import load_one
from sessions_lib.errors import AlreadyExistsError
from sessions_lib.model.records import DeviceRecord
from sessions_lib.model.requests import DeviceChanges
from sessions_lib.model.validation import json_object_text

# The sessions a device is attached to, marked as changed by whoever deletes it.
_TOUCH_SESSIONS_OF_DEVICE = """
UPDATE sessions SET modified = $now, modified_by = $user
WHERE org_id = $org_id AND session_id IN (
    SELECT session_id FROM session_devices WHERE org_id = $org_id AND device_id = $device_id)
"""


def insert_device(
    tx: Tx,
    org_id: str,
    device_id: str,
    name: str,
    device_type: str | None,
    metadata_json: str | None,
    now: datetime,
    user: str,
) -> DeviceRecord:
    """Store a new device (its id must not exist in the org yet); ``metadata_json`` is stored as
    given (``NULL`` for none)."""
    if tx.exists("devices", org_id, device_id=device_id):
        raise AlreadyExistsError(f"device {device_id!r} already exists in org {org_id!r}")
    row: dict[str, Any] = dict(
        device_id=device_id,
        org_id=org_id,
        name=name,
        device_type=device_type,
        metadata=metadata_json,
        created=now,
        created_by=user,
        modified=now,
        modified_by=user,
    )
    tx.insert("devices", [row])
    return DeviceRecord(**row)


def load_device(tx: Tx, org_id: str, device_id: str) -> DeviceRecord:
    """The stored device (not found if it is another org's or does not exist)."""
    return load_one(tx, DeviceRecord, "device", org_id, device_id)


def load_devices(tx: Tx, org_id: str, device_ids: Sequence[str]) -> list[DeviceRecord]:
    """The org's stored devices among ``device_ids`` (unknown ones are simply absent)."""
    return tx.records(
        DeviceRecord,
        "SELECT * FROM devices WHERE org_id = $org_id AND list_contains($ids, device_id) ORDER BY device_id",
        org_id=org_id,
        ids=list(device_ids),
    )


def update_device(
    tx: Tx, org_id: str, device_id: str, changes: DeviceChanges, now: datetime, user: str
) -> DeviceRecord:
    """Write the changed fields and audit fields; no change writes nothing."""
    current = load_device(tx, org_id, device_id)
    columns = changes.columns()
    if not columns:
        return current
    if "metadata" in columns:
        columns["metadata"] = json_object_text("device metadata", columns["metadata"])
    columns.update(modified=now, modified_by=user)
    assignments = ", ".join(f"{column} = ${column}" for column in columns)
    tx.execute(
        f"UPDATE devices SET {assignments} WHERE org_id = $org_id AND device_id = $device_id",
        org_id=org_id,
        device_id=device_id,
        **columns,
    )
    return replace(current, **columns)


def delete_device(tx: Tx, org_id: str, device_id: str, now: datetime, user: str) -> None:
    """Delete the device. Sessions and files stay: the device is detached from every session (which
    is marked modified) and unlinked from its files and topic partitions, so no row points at it."""
    load_device(tx, org_id, device_id)
    params = {"org_id": org_id, "device_id": device_id}
    tx.execute(_TOUCH_SESSIONS_OF_DEVICE, now=now, user=user, **params)
    tx.execute("DELETE FROM session_devices WHERE org_id = $org_id AND device_id = $device_id", **params)
    for table in ("files", "topic_partitions"):
        tx.execute(
            f"UPDATE {table} SET device_id = NULL WHERE org_id = $org_id AND device_id = $device_id", **params
        )
    tx.execute("DELETE FROM devices WHERE org_id = $org_id AND device_id = $device_id", **params)
