"""Bringing a catalog in line with a fleet: its devices with the metadata file, its inferred
sessions with the activity recorded since.

What the pipeline's assets run, callable as well from the CLI, a notebook or a test: every
function takes a :class:`Client` and plain values. Each call is idempotent, so a second one with
the same input changes nothing.

>>> metadata = load_device_metadata(Path("data/devices.yaml"))  # doctest: +SKIP
>>> org = acting_org(client, metadata)  # doctest: +SKIP
>>> reconcile_devices(client, org, metadata)  # doctest: +SKIP
DeviceChanges(created=('dv_falcon', ...), updated=(), unchanged=0)
>>> write_inferred_sessions(client, org, infer_fleet_sessions(client, org, metadata))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from sessions_lib.api.device import Device
from sessions_lib.client import Client
from sessions_lib.errors import NotFoundError
from sessions_lib.inference.device_metadata import DeviceMetadata
from sessions_lib.inference.rules import DEVICE_COLUMNS, InferenceRules, InferredSessions, infer_sessions
from sessions_lib.queries import DEVICE_ACTIVITY
from sessions_lib.store.sessions import InferredChange, replace_inferred_sessions


@dataclass(frozen=True, slots=True)
class DeviceChanges:
    """What reconciling the devices with their metadata did, by device id."""

    created: tuple[str, ...]
    updated: tuple[str, ...]
    unchanged: int


def acting_org(client: Client, metadata: DeviceMetadata) -> str:
    """The org a fleet is written in: the metadata's (which the caller must belong to), else the
    caller's only org."""
    return client.resolve_org(metadata.org_id, "org_id")


def reconcile_devices(client: Client, org_id: str, metadata: DeviceMetadata) -> DeviceChanges:
    """Create each device of the metadata that the org lacks, and update the name, type and
    attributes of each one that differs. Devices the metadata does not list are left alone.

    Goes through :class:`Device`, so validation and ``modified_by`` are the documented object's.
    """
    created: list[str] = []
    updated: list[str] = []
    for spec in metadata.devices:
        try:
            device = Device.from_id(spec.device_id, owner_org_id=org_id, roboto_client=client)
        except NotFoundError:
            Device.create(
                spec.name,
                device_type=spec.device_type,
                metadata=dict(spec.attributes),
                device_id=spec.device_id,
                caller_org_id=org_id,
                roboto_client=client,
            )
            created.append(spec.device_id)
            continue
        wanted = (spec.name, spec.device_type, dict(spec.attributes))
        if (device.name, device.device_type, dict(device.metadata)) != wanted:
            device.update(spec.name, device_type=spec.device_type, metadata=dict(spec.attributes))
            updated.append(spec.device_id)
    return DeviceChanges(
        created=tuple(created),
        updated=tuple(updated),
        unchanged=len(metadata.devices) - len(created) - len(updated),
    )


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
