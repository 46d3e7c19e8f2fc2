"""Bringing a catalog in line with a fleet: its devices with the metadata file, its inferred
sessions with the activity recorded since.

What the pipeline's assets run, callable as well from the CLI, a notebook or a test: every
function takes a :class:`Client` and plain values. Each call is idempotent, so a second one with
the same input changes nothing.

>>> metadata = load_device_metadata(Path("data/devices.yaml"))  # doctest: +SKIP
>>> org = acting_org(client, metadata)  # doctest: +SKIP
>>> reconcile_devices(client, org, metadata)  # doctest: +SKIP
DeviceReconciliation(created=('dv_falcon', ...), updated=(), unchanged=0)
>>> write_inferred_sessions(client, org, infer_fleet_sessions(client, org, metadata))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from sessions_lib.catalog import Tx
from sessions_lib.client import Client
from sessions_lib.inference.device_metadata import DeviceMetadata
from sessions_lib.inference.rules import DEVICE_COLUMNS, InferenceRules, InferredSessions, infer_sessions
from sessions_lib.model.requests import DeviceChanges
from sessions_lib.model.timestamps import format_ns
from sessions_lib.model.validation import json_object_text
from sessions_lib.queries import DEVICE_ACTIVITY
from sessions_lib.store import anchors, devices, files
from sessions_lib.store.inferred import InferredChange, replace_inferred_sessions


@dataclass(frozen=True, slots=True)
class DeviceReconciliation:
    """What reconciling the devices with their metadata did, by device id."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: int


def acting_org(client: Client, metadata: DeviceMetadata) -> str:
    """The org a fleet is written in: the metadata's (which the caller must belong to), else the
    caller's only org."""
    return client.resolve_org(metadata.org_id, "org_id")


def reconcile_devices(client: Client, org_id: str, metadata: DeviceMetadata) -> DeviceReconciliation:
    """Create each device of the metadata that the org lacks, and update the name, type and
    attributes of each one that differs, in one transaction. Devices the metadata does not list
    are left alone."""
    now, user = client.now(), client.user

    def work(tx: Tx) -> DeviceReconciliation:
        stored = {
            d.device_id: d for d in devices.load_devices(tx, org_id, [d.device_id for d in metadata.devices])
        }
        created: list[str] = []
        updated: list[str] = []
        for spec in metadata.devices:
            current = stored.get(spec.device_id)
            attributes = dict(spec.attributes)
            if current is None:
                metadata_json = json_object_text("device metadata", attributes)
                devices.insert_device(
                    tx, org_id, spec.device_id, spec.name, spec.device_type, metadata_json, now, user
                )
                created.append(spec.device_id)
            elif (current.name, current.device_type, dict(current.metadata)) != (
                spec.name,
                spec.device_type,
                attributes,
            ):
                changes = DeviceChanges(spec.name, spec.device_type, attributes)
                devices.update_device(tx, org_id, spec.device_id, changes, now, user)
                updated.append(spec.device_id)
        unchanged = len(metadata.devices) - len(created) - len(updated)
        return DeviceReconciliation(tuple(created), tuple(updated), unchanged)

    return client.catalog.transaction(work)


@dataclass(frozen=True, slots=True)
class DeviceChange:
    """A registered file that the device metadata now maps to another device (or to none)."""

    file_id: str
    relative_path: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        return f"{self.relative_path}: {self.before or 'no device'} -> {self.after or 'no device'}"


def remap_file_devices(
    client: Client, org_id: str, metadata: DeviceMetadata, dataset_ids: Sequence[str]
) -> tuple[DeviceChange, ...]:
    """Map every registered file of the datasets to its device by the metadata as it is now, from
    the identifiers and path stored on the file's row (no recording is read again), and store the
    devices that changed, in one transaction; return the changes.

    Ingestion maps a file when it reads it. This catches the rest: files registered before the
    metadata listed their device (a folder ingested first, then run), and an edited metadata file.
    """
    now, user = client.now(), client.user

    def work(tx: Tx) -> tuple[DeviceChange, ...]:
        changes = []
        for file in files.mapped_files(tx, org_id, dataset_ids):
            identifiers = json.loads(file.identifiers) if file.identifiers else None
            device_id = metadata.device_for(file.relative_path, identifiers or None)
            if device_id != file.device_id:
                changes.append(DeviceChange(file.file_id, file.relative_path, file.device_id, device_id))
        files.set_file_devices(tx, org_id, [(c.file_id, c.after) for c in changes], now, user)
        return tuple(changes)

    return client.catalog.transaction(work)


