"""From a fleet folder to sessions: files -> devices -> extents -> inferred sessions -> catalog.

Each asset's state lives in the catalog (registered files, devices, extents, sessions), so a
re-run reads only new or changed files and rewrites only the sessions that changed.
"""

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.resources import CatalogResource, FleetResource
from sessions_lib import Device, NotFoundError
from sessions_lib.client import Client
from sessions_lib.device_metadata import DeviceMetadata
from sessions_lib.inference import DEVICE_COLUMNS, InferenceRules, InferredSessions, infer_sessions
from sessions_lib.ingest import ingest_folder, recording_paths
from sessions_lib.queries import DEVICE_ACTIVITY
from sessions_lib.session_store import replace_inferred_sessions

GROUP = "fleet"


def acting_org(client: Client, metadata: DeviceMetadata) -> str:
    """The org the pipeline writes in: the metadata's, which the caller must belong to."""
    return client.resolve_org(metadata.org_id, "org_id")


@asset(group_name=GROUP)
def dataset_files(fleet: FleetResource) -> MaterializeResult:
    """The recordings in each dataset folder (sidecars such as a bag's metadata.yaml excluded)."""
    listing = {folder.name: sorted(recording_paths(folder)) for folder in fleet.dataset_folders()}
    missing = [str(folder) for folder in fleet.dataset_folders() if not folder.is_dir()]
    if missing:
        raise FileNotFoundError(f"dataset folder(s) {missing} do not exist")
    return MaterializeResult(metadata={name: len(paths) for name, paths in listing.items()})


@asset(group_name=GROUP)
def device_metadata(catalog: CatalogResource, fleet: FleetResource) -> MaterializeResult:
    """The devices of the metadata file, created or updated in the catalog."""
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    created = updated = 0
    for spec in metadata.devices:
        try:
            device = Device.from_id(spec.device_id, owner_org_id=org, roboto_client=client)
        except NotFoundError:
            Device.create(
                spec.name,
                device_type=spec.device_type,
                metadata=dict(spec.attributes),
                device_id=spec.device_id,
                caller_org_id=org,
                roboto_client=client,
            )
            created += 1
            continue
        wanted = (spec.name, spec.device_type, dict(spec.attributes))
        if (device.name, device.device_type, dict(device.metadata)) != wanted:
            device.update(spec.name, device_type=spec.device_type, metadata=dict(spec.attributes))
            updated += 1
    return MaterializeResult(
        metadata={"devices": len(metadata.devices), "created": created, "updated": updated}
    )


@asset(group_name=GROUP, deps=[dataset_files, device_metadata])
def topic_extents(
    context: AssetExecutionContext, catalog: CatalogResource, fleet: FleetResource
) -> MaterializeResult:
    """Every new or changed recording read into topics and timeline extents, mapped to its device."""
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    registered = unchanged = 0
    failed: list[str] = []
    for folder in fleet.dataset_folders():
        report = ingest_folder(folder, device_for=metadata.device_for, org_id=org, roboto_client=client)
        context.log.info(report.summary())
        registered += len(report.registered)
        unchanged += len(report.unchanged)
        failed += [f"{folder.name}/{path}: {error}" for path, error in report.failed]
    return MaterializeResult(
        metadata={
            "registered": registered,
            "unchanged": unchanged,
            "failed": len(failed),
            "failures": "\n".join(failed),
        }
    )


@asset(group_name=GROUP, deps=[topic_extents])
def inferred_sessions(catalog: CatalogResource, fleet: FleetResource) -> InferredSessions:
    """Sessions inferred from every device's activity (pure polars, see sessions_lib.inference)."""
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    activity = client.catalog.transaction(lambda tx: tx.frame(DEVICE_ACTIVITY, org_id=org))
    devices = pl.DataFrame(
        {
            "org_id": [org] * len(metadata.devices),
            "device_id": [d.device_id for d in metadata.devices],
            "name": [d.name for d in metadata.devices],
            "device_type": [d.device_type for d in metadata.devices],
            "mission_tags": [list(d.mission_tags) for d in metadata.devices],
        },
        schema=DEVICE_COLUMNS,
    )
    known = activity.filter(pl.col("device_id").is_in(devices["device_id"].implode()))
    rules = InferenceRules(
        gap_ns_by_device_type={t: metadata.gap_ns(t) for t in metadata.session_gap_s},
    )
    return infer_sessions(known, devices, rules)


@asset(group_name=GROUP)
def session_contributions(
    catalog: CatalogResource, fleet: FleetResource, inferred_sessions: InferredSessions
) -> MaterializeResult:
    """The inferred sessions, their contributions and device attachments, written in one transaction.

    Sessions made through the API are never touched; unchanged inferred sessions are not rewritten.
    """
    metadata, client = fleet.metadata(), catalog.client()
    org = acting_org(client, metadata)
    now = client.now()
    change = client.catalog.transaction(
        lambda tx: replace_inferred_sessions(
            tx,
            org,
            inferred_sessions.sessions,
            inferred_sessions.contributions,
            inferred_sessions.attachments,
            now,
            client.user,
        )
    )
    return MaterializeResult(
        metadata={
            "sessions": inferred_sessions.sessions.height,
            "created": len(change.created),
            "changed": len(change.changed),
            "deleted": len(change.deleted),
            "unchanged": change.unchanged,
        }
    )


@asset(group_name=GROUP, deps=[session_contributions])
def catalog_maintenance(catalog: CatalogResource) -> MaterializeResult:
    """Compaction of small writes and expiry of old snapshots, so the catalog stays small and fast."""
    client = catalog.client()
    before = client.catalog.size_bytes()
    client.catalog.compact()
    return MaterializeResult(metadata={"bytes_before": before, "bytes_after": client.catalog.size_bytes()})