@dataclass(frozen=True, slots=True)
class AnchorChange:
    """A file anchored by its device's clock rule: its start as its path gives it."""

    file_id: str
    relative_path: str
    start_ns: int

    def __str__(self) -> str:
        return f"{self.relative_path}: starts {format_ns(self.start_ns)}"


def anchor_files_by_name(
    client: Client, org_id: str, metadata: DeviceMetadata, dataset_ids: Sequence[str]
) -> tuple[AnchorChange, ...]:
    """Anchor each file of the datasets whose own clock is not Unix time, and whose device has a
    clock rule (``clock.start_from_file_name``) that finds a date in its path, so that its earliest
    time is that date; in one transaction. Files anchored so already are left alone.

    The rule is the metadata's: it wins over an anchor set by hand for the files it matches, on
    every run. Files whose reader found Unix time (GPS-anchored logs among them) are never touched.
    """
    now, user = client.now(), client.user

    def work(tx: Tx) -> tuple[AnchorChange, ...]:
        changes = []
        for file in anchors.unanchored_files(tx, org_id, list(dataset_ids)):
            spec = metadata.device(file.device_id)
            start_ns = spec.file_name_start_ns(file.relative_path) if spec else None
            if start_ns is None or file.timeline_offset_ns == start_ns - file.clock_start_ns:
                continue
            offset = start_ns - file.clock_start_ns
            anchors.set_timeline_offset(tx, org_id, file.file_id, offset, None, now, user)
            changes.append(AnchorChange(file.file_id, file.relative_path, start_ns))
        return tuple(changes)

    return client.catalog.transaction(work)


def fleet_devices_frame(org_id: str, metadata: DeviceMetadata) -> pl.DataFrame:
    """The metadata's devices as :func:`infer_sessions` takes them (``DEVICE_COLUMNS``)."""
    return pl.DataFrame(
        {
            "org_id": [org_id] * len(metadata.devices),
            "device_id": [d.device_id for d in metadata.devices],
            "name": [d.name for d in metadata.devices],
            "device_type": [d.device_type for d in metadata.devices],
            "mission_tags": [list(d.mission_tags) for d in metadata.devices],
        },
        schema=DEVICE_COLUMNS,
    )


def fleet_rules(metadata: DeviceMetadata) -> InferenceRules:
    """The inference rules of the metadata: each listed device type's session gap."""
    return InferenceRules(gap_ns_by_device_type={t: metadata.gap_ns(t) for t in metadata.session_gap_s})


def infer_fleet_sessions(client: Client, org_id: str, metadata: DeviceMetadata) -> InferredSessions:
    """The sessions the org's recorded activity forms under the metadata's rules.

    Reads the activity (``DEVICE_ACTIVITY``) in one snapshot; activity of devices the metadata
    does not list is left out. Nothing is written: see :func:`write_inferred_sessions`.
    """
    activity = client.catalog.read(lambda tx: tx.frame(DEVICE_ACTIVITY, org_id=org_id))
    devices = fleet_devices_frame(org_id, metadata)
    known = activity.filter(pl.col("device_id").is_in(devices["device_id"].implode()))
    return infer_sessions(known, devices, fleet_rules(metadata))


def write_inferred_sessions(client: Client, org_id: str, inferred: InferredSessions) -> InferredChange:
    """Make the org's inferred sessions exactly ``inferred``, in one transaction.

    Sessions made through the API are never touched; unchanged inferred sessions are not rewritten,
    so writing the same sessions twice changes nothing the second time.
    """
    now = client.now()
    return client.catalog.transaction(
        lambda tx: replace_inferred_sessions(
            tx,
            org_id,
            inferred.sessions,
            inferred.contributions,
            inferred.attachments,
            now,
            client.user,
        )
    )
